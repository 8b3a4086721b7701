package dev.rlft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlft.algo.KlEstimator;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.NativeCompute;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.TokenLogProbs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Fixed prompts and completions for the PPO tests, with old log-probabilities recomputed from a policy. */
final class PpoFixtures {

  static final CharTokenizer TOK = TinyModel.TOKENIZER;

  static final List<String> PROMPTS =
      List.of("Start with 3. Add 4.", "Start with 9. Take away 2.", "Start with 3. Add 4.",
          "Start with 9. Take away 2.");

  static final List<String> COMPLETIONS =
      List.of("3+4=7\n\n\\boxed{7}", "9-2=7\n\n\\boxed{7}", "3+4=8\n\n\\boxed{8}", "9-2=6\n\nso \\boxed{6}");

  private PpoFixtures() {}

  /** Gamma 1, clip 0.2, value clip 0.2, vf-coef 0.5, k3, temperature 1, both learning rates 1e-2. */
  static PpoUpdate.Config config(float lambda, boolean whiten, float beta) {
    return new PpoUpdate.Config(1f, lambda, whiten, 0.2f, 0.2f, 0.2f, 0.5f, beta, KlEstimator.K3, 1f,
        LrSchedule.constant(1e-2f), LrSchedule.constant(1e-2f));
  }

  /** Completion ids with a final EOS. */
  static int[] completion(String text) {
    int[] ids = TOK.encode(text);
    int[] out = Arrays.copyOf(ids, ids.length + 1);
    out[ids.length] = TOK.eosId();
    return out;
  }

  /** The fixed batch, each trajectory carrying {@code policy}'s own log-probabilities of its completion. */
  static List<Trajectory> batch(LlamaModel policy) {
    List<int[]> prompts = new ArrayList<>();
    List<int[]> completions = new ArrayList<>();
    for (int i = 0; i < PROMPTS.size(); i++) {
      prompts.add(PromptTemplate.PLAIN.encode(TOK, PROMPTS.get(i)));
      completions.add(completion(COMPLETIONS.get(i)));
    }
    List<float[]> logprobs = completionLogProbs(policy, prompts, completions);
    List<Trajectory> out = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      out.add(new Trajectory(i, prompts.get(i), completions.get(i), logprobs.get(i), 0, 0f, false));
    }
    return out;
  }

  /** Log-probabilities of each completion token under {@code model}, temperature 1. */
  static List<float[]> completionLogProbs(LlamaModel model, List<int[]> prompts, List<int[]> completions) {
    List<int[]> seqs = new ArrayList<>();
    int[] starts = new int[prompts.size()];
    for (int i = 0; i < prompts.size(); i++) {
      int[] seq = new int[prompts.get(i).length + completions.get(i).length];
      System.arraycopy(prompts.get(i), 0, seq, 0, prompts.get(i).length);
      System.arraycopy(completions.get(i), 0, seq, prompts.get(i).length, completions.get(i).length);
      seqs.add(seq);
      starts[i] = prompts.get(i).length;
    }
    SequenceBatch sb = new SequenceBatch(seqs, starts);
    float[] flat = NativeCompute.run(() -> {
      try (NDManager scope = model.manager().getParentManager().newSubManager()) {
        NDArray logp = TokenLogProbs.of(model, sb.tokens(scope, TOK.padId()), 1f, false).logp();
        return logp.stopGradient().toFloatArray();
      }
    });
    int width = sb.width() - 1;
    List<float[]> out = new ArrayList<>();
    for (int i = 0; i < seqs.size(); i++) {
      float[] row = new float[completions.get(i).length];
      System.arraycopy(flat, i * width + starts[i] - 1, row, 0, row.length);
      out.add(row);
    }
    return out;
  }

  /** Per-token rewards: {@code 1} on every completion token that is the character {@code c}, else 0. */
  static List<float[]> rewardOn(List<Trajectory> batch, char c) {
    int id = TOK.encode(String.valueOf(c))[0];
    List<float[]> out = new ArrayList<>();
    for (Trajectory t : batch) {
      float[] r = new float[t.completion().length];
      for (int i = 0; i < r.length; i++) {
        r[i] = t.completion()[i] == id ? 1f : 0f;
      }
      out.add(r);
    }
    return out;
  }

  /** Sum of {@code logprobs} at the positions where {@code rewards} is positive. */
  static double rewardedLogProb(List<float[]> logprobs, List<float[]> rewards) {
    double sum = 0;
    for (int i = 0; i < logprobs.size(); i++) {
      for (int j = 0; j < logprobs.get(i).length; j++) {
        if (rewards.get(i)[j] > 0) {
          sum += logprobs.get(i)[j];
        }
      }
    }
    return sum;
  }
}
