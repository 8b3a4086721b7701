package dev.rlft.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * A run's folder: the resolved config, {@code metrics.jsonl} (one JSON object per line, flushed as
 * written), {@code samples.jsonl}, {@code checkpoints/} and {@code summary.json}; at the end
 * {@link RunReport} adds {@code plots/} and {@code report.md}. Listeners (the dashboard) see every
 * record as it is written.
 */
public final class RunFolder implements AutoCloseable {

  /** Sees each metrics record and sample as it is written. */
  public interface Listener {
    void metric(String phase, Map<String, ?> values);

    void sample(String phase, Map<String, ?> values);
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final BufferedWriter metrics;
  private final BufferedWriter samples;
  private final ObjectNode summary = JSON.createObjectNode();
  private final java.util.List<Listener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

  private RunFolder(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir.resolve("checkpoints"));
    this.metrics = Files.newBufferedWriter(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    this.samples = Files.newBufferedWriter(dir.resolve("samples.jsonl"), StandardCharsets.UTF_8,
        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  /** Creates {@code runsDir/<timestamp>-seed<seed>} (with a suffix if it exists). */
  public static RunFolder create(Path runsDir, long seed) throws IOException {
    String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path dir = runsDir.resolve(stamp + "-seed" + seed);
    for (int i = 2; Files.exists(dir); i++) {
      dir = runsDir.resolve(stamp + "-seed" + seed + "-" + i);
    }
    return new RunFolder(dir);
  }

  /** Reopens an existing run folder (a resumed run): metrics and samples are appended, summary.json kept. */
  public static RunFolder open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException("no run folder at " + dir);
    }
    RunFolder run = new RunFolder(dir);
    Path summary = dir.resolve("summary.json");
    if (Files.exists(summary)) {
      run.summary.setAll((ObjectNode) JSON.readTree(summary.toFile()));
    }
    return run;
  }

  public Path dir() {
    return dir;
  }

  public Path checkpoint(String name) {
    return dir.resolve("checkpoints").resolve(name);
  }

  /** Sends every later metrics record and sample to {@code listener} too. */
  public void listen(Listener listener) {
    listeners.add(listener);
  }

  public void writeConfig(String rendered) throws IOException {
    Files.writeString(dir.resolve("config.conf"), rendered, StandardCharsets.UTF_8);
  }

  /** Appends one metrics record: {@code {"phase": phase, ...values}}. */
  public synchronized void metric(String phase, Map<String, ?> values) {
    ObjectNode n = JSON.createObjectNode();
    n.put("phase", phase);
    n.put("time", System.currentTimeMillis() / 1000.0);
    values.forEach((k, v) -> n.set(k, JSON.valueToTree(v)));
    writeLine(metrics, n);
    listeners.forEach(l -> l.metric(phase, values));
  }

  public synchronized void sample(String phase, Map<String, ?> values) {
    ObjectNode n = JSON.createObjectNode();
    n.put("phase", phase);
    values.forEach((k, v) -> n.set(k, JSON.valueToTree(v)));
    writeLine(samples, n);
    listeners.forEach(l -> l.sample(phase, values));
  }

  private static void writeLine(BufferedWriter w, ObjectNode n) {
    try {
      w.write(JSON.writeValueAsString(n));
      w.newLine();
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Records a phase's results in summary.json (rewritten atomically each time). */
  public synchronized void summarize(String phase, Map<String, ?> values) throws IOException {
    ObjectNode n = JSON.createObjectNode();
    values.forEach((k, v) -> n.set(k, JSON.valueToTree(v)));
    summary.set(phase, n);
    Path tmp = dir.resolve(".summary.json.tmp");
    Files.writeString(tmp, JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(summary));
    Files.move(tmp, dir.resolve("summary.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Override
  public void close() throws IOException {
    metrics.close();
    samples.close();
  }
}
