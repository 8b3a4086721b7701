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
import dev.rlft.train.PpoUpdate;
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
    LoraConfig lora,
    Algorithm algorithm,
    Ppo ppo) {

  /** What the RL phase after SFT runs ({@code rl.algorithm}); its name is the phase's name in the run folder. */
  public enum Algorithm {
    /** GRPO, plain or process-supervised ({@code grpo.process.enabled}). */
    GRPO,
    /** Step-by-step PPO with a critic, on step rewards from {@code grpo.process.prm}. */
    PPO;

    /** The phase name: {@code grpo} or {@code ppo}. */
    public String phase() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    static Algorithm parse(String name) {
      for (Algorithm a : values()) {
        if (a.phase().equals(name.trim().toLowerCase(java.util.Locale.ROOT))) {
          return a;
        }
      }
      throw new IllegalArgumentException("rl.algorithm must be grpo or ppo, got '" + name + "'");
    }
  }

  /**
   * PPO phase settings ({@code ppo.*}); the loop, sampling, policy learning rate, clip range, beta
   * and KL estimator come from {@code grpo.*}.
   */
  public record Ppo(PpoUpdate.Config update, int epochs, int minibatches) {}

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
            (float) c.getDouble("lora.dropout"), new java.util.HashSet<>(c.getStringList("lora.targets"))) : null,
        algorithm(c),
        ppo(c, update, loop));
  }

  /** {@code rl.algorithm}; PPO also needs a step scorer, checked here so that a run fails before SFT. */
  private static Algorithm algorithm(Config c) {
    Algorithm a = Algorithm.parse(c.getString("rl.algorithm"));
    Config proc = c.getConfig("grpo.process");
    if (a == Algorithm.PPO || proc.getBoolean("enabled")) {
      String prm = proc.getString("prm");
      String who = a == Algorithm.PPO ? "rl.algorithm = ppo learns from step rewards" : "grpo.process.enabled";
      if (prm.isBlank()) {
        throw new IllegalArgumentException(who + ": set grpo.process.prm (an rlft PRM checkpoint, or "
            + dev.rlft.prm.LenientEquationScorer.NAME + ")");
      }
      if (!prm.equals(dev.rlft.prm.LenientEquationScorer.NAME)
          && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(prm))) {
        throw new IllegalArgumentException("grpo.process.prm: no PRM checkpoint folder at " + prm);
      }
    }
    return a;
  }

  /** {@code ppo.*} with every bad value named by its key; parsed whatever the algorithm, so typos show early. */
  private static Ppo ppo(Config c, GrpoUpdate.Config grpo, Coordinator.Settings loop) {
    Config p = c.getConfig("ppo");
    double gamma = p.getDouble("gamma");
    double lambda = p.getDouble("lambda");
    double vfCoef = p.getDouble("vf-coef");
    double clipValue = p.getDouble("clip-value");
    double criticLr = p.getDouble("critic-lr");
    int criticWarmup = p.getInt("critic-warmup");
    int epochs = p.getInt("epochs");
    int minibatches = p.getInt("minibatches");
    check(gamma >= 0 && gamma <= 1, "ppo.gamma must be in [0, 1], got " + gamma);
    check(lambda >= 0 && lambda <= 1, "ppo.lambda must be in [0, 1], got " + lambda);
    check(vfCoef > 0 && Double.isFinite(vfCoef), "ppo.vf-coef must be finite and > 0, got " + vfCoef);
    check(clipValue >= 0 && Double.isFinite(clipValue), "ppo.clip-value must be >= 0 (0 = no value clipping), got "
        + clipValue);
    check(criticLr > 0 && Double.isFinite(criticLr), "ppo.critic-lr must be finite and > 0, got " + criticLr);
    check(criticWarmup >= 0, "ppo.critic-warmup must be >= 0, got " + criticWarmup);
    check(epochs >= 1, "ppo.epochs must be >= 1, got " + epochs);
    int trajectories = loop.promptsPerStep() * loop.groupSize();
    check(minibatches >= 1 && minibatches <= trajectories, "ppo.minibatches must be in [1, " + trajectories
        + "] (grpo.prompts-per-step x grpo.group-size trajectories per batch), got " + minibatches);
    PpoUpdate.Config update = new PpoUpdate.Config((float) gamma, (float) lambda, p.getBoolean("whiten-advantages"),
        grpo.clipLow(), grpo.clipHigh(), clipValue == 0 ? Float.POSITIVE_INFINITY : (float) clipValue, (float) vfCoef,
        grpo.beta(), grpo.kl(), grpo.temperature(), grpo.schedule(),
        new LrSchedule((float) criticLr, criticWarmup, 0, 1f));
    return new Ppo(update, epochs, minibatches);
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
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
