package dev.rlft.cli;

import ai.djl.ndarray.NDManager;
import dev.rlft.checkpoint.ModelSource;
import dev.rlft.data.Problem;
import dev.rlft.model.Devices;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.SamplingParams;
import dev.rlft.prm.PrmConfig;
import dev.rlft.prm.PrmExample;
import dev.rlft.prm.PrmJsonl;
import dev.rlft.prm.PrmLabeler;
import dev.rlft.prm.PrmTrainer;
import dev.rlft.prm.ProcessRewardModel;
import dev.rlft.prm.StepSolution;
import dev.rlft.reward.RewardFunction;
import dev.rlft.train.AdamW;
import dev.rlft.train.LrSchedule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code rlft prm}: build a process reward model (Math-Shepherd-style labels, then training) and score with it. */
@Command(name = "prm", mixinStandardHelpOptions = true, description = "Process reward model: label, train, score.",
    subcommands = {PrmCommand.Label.class, PrmCommand.Train.class, PrmCommand.Score.class})
final class PrmCommand {

  private PrmCommand() {}

  /** Monte-Carlo step labels: for each step prefix, the share of a completer's continuations that reach the truth. */
  @Command(name = "label", mixinStandardHelpOptions = true,
      description = "Label the steps of training solutions Math-Shepherd style: for each step prefix, N completions by "
          + "a completer policy; soft label = share that reach the right answer, hard = any does. Writes JSONL.")
  static final class Label implements Callable<Integer> {

    @Mixin ConfigOptions options;

    @Option(names = "--completer", required = true, paramLabel = "DIR",
        description = "completer policy: rlft checkpoint or Hugging Face folder (e.g. the SFT checkpoint)")
    Path completer;

    @Option(names = "--out", required = true, paramLabel = "JSONL") Path out;
    @Option(names = "--problems", description = "training problems to label (default ${DEFAULT-VALUE})") int problems = 200;
    @Option(names = "--samples", description = "completions per step prefix (default ${DEFAULT-VALUE})") int samples = 8;
    @Option(names = "--prefixes-per-call", description = "prefixes batched per sampler call (default ${DEFAULT-VALUE})")
    int prefixesPerCall = 16;
    @Option(names = "--temperature", description = "completer temperature (default ${DEFAULT-VALUE})") float temperature = 1f;

    @Override
    public Integer call() throws Exception {
      RunSettings s = RunSettings.from(options.resolve());
      Torch.configure(s.torchThreads());
      Devices.select(s.device());
      ModelSource src = ModelSource.load(completer);
      List<Problem> all = new TrainPipeline(s, options.resolve(), System.out).trainProblems();
      List<Problem> picked = sample(all, problems, s.seed());
      List<PrmLabeler.Request> requests = new ArrayList<>();
      for (Problem p : picked) {
        requests.add(PrmLabeler.Request.of(p));
      }
      RewardFunction reward = s.reward(options.resolve());
      long t0 = System.nanoTime();
      try (NDManager root = Devices.newBaseManager();
          LlamaModel model = LlamaModel.fromWeights(src.config(), src.weights(), root, false)) {
        PrmLabeler labeler = new PrmLabeler(
            PrmLabeler.samplerCompleter(model, src.tokenizer(), s.template(),
                new SamplingParams(temperature, 1f, 0, s.grpo().loop().sampling().maxNewTokens(), s.seed())),
            reward, PrmLabeler.Config.of(samples, prefixesPerCall, s.seed()));
        List<PrmExample> labels = labeler.label(requests);
        PrmJsonl.write(out, labels);
        int steps = 0;
        double soft = 0;
        for (PrmExample e : labels) {
          for (float v : e.soft()) {
            soft += v;
            steps++;
          }
        }
        System.out.printf("labelled %d solutions, %d steps (mean soft label %.3f) in %.0f s -> %s%n", labels.size(),
            steps, steps == 0 ? 0 : soft / steps, (System.nanoTime() - t0) / 1e9, out);
      } finally {
        if (reward instanceof AutoCloseable c) {
          c.close();
        }
      }
      return 0;
    }
  }

  /** Trains a scalar-head PRM on step labels, starting from a backbone. */
  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Train a PRM (backbone + scalar head) on labels from `rlft prm label`; prints held-out loss, "
          + "accuracy and AUC; saves an rlft PRM checkpoint.")
  static final class Train implements Callable<Integer> {

    @Mixin ConfigOptions options;

    @Option(names = "--labels", required = true, paramLabel = "JSONL") Path labels;
    @Option(names = "--init", required = true, paramLabel = "DIR",
        description = "backbone: rlft checkpoint or Hugging Face folder (its own tokenizer is the PRM's)")
    Path init;
    @Option(names = "--out", required = true, paramLabel = "DIR") Path out;
    @Option(names = "--steps", description = "optimizer steps (default ${DEFAULT-VALUE})") int steps = 200;
    @Option(names = "--batch-size", description = "solutions per step (default ${DEFAULT-VALUE})") int batchSize = 16;
    @Option(names = "--lr", description = "learning rate (default ${DEFAULT-VALUE})") float lr = 1e-4f;
    @Option(names = "--head-only", description = "train the head alone, backbone frozen") boolean headOnly;
    @Option(names = "--target", description = "SOFT or HARD labels (default ${DEFAULT-VALUE})")
    PrmTrainer.Target target = PrmTrainer.Target.SOFT;
    @Option(names = "--heldout-fraction", description = "share of solutions held out (default ${DEFAULT-VALUE})")
    double heldoutFraction = 0.1;

    @Override
    public Integer call() throws Exception {
      RunSettings s = RunSettings.from(options.resolve());
      Torch.configure(s.torchThreads());
      Devices.select(s.device());
      List<PrmExample> examples = PrmJsonl.read(labels);
      if (examples.isEmpty()) {
        throw new IllegalArgumentException(labels + ": no labelled solutions");
      }
      PrmTrainer.Split split = PrmTrainer.Split.byId(examples, heldoutFraction);
      ModelSource src = ModelSource.load(init);
      try (NDManager root = Devices.newBaseManager()) {
        LlamaModel backbone = LlamaModel.fromWeights(src.config(), src.weights(), root, !headOnly);
        try (ProcessRewardModel prm = ProcessRewardModel.create(backbone, src.tokenizer(), PrmConfig.scalar(), s.seed());
            PrmTrainer trainer = new PrmTrainer(prm, new PrmTrainer.Config(target, headOnly,
                new LrSchedule(lr, Math.min(20, steps / 10), steps, 0.1f), s.adam()), root)) {
          PrmTrainer.Evaluation before = trainer.evaluate(split.heldOut());
          System.out.printf("held-out before: loss %.4f accuracy %.3f AUC %.3f on %d steps of %d solutions%n",
              before.loss(), before.accuracy(), before.auc(), before.steps(), before.examples());
          SplittableRandom rng = new SplittableRandom(s.seed());
          for (int i = 1; i <= steps; i++) {
            List<PrmExample> batch = new ArrayList<>(batchSize);
            for (int j = 0; j < batchSize; j++) {
              batch.add(split.train().get(rng.nextInt(split.train().size())));
            }
            PrmTrainer.StepResult r = trainer.step(batch);
            if (i % Math.max(1, steps / 10) == 0 || i == steps) {
              System.out.printf("step %4d loss %.4f lr %.1e%n", r.step(), r.loss(), r.lr());
            }
          }
          PrmTrainer.Evaluation after = trainer.evaluate(split.heldOut());
          System.out.printf("held-out after:  loss %.4f accuracy %.3f AUC %.3f%n", after.loss(), after.accuracy(),
              after.auc());
          trainer.save(out);
          System.out.println("PRM checkpoint: " + out);
        }
      }
      return 0;
    }
  }

  /** Step scores of one solution. */
  @Command(name = "score", mixinStandardHelpOptions = true, description = "Print a PRM's score for each step of a solution.")
  static final class Score implements Callable<Integer> {

    @Option(names = "--prm", required = true, paramLabel = "DIR", description = "rlft PRM checkpoint") Path prm;
    @Option(names = "--problem", required = true) String problem;
    @Option(names = "--solution", required = true, description = "steps separated by a blank line") String solution;

    @Override
    public Integer call() throws Exception {
      Torch.configure(0);
      try (NDManager root = Devices.newBaseManager();
          ProcessRewardModel model = ProcessRewardModel.load(prm, root, false)) {
        StepSolution sol = StepSolution.of(problem, solution.replace("\\n", "\n"));
        float[] scores = model.score(List.of(sol))[0];
        for (int i = 0; i < scores.length; i++) {
          System.out.printf("%.3f  %s%n", scores[i], sol.steps().get(i).replace("\n", " "));
        }
      }
      return 0;
    }
  }

  private static List<Problem> sample(List<Problem> all, int n, long seed) {
    List<Problem> copy = new ArrayList<>(all);
    java.util.Collections.shuffle(copy, new java.util.Random(seed));
    return copy.subList(0, Math.min(n, copy.size()));
  }
}
