package dev.rlft.cli;

import com.typesafe.config.Config;
import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.algo.KlEstimator;
import dev.rlft.algo.LossAggregation;
import dev.rlft.coordinator.Coordinator;
import dev.rlft.data.ArithmeticTaskConfig;
import dev.rlft.data.JsonlFormat;
import dev.rlft.model.LoraConfig;
import dev.rlft.reward.BoxedAnswerReward;
import dev.rlft.reward.FormatReward;
import dev.rlft.reward.MathVerifyReward;
import dev.rlft.reward.RewardFunction;
import dev.rlft.reward.WeightedReward;
import dev.rlft.verify.CheckerConfig;
import java.util.List;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.train.AdamW;
import dev.rlft.train.Evaluator;
import dev.rlft.train.GrpoUpdate;
import dev.rlft.train.LrSchedule;

/** The {@code rlft} block of the configuration, parsed once into typed settings. */
public record RunSettings(
    long seed,
    String runsDir,
    int torchThreads,
    ArithmeticTaskConfig task,
    String trainData,
    String heldoutData,
    JsonlFormat format,
    int heldoutLimit,
    PromptTemplate template,
    Config model,
    AdamW.Config adam,
    Sft sft,
    Grpo grpo,
    Evaluator.Config eval,
    float controlLr,
    LoraConfig lora) {

  /** SFT phase settings. */
  public record Sft(int steps, int batchSize, float lr, int warmup, float minLrRatio) {
    public Sft {
      if (steps < 0 || batchSize < 1) {
        throw new IllegalArgumentException("sft.steps must be >= 0 and sft.batch-size >= 1, got " + steps + ", " + batchSize);
      }
    }

    public LrSchedule schedule() {
      return new LrSchedule(lr, warmup, steps, minLrRatio);
    }
  }

  /** GRPO phase settings. */
  public record Grpo(Coordinator.Settings loop, GrpoUpdate.Config update, int rolloutWorkers, int rewardWorkers) {}

  public static RunSettings from(Config root) {
    Config c = root.getConfig("rlft");
    Config g = c.getConfig("grpo");
    Config e = c.getConfig("eval");
    Config s = c.getConfig("sft");
    Config o = c.getConfig("optimizer");
    long seed = c.getLong("seed");
    SamplingParams sampling = new SamplingParams((float) g.getDouble("temperature"), (float) g.getDouble("top-p"),
        g.getInt("top-k"), g.getInt("max-new-tokens"), seed, g.getStringList("stop").toArray(new String[0]));
    Coordinator.Settings loop = new Coordinator.Settings(g.getInt("steps"), g.getInt("prompts-per-step"),
        g.getInt("group-size"), g.getInt("max-staleness"), sampling, g.getDuration("generate-timeout"),
        g.getDuration("reward-timeout"), g.getInt("reward-retries"), g.getDuration("train-timeout"));
    GrpoUpdate.Config update = new GrpoUpdate.Config(AdvantageEstimator.parse(g.getString("advantage")),
        (float) g.getDouble("clip-low"), (float) g.getDouble("clip-high"), (float) g.getDouble("beta"),
        KlEstimator.parse(g.getString("kl")), LossAggregation.parse(g.getString("loss-aggregation")),
        (float) g.getDouble("temperature"),
        new LrSchedule((float) g.getDouble("lr"), g.getInt("warmup"), 0, 1f));
    return new RunSettings(
        seed,
        c.getString("runs-dir"),
        c.getInt("torch-threads"),
        ArithmeticTaskConfig.fromConfig(c.getConfig("task")),
        c.getString("data.train"),
        c.getString("data.heldout"),
        JsonlFormat.parse(c.getString("data.format")),
        c.getInt("data.heldout-limit"),
        PromptTemplate.parse(c.getString("prompt-template"),
            c.getString("system-prompt").isEmpty() ? null : c.getString("system-prompt")),
        c.getConfig("model"),
        new AdamW.Config((float) o.getDouble("beta1"), (float) o.getDouble("beta2"), (float) o.getDouble("eps"),
            (float) o.getDouble("weight-decay"), (float) o.getDouble("grad-clip")),
        new Sft(s.getInt("steps"), s.getInt("batch-size"), (float) s.getDouble("lr"), s.getInt("warmup"),
            (float) s.getDouble("min-lr-ratio")),
        new Grpo(loop, update, g.getInt("rollout-workers"), g.getInt("reward-workers")),
        new Evaluator.Config(e.getInt("samples"), (float) e.getDouble("temperature"), e.getBoolean("greedy"),
            e.getInt("max-new-tokens"), e.getInt("batch-size"), seed + 7919),
        (float) c.getDouble("control.lr"),
        c.getBoolean("lora.enabled") ? new LoraConfig(c.getInt("lora.rank"), (float) c.getDouble("lora.alpha"),
            (float) c.getDouble("lora.dropout"), new java.util.HashSet<>(c.getStringList("lora.targets"))) : null);
  }

  /**
   * The configured reward ({@code rlft.reward}); close it when done (the Math-Verify checker holds
   * worker threads).
   */
  public RewardFunction reward(Config root) {
    Config r = root.getConfig("rlft.reward");
    RewardFunction accuracy = switch (r.getString("accuracy")) {
      case MathVerifyReward.NAME -> {
        Config c = r.getConfig("checker");
        yield new MathVerifyReward(CheckerConfig.defaults()
            .withTimeout(c.getDuration("timeout"))
            .withFloatRounding(c.getInt("float-rounding"))
            .withRelativeTolerance(c.getDouble("relative-tolerance"))
            .withPercentLenient(c.getBoolean("percent-lenient")));
      }
      case BoxedAnswerReward.NAME, "boxed" -> new BoxedAnswerReward();
      default -> throw new IllegalArgumentException("reward.accuracy must be math-verify or boxed, got '"
          + r.getString("accuracy") + "'");
    };
    double formatWeight = r.getDouble("format-weight");
    if (formatWeight == 0) {
      return accuracy;
    }
    return new WeightedReward(List.of(new WeightedReward.Component(accuracy, 1.0),
        new WeightedReward.Component(new FormatReward(), formatWeight)));
  }

  /** {@code model.device}: auto, cpu, gpu or gpu:N. */
  public String device() {
    return model.getString("device");
  }

  /** {@code model.dtype} of inference copies (rollout, evaluation): float32 or float16 (GPU only). */
  public String dtype() {
    return model.getString("dtype");
  }

  /** The model shape for a tokenizer of {@code vocabSize} ids. */
  public ModelConfig modelConfig(int vocabSize) {
    return new ModelConfig(vocabSize, model.getInt("dim"), model.getInt("layers"), model.getInt("heads"),
        model.getInt("kv-heads"), model.getInt("hidden-dim"), model.getInt("max-seq-len"),
        (float) model.getDouble("rope-theta"), (float) model.getDouble("norm-eps"),
        model.getBoolean("tied-embeddings"));
  }
}
