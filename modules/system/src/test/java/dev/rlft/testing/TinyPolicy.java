package dev.rlft.testing;

import ai.djl.ndarray.NDManager;
import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.algo.KlEstimator;
import dev.rlft.algo.LossAggregation;
import dev.rlft.data.ArithmeticTask;
import dev.rlft.data.ArithmeticTaskConfig;
import dev.rlft.data.Problem;
import dev.rlft.learner.Learner;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.PromptTemplate;
import dev.rlft.train.AdamW;
import dev.rlft.train.GrpoUpdate;
import dev.rlft.train.PpoUpdate;
import dev.rlft.train.LrSchedule;
import java.util.List;
import java.util.Map;

/** A policy small enough for actor tests: one layer of width 16 over the ASCII character vocabulary. */
public final class TinyPolicy {

  public static final CharTokenizer TOKENIZER = CharTokenizer.ascii();

  public static final ModelConfig MODEL =
      new ModelConfig(TOKENIZER.vocabSize(), 16, 1, 2, 2, 32, 192, 10_000f, 1e-5f, true);

  /** Completion length used by the tests' sampling settings. */
  public static final int MAX_NEW_TOKENS = 24;

  private TinyPolicy() {}

  /** Freshly initialised weights, copied out of a manager that is closed before returning. */
  public static Map<String, float[]> initialWeights(long seed) {
    try (NDManager manager = NDManager.newBaseManager()) {
      return LlamaModel.initialize(MODEL, seed, manager, false).exportWeights();
    }
  }

  public static GrpoUpdate.Config grpo() {
    return new GrpoUpdate.Config(AdvantageEstimator.GRPO, 0.2f, 0.2f, 0.04f, KlEstimator.K3,
        LossAggregation.TOKEN_MEAN, 1f, LrSchedule.constant(1e-4f));
  }

  /** A learner starting at version 0 from {@code weights}, which are also its KL reference. */
  public static Learner.Init learnerInit(Map<String, float[]> weights) {
    return new Learner.Init(MODEL, TOKENIZER, weights, weights, 0, AdamW.Config.defaults(), grpo());
  }

  /**
   * PPO settings for the tiny policy: gamma 1, the given lambda, whitened advantages, clip 0.2,
   * value clip 0.2, vf-coef 0.5, beta 0.04 (k3), policy lr 1e-4 and the given critic lr.
   */
  public static PpoUpdate.Config ppo(float lambda, float criticLr) {
    return new PpoUpdate.Config(1f, lambda, true, 0.2f, 0.2f, 0.2f, 0.5f, 0.04f, KlEstimator.K3, 1f,
        LrSchedule.constant(1e-4f), LrSchedule.constant(criticLr));
  }

  /** A PPO learner starting at version 0 from {@code weights} (also its KL reference) with a fresh critic. */
  public static Learner.Init ppoLearnerInit(Map<String, float[]> weights, Learner.Ppo ppo) {
    return new Learner.Init(MODEL, TOKENIZER, weights, weights, 0, AdamW.Config.defaults(), grpo(), null, 0, ppo);
  }

  /** A few arithmetic problems whose plain prompt leaves room for {@link #MAX_NEW_TOKENS}. */
  public static List<Problem> problems(long seed) {
    ArithmeticTaskConfig small = new ArithmeticTaskConfig(2, 3, 20, 9, 99, 0.3, 64, 10);
    List<Problem> fitting = ArithmeticTask.train(small, seed).load().stream()
        .filter(p -> PromptTemplate.PLAIN.encode(TOKENIZER, p.problem()).length + MAX_NEW_TOKENS
            <= MODEL.maxSeqLen())
        .toList();
    if (fitting.isEmpty()) {
      throw new IllegalStateException("no arithmetic problem fits the tiny model's sequence length");
    }
    return fitting;
  }
}
