package dev.rlft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The end of a run: PNG plots of its main curves under {@code plots/} and a short {@code report.md}
 * linking them with the held-out results and the run's files. Written from the folder alone, so
 * {@code rlft report} can redo it for any run folder.
 */
final class RunReport {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A chart of the report: file name, title, y-axis title, phase, metrics (one line each). */
  private record Plot(String file, String title, String yTitle, String phase, List<String> metrics) {}

  private static final List<Plot> PLOTS = List.of(
      new Plot("grpo-reward", "GRPO: reward and accuracy", "mean over the batch", "grpo",
          List.of("reward", "accuracy", "prm_score_mean")),
      new Plot("grpo-kl", "GRPO: KL to the reference policy", "nats per token", "grpo", List.of("kl")),
      new Plot("grpo-entropy", "GRPO: policy entropy", "nats per token", "grpo", List.of("entropy")),
      new Plot("grpo-loss", "GRPO: loss", "loss", "grpo", List.of("loss", "pg_loss")),
      new Plot("grpo-clip", "GRPO: clip fraction", "share of tokens", "grpo", List.of("clip_frac")),
      new Plot("grpo-grad-norm", "GRPO: gradient norm", "norm before clipping", "grpo", List.of("grad_norm")),
      new Plot("grpo-throughput", "GRPO: generated tokens per second", "tokens/s", "grpo", List.of("gen_tokens_per_s")),
      new Plot("grpo-staleness", "GRPO: staleness", "weight versions", "grpo", List.of("staleness")),
      new Plot("grpo-steps", "GRPO: reasoning steps (process mode)", "steps per completion", "grpo",
          List.of("steps_mean")),
      new Plot("sft-loss", "SFT: loss", "next-token loss", "sft", List.of("loss")),
      new Plot("sft-control-loss", "Continued SFT (control): loss", "next-token loss", "sft_control", List.of("loss")));

  /** Series with at least this many points also get a moving-average line. */
  private static final int SMOOTH_FROM = 10;
  private static final int SMOOTH = 5;

  private RunReport() {}

  /**
   * Writes {@code plots/*.png} and {@code report.md} into {@code run}.
   *
   * @param ending how the run ended, in a sentence (e.g. "The run finished."), or null when unknown
   * @return the report's path
   */
  static Path write(Path run, String ending) throws IOException {
    if (!Files.isDirectory(run)) {
      throw new IllegalArgumentException(run + ": not a run folder");
    }
    Path plots = run.resolve("plots");
    Files.createDirectories(plots);
    StringBuilder md = new StringBuilder();
    md.append("# Run ").append(run.getFileName()).append("\n\n");
    md.append("Report written ").append(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")))
        .append('.').append(ending == null ? "" : " " + oneLine(ending)).append("\n\n");
    results(run, md);
    md.append("## Training curves\n\n");
    int drawn = 0;
    for (Plot p : PLOTS) {
      LinkedHashMap<String, Charts.Series> lines = new LinkedHashMap<>();
      Path metrics = run.resolve("metrics.jsonl");
      if (!Files.isRegularFile(metrics)) {
        break;
      }
      for (String m : p.metrics()) {
        Charts.Series s = Charts.read(run, p.phase(), m);
        if (s.isEmpty()) {
          continue;
        }
        lines.put(m, s);
        if (s.ys().size() >= SMOOTH_FROM && p.metrics().size() == 1) {
          lines.put(m + " (moving average of " + SMOOTH + ")", s.smoothed(SMOOTH));
        }
      }
      if (lines.isEmpty()) {
        continue;
      }
      Path png = plots.resolve(p.file() + ".png");
      Charts.save(p.title(), p.yTitle(), lines, png);
      md.append("![").append(p.title()).append("](plots/").append(p.file()).append(".png)\n\n");
      drawn++;
    }
    if (drawn == 0) {
      md.append("No step metrics were recorded.\n\n");
    }
    files(run, md);
    Path tmp = run.resolve(".report.md.tmp");
    Files.writeString(tmp, md, StandardCharsets.UTF_8);
    Path report = run.resolve("report.md");
    Files.move(tmp, report, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return report;
  }

  private static void results(Path run, StringBuilder md) throws IOException {
    Path file = run.resolve("summary.json");
    if (!Files.isRegularFile(file)) {
      return;
    }
    JsonNode summary = JSON.readTree(file.toFile());
    md.append("## Held-out results\n\n");
    List<String> keys = new ArrayList<>();
    for (Iterator<JsonNode> it = summary.elements(); it.hasNext(); ) {
      for (Iterator<String> f = it.next().fieldNames(); f.hasNext(); ) {
        String k = f.next();
        if (!keys.contains(k) && !k.equals("checkpoint")) {
          keys.add(k);
        }
      }
    }
    md.append("| phase |");
    keys.forEach(k -> md.append(' ').append(k).append(" |"));
    md.append("\n| --- |");
    keys.forEach(k -> md.append(" --- |"));
    md.append('\n');
    for (Iterator<Map.Entry<String, JsonNode>> it = summary.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      md.append("| ").append(e.getKey()).append(" |");
      for (String k : keys) {
        JsonNode v = e.getValue().get(k);
        md.append(' ').append(v == null ? "" : v.isFloatingPointNumber() ? String.format("%.4f", v.asDouble())
            : v.asText()).append(" |");
      }
      md.append('\n');
    }
    md.append('\n');
  }

  private static void files(Path run, StringBuilder md) throws IOException {
    md.append("## Files\n\n");
    if (Files.isRegularFile(run.resolve("config.conf"))) {
      md.append("- [config.conf](config.conf): the fully resolved settings\n");
    }
    Path metrics = run.resolve("metrics.jsonl");
    if (Files.isRegularFile(metrics)) {
      Map<String, Integer> byPhase = new TreeMap<>();
      for (String line : Files.readAllLines(metrics)) {
        if (!line.isBlank()) {
          byPhase.merge(JSON.readTree(line).path("phase").asText("?"), 1, Integer::sum);
        }
      }
      md.append("- [metrics.jsonl](metrics.jsonl): one record per step ").append(byPhase).append('\n');
    }
    Path samples = run.resolve("samples.jsonl");
    if (Files.isRegularFile(samples)) {
      long n;
      try (Stream<String> lines = Files.lines(samples)) {
        n = lines.filter(l -> !l.isBlank()).count();
      }
      md.append("- [samples.jsonl](samples.jsonl): ").append(n).append(" sample completions\n");
    }
    if (Files.isRegularFile(run.resolve("summary.json"))) {
      md.append("- [summary.json](summary.json): held-out results per phase\n");
    }
    Path ckpts = run.resolve("checkpoints");
    if (Files.isDirectory(ckpts)) {
      List<String> names;
      try (Stream<Path> s = Files.list(ckpts)) {
        names = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
            .sorted().toList();
      }
      if (!names.isEmpty()) {
        md.append("- checkpoints:");
        names.forEach(n -> md.append(" [").append(n).append("](checkpoints/").append(n).append(")"));
        md.append('\n');
      }
    }
    if (Files.isDirectory(run.resolve("hf"))) {
      md.append("- [hf/](hf): the trained policy as a Hugging Face folder\n");
    }
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s+", " ").trim();
  }
}
