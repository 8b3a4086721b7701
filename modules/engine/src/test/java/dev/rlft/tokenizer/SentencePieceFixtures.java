package dev.rlft.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Test data of the SentencePiece tests: the models under test resources, loaded once. */
final class SentencePieceFixtures {

  static final Path DIR = Path.of("src/test/resources/tokenizers/sentencepiece");

  /** Model file names (as keys of the reference JSON files) and their paths under {@link #DIR}. */
  static final Map<String, String> MODELS = Map.of(
      "tok512.model", "stories260K/tok512.model",
      "llm-jp-tokenizer-100k.ver3.0b1.model", "llm-jp/llm-jp-tokenizer-100k.ver3.0b1.model",
      "llm-jp-tokenizer-100k.ver3.1.model", "llm-jp/llm-jp-tokenizer-100k.ver3.1.model",
      "code10k_en20k_ja30k.ver2.1.model", "llm-jp/code10k_en20k_ja30k.ver2.1.model",
      "unigram_nfkc.model", "synthetic/unigram_nfkc.model",
      "unigram_suffix.model", "synthetic/unigram_suffix.model",
      "unigram_unused.model", "synthetic/unigram_unused.model",
      "bpe_rules.model", "synthetic/bpe_rules.model",
      "bpe_unused.model", "synthetic/bpe_unused.model");

  private static final Map<String, SentencePieceTokenizer> LOADED = new ConcurrentHashMap<>();
  private static final Map<String, JsonNode> JSON = new ConcurrentHashMap<>();

  private SentencePieceFixtures() {}

  /** The tokenizer of a model named in {@link #MODELS}, loaded on first use. */
  static SentencePieceTokenizer tokenizer(String model) {
    return LOADED.computeIfAbsent(model, m -> {
      try {
        return SentencePieceTokenizer.load(DIR.resolve(MODELS.get(m)));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  static SentencePieceTokenizer tok512() {
    return tokenizer("tok512.model");
  }

  /** A JSON file under {@link #DIR}, parsed on first use. */
  static JsonNode json(String relativePath) {
    return JSON.computeIfAbsent(relativePath, p -> {
      try {
        return new ObjectMapper().readTree(DIR.resolve(p).toFile());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }

  static int[] ints(JsonNode array) {
    int[] out = new int[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asInt();
    }
    return out;
  }

  /**
   * Writes a {@code ModelProto} by hand, for models that exercise one rule: pieces, model type,
   * byte fallback and normaliser flags.
   */
  static final class ModelBuilder {
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;
    static final int UNIGRAM = 1;
    static final int BPE = 2;
    static final int WORD = 3;

    private record Piece(String piece, float score, int type) {}

    private final List<Piece> pieces = new ArrayList<>();
    private int modelType = UNIGRAM;
    private boolean byteFallback;
    private boolean addDummyPrefix = true;
    private boolean removeExtraWhitespaces = true;

    /** {@code <unk> <s> </s>} as ids 0, 1, 2. */
    static ModelBuilder withSpecials() {
      return new ModelBuilder()
          .piece("<unk>", 0, UNKNOWN)
          .piece("<s>", 0, CONTROL)
          .piece("</s>", 0, CONTROL);
    }

    ModelBuilder piece(String piece, float score, int type) {
      pieces.add(new Piece(piece, score, type));
      return this;
    }

    ModelBuilder piece(String piece, float score) {
      return piece(piece, score, NORMAL);
    }

    ModelBuilder bytePieces() {
      for (int b = 0; b < 256; b++) {
        piece(String.format("<0x%02X>", b), 0, BYTE);
      }
      return this;
    }

    ModelBuilder modelType(int type) {
      modelType = type;
      return this;
    }

    ModelBuilder byteFallback(boolean on) {
      byteFallback = on;
      return this;
    }

    ModelBuilder addDummyPrefix(boolean on) {
      addDummyPrefix = on;
      return this;
    }

    ModelBuilder removeExtraWhitespaces(boolean on) {
      removeExtraWhitespaces = on;
      return this;
    }

    byte[] bytes() {
      try {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(buf);
        for (Piece p : pieces) {
          ByteArrayOutputStream pb = new ByteArrayOutputStream();
          CodedOutputStream po = CodedOutputStream.newInstance(pb);
          po.writeString(1, p.piece());
          po.writeFloat(2, p.score());
          po.writeEnum(3, p.type());
          po.flush();
          out.writeByteArray(1, pb.toByteArray());
        }
        ByteArrayOutputStream tb = new ByteArrayOutputStream();
        CodedOutputStream to = CodedOutputStream.newInstance(tb);
        to.writeEnum(3, modelType);
        to.writeBool(35, byteFallback);
        to.flush();
        out.writeByteArray(2, tb.toByteArray());
        ByteArrayOutputStream nb = new ByteArrayOutputStream();
        CodedOutputStream no = CodedOutputStream.newInstance(nb);
        no.writeString(1, "identity");
        no.writeBool(3, addDummyPrefix);
        no.writeBool(4, removeExtraWhitespaces);
        no.writeBool(5, true);
        no.flush();
        out.writeByteArray(3, nb.toByteArray());
        out.flush();
        return buf.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    SentencePieceTokenizer build() throws IOException {
      return SentencePieceTokenizer.parse(bytes(), "built-in-test");
    }
  }
}
