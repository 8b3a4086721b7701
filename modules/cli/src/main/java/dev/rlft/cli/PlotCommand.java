package dev.rlft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
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

  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public Integer call() throws Exception {
    if (smooth < 1) {
      throw new IllegalArgumentException("--smooth must be >= 1, got " + smooth);
    }
    Files.createDirectories(out);
    for (String metric : metrics) {
      XYChart chart = new XYChartBuilder().width(800).height(450)
          .title((title.isEmpty() ? "" : title + ": ") + metric + (smooth > 1 ? " (moving average of " + smooth + ")" : ""))
          .xAxisTitle("step").yAxisTitle(metric).build();
      chart.getStyler().setMarkerSize(0);
      int plotted = 0;
      for (Path run : runs) {
        Path file = run.resolve("metrics.jsonl");
        if (!Files.isRegularFile(file)) {
          throw new IllegalArgumentException(run + ": no metrics.jsonl");
        }
        List<Double> xs = new ArrayList<>();
        List<Double> ys = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
          JsonNode n = JSON.readTree(line);
          if (phase.equals(n.path("phase").asText()) && n.path(metric).isNumber()) {
            xs.add(n.path("step").asDouble(xs.size() + 1));
            ys.add(n.get(metric).asDouble());
          }
        }
        if (ys.isEmpty()) {
          System.out.println("note: " + run + " has no " + phase + " " + metric + "; skipped");
          continue;
        }
        chart.addSeries(label(run), xs, movingAverage(ys, smooth)).setMarker(SeriesMarkers.NONE);
        plotted++;
      }
      if (plotted == 0) {
        throw new IllegalArgumentException("no run has " + phase + " metric '" + metric + "'");
      }
      Path png = out.resolve(metric + ".png");
      BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
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

  private static List<Double> movingAverage(List<Double> ys, int window) {
    List<Double> out = new ArrayList<>(ys.size());
    double sum = 0;
    for (int i = 0; i < ys.size(); i++) {
      sum += ys.get(i);
      if (i >= window) {
        sum -= ys.get(i - window);
      }
      out.add(sum / Math.min(i + 1, window));
    }
    return out;
  }
}
