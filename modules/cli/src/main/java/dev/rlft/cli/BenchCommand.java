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
import dev.rlft.model.ModelConfig;
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
    subcommands = {BenchCommand.Staleness.class, BenchCommand.SamplerSpeed.class, BenchCommand.CheckerSpeed.class,
        WeightSyncBench.class})
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

  /** KV-cached decoding against recomputing the whole prefix every step, and against eager PyTorch. */
  @Command(name = "sampler", mixinStandardHelpOptions = true,
      description = "Tokens/s of batched sampling with the KV cache and with full recompute, and their ratio; with "
          + "--torch also Debian's python3-torch running the same model, batch and threads (bench/torch_sampler.py).")
  static final class SamplerSpeed implements Callable<Integer> {

    @Mixin ConfigOptions options;

    @Option(names = "--checkpoint", paramLabel = "DIR",
        description = "model to use: rlft checkpoint or Hugging Face folder (default: random weights, rlft.model shape)")
    Path checkpoint;

    @Option(names = "--batch", description = "sequences per batch (default ${DEFAULT-VALUE})") int batch = 32;
    @Option(names = "--prompt-tokens", description = "prompt length (default ${DEFAULT-VALUE})") int promptTokens = 64;
    @Option(names = "--new-tokens", description = "tokens generated per sequence (default ${DEFAULT-VALUE})") int newTokens = 64;
    @Option(names = "--repeats", description = "timed runs of each (default ${DEFAULT-VALUE})") int repeats = 3;
    @Option(names = "--torch", description = "also run bench/torch_sampler.py with python3-torch and print rlft/torch ratios")
    boolean torch;
    @Option(names = "--python", description = "python with torch (default ${DEFAULT-VALUE})") String python = "/usr/bin/python3";
    @Option(names = "--script", description = "the reference script (default ${DEFAULT-VALUE})")
    Path script = Path.of("bench/torch_sampler.py");

    @Override
    public Integer call() throws Exception {
      RunSettings s = RunSettings.from(options.resolve());
      Torch.configure(s.torchThreads());
      if (torch && !java.nio.file.Files.isRegularFile(script)) {
        throw new IllegalArgumentException(script + ": not found (run from the repository root or give --script)");
      }
      int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
      try (NDManager root = dev.rlft.model.Devices.newBaseManager()) {
        ModelConfig mc;
        Map<String, float[]> weights;
        if (checkpoint != null) {
          dev.rlft.checkpoint.ModelSource src = dev.rlft.checkpoint.ModelSource.load(checkpoint);
          mc = src.config();
          weights = src.weights();
        } else {
          mc = s.modelConfig(CharTokenizer.ascii().vocabSize());
          try (LlamaModel init = LlamaModel.initialize(mc, s.seed(), root, false)) {
            weights = init.exportWeights();
          }
        }
        if (promptTokens + newTokens > mc.maxSeqLen()) {
          throw new IllegalArgumentException("--prompt-tokens + --new-tokens exceeds the model's " + mc.maxSeqLen()
              + " positions");
        }
        try (LlamaModel model = LlamaModel.fromWeights(mc, weights, root, false)) {
          List<int[]> prompts = prompts(mc.vocabSize(), s.seed());
          // eos id -1: never stop early, so every path generates exactly the same number of tokens
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
          double rlftCache = tokens / cached;
          double rlftRecompute = tokens / recompute;
          System.out.printf("model %,d parameters, batch %d, prompt %d, new tokens %d, %d threads, %d repeats%n",
              mc.parameterCount(), batch, promptTokens, newTokens, threads, repeats);
          System.out.printf("  rlft KV cache:         %8.0f tokens/s%n", rlftCache);
          System.out.printf("  rlft full recompute:   %8.0f tokens/s%n", rlftRecompute);
          System.out.printf("  ratio cache / recompute: %.2fx%n", rlftCache / rlftRecompute);
          if (torch) {
            compareWithTorch(model, prompts, weights, threads, s.seed(), root, rlftCache, rlftRecompute);
          }
        }
      }
      return 0;
    }

    /** The benchmark's prompts: BOS, then ids uniform in [4, vocab) from SplittableRandom(seed), as the script draws them. */
    private List<int[]> prompts(int vocab, long seed) {
      SplittableRandom rng = new SplittableRandom(seed);
      List<int[]> prompts = new ArrayList<>();
      for (int i = 0; i < batch; i++) {
        int[] p = new int[promptTokens];
        p[0] = 1;
        for (int t = 1; t < promptTokens; t++) {
          p[t] = 4 + rng.nextInt(vocab - 4);
        }
        prompts.add(p);
      }
      return prompts;
    }

    private void compareWithTorch(LlamaModel model, List<int[]> prompts, Map<String, float[]> weights, int threads,
        long seed, NDManager root, double rlftCache, double rlftRecompute) throws Exception {
      Path dir = java.nio.file.Files.createTempDirectory("rlft-bench-model-");
      try {
        dev.rlft.model.HuggingFaceFolder.save(dir, model.config(), weights);
        List<String> common = List.of(python, script.toString(), "--model", dir.toString(), "--batch",
            Integer.toString(batch), "--prompt-tokens", Integer.toString(promptTokens), "--new-tokens",
            Integer.toString(newTokens), "--repeats", Integer.toString(repeats), "--threads", Integer.toString(threads),
            "--seed", Long.toString(seed));
        List<String> check = new ArrayList<>(common);
        check.add("--check-logits");
        com.fasterxml.jackson.databind.JsonNode ref = runScript(check);
        int[] first = prompts.get(0);
        com.fasterxml.jackson.databind.JsonNode prompt = ref.path("prompt");
        for (int i = 0; i < first.length; i++) {
          if (prompt.path(i).asInt(-1) != first[i]) {
            throw new IllegalStateException("the torch script built different prompts; ratios would be meaningless");
          }
        }
        float[] ours;
        try (NDManager step = root.newSubManager()) {
          ai.djl.ndarray.NDArray logits = model.forwardCausal(LlamaModel.tokenArray(step, new int[][] {first},
              first.length, 0));
          ours = logits.get(new ai.djl.ndarray.index.NDIndex("0, -1, :")).toFloatArray();
        }
        double maxDiff = 0;
        double scale = 0;
        for (int i = 0; i < ours.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref.path("logits").path(i).asDouble()));
          scale = Math.max(scale, Math.abs(ours[i]));
        }
        if (maxDiff > 1e-4 * Math.max(1, scale)) {
          throw new IllegalStateException("torch and rlft logits differ by " + maxDiff + "; ratios would be meaningless");
        }
        List<String> time = new ArrayList<>(common);
        time.addAll(List.of("--mode", "both"));
        com.fasterxml.jackson.databind.JsonNode t = runScript(time);
        double torchCache = t.path("cache_tokens_per_s").asDouble();
        double torchRecompute = t.path("recompute_tokens_per_s").asDouble();
        System.out.printf("  torch %s (%s), same model (logits agree within %.1e), batch and %d threads:%n",
            t.path("torch_version").asText(), blasName(t.path("blas")), maxDiff, t.path("threads").asInt());
        System.out.printf("  torch KV cache:        %8.0f tokens/s%n", torchCache);
        System.out.printf("  torch full recompute:  %8.0f tokens/s%n", torchRecompute);
        System.out.printf("  ratio rlft / torch, KV cache:       %.2fx%n", rlftCache / torchCache);
        System.out.printf("  ratio rlft / torch, full recompute: %.2fx%n", rlftRecompute / torchRecompute);
      } finally {
        try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(dir)) {
          for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
            java.nio.file.Files.deleteIfExists(p);
          }
        }
      }
    }

    /** The BLAS torch loaded, e.g. {@code openblas-openmp/libopenblasp-r0.3.21.so}; it decides torch's speed. */
    private static String blasName(com.fasterxml.jackson.databind.JsonNode blas) {
      if (!blas.isArray() || blas.isEmpty()) {
        return "BLAS unknown";
      }
      String last = blas.get(blas.size() - 1).asText();
      Path p = Path.of(last);
      return p.getParent() == null ? last : p.getParent().getFileName() + "/" + p.getFileName();
    }

    private static com.fasterxml.jackson.databind.JsonNode runScript(List<String> command) throws Exception {
      Process p;
      try {
        p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("cannot run " + command.get(0) + ": " + e.getMessage()
            + " (install Debian's python3-torch: apt-get install -y python3-torch, or give --python)");
      }
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      int rc = p.waitFor();
      if (rc != 0) {
        throw new IllegalStateException(String.join(" ", command.subList(0, 2)) + " failed with exit " + rc
            + " (is python3-torch installed? apt-get install -y python3-torch)");
      }
      String last = out.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("{}");
      return new com.fasterxml.jackson.databind.ObjectMapper().readTree(last);
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
