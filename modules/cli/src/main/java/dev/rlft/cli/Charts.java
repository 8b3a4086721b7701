package dev.rlft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG line charts of step metrics read from a run's {@code metrics.jsonl} (XChart); used by {@code rlft plot} and run reports. */
final class Charts {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Charts() {}

  /** One line: steps and values. */
  record Series(List<Double> xs, List<Double> ys) {
    boolean isEmpty() {
      return ys.isEmpty();
    }

    /** The same steps with each value replaced by the mean of the last {@code window} values. */
    Series smoothed(int window) {
      return new Series(xs, movingAverage(ys, window));
    }
  }

  /**
   * The numeric values of {@code metric} in the records of {@code phase}, by step (a record without
   * a step counts as the next one).
   *
   * @throws IllegalArgumentException when the run folder has no metrics.jsonl
   */
  static Series read(Path run, String phase, String metric) throws IOException {
    Path file = run.resolve("metrics.jsonl");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(run + ": no metrics.jsonl");
    }
    List<Double> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (line.isBlank()) {
        continue;
      }
      JsonNode n = JSON.readTree(line);
      if (phase.equals(n.path("phase").asText()) && n.path(metric).isNumber()) {
        xs.add(n.path("step").asDouble(xs.size() + 1));
        ys.add(n.get(metric).asDouble());
      }
    }
    return new Series(xs, ys);
  }

  /** Draws one line per entry of {@code lines} (label to series) and writes {@code png}. */
  static void save(String title, String yTitle, Map<String, Series> lines, Path png) throws IOException {
    XYChart chart = new XYChartBuilder().width(800).height(450).title(title).xAxisTitle("step").yAxisTitle(yTitle)
        .build();
    chart.getStyler().setMarkerSize(0);
    for (Map.Entry<String, Series> e : lines.entrySet()) {
      chart.addSeries(e.getKey(), e.getValue().xs(), e.getValue().ys()).setMarker(SeriesMarkers.NONE);
    }
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  static List<Double> movingAverage(List<Double> ys, int window) {
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
