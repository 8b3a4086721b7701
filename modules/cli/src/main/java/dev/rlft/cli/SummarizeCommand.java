package dev.rlft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rlft summarize}: a table of held-out accuracy per run (seed) with mean and spread. */
@Command(name = "summarize", mixinStandardHelpOptions = true,
    description = "Print held-out accuracy after each phase for run folders (e.g. one per seed), with mean and std.")
final class SummarizeCommand implements Callable<Integer> {

  @Parameters(arity = "1..*", paramLabel = "RUN", description = "run folders holding summary.json")
  List<Path> runs;

  @Option(names = "--metric", description = "summary key to tabulate (default ${DEFAULT-VALUE})")
  String metric = "heldout_accuracy";

  @Override
  public Integer call() throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<double[]> rows = new ArrayList<>();
    // the RL column holds a run's grpo or, for rl.algorithm = ppo, its ppo phase
    System.out.printf("%-44s %8s %8s %8s %12s %14s%n", "run", "sft", "grpo|ppo", "control", "rl-sft", "control-sft");
    for (Path run : runs) {
      Path file = run.resolve("summary.json");
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException(run + ": no summary.json (not a finished run folder?)");
      }
      JsonNode s = json.readTree(file.toFile());
      double sft = value(s, "sft", "init");
      double grpo = value(s, "grpo", "ppo");
      double ctl = value(s, "sft_control", null);
      rows.add(new double[] {sft, grpo, ctl});
      System.out.printf("%-44s %8s %8s %8s %12s %14s%n", run.getFileName(), fmt(sft), fmt(grpo), fmt(ctl),
          signed(grpo - sft), signed(ctl - sft));
    }
    if (rows.size() > 1) {
      System.out.printf("%-44s %8s %8s %8s %12s %14s%n", "mean ± std (n=" + rows.size() + ")",
          meanStd(rows, r -> r[0]), meanStd(rows, r -> r[1]), meanStd(rows, r -> r[2]),
          meanStd(rows, r -> r[1] - r[0]), meanStd(rows, r -> r[2] - r[0]));
    }
    return 0;
  }

  private double value(JsonNode s, String phase, String fallback) {
    JsonNode p = s.path(phase);
    if (p.isMissingNode() && fallback != null) {
      p = s.path(fallback);
    }
    JsonNode v = p.path(metric);
    return v.isNumber() ? v.asDouble() : Double.NaN;
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "-" : String.format("%.3f", v);
  }

  private static String signed(double v) {
    return Double.isNaN(v) ? "-" : String.format("%+.3f", v);
  }

  private static String meanStd(List<double[]> rows, java.util.function.ToDoubleFunction<double[]> f) {
    double[] v = rows.stream().mapToDouble(f).toArray();
    double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
    double var = 0;
    for (double x : v) {
      var += (x - mean) * (x - mean);
    }
    double std = v.length > 1 ? Math.sqrt(var / (v.length - 1)) : 0;
    return Double.isNaN(mean) ? "-" : String.format("%.3f±%.3f", mean, std);
  }
}
