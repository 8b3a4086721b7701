package dev.rlft.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code rlft plot}: PNG line charts of step metrics from run folders, one chart per metric, one line per run. */
@Command(name = "plot", mixinStandardHelpOptions = true,
    description = "Plot step metrics of run folders (metrics.jsonl) as PNG line charts: one per metric, one line per run.")
final class PlotCommand implements Callable<Integer> {

  @Parameters(paramLabel = "RUN", arity = "1..*", description = "run folders") List<Path> runs;

  @Option(names = "--metric", required = true, description = "metric to plot (repeatable), e.g. accuracy, steps_mean")
  List<String> metrics;

  @Option(names = "--phase", description = "phase in metrics.jsonl (default ${DEFAULT-VALUE})") String phase = "grpo";
  @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for <metric>.png") Path out;
  @Option(names = "--smooth", description = "moving average over this many steps (default ${DEFAULT-VALUE})")
  int smooth = 5;
  @Option(names = "--title", description = "chart title prefix") String title = "";

  @Override
  public Integer call() throws Exception {
    if (smooth < 1) {
      throw new IllegalArgumentException("--smooth must be >= 1, got " + smooth);
    }
    Files.createDirectories(out);
    for (String metric : metrics) {
      LinkedHashMap<String, Charts.Series> lines = new LinkedHashMap<>();
      for (Path run : runs) {
        Charts.Series s = Charts.read(run, phase, metric);
        if (s.isEmpty()) {
          System.out.println("note: " + run + " has no " + phase + " " + metric + "; skipped");
          continue;
        }
        lines.put(label(run), s.smoothed(smooth));
      }
      if (lines.isEmpty()) {
        throw new IllegalArgumentException("no run has " + phase + " metric '" + metric + "'");
      }
      Path png = out.resolve(metric + ".png");
      Charts.save((title.isEmpty() ? "" : title + ": ") + metric
          + (smooth > 1 ? " (moving average of " + smooth + ")" : ""), metric, lines, png);
      System.out.println("wrote " + png);
    }
    return 0;
  }

  /** The run's parent folder and its own name's seed suffix, e.g. {@code guarded/seed1}. */
  private static String label(Path run) {
    String name = run.getFileName().toString();
    int seed = name.lastIndexOf("seed");
    String parent = run.toAbsolutePath().getParent() == null ? "" : run.toAbsolutePath().getParent().getFileName() + "/";
    return parent + (seed >= 0 ? name.substring(seed) : name);
  }
}
