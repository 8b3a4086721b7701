package dev.rlft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Batched autoregressive sampling with a preallocated key/value cache.
 *
 * <p>Prompts are left-padded to a common length; each row's rotary positions start at 0 at its
 * first real token and padded key slots are masked, so a row's tokens and log-probabilities do not
 * depend on the other rows in its batch. Token choice happens in Java with a seeded generator.
 */
public final class Sampler {

  private Sampler() {}

  /**
   * Generates one completion per prompt.
   *
   * @param prompts token ids, each starting with BOS
   * @param scope manager for the cache and per-step arrays; nothing is left in it on return
   */
  public static List<Generation> generate(
      LlamaModel model, List<int[]> prompts, SamplingParams params, int eosId, NDManager scope) {
    return generate(model, prompts, params, eosId, false, scope);
  }

  /** As {@link #generate(LlamaModel, List, SamplingParams, int, NDManager)}; {@code noCache} recomputes the whole prefix every step (reference path for tests and benchmarks). */
  public static List<Generation> generate(
      LlamaModel model, List<int[]> prompts, SamplingParams params, int eosId, boolean noCache, NDManager scope) {
    return generate(model, prompts, params, Stops.eos(eosId), noCache, scope);
  }

  /**
   * When completions end: any of a set of end-of-sequence ids, or a stop string of the row's own
   * list appearing in its decoded text.
   *
   * @param eosIds ids that end a completion (included as its last token)
   * @param stopStrings per prompt, the strings that end its completion; an empty list (or none at
   *     all) means no stop strings
   * @param decoder decodes completions to look for stop strings; needed only with stop strings
   */
  public record Stops(java.util.Set<Integer> eosIds, List<List<String>> stopStrings, Tokenizer decoder) {
    public Stops {
      eosIds = java.util.Set.copyOf(eosIds);
      stopStrings = List.copyOf(stopStrings.stream().map(List::copyOf).toList());
      boolean any = stopStrings.stream().anyMatch(l -> !l.isEmpty());
      if (any && decoder == null) {
        throw new IllegalArgumentException("stop strings need a tokenizer to decode completions");
      }
      for (List<String> l : stopStrings) {
        for (String stop : l) {
          if (stop.isEmpty()) {
            throw new IllegalArgumentException("empty stop string");
          }
        }
      }
    }

    public static Stops eos(int eosId) {
      return new Stops(java.util.Set.of(eosId), List.of(), null);
    }

    List<String> forRow(int row) {
      return stopStrings.isEmpty() ? List.of() : stopStrings.get(row);
    }
  }

  /** Generates one completion per prompt, ending each as {@code stops} says. */
  public static List<Generation> generate(
      LlamaModel model, List<int[]> prompts, SamplingParams params, Stops stops, NDManager scope) {
    return generate(model, prompts, params, stops, false, scope);
  }

  private static List<Generation> generate(
      LlamaModel model, List<int[]> prompts, SamplingParams params, Stops stops, boolean noCache, NDManager scope) {
    return NativeCompute.run(() -> generateLocked(model, prompts, params, stops, noCache, scope));
  }

  private static List<Generation> generateLocked(
      LlamaModel model, List<int[]> prompts, SamplingParams params, Stops stops, boolean noCache, NDManager scope) {
    int b = prompts.size();
    if (!stops.stopStrings().isEmpty() && stops.stopStrings().size() != b) {
      throw new IllegalArgumentException(stops.stopStrings().size() + " stop-string lists for " + b + " prompts");
    }
    // finished rows keep feeding a harmless token so the batch stays rectangular; nothing reads its output
    int fillerId = stops.eosIds().isEmpty() ? 0 : stops.eosIds().iterator().next();
    if (b == 0) {
      return List.of();
    }
    int promptLen = 0;
    for (int[] p : prompts) {
      if (p.length == 0) {
        throw new IllegalArgumentException("empty prompt: every prompt needs at least a BOS token");
      }
      promptLen = Math.max(promptLen, p.length);
    }
    int capacity = promptLen + params.maxNewTokens();
    if (capacity > model.config().maxSeqLen()) {
      throw new IllegalArgumentException("prompt (" + promptLen + ") + max-new-tokens (" + params.maxNewTokens()
          + ") exceeds the model's max sequence length " + model.config().maxSeqLen());
    }
    int[] pad = new int[b];
    for (int i = 0; i < b; i++) {
      pad[i] = promptLen - prompts.get(i).length;
    }
    SplittableRandom rng = new SplittableRandom(params.seed());
    int vocab = model.config().vocabSize();
    int[][] out = new int[b][params.maxNewTokens()];
    float[][] lp = new float[b][params.maxNewTokens()];
    int[] len = new int[b];
    boolean[] done = new boolean[b];
    String[] stoppedBy = new String[b];
    int[] searchedChars = new int[b];
    // slot validity per row: slot s is a real token when s >= pad[row]
    float[] keyBias = new float[b * capacity];
    for (int i = 0; i < b; i++) {
      Arrays.fill(keyBias, i * capacity, i * capacity + pad[i], LlamaModel.MASKED);
    }
    try (NDManager gen = scope.newSubManager()) {
      KvCache cache = noCache ? null : model.newCache(gen, b, capacity);
      NDArray keyBiasAll = gen.create(keyBias, new Shape(b, 1, 1, capacity));
      float[] lastLogits;
      try (NDManager step = gen.newSubManager()) {
        long[] tok = new long[b * promptLen];
        long[] pos = new long[b * promptLen];
        float[] bias = new float[b * promptLen * promptLen];
        for (int i = 0; i < b; i++) {
          int[] p = prompts.get(i);
          for (int t = 0; t < promptLen; t++) {
            tok[i * promptLen + t] = t < pad[i] ? 0 : p[t - pad[i]];
            pos[i * promptLen + t] = Math.max(0, t - pad[i]);
            for (int s = 0; s < promptLen; s++) {
              boolean visible = s <= t && s >= pad[i];
              bias[(i * promptLen + t) * promptLen + s] = visible ? 0f : LlamaModel.MASKED;
            }
          }
        }
        NDArray logits = model.forward(
            step.create(tok, new Shape(b, promptLen)),
            step.create(pos, new Shape(b, promptLen)),
            step.create(bias, new Shape(b, 1, promptLen, promptLen)),
            cache, 0);
        lastLogits = logits.get(new NDIndex(":, -1, :")).toType(DataType.FLOAT32, false).toFloatArray();
      }
      for (int n = 0; n < params.maxNewTokens(); n++) {
        long[] next = new long[b];
        long[] nextPos = new long[b];
        boolean any = false;
        for (int i = 0; i < b; i++) {
          if (done[i]) {
            next[i] = fillerId;
            nextPos[i] = prompts.get(i).length + len[i];
            continue;
          }
          float[] row = Arrays.copyOfRange(lastLogits, i * vocab, (i + 1) * vocab);
          int chosen = choose(row, params, rng);
          out[i][len[i]] = chosen;
          lp[i][len[i]] = logProb(row, chosen, params.temperature() == 0 ? 1f : params.temperature());
          len[i]++;
          if (stops.eosIds().contains(chosen)) {
            done[i] = true;
          } else if (!stops.forRow(i).isEmpty()) {
            String text = stops.decoder().decode(Arrays.copyOf(out[i], len[i]));
            for (String stop : stops.forRow(i)) {
              if (text.indexOf(stop, Math.max(0, searchedChars[i] - stop.length())) >= 0) {
                stoppedBy[i] = stop;
                done[i] = true;
                break;
              }
            }
            searchedChars[i] = text.length();
          }
          if (!done[i]) {
            any = true;
          }
          next[i] = chosen;
          nextPos[i] = prompts.get(i).length + len[i] - 1;
        }
        if (!any || n == params.maxNewTokens() - 1) {
          break;
        }
        try (NDManager step = gen.newSubManager()) {
          if (noCache) {
            lastLogits = recompute(model, prompts, out, len, pad, promptLen, step);
          } else {
            int slot = promptLen + n;
            NDArray logits = model.forward(
                step.create(next, new Shape(b, 1)),
                step.create(nextPos, new Shape(b, 1)),
                sliceBias(keyBiasAll, slot + 1, step),
                cache, slot);
            lastLogits = logits.get(new NDIndex(":, -1, :")).toType(DataType.FLOAT32, false).toFloatArray();
          }
        }
      }
    }
    List<Generation> result = new ArrayList<>(b);
    for (int i = 0; i < b; i++) {
      int[] tokens = Arrays.copyOf(out[i], len[i]);
      Generation.Finish finish = stoppedBy[i] != null ? Generation.Finish.STOP
          : len[i] > 0 && stops.eosIds().contains(tokens[len[i] - 1]) ? Generation.Finish.EOS
          : Generation.Finish.LENGTH;
      result.add(new Generation(tokens, Arrays.copyOf(lp[i], len[i]), finish, stoppedBy[i]));
    }
    return result;
  }

  private static NDArray sliceBias(NDArray keyBiasAll, int end, NDManager step) {
    NDArray s = keyBiasAll.get(new NDIndex(":, :, :, :{}", end));
    s.attach(step);
    return s;
  }

  /** No-cache reference: re-runs the left-padded prompt plus everything generated so far. */
  private static float[] recompute(
      LlamaModel model, List<int[]> prompts, int[][] out, int[] len, int[] pad, int promptLen, NDManager step) {
    int b = prompts.size();
    int maxGen = 0;
    for (int l : len) {
      maxGen = Math.max(maxGen, l);
    }
    int t = promptLen + maxGen;
    long[] tok = new long[b * t];
    long[] pos = new long[b * t];
    float[] bias = new float[b * t * t];
    int[] lastIndex = new int[b];
    for (int i = 0; i < b; i++) {
      int[] p = prompts.get(i);
      // layout: [pads][prompt][generated][filler]; filler slots come after the row's last real token
      int realEnd = promptLen + len[i];
      lastIndex[i] = realEnd - 1;
      for (int s = 0; s < t; s++) {
        long id;
        if (s < pad[i]) {
          id = 0;
        } else if (s < promptLen) {
          id = p[s - pad[i]];
        } else if (s < realEnd) {
          id = out[i][s - promptLen];
        } else {
          id = 0;
        }
        tok[i * t + s] = id;
        pos[i * t + s] = Math.max(0, s - pad[i]);
        for (int k = 0; k < t; k++) {
          boolean visible = k <= s && k >= pad[i];
          bias[(i * t + s) * t + k] = visible ? 0f : LlamaModel.MASKED;
        }
      }
    }
    NDArray logits = model.forward(
        step.create(tok, new Shape(b, t)), step.create(pos, new Shape(b, t)),
        step.create(bias, new Shape(b, 1, t, t)), null, 0);
    float[] all = logits.toType(DataType.FLOAT32, false).toFloatArray();
    int vocab = model.config().vocabSize();
    float[] last = new float[b * vocab];
    for (int i = 0; i < b; i++) {
      System.arraycopy(all, (i * t + lastIndex[i]) * vocab, last, i * vocab, vocab);
    }
    return last;
  }

  /** log softmax(logits / temperature)[token], computed stably in double. */
  static float logProb(float[] logits, int token, float temperature) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l / (double) temperature);
    }
    double sum = 0;
    for (float l : logits) {
      sum += Math.exp(l / (double) temperature - max);
    }
    return (float) (logits[token] / (double) temperature - max - Math.log(sum));
  }

  static int choose(float[] logits, SamplingParams p, SplittableRandom rng) {
    int v = logits.length;
    if (p.temperature() == 0f) {
      int best = 0;
      for (int i = 1; i < v; i++) {
        if (logits[i] > logits[best]) {
          best = i;
        }
      }
      return best;
    }
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double[] prob = new double[v];
    double sum = 0;
    for (int i = 0; i < v; i++) {
      prob[i] = Math.exp((logits[i] - max) / p.temperature());
      sum += prob[i];
    }
    Integer[] order = null;
    if (p.topK() > 0 || p.topP() < 1f) {
      order = new Integer[v];
      for (int i = 0; i < v; i++) {
        order[i] = i;
      }
      final double[] pr = prob;
      Arrays.sort(order, (a, c) -> Double.compare(pr[c], pr[a]));
      int keep = p.topK() > 0 ? Math.min(p.topK(), v) : v;
      double mass = 0;
      int kept = 0;
      for (int r = 0; r < keep; r++) {
        mass += prob[order[r]] / sum;
        kept++;
        if (mass >= p.topP()) {
          break;
        }
      }
      double[] truncated = new double[v];
      double tsum = 0;
      for (int r = 0; r < kept; r++) {
        truncated[order[r]] = prob[order[r]];
        tsum += prob[order[r]];
      }
      prob = truncated;
      sum = tsum;
    }
    double u = rng.nextDouble() * sum;
    double acc = 0;
    int last = 0;
    for (int i = 0; i < v; i++) {
      if (prob[i] > 0) {
        acc += prob[i];
        last = i;
        if (u < acc) {
          return i;
        }
      }
    }
    return last;
  }
}
