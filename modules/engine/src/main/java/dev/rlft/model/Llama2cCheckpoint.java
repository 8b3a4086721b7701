package dev.rlft.model;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads Karpathy's llama2.c checkpoint format (legacy version 0: a header of seven int32 values,
 * then float32 weights in {@code run.c}'s order) into the Hugging Face layout {@link LlamaModel}
 * uses. llama2.c rotates interleaved pairs (2i, 2i+1) within each head; Hugging Face rotates
 * halves, so the query and key rows are permuted the way llama2.c's {@code export.py} does.
 */
public final class Llama2cCheckpoint {

  private Llama2cCheckpoint() {}

  /** Model shape and weights (Hugging Face names) read from a llama2.c {@code .bin} file. */
  public record Contents(ModelConfig config, Map<String, float[]> weights) {}

  public static Contents read(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length < 28) {
      throw new IOException(file + ": too short for a llama2.c checkpoint");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int dim = buf.getInt();
    int hidden = buf.getInt();
    int layers = buf.getInt();
    int heads = buf.getInt();
    int kvHeads = buf.getInt();
    int vocabField = buf.getInt();
    int seqLen = buf.getInt();
    boolean shared = vocabField > 0;
    int vocab = Math.abs(vocabField);
    ModelConfig config;
    try {
      config = new ModelConfig(vocab, dim, layers, heads, kvHeads, hidden, seqLen, 10000f, 1e-5f, shared);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": not a llama2.c checkpoint (" + e.getMessage() + ")", e);
    }
    int hd = dim / heads;
    int kvDim = kvHeads * hd;
    long expected = 28L + 4L * (
        (long) vocab * dim + (long) layers * dim * 2 + (long) layers * dim * dim * 2 + (long) layers * kvDim * dim * 2
            + (long) layers * hidden * dim * 3 + dim + (long) seqLen * hd + (shared ? 0 : (long) vocab * dim));
    if (bytes.length != expected) {
      throw new IOException(file + ": size " + bytes.length + " does not match its header (expected " + expected
          + " bytes for dim " + dim + ", " + layers + " layers, vocab " + vocab + ")");
    }
    FloatBuffer f = buf.asFloatBuffer();
    Map<String, float[]> w = new LinkedHashMap<>();
    w.put("model.embed_tokens.weight", take(f, vocab * dim));
    float[][] attNorm = perLayer(f, layers, dim);
    float[][] wq = perLayer(f, layers, dim * dim);
    float[][] wk = perLayer(f, layers, kvDim * dim);
    float[][] wv = perLayer(f, layers, kvDim * dim);
    float[][] wo = perLayer(f, layers, dim * dim);
    float[][] ffnNorm = perLayer(f, layers, dim);
    float[][] w1 = perLayer(f, layers, hidden * dim);
    float[][] w2 = perLayer(f, layers, dim * hidden);
    float[][] w3 = perLayer(f, layers, hidden * dim);
    float[] finalNorm = take(f, dim);
    f.position(f.position() + seqLen * hd); // precomputed rotary tables (freq_cis_real, freq_cis_imag)
    for (int l = 0; l < layers; l++) {
      String p = "model.layers." + l + ".";
      w.put(p + "input_layernorm.weight", attNorm[l]);
      w.put(p + "self_attn.q_proj.weight", unInterleave(wq[l], heads, hd, dim));
      w.put(p + "self_attn.k_proj.weight", unInterleave(wk[l], kvHeads, hd, dim));
      w.put(p + "self_attn.v_proj.weight", wv[l]);
      w.put(p + "self_attn.o_proj.weight", wo[l]);
      w.put(p + "post_attention_layernorm.weight", ffnNorm[l]);
      w.put(p + "mlp.gate_proj.weight", w1[l]);
      w.put(p + "mlp.up_proj.weight", w3[l]);
      w.put(p + "mlp.down_proj.weight", w2[l]);
    }
    w.put("model.norm.weight", finalNorm);
    if (!shared) {
      w.put("lm_head.weight", take(f, vocab * dim));
    }
    return new Contents(config, w);
  }

  public static LlamaModel load(Path file, NDManager parent, boolean trainable) throws IOException {
    Contents c = read(file);
    return LlamaModel.fromWeights(c.config(), c.weights(), parent, trainable);
  }

  /** Row (h, 2j + p) of the interleaved layout becomes row (h, p * hd/2 + j) of the half layout. */
  static float[] unInterleave(float[] w, int heads, int hd, int cols) {
    float[] out = new float[w.length];
    int half = hd / 2;
    for (int h = 0; h < heads; h++) {
      for (int j = 0; j < half; j++) {
        for (int p = 0; p < 2; p++) {
          int src = h * hd + 2 * j + p;
          int dst = h * hd + p * half + j;
          System.arraycopy(w, src * cols, out, dst * cols, cols);
        }
      }
    }
    return out;
  }

  private static float[] take(FloatBuffer f, int n) {
    float[] a = new float[n];
    f.get(a);
    return a;
  }

  private static float[][] perLayer(FloatBuffer f, int layers, int n) {
    float[][] a = new float[layers][];
    for (int l = 0; l < layers; l++) {
      a[l] = take(f, n);
    }
    return a;
  }
}
