package dev.rlft.cli;

import ai.djl.ndarray.NDManager;
import com.typesafe.config.Config;
import ai.djl.ndarray.types.DataType;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.checkpoint.ModelSource;
import dev.rlft.coordinator.Coordinator;
import dev.rlft.coordinator.PromptFeed;
import dev.rlft.coordinator.ResumeCursor;
import dev.rlft.coordinator.StepReport;
import dev.rlft.data.ArithmeticTask;
import dev.rlft.data.JsonlProblemSource;
import dev.rlft.data.Problem;
import dev.rlft.learner.Learner;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.Devices;
import dev.rlft.model.HuggingFaceFolder;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.Tokenizer;
import dev.rlft.prm.ProcessRewardModel;
import dev.rlft.steps.CreditAssignment;
import dev.rlft.steps.HackingSentinel;
import dev.rlft.steps.OutcomeGate;
import dev.rlft.steps.ProcessAdvantages;
import dev.rlft.steps.ProcessRewards;
import dev.rlft.steps.StepSegmenter;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.reward.RewardFunction;
import dev.rlft.system.GrpoRunner;
import dev.rlft.system.LocalGrpoRun;
import dev.rlft.train.AdamW;
import dev.rlft.train.Evaluator;
import dev.rlft.train.LrSchedule;
import dev.rlft.train.PpoUpdate;
import dev.rlft.train.SftTrainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The phases of {@code rlft train}: SFT, the RL phase (GRPO, or PPO with {@code rl.algorithm =
 * ppo}), the continued-SFT control and held-out evaluation.
 */
public final class TrainPipeline {

  private final RunSettings s;
  private final Config config;
  private final PrintStream out;
  private Tokenizer tokenizer = CharTokenizer.ascii();
  private Set<Integer> eosIds = Set.of();
  private DataType inferenceType = DataType.FLOAT32;
  private RewardFunction reward;
  private int skippedUpdates;
  private final GrpoRunner runner;
  private Coordinator.Finished lastGrpo;

  /** The folder under {@code checkpoints/} that GRPO rewrites every {@code grpo.checkpoint-every} steps. */
  public static final String GRPO_LATEST = "grpo-latest";

  /** Checkpoint metadata: the checkpoint or model folder GRPO started from (its KL reference). */
  static final String START_KEY = "grpo.start";

  /** Checkpoint metadata: the extra stop ids of the policy's model (generation_config.json's). */
  static final String EOS_KEY = "grpo.eos_ids";
  /** PPO: the critic of the --init checkpoint, when the RL phase starts from it directly; else null. */
  private Checkpoint.Critic initCritic;
  /** PPO: the critic at the end of the RL phase. */
  private Checkpoint.Critic finalCritic;
  private dev.rlft.dashboard.OpsNode ops;
  private Path runDir;

  public TrainPipeline(RunSettings settings, Config config, PrintStream out) {
    this(settings, config, out, GrpoRunner.LOCAL);
  }

  /** A pipeline whose GRPO phase runs through {@code runner} (one JVM, or a cluster). */
  public TrainPipeline(RunSettings settings, Config config, PrintStream out, GrpoRunner runner) {
    this.s = settings;
    this.config = config;
    this.out = out;
    this.runner = runner;
  }

  /**
   * Shows the run on {@code ops} (the dashboard, /metrics and health): every metrics record and
   * sample, and the health of the GRPO actors.
   */
  public TrainPipeline observe(dev.rlft.dashboard.OpsNode ops) {
    this.ops = ops;
    return this;
  }

  /** Training problems: the embedded task unless {@code data.train} names a JSONL file. */
  public List<Problem> trainProblems() {
    if (s.trainData().isEmpty()) {
      return dev.rlft.data.FillerSteps.insert(ArithmeticTask.train(s.task(), s.seed()).load(),
          config.getDouble("rlft.task.filler-rate"), s.seed() + 101);
    }
    return new JsonlProblemSource(Path.of(s.trainData()), s.format(), JsonlProblemSource.UNLIMITED).load();
  }

  public List<Problem> heldoutProblems() {
    List<Problem> all = s.heldoutData().isEmpty()
        ? ArithmeticTask.heldOut(s.task(), s.seed()).load()
        : new JsonlProblemSource(Path.of(s.heldoutData()), s.format(), JsonlProblemSource.UNLIMITED).load();
    return all.subList(0, Math.min(all.size(), s.heldoutLimit()));
  }

  /**
   * Runs the phases; returns the run folder.
   *
   * @param init a Hugging Face model folder or an rlft checkpoint to start from; null trains a
   *     model of shape {@code rlft.model} from scratch (SFT required)
   */
  public Path run(boolean doSft, boolean doGrpo, boolean control, Path init) throws IOException {
    reward = s.reward(config);
    String ending = "The run stopped early.";
    try {
      Path dir = runPhases(doSft, doGrpo, control, init);
      ending = "The run finished.";
      return dir;
    } catch (RuntimeException | IOException e) {
      ending = "The run stopped early: " + e.getMessage();
      throw e;
    } finally {
      report(ending);
      closeReward();
    }
  }

  /**
   * Continues the RL phase (GRPO or PPO) of the run in {@code runDir} from its last rolling
   * checkpoint ({@code checkpoints/grpo-latest}: weights, optimizer moments, a PPO run's critic and
   * its optimizer, weight version, KL weight, data cursor and the batches then in flight), then
   * finishes as {@link #run} would; returns the run folder.
   *
   * @throws IllegalArgumentException when there is nothing to resume, or the checkpoint's
   *     algorithm (a critic or none) contradicts {@code rl.algorithm}
   */
  public Path resume(Path runDir) throws IOException {
    reward = s.reward(config);
    String ending = "The run stopped early.";
    try {
      Path dir = resumeGrpo(runDir);
      ending = "The run finished.";
      return dir;
    } catch (RuntimeException | IOException e) {
      ending = "The run stopped early: " + e.getMessage();
      throw e;
    } finally {
      report(ending);
      closeReward();
    }
  }

  private void closeReward() {
    if (reward instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        out.println("note: closing the reward failed: " + e);
      }
    }
  }

  private Path resumeGrpo(Path runDir) throws IOException {
    Devices.select(s.device());
    inferenceType = Devices.inferenceType(s.dtype(), Devices.current());
    Path latest = runDir.resolve("checkpoints").resolve(GRPO_LATEST);
    if (!java.nio.file.Files.isDirectory(latest)) {
      throw new IllegalArgumentException("nothing to resume in " + runDir + ": no checkpoints/" + GRPO_LATEST
          + " (GRPO writes it every grpo.checkpoint-every steps)");
    }
    Checkpoint at = Checkpoint.load(latest);
    if (!ResumeCursor.presentIn(at.metadata()) || !at.metadata().containsKey(START_KEY)) {
      throw new IllegalArgumentException(latest + " holds no GRPO resume state");
    }
    tokenizer = at.tokenizer();
    eosIds = new java.util.HashSet<>();
    for (String id : at.metadata().getOrDefault(EOS_KEY, "").split(",")) {
      if (!id.isBlank()) {
        eosIds.add(Integer.parseInt(id.trim()));
      }
    }
    boolean ppo = s.algorithm() == RunSettings.Algorithm.PPO;
    if (ppo && at.critic() == null) {
      throw new IllegalArgumentException(latest + " holds no critic: the run trained GRPO, but rl.algorithm = ppo; "
          + "resume it as it was started (without --phase ppo or --set rl.algorithm=ppo)");
    }
    if (!ppo && at.critic() != null) {
      throw new IllegalArgumentException(latest + " holds a PPO critic, but rl.algorithm = "
          + s.algorithm().phase() + "; resume it as it was started (its config.conf says rl.algorithm = ppo)");
    }
    ResumeCursor cursor = ResumeCursor.fromMetadata(at.metadata());
    List<Problem> train = trainProblems();
    List<Problem> heldout = heldoutProblems();
    // the KL reference: the model GRPO started from (with LoRA, the frozen base the checkpoint holds)
    Path startPath = Path.of(at.metadata().get(START_KEY));
    Checkpoint start = s.lora() != null ? new Checkpoint(at.model(), tokenizer, at.weights(), Map.of(), 0, 0, "base",
        Map.of()) : startCheckpoint(ModelSource.load(startPath));
    try (RunFolder run = RunFolder.open(runDir);
        NDManager root = Devices.newBaseManager()) {
      out.printf("resuming %s in %s after step %d (weight version %d)%n", label(), run.dir(), cursor.trainedSteps(),
          at.weightVersion());
      run.metric("grpo_resume", Map.of("after_step", cursor.trainedSteps(), "weight_version", at.weightVersion()));
      watch(run);
      // PPO: the rolling checkpoint holds the critic as of the same step
      initCritic = at.critic();
      grpoPhase(run, root, start, startPath, at.model(), train, heldout, false, at);
      out.println("run folder: " + run.dir());
      return run.dir();
    }
  }

  private Checkpoint startCheckpoint(ModelSource source) {
    return source.checkpoint() != null && source.checkpoint().lora() == null ? source.checkpoint()
        : new Checkpoint(source.config(), tokenizer, source.weights(), Map.of(), 0, 0, "init", Map.of());
  }

  private Path runPhases(boolean doSft, boolean doGrpo, boolean control, Path init) throws IOException {
    Devices.select(s.device());
    inferenceType = Devices.inferenceType(s.dtype(), Devices.current());
    ModelSource source = null;
    if (init != null) {
      source = ModelSource.load(init);
      tokenizer = source.tokenizer();
      eosIds = source.eosIds();
    } else if (!doSft) {
      throw new IllegalArgumentException("--phase " + s.algorithm().phase()
          + " needs --init (an SFT checkpoint or a Hugging Face model folder)");
    } else if (s.lora() != null) {
      throw new IllegalArgumentException("lora.enabled trains adapters on a pretrained model: give --init");
    }
    List<Problem> train = trainProblems();
    List<Problem> heldout = heldoutProblems();
    ModelConfig mc = source != null ? source.config() : s.modelConfig(tokenizer.vocabSize());
    try (RunFolder run = RunFolder.create(Path.of(s.runsDir()), s.seed());
        NDManager root = Devices.newBaseManager()) {
      run.writeConfig(config.getConfig("rlft").atKey("rlft").root()
          .render(com.typesafe.config.ConfigRenderOptions.defaults().setOriginComments(false)));
      watch(run);
      out.printf("run folder %s%nmodel: %s, %d parameters (dim %d, %d layers) on %s%s; %d training and %d held-out "
          + "problems%n", run.dir(), mc.architecture().modelType(), mc.parameterCount(), mc.dim(), mc.nLayers(),
          Devices.current(), s.lora() != null ? ", LoRA rank " + s.lora().rank() : "", train.size(), heldout.size());
      Checkpoint start;
      if (source != null) {
        start = source.checkpoint() != null && source.checkpoint().lora() == null ? source.checkpoint()
            : new Checkpoint(mc, tokenizer, source.weights(), Map.of(), 0, 0, "init", Map.of());
        evaluate(run, root, "init", start.weights(), mc, heldout, Map.of("checkpoint", init.toString()));
      } else {
        start = null;
      }
      if (doSft) {
        start = sft(run, root, mc, train, start);
        evaluate(run, root, "sft", start.weights(), mc, heldout, Map.of("steps", s.sft().steps()));
      }
      if (doGrpo) {
        // a saved critic belongs to the --init policy: with SFT in between, the critic starts afresh
        initCritic = source != null && source.checkpoint() != null && !doSft ? source.checkpoint().critic() : null;
        Path startPath = doSft ? run.checkpoint("sft") : init;
        grpoPhase(run, root, start, startPath, mc, train, heldout, control, null);
      }
      out.println("run folder: " + run.dir());
      return run.dir();
    }
  }

  /**
   * GRPO from {@code start} (or, with {@code resumeFrom}, continued from that rolling checkpoint),
   * the trained policy's checkpoint and Hugging Face export, its evaluation, and the control.
   *
   * @param startPath where {@code start} lives, stored with rolling checkpoints for a resume
   */
  private void grpoPhase(RunFolder run, NDManager root, Checkpoint start, Path startPath, ModelConfig mc,
      List<Problem> train, List<Problem> heldout, boolean control, Checkpoint resumeFrom) throws IOException {
    long t0 = System.nanoTime();
    Map<String, float[]> weights = grpo(run, start, startPath, train, resumeFrom);
    double seconds = (System.nanoTime() - t0) / 1e9;
    String rl = s.algorithm().phase();
    new Checkpoint(mc, tokenizer, weights, Map.of(), s.grpo().loop().steps(), s.grpo().loop().steps(), rl,
        Map.of("seed", Long.toString(s.seed()))).withCritic(finalCritic).save(run.checkpoint(rl));
    HuggingFaceFolder.save(run.dir().resolve("hf"), mc, weights, tokenizer);
    out.println("Hugging Face export of the trained policy: " + run.dir().resolve("hf"));
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("steps", s.grpo().loop().steps());
    extra.put("seconds", seconds);
    extra.put("skipped_updates", skippedUpdates);
    Coordinator.Groups g = lastGrpo.groups();
    Map<String, Object> groups = new LinkedHashMap<>();
    groups.put("dispatched", g.dispatched());
    groups.put("trained", g.trained());
    groups.put("redispatched", g.redispatched());
    groups.put("dropped", g.dropped());
    extra.put("groups", groups);
    if (resumeFrom != null) {
      extra.put("resumed_after_step", ResumeCursor.fromMetadata(resumeFrom.metadata()).trainedSteps());
    }
    evaluate(run, root, rl, weights, mc, heldout, extra);
    if (control) {
      Checkpoint ctl = continuedSft(run, root, start, train, seconds);
      evaluate(run, root, "sft_control", ctl.weights(), mc, heldout,
          Map.of("steps", ctl.optimizerSteps() - start.optimizerSteps(), "seconds", seconds));
    }
  }

  /** SFT from {@code from}'s weights (full or, with LoRA, adapters only), or from scratch when it is null. */
  private Checkpoint sft(RunFolder run, NDManager root, ModelConfig mc, List<Problem> train, Checkpoint from)
      throws IOException {
    LlamaModel initial = from == null ? LlamaModel.initialize(mc, s.seed(), root, true)
        : s.lora() != null ? LlamaModel.withLora(mc, from.weights(), s.lora(), null, s.seed(), root, true)
        : LlamaModel.fromWeights(mc, from.weights(), root, true);
    try (LlamaModel model = initial;
        AdamW opt = new AdamW(model.trainableParameters(), s.adam(), root)) {
      SftTrainer trainer = new SftTrainer(model, opt, tokenizer, s.template(), s.sft().schedule());
      SplittableRandom rng = new SplittableRandom(s.seed() * 7 + 1);
      long t0 = System.nanoTime();
      try (ProgressBar bar = bar("SFT", s.sft().steps())) {
        for (int step = 1; step <= s.sft().steps(); step++) {
          SftTrainer.StepResult r = trainer.step(batch(train, rng, s.sft().batchSize()));
          double secs = (System.nanoTime() - t0) / 1e9;
          bar.step();
          bar.setExtraMessage(String.format(" loss %.3f", r.loss()));
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("step", r.step());
          m.put("loss", r.loss());
          m.put("lr", r.lr());
          m.put("grad_norm", r.gradNorm());
          m.put("tokens", r.tokens());
          m.put("elapsed_s", secs);
          run.metric("sft", m);
        }
      }
      // with LoRA the adapters are merged in: GRPO then starts fresh adapters on the SFT model
      Checkpoint ckpt = new Checkpoint(mc, tokenizer, model.exportWeights(),
          s.lora() != null ? Map.of() : opt.exportState(), s.lora() != null ? 0 : opt.steps(), 0, "sft",
          Map.of("seed", Long.toString(s.seed())));
      ckpt.save(run.checkpoint("sft"));
      out.printf("SFT: %d steps in %.0f s%n", s.sft().steps(), (System.nanoTime() - t0) / 1e9);
      return ckpt;
    }
  }

  private Map<String, float[]> grpo(RunFolder run, Checkpoint start, Path startPath, List<Problem> train,
      Checkpoint resumeFrom) throws IOException {
    try (NDManager prmManager = Devices.newBaseManager()) {
      return grpo(run, start, startPath, train, resumeFrom, prmManager);
    }
  }

  private Map<String, float[]> grpo(RunFolder run, Checkpoint start, Path startPath, List<Problem> train,
      Checkpoint resumeFrom, NDManager prmManager) throws IOException {
    boolean ppo = s.algorithm() == RunSettings.Algorithm.PPO;
    Learner.Ppo ppoInit = ppo
        ? new Learner.Ppo(resumeFrom == null ? s.ppo().update() : withBeta(s.ppo().update(), resumeFrom.metadata()),
            s.ppo().epochs(), s.ppo().minibatches(), initCritic, s.seed() + 37)
        : null;
    Learner.Init init = resumeFrom == null
        ? new Learner.Init(start.model(), tokenizer, start.weights(), start.weights(), 0, s.adam(), s.grpo().update(),
            s.lora(), s.seed() + 31, ppoInit)
        : new Learner.Init(resumeFrom.model(), tokenizer, resumeFrom.weights(), start.weights(),
            resumeFrom.weightVersion(), s.adam(), withBeta(s.grpo().update(), resumeFrom.metadata()), s.lora(),
            s.seed() + 31, ppoInit, new Learner.Resume(resumeFrom.optimizerState(), resumeFrom.optimizerSteps(),
                resumeFrom.adapters()));
    Map<String, String> stored = new LinkedHashMap<>();
    stored.put(START_KEY, startPath.toAbsolutePath().toString());
    stored.put(EOS_KEY, String.join(",", new java.util.TreeSet<>(eosIds).stream().map(String::valueOf).toList()));
    Coordinator.Recovery recovery = new Coordinator.Recovery(run.checkpoint(GRPO_LATEST).toString(),
        config.getInt("rlft.grpo.checkpoint-every"),
        resumeFrom == null ? null : ResumeCursor.fromMetadata(resumeFrom.metadata()), stored);
    Config proc = config.getConfig("rlft.grpo.process");
    ProcessRewardModel prm = null;
    dev.rlft.prm.StepScorer scorer = null;
    LocalGrpoRun.ProcessPlan processPlan = null;
    if (proc.getBoolean("enabled") || ppo) {
      if (proc.getString("prm").isEmpty()) {
        throw new IllegalArgumentException("grpo.process.enabled needs grpo.process.prm (an rlft PRM checkpoint)");
      }
      if (proc.getString("prm").equals(dev.rlft.prm.LenientEquationScorer.NAME)) {
        scorer = new dev.rlft.prm.LenientEquationScorer((float) proc.getDouble("lenient-score"));
      } else {
        prm = ProcessRewardModel.load(Path.of(proc.getString("prm")), prmManager, false);
        scorer = prm;
      }
      ProcessRewards.Config rewards = new ProcessRewards.Config(
          new StepSegmenter.Config("\n\n", proc.getBoolean("merge-trivial"), proc.getInt("min-chars")),
          CreditAssignment.parse(proc.getString("credit")),
          new CreditAssignment.Params(proc.getDouble("clip-threshold"), proc.getDouble("min-temperature"),
              OutcomeGate.parse(proc.getString("gate"))),
          ProcessAdvantages.Normalisation.parse(proc.getString("normalisation")),
          new ProcessAdvantages.Weights(proc.getDouble("outcome-weight"), proc.getDouble("process-weight")),
          s.grpo().update().advantage());
      Set<Integer> stops = new java.util.HashSet<>(eosIds);
      stops.add(tokenizer.eosId());
      Config sc = proc.getConfig("sentinel");
      HackingSentinel.Config sentinel = sc.getBoolean("enabled")
          ? new HackingSentinel.Config(sc.getInt("window"), sc.getDouble("prm-rise"), sc.getDouble("accuracy-drop"),
              sc.getDouble("step-length-drop"), sc.getDouble("step-count-rise"), sc.getDouble("max-kl"),
              sc.getDouble("entropy-rise"), HackingSentinel.Action.parse(sc.getString("action")),
              sc.getDouble("beta-factor"), CreditAssignment.parse(sc.getString("switch-to")))
          : null;
      processPlan = new LocalGrpoRun.ProcessPlan(scorer, rewards, stops, proc.getDuration("timeout"), sentinel);
      out.printf("process supervision: PRM %s, credit %s, gate %s%n", proc.getString("prm"), rewards.credit(),
          rewards.params().gate());
    }
    LocalGrpoRun.Plan plan = new LocalGrpoRun.Plan(init, s.grpo().loop(), new PromptFeed(train, s.seed() + 17),
        tokenizer, s.template(), reward, s.grpo().rolloutWorkers(), s.grpo().rewardWorkers(),
        new RolloutWorker.ModelSpec(start.model(), s.lora(), eosIds, inferenceType), processPlan, recovery);
    if (ppo) {
      PpoUpdate.Config pc = s.ppo().update();
      out.printf("PPO: gamma %.3f, lambda %.3f, %d epochs x %d minibatches, vf-coef %.2f, critic lr %.1e; critic: %s%n",
          pc.gamma(), pc.lambda(), s.ppo().epochs(), s.ppo().minibatches(), pc.vfCoef(), pc.criticSchedule().peak(),
          initCritic == null ? "full-weight copy of the starting policy, fresh value head"
              : "restored from " + (resumeFrom != null ? "checkpoints/" + GRPO_LATEST : "--init") + " ("
                  + initCritic.optimizerSteps() + " optimizer steps)");
    }
    out.printf("%s: %d steps x %d prompts x %d samples, lr %.1e, beta %.3f, max-staleness %d%s%n", label(),
        s.grpo().loop().steps(), s.grpo().loop().promptsPerStep(), s.grpo().loop().groupSize(),
        s.grpo().update().schedule().peak(), s.grpo().update().beta(), s.grpo().loop().maxStaleness(),
        s.lora() != null ? String.format(", LoRA rank %d alpha %.0f on %s", s.lora().rank(), s.lora().alpha(),
            new java.util.TreeSet<>(s.lora().targets())) : "");
    LocalGrpoRun.Result result;
    try {
      result = runner.run(plan, config, r -> report(run, r), ops == null ? null : ops::attach);
    } finally {
      if (prm != null) {
        prm.close();
      }
    }
    if (result.finished().error() != null) {
      throw new IllegalStateException(result.finished().error());
    }
    finalCritic = result.critic();
    out.printf("%s: %d steps in %.0f s (%.1f samples/s), dropped batches: %s%n", label(), result.finished().steps(),
        result.finished().seconds(), result.finished().trainedSamples() / result.finished().seconds(),
        result.finished().dropped().isEmpty() ? "none" : result.finished().dropped());
    Coordinator.Groups g = result.finished().groups();
    out.printf("prompt groups: %d dispatched, %d trained, %d re-dispatched, dropped %s%n", g.dispatched(), g.trained(),
        g.redispatched(), g.dropped().isEmpty() ? "none" : g.dropped());
    lastGrpo = result.finished();
    return result.finalWeights().asMap();
  }

  /** The PPO settings with the KL weight a checkpoint recorded (the sentinel may have raised it). */
  private static PpoUpdate.Config withBeta(PpoUpdate.Config c, Map<String, String> metadata) {
    String beta = metadata.get(Learner.BETA_KEY);
    if (beta == null) {
      return c;
    }
    return new PpoUpdate.Config(c.gamma(), c.lambda(), c.whitenAdvantages(), c.clipLow(), c.clipHigh(), c.clipValue(),
        c.vfCoef(), Float.parseFloat(beta), c.kl(), c.temperature(), c.policySchedule(), c.criticSchedule());
  }

  /** The update settings with the KL weight a checkpoint recorded (the sentinel may have raised it). */
  private static dev.rlft.train.GrpoUpdate.Config withBeta(dev.rlft.train.GrpoUpdate.Config c,
      Map<String, String> metadata) {
    String beta = metadata.get(Learner.BETA_KEY);
    if (beta == null) {
      return c;
    }
    return new dev.rlft.train.GrpoUpdate.Config(c.advantage(), c.clipLow(), c.clipHigh(), Float.parseFloat(beta),
        c.kl(), c.aggregation(), c.temperature(), c.schedule());
  }

  /** GRPO or PPO, as the step lines name the RL phase. */
  private String label() {
    return s.algorithm().name();
  }

  private void report(RunFolder run, StepReport r) {
    Map<String, Double> m = r.metrics();
    boolean skipped = m.getOrDefault("skipped", 0.0) > 0;
    if (skipped) {
      skippedUpdates++;
    }
    String rl = s.algorithm().phase();
    out.printf("%s %3d | reward %.3f acc %.3f | kl %.4f loss %+.4f clip %.3f ent %.3f | %5.0f tok/s | v%d stale %d | %.0fs%s%n",
        rl, r.step(), m.get("reward"), m.get("accuracy"), m.get("kl"), m.get("loss"), m.get("clip_frac"),
        m.get("entropy"), m.get("gen_tokens_per_s"), r.version(), r.staleness(), m.get("elapsed_s"),
        skipped ? " | update skipped: non-finite gradient" : "");
    if (m.containsKey("prm_fallback")) {
      out.printf("         process | prm %.3f | steps %.2f of %.1f chars%s%s%n", m.getOrDefault("prm_score_mean", Double.NaN),
          m.get("steps_mean"), m.get("step_chars_mean"), m.get("prm_fallback") > 0 ? " | PRM late: accuracy only" : "",
          m.containsKey("sentinel_action") ? " | sentinel: " + HackingSentinel.Action.values()[
              m.get("sentinel_action").intValue() - 1].name().toLowerCase() + " (see the log)" : "");
    }
    if (m.containsKey("value_loss")) {
      out.printf("         critic | value loss %.4f explained var %+.3f | value %.3f return %.3f | |adv| %.3f%n",
          m.get("value_loss"), m.get("explained_variance"), m.get("value_mean"), m.get("return_mean"), m.get("adv_abs"));
    }
    Map<String, Object> rec = new LinkedHashMap<>();
    rec.put("step", r.step());
    rec.put("batch", r.batchId());
    rec.put("weight_version", r.version());
    rec.put("generated_with", r.generatedWith());
    rec.put("staleness", r.staleness());
    rec.putAll(m);
    run.metric(rl, rec);
    Map<String, Object> sample = new LinkedHashMap<>();
    sample.put("step", r.step());
    sample.put("completion", r.sampleText());
    sample.put("correct", r.sampleCorrect());
    if (r.samplePrompt() != null) {
      sample.put("prompt", r.samplePrompt());
      sample.put("answer", r.sampleAnswer());
    }
    if (r.sampleSteps() != null && r.sampleStepScores() != null) {
      sample.put("steps", r.sampleSteps());
      sample.put("step_scores", r.sampleStepScores());
    }
    run.sample(rl, sample);
  }

  /** Remembers the run folder for its report, and feeds it to the dashboard when one watches. */
  private void watch(RunFolder run) {
    runDir = run.dir();
    if (ops != null) {
      dev.rlft.dashboard.RunFeed feed = ops.feed();
      run.listen(new RunFolder.Listener() {
        @Override
        public void metric(String phase, Map<String, ?> values) {
          feed.metric(phase, values);
        }

        @Override
        public void sample(String phase, Map<String, ?> values) {
          feed.sample(phase, values);
        }
      });
      ops.runStarted(run.dir().toString());
    }
  }

  /**
   * The run folder's plots and report.md (quietly: the last line stays the run folder's); a failure
   * here is reported, and never hides the run's own.
   */
  private void report(String ending) {
    if (runDir == null) {
      return;
    }
    try {
      RunReport.write(runDir, ending);
    } catch (IOException | RuntimeException e) {
      out.println("note: writing the run report failed: " + e);
    }
  }

  /** The control: continued SFT from the SFT checkpoint for {@code seconds} of wall time. */
  private Checkpoint continuedSft(RunFolder run, NDManager root, Checkpoint start, List<Problem> train, double seconds)
      throws IOException {
    LlamaModel initial = s.lora() != null
        ? LlamaModel.withLora(start.model(), start.weights(), s.lora(), null, s.seed(), root, true)
        : LlamaModel.fromWeights(start.model(), start.weights(), root, true);
    try (LlamaModel model = initial;
        AdamW opt = new AdamW(model.trainableParameters(), s.adam(), root)) {
      if (!start.optimizerState().isEmpty() && s.lora() == null) {
        opt.importState(start.optimizerState(), start.optimizerSteps());
      }
      SftTrainer trainer = new SftTrainer(model, opt, tokenizer, s.template(), LrSchedule.constant(s.controlLr()));
      SplittableRandom rng = new SplittableRandom(s.seed() * 7 + 2);
      long t0 = System.nanoTime();
      int steps = 0;
      while ((System.nanoTime() - t0) / 1e9 < seconds) {
        SftTrainer.StepResult r = trainer.step(batch(train, rng, s.sft().batchSize()));
        steps++;
        run.metric("sft_control", Map.of("step", r.step(), "loss", r.loss(), "lr", r.lr(),
            "elapsed_s", (System.nanoTime() - t0) / 1e9));
      }
      out.printf("control: %d more SFT steps in %.0f s%n", steps, (System.nanoTime() - t0) / 1e9);
      Checkpoint ckpt = new Checkpoint(start.model(), tokenizer, model.exportWeights(),
          s.lora() != null ? Map.of() : opt.exportState(), opt.steps(),
          0, "sft_control", Map.of("seed", Long.toString(s.seed())));
      ckpt.save(run.checkpoint("sft_control"));
      return ckpt;
    }
  }

  private void evaluate(RunFolder run, NDManager root, String phase, Map<String, float[]> weights, ModelConfig mc,
      List<Problem> heldout, Map<String, Object> extra) throws IOException {
    Evaluator.Result r;
    try (LlamaModel model = LlamaModel.fromWeights(mc, weights, root, false, inferenceType);
        ProgressBar bar = bar("eval " + phase, (long) heldout.size() * s.eval().samples())) {
      r = Evaluator.run(model, tokenizer, s.template(), reward, heldout, s.eval(), root, bar::stepTo);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("heldout_accuracy", r.accuracy());
    m.put("heldout_pass_at_" + r.samples(), r.passAtK());
    if (!Double.isNaN(r.greedyAccuracy())) {
      m.put("heldout_greedy_accuracy", r.greedyAccuracy());
    }
    m.put("heldout_problems", r.problems());
    m.put("mean_completion_tokens", r.meanCompletionTokens());
    m.putAll(extra);
    run.summarize(phase, m);
    for (Evaluator.Sample sample : r.examples()) {
      run.sample("eval_" + phase, Map.of("id", sample.problemId(), "completion", sample.completion(),
          "answer", sample.answer(), "correct", sample.correct()));
    }
    out.printf("held-out accuracy after %s: %.3f (pass@%d %.3f, greedy %s) on %d problems%n", phase, r.accuracy(),
        r.samples(), r.passAtK(), Double.isNaN(r.greedyAccuracy()) ? "n/a" : String.format("%.3f", r.greedyAccuracy()),
        r.problems());
  }

  private static List<Problem> batch(List<Problem> train, SplittableRandom rng, int size) {
    List<Problem> b = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      b.add(train.get(rng.nextInt(train.size())));
    }
    return b;
  }

  private static ProgressBar bar(String task, long max) {
    return new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(1000).build();
  }
}
