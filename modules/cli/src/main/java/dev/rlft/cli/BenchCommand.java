package dev.rlft.cli;

import ai.djl.ndarray.NDManager;
import com.typesafe.config.Config;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.coordinator.Coordinator;
import dev.rlft.coordinator.PromptFeed;
import dev.rlft.data.Problem;
import dev.rlft.learner.Learner;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.LlamaModel;
import dev.rlft.reward.BoxedAnswerReward;
import dev.rlft.system.LocalGrpoRun;
import dev.rlft.train.AdamW;
import dev.rlft.train.SftTrainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code rlft bench}: benchmarks that print ratios (not tests). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
    subcommands = {BenchCommand.Staleness.class, BenchCommand.SamplerSpeed.class, BenchCommand.CheckerSpeed.class})
final class BenchCommand {

  /** Synchronous (max-staleness 0) against overlapped GRPO on the same work. */
  @Command(name = "staleness", mixinStandardHelpOptions = true,
      description = {"Runs the same GRPO work with max-staleness = 0 (synchronous) and with the configured",
          "max-staleness (default 1: generation overlaps training); prints samples/s of each and their ratio."})
  static final class Staleness implements Callable<Integer> {

    @Mixin ConfigOptions options;

    @Option(names = "--init", paramLabel = "CHECKPOINT",
        description = "policy to start from (default: a short SFT run so completions have realistic lengths)")
    Path init;

    @Option(names = "--steps", description = "GRPO steps per configuration (default ${DEFAULT-VALUE})")
    int steps = 12;

    @Option(names = "--sft-steps", description = "SFT steps of the starting policy without --init (default ${DEFAULT-VALUE})")
    int sftSteps = 150;

    @Option(names = "--repeats", description = "alternating runs of each configuration (default ${DEFAULT-VALUE})")
    int repeats = 2;

    @Override
    public Integer call() throws Exception {
      options.flag("grpo.steps", steps);
      Config config = options.resolve();
      RunSettings s = RunSettings.from(config);
      Torch.configure(s.torchThreads());
      CharTokenizer tok = CharTokenizer.ascii();
      List<Problem> train = new TrainPipeline(s, config, System.out).trainProblems();
      Checkpoint start = init != null ? Checkpoint.load(init) : quickSft(s, tok, train);
      int overlapped = s.grpo().loop().maxStaleness() == 0 ? 1 : s.grpo().loop().maxStaleness();
      double[] sync = new double[repeats];
      double[] async = new double[repeats];
      for (int r = 0; r < repeats; r++) {
        sync[r] = samplesPerSecond(s, config, start, tok, train, 0);
        async[r] = samplesPerSecond(s, config, start, tok, train, overlapped);
        System.out.printf("repeat %d: max-staleness 0: %.2f samples/s, max-staleness %d: %.2f samples/s%n",
            r + 1, sync[r], overlapped, async[r]);
      }
      double ms = mean(sync);
      double ma = mean(async);
      System.out.printf("%nGRPO throughput, %d steps x %d prompts x %d samples, %d rollout worker(s), %d cores:%n",
          steps, s.grpo().loop().promptsPerStep(), s.grpo().loop().groupSize(), s.grpo().rolloutWorkers(),
          Runtime.getRuntime().availableProcessors());
      System.out.printf("  max-staleness 0 (synchronous): %.2f samples/s (runs: %s)%n", ms, java.util.Arrays.toString(sync));
      System.out.printf("  max-staleness %d (overlapped):  %.2f samples/s (runs: %s)%n", overlapped, ma,
          java.util.Arrays.toString(async));
      System.out.printf("  ratio overlapped / synchronous: %.2fx%n", ma / ms);
      return 0;
    }

    private double samplesPerSecond(RunSettings s, Config config, Checkpoint start, CharTokenizer tok,
        List<Problem> train, int maxStaleness) {
      Coordinator.Settings base = s.grpo().loop();
      Coordinator.Settings loop = new Coordinator.Settings(steps, base.promptsPerStep(), base.groupSize(),
          maxStaleness, base.sampling(), base.generateTimeout(), base.rewardTimeout(), base.rewardRetries(),
          base.trainTimeout());
      Learner.Init init = new Learner.Init(start.model(), tok, start.weights(), start.weights(), 0, s.adam(),
          s.grpo().update());
      LocalGrpoRun.Plan plan = new LocalGrpoRun.Plan(init, loop, new PromptFeed(train, s.seed()), tok, s.template(),
          new BoxedAnswerReward(), s.grpo().rolloutWorkers(), s.grpo().rewardWorkers());
      LocalGrpoRun.Result r = LocalGrpoRun.run(plan, config, null);
      if (r.finished().error() != null) {
        throw new IllegalStateException(r.finished().error());
      }
      return r.finished().trainedSamples() / r.finished().seconds();
    }

    private Checkpoint quickSft(RunSettings s, CharTokenizer tok, List<Problem> train) {
      var mc = s.modelConfig(tok.vocabSize());
      try (NDManager root = dev.rlft.model.Devices.newBaseManager();
          LlamaModel model = LlamaModel.initialize(mc, s.seed(), root, true);
          AdamW opt = new AdamW(model.parameters(), s.adam(), root)) {
        SftTrainer t = new SftTrainer(model, opt, tok, s.template(),
            new dev.rlft.train.LrSchedule(s.sft().lr(), s.sft().warmup(), sftSteps, s.sft().minLrRatio()));
        SplittableRandom rng = new SplittableRandom(s.seed());
        System.out.printf("starting policy: %d SFT steps...%n", sftSteps);
        for (int i = 0; i < sftSteps; i++) {
          List<Problem> b = new ArrayList<>();
          for (int k = 0; k < s.sft().batchSize(); k++) {
            b.add(train.get(rng.nextInt(train.size())));
          }
          t.step(b);
        }
        return new Checkpoint(mc, tok, model.exportWeights(), Map.of(), opt.steps(), 0, "sft", Map.of());
      }
    }

    private static double mean(double[] v) {
      double s = 0;
      for (double x : v) {
        s += x;
      }
      return s / v.length;
    }
  }

  /** KV-cached decoding against recomputing the whole prefix every step. */
  @Command(name = "sampler", mixinStandardHelpOptions = true,
      description = "Tokens/s of batched sampling with the KV cache and with full recompute, and their ratio.")
  static final class SamplerSpeed implements Callable<Integer> {

    @Mixin ConfigOptions options;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "model to use (default: random weights, rlft.model shape)")
    Path checkpoint;

    @Option(names = "--batch", description = "sequences per batch (default ${DEFAULT-VALUE})") int batch = 32;
    @Option(names = "--prompt-tokens", description = "prompt length (default ${DEFAULT-VALUE})") int promptTokens = 64;
    @Option(names = "--new-tokens", description = "tokens generated per sequence (default ${DEFAULT-VALUE})") int newTokens = 64;
    @Option(names = "--repeats", description = "timed runs of each (default ${DEFAULT-VALUE})") int repeats = 3;

    @Override
    public Integer call() throws Exception {
      RunSettings s = RunSettings.from(options.resolve());
      Torch.configure(s.torchThreads());
      try (NDManager root = dev.rlft.model.Devices.newBaseManager()) {
        LlamaModel model;
        if (checkpoint != null) {
          Checkpoint c = Checkpoint.load(checkpoint);
          model = LlamaModel.fromWeights(c.model(), c.weights(), root, false);
        } else {
          model = LlamaModel.initialize(s.modelConfig(CharTokenizer.ascii().vocabSize()), s.seed(), root, false);
        }
        SplittableRandom rng = new SplittableRandom(s.seed());
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
          int[] p = new int[promptTokens];
          p[0] = 1;
          for (int t = 1; t < promptTokens; t++) {
            p[t] = 4 + rng.nextInt(model.config().vocabSize() - 4);
          }
          prompts.add(p);
        }
        // eos id -1: never stop early, so both paths generate exactly the same number of tokens
        dev.rlft.model.SamplingParams sp = new dev.rlft.model.SamplingParams(1f, 1f, 0, newTokens, 1);
        dev.rlft.model.Sampler.generate(model, prompts, sp, -1, false, root); // warm-up
        double cached = 0;
        double recompute = 0;
        for (int r = 0; r < repeats; r++) {
          long t0 = System.nanoTime();
          dev.rlft.model.Sampler.generate(model, prompts, sp, -1, false, root);
          cached += (System.nanoTime() - t0) / 1e9;
          t0 = System.nanoTime();
          dev.rlft.model.Sampler.generate(model, prompts, sp, -1, true, root);
          recompute += (System.nanoTime() - t0) / 1e9;
        }
        double tokens = (double) batch * newTokens * repeats;
        System.out.printf("model %,d parameters, batch %d, prompt %d, new tokens %d, %d threads, %d repeats%n",
            model.config().parameterCount(), batch, promptTokens, newTokens, ai.djl.pytorch.jni.JniUtils.getNumThreads(),
            repeats);
        System.out.printf("  KV cache:         %8.0f tokens/s%n", tokens / cached);
        System.out.printf("  full recompute:   %8.0f tokens/s%n", tokens / recompute);
        System.out.printf("  ratio cache / recompute: %.2fx%n", recompute / cached);
        model.close();
      }
      return 0;
    }
  }

  /** Answer checks per second on MATH-500 reference solutions. */
  @Command(name = "checker", mixinStandardHelpOptions = true,
      description = "Checks/s of the Math-Verify-parity checker on MATH-500 reference solutions, one thread and N.")
  static final class CheckerSpeed implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "JSONL", description = "problems with solution and answer (default ${DEFAULT-VALUE})")
    Path data = Path.of("modules/verify/src/test/resources/math/math500_test.jsonl");

    @Option(names = "--threads", description = "threads of the parallel run; 0 = one per core (default ${DEFAULT-VALUE})")
    int threads = 0;

    @Option(names = "--seconds", description = "seconds per timed run (default ${DEFAULT-VALUE})") double seconds = 10;

    @Override
    public Integer call() throws Exception {
      if (!java.nio.file.Files.isRegularFile(data)) {
        throw new IllegalArgumentException(data + ": no such file (give --data)");
      }
      int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
      dev.rlft.verify.CheckerBenchmark.main(new String[] {data.toString(), Integer.toString(n), Double.toString(seconds)});
      return 0;
    }
  }
}
