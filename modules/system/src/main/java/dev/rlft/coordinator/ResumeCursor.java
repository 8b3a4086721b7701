package dev.rlft.coordinator;

import dev.rlft.steps.HackingSentinel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a GRPO run stood when its learner wrote a checkpoint: the coordinator's counters, the
 * prompt feed's cursor, the batches that were in flight (regenerated first on resume) and the
 * accounting so far. Stored as the checkpoint's metadata ({@link #toMetadata()}); sampling needs no
 * saved random state, as each batch's sampling seed derives from the run seed and its batch id.
 *
 * @param nextBatchId id of the next new batch (also its sampling seed's offset)
 * @param feedPosition the feed's cursor after every batch dispatched so far
 * @param pending batches dispatched but neither trained nor dropped
 * @param droppedBatches dropped batches by reason
 * @param sentinel the reward-hacking sentinel's state, or null for a run without one (and for
 *     checkpoints written before it was saved)
 * @param sentinelActions the sentinel's decisions that changed how the coordinator turns step
 *     scores into rewards ({@code SWITCH_CREDIT}, {@code GUARD}), in order; a resumed run applies
 *     them again (a raised KL weight is the learner's, saved as {@code grpo.beta})
 */
public record ResumeCursor(int trainedSteps, long trainedSamples, long nextBatchId, long nextGroupId,
    long feedPosition, List<Pending> pending, LinkedHashMap<String, Integer> droppedBatches, Coordinator.Groups groups,
    HackingSentinel.State sentinel, List<HackingSentinel.Action> sentinelActions) {

  /** A cursor of a run without a reward-hacking sentinel. */
  public ResumeCursor(int trainedSteps, long trainedSamples, long nextBatchId, long nextGroupId, long feedPosition,
      List<Pending> pending, LinkedHashMap<String, Integer> droppedBatches, Coordinator.Groups groups) {
    this(trainedSteps, trainedSamples, nextBatchId, nextGroupId, feedPosition, pending, droppedBatches, groups, null,
        List.of());
  }

  /** Metadata key prefix of every field. */
  public static final String PREFIX = "grpo.";

  /** A batch in flight: its id, first group id, where its problems start in the feed, and how many groups. */
  public record Pending(long batchId, long firstGroupId, long feedPosition, int groups) {
    public Pending {
      if (groups < 1) {
        throw new IllegalArgumentException("a pending batch has at least one group, got " + groups);
      }
    }
  }

  public ResumeCursor {
    pending = List.copyOf(pending);
    droppedBatches = new LinkedHashMap<>(droppedBatches);
    sentinelActions = List.copyOf(sentinelActions);
    if (trainedSteps < 0 || trainedSamples < 0 || nextBatchId < 0 || nextGroupId < 0 || feedPosition < 0) {
      throw new IllegalArgumentException("resume cursor counters must be >= 0");
    }
  }

  /** The cursor as checkpoint metadata (string keys and values under {@link #PREFIX}). */
  public Map<String, String> toMetadata() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(PREFIX + "trained_steps", Integer.toString(trainedSteps));
    m.put(PREFIX + "trained_samples", Long.toString(trainedSamples));
    m.put(PREFIX + "next_batch_id", Long.toString(nextBatchId));
    m.put(PREFIX + "next_group_id", Long.toString(nextGroupId));
    m.put(PREFIX + "feed_position", Long.toString(feedPosition));
    List<String> p = new ArrayList<>();
    for (Pending b : pending) {
      p.add(b.batchId() + ":" + b.firstGroupId() + ":" + b.feedPosition() + ":" + b.groups());
    }
    m.put(PREFIX + "pending", String.join(";", p));
    m.put(PREFIX + "dropped_batches", counts(droppedBatches));
    m.put(PREFIX + "groups_dispatched", Long.toString(groups.dispatched()));
    m.put(PREFIX + "groups_trained", Long.toString(groups.trained()));
    m.put(PREFIX + "groups_redispatched", Long.toString(groups.redispatched()));
    m.put(PREFIX + "groups_dropped", counts(groups.dropped()));
    if (sentinel != null) {
      m.put(PREFIX + "sentinel", sentinel.encode());
    }
    m.put(PREFIX + "sentinel_actions", String.join(",", sentinelActions.stream().map(Enum::name).toList()));
    return m;
  }

  /** Reads a cursor written by {@link #toMetadata()}; a missing or bad key is an error naming it. */
  public static ResumeCursor fromMetadata(Map<String, String> m) {
    List<Pending> pending = new ArrayList<>();
    String p = get(m, "pending");
    if (!p.isEmpty()) {
      for (String b : p.split(";")) {
        String[] f = b.split(":");
        if (f.length != 4) {
          throw new IllegalArgumentException("checkpoint metadata " + PREFIX + "pending: bad entry '" + b + "'");
        }
        pending.add(new Pending(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
            Integer.parseInt(f[3])));
      }
    }
    LinkedHashMap<String, Integer> dropped = new LinkedHashMap<>();
    parseCounts(get(m, "dropped_batches")).forEach((k, v) -> dropped.put(k, Math.toIntExact(v)));
    // optional: checkpoints written before the sentinel's state was saved have neither key
    String sentinel = m.get(PREFIX + "sentinel");
    List<HackingSentinel.Action> actions = new ArrayList<>();
    for (String a : m.getOrDefault(PREFIX + "sentinel_actions", "").split(",")) {
      if (!a.isBlank()) {
        actions.add(HackingSentinel.Action.parse(a.trim()));
      }
    }
    return new ResumeCursor(Integer.parseInt(get(m, "trained_steps")), Long.parseLong(get(m, "trained_samples")),
        Long.parseLong(get(m, "next_batch_id")), Long.parseLong(get(m, "next_group_id")),
        Long.parseLong(get(m, "feed_position")), pending, dropped,
        new Coordinator.Groups(Long.parseLong(get(m, "groups_dispatched")), Long.parseLong(get(m, "groups_trained")),
            Long.parseLong(get(m, "groups_redispatched")), parseCounts(get(m, "groups_dropped"))),
        sentinel == null ? null : HackingSentinel.State.decode(sentinel), actions);
  }

  /** Whether {@code metadata} holds a cursor (a GRPO checkpoint written during a run). */
  public static boolean presentIn(Map<String, String> metadata) {
    return metadata.containsKey(PREFIX + "trained_steps");
  }

  private static String get(Map<String, String> m, String key) {
    String v = m.get(PREFIX + key);
    if (v == null) {
      throw new IllegalArgumentException("checkpoint metadata lacks " + PREFIX + key + ": not a GRPO resume checkpoint");
    }
    return v;
  }

  private static String counts(Map<String, ? extends Number> counts) {
    List<String> parts = new ArrayList<>();
    counts.forEach((k, v) -> {
      if (k.contains("=") || k.contains(";")) {
        throw new IllegalArgumentException("reason '" + k + "' cannot be stored (contains = or ;)");
      }
      parts.add(k + "=" + v);
    });
    return String.join(";", parts);
  }

  private static LinkedHashMap<String, Long> parseCounts(String s) {
    LinkedHashMap<String, Long> out = new LinkedHashMap<>();
    if (s.isEmpty()) {
      return out;
    }
    for (String part : s.split(";")) {
      int eq = part.lastIndexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("checkpoint metadata: bad count '" + part + "'");
      }
      out.put(part.substring(0, eq), Long.parseLong(part.substring(eq + 1)));
    }
    return out;
  }
}
