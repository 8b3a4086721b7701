package dev.rlft.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;

/**
 * What a run has written so far, kept in memory for the dashboard: every metrics record (the
 * lines of {@code metrics.jsonl}, each numbered in order) and the latest sample completions. Safe
 * for one writer and many readers.
 */
public final class RunFeed {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final int maxPoints;
  private final int maxSamples;
  private final ArrayDeque<ObjectNode> records = new ArrayDeque<>();
  private final ArrayDeque<ObjectNode> samples = new ArrayDeque<>();
  private final List<BiConsumer<String, Map<String, ?>>> listeners = new CopyOnWriteArrayList<>();
  private long seq;
  private long sampleSeq;
  private String run = "";
  private String phase = "";

  /**
   * @param maxPoints metrics records kept (the oldest are dropped first)
   * @param maxSamples sample completions kept
   */
  public RunFeed(int maxPoints, int maxSamples) {
    if (maxPoints < 1 || maxSamples < 1) {
      throw new IllegalArgumentException("dashboard.max-points and dashboard.samples must be >= 1, got " + maxPoints
          + " and " + maxSamples);
    }
    this.maxPoints = maxPoints;
    this.maxSamples = maxSamples;
  }

  /** Calls {@code listener} with every metrics record from now on (on the writer's thread). */
  public void onMetric(BiConsumer<String, Map<String, ?>> listener) {
    listeners.add(listener);
  }

  /** Names the run (its folder); shown on the page. */
  public synchronized void run(String name) {
    run = name;
  }

  /** The phase now running (sft, grpo, eval, finished, …), when no metrics record says it. */
  public synchronized void phase(String name) {
    phase = name;
  }

  public synchronized String phase() {
    return phase;
  }

  /** Adds one metrics record, as written to {@code metrics.jsonl}. */
  public void metric(String phase, Map<String, ?> values) {
    synchronized (this) {
      ObjectNode n = JSON.createObjectNode();
      n.put("seq", ++seq);
      n.put("phase", phase);
      values.forEach((k, v) -> n.set(k, JSON.valueToTree(v)));
      records.addLast(n);
      while (records.size() > maxPoints) {
        records.removeFirst();
      }
      this.phase = phase;
    }
    for (BiConsumer<String, Map<String, ?>> l : listeners) {
      l.accept(phase, values);
    }
  }

  /** Adds one sample completion, as written to {@code samples.jsonl}. */
  public synchronized void sample(String phase, Map<String, ?> values) {
    ObjectNode n = JSON.createObjectNode();
    n.put("seq", ++sampleSeq);
    n.put("phase", phase);
    values.forEach((k, v) -> n.set(k, JSON.valueToTree(v)));
    samples.addLast(n);
    while (samples.size() > maxSamples) {
      samples.removeFirst();
    }
  }

  /** The records numbered after {@code after}, oldest first, with the run's name and phase, as JSON. */
  public synchronized String metricsJson(long after) {
    ObjectNode out = JSON.createObjectNode();
    out.put("run", run);
    out.put("phase", phase);
    out.put("last", seq);
    ArrayNode list = out.putArray("records");
    for (ObjectNode n : records) {
      if (n.get("seq").asLong() > after) {
        list.add(n);
      }
    }
    return out.toString();
  }

  /** The latest sample completions, newest first, as JSON. */
  public synchronized String samplesJson() {
    ObjectNode out = JSON.createObjectNode();
    ArrayNode list = out.putArray("samples");
    for (Iterator<ObjectNode> it = samples.descendingIterator(); it.hasNext(); ) {
      list.add(it.next());
    }
    return out.toString();
  }

  /** How many metrics records were added in all (including dropped ones). */
  public synchronized long count() {
    return seq;
  }

  /** A copy of the records kept, oldest first. */
  public synchronized List<ObjectNode> records() {
    return new ArrayList<>(records);
  }
}
