package dev.rlft.params;

import dev.rlft.wire.WireMessage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Holds the latest versioned policy weights and pushes every new version to its subscribed weight
 * receivers (the rollout workers'), each through its own sender session with its own credit
 * window ({@link WeightSender}); a receiver that subscribes late gets the current version.
 *
 * <p>With LoRA, versions after the first hold only adapters. The server keeps the last full
 * snapshot (the frozen base) and describes each version as the whole state a receiver must hold,
 * base plus adapters; receivers that already hold the base by digest then fetch only the adapters.
 *
 * <p>{@link GetWeights} still answers with whole snapshots in one message: for callers in the same
 * JVM (tests, the learner's node). It must not cross Artery with real model sizes.
 *
 * <p>A <em>following</em> server ({@link #following}) gets its versions from another parameter
 * server, the upstream, instead of from {@link Publish}: it finds the upstream under a
 * receptionist key, subscribes to it with a {@link WeightReceiver} child like a rollout worker
 * does, and publishes each version it receives to its own receivers, with the upstream's version
 * number, kind and tensor shapes. On a cluster the learner publishes to an upstream on its own
 * node and the {@code params} singleton on another node follows it, so no whole snapshot crosses
 * a node boundary; a singleton that moves to another node finds the upstream again and fetches
 * its current version at once.
 */
public final class ParameterServer extends AbstractBehavior<ParameterServer.Command> {

  /** Messages the parameter server understands. */
  public sealed interface Command extends WireMessage {}

  /** Stores a new version; versions must increase. */
  public record Publish(WeightSnapshot snapshot, ActorRef<Published> replyTo) implements Command {}

  /**
   * Asks for weights of version at least {@code minVersion}, in one message (same JVM only). When
   * the caller already holds the latest version ({@code haveVersion}), the reply carries no weights.
   */
  public record GetWeights(long haveVersion, long minVersion, ActorRef<WeightsReply> replyTo) implements Command {}

  /** Asks for the latest version number. */
  public record GetVersion(ActorRef<Version> replyTo) implements Command {}

  /**
   * A weight receiver asks for every version newer than {@code haveVersion}, now and from now on.
   * Repeating it is harmless: an idle receiver re-subscribes now and then.
   */
  public record Subscribe(ActorRef<WeightReceiver.Command> receiver, long haveVersion) implements Command {}

  /** Registers a listener told of every version once each subscribed receiver has it (or moved past it). */
  public record WatchSync(ActorRef<VersionSynced> listener) implements Command {}

  /** Asks how many receivers are subscribed. */
  public record GetSubscribers(ActorRef<Subscribers> replyTo) implements Command {}

  /** Acknowledges a publish. */
  public record Published(long version) implements WireMessage {}

  /** Reply to {@link GetWeights}: {@code snapshot} is null when the caller is up to date. */
  public record WeightsReply(long version, WeightSnapshot snapshot, WeightSnapshot base) implements WireMessage {

    /** Bytes of weights this reply carries. */
    public long bytes() {
      return (snapshot == null ? 0 : snapshot.bytes()) + (base == null ? 0 : base.bytes());
    }
  }

  /** Reply to {@link GetVersion}; -1 before anything was published. */
  public record Version(long version) implements WireMessage {}

  /** Reply to {@link GetSubscribers}. */
  public record Subscribers(int count) implements WireMessage {}

  /**
   * How one version reached the receivers subscribed while it was current.
   *
   * @param delivered receivers that applied it
   * @param superseded receivers that moved on to a newer version before finishing it
   * @param failed receivers that gave it up or went away
   * @param bytes chunk payload bytes sent for it, to all receivers, retransmits included
   * @param resent chunks sent again
   * @param maxInFlight the most chunks any session had sent and not yet seen accepted
   * @param prepareNanos time spent computing its chunk checksums and digests
   * @param nanos from the publish to the last receiver's outcome
   */
  public record VersionSynced(long version, int delivered, int superseded, int failed, long bytes, long chunks,
      long resent, int maxInFlight, long prepareNanos, long nanos) implements WireMessage {}

  private record SessionReport(WeightSender.Report report) implements Command, NoSerializationVerificationNeeded {}

  private record SessionEnded(ActorRef<WeightReceiver.Command> receiver)
      implements Command, NoSerializationVerificationNeeded {}

  /** The receptionist's listing of the upstream key (a following server only). */
  private record UpstreamListed(Receptionist.Listing listing) implements Command, NoSerializationVerificationNeeded {}

  /** A version from the upstream receiver of generation {@code upstream} (older generations are ignored). */
  private record UpstreamReady(int upstream, WeightReceiver.Ready ready)
      implements Command, NoSerializationVerificationNeeded {}

  /** A version's progress through the sessions that had it. */
  private static final class SyncRecord {
    final long version;
    final long publishedAt = System.nanoTime();
    final long prepareNanos;
    final Set<ActorRef<WeightReceiver.Command>> pending = new HashSet<>();
    int delivered;
    int superseded;
    int failed;
    long bytes;
    long chunks;
    long resent;
    int maxInFlight;

    SyncRecord(long version, long prepareNanos) {
      this.version = version;
      this.prepareNanos = prepareNanos;
    }
  }

  /** The whole state a receiver must hold at a version, in order. */
  private record Target(long version, WeightSnapshot.Kind kind, List<String> names, List<float[]> data,
      List<long[]> shapes) {}

  /** A receiver's sender session and the chunk size its frames allow. */
  private record Session(ActorRef<WeightSender.Command> ref, int chunkBytes) {}

  private final WeightSyncSettings settings;
  private final ArteryFrames frames;
  private WeightSnapshot latest;
  /** The last full snapshot; adapter-only snapshots apply on top of it. */
  private WeightSnapshot base;
  private Target target;
  /** The latest version prepared for each chunk size in use. */
  private Map<Integer, PreparedVersion> prepared = new HashMap<>();
  private final List<GetWeights> waiting = new ArrayList<>();
  private final Map<ActorRef<WeightReceiver.Command>, Session> sessions = new HashMap<>();
  private final Map<Long, SyncRecord> syncing = new LinkedHashMap<>();
  private final List<ActorRef<VersionSynced>> listeners = new ArrayList<>();
  private final ActorRef<WeightSender.Report> reports;
  private int sessionCount;

  /** The receptionist key of the upstream this server follows; null when it is published to directly. */
  private final ServiceKey<Command> upstreamKey;
  private ActorRef<Command> upstream;
  /** The current upstream's link: owner of a receiver child ({@code weights}) subscribed to it. */
  private ActorRef<WeightReceiver.Ready> upstreamLink;
  /** Generation of the current upstream receiver: one more at each switch. */
  private int upstreamGeneration;
  /** Whether a version came from the current upstream yet. */
  private boolean upstreamDelivered;
  /**
   * The whole state at the last version the upstream receiver delivered, in order, with shapes.
   * These arrays are handed to {@link #onPublish} and never written or recycled afterwards.
   */
  private List<String> followedNames = List.of();
  private Map<String, float[]> followedData = Map.of();
  private List<long[]> followedShapes = List.of();

  private ParameterServer(ActorContext<Command> context, WeightSyncSettings settings, ServiceKey<Command> upstreamKey) {
    super(context);
    this.settings = settings;
    this.frames = ArteryFrames.of(context.getSystem().settings().config());
    this.reports = context.messageAdapter(WeightSender.Report.class, SessionReport::new);
    this.upstreamKey = upstreamKey;
    if (upstreamKey != null) {
      context.getSystem().receptionist().tell(Receptionist.subscribe(upstreamKey,
          context.messageAdapter(Receptionist.Listing.class, UpstreamListed::new)));
    }
  }

  /** A parameter server with the actor system's {@code rlft.weight-sync} settings. */
  public static Behavior<Command> create() {
    return dev.rlft.health.Health.monitored("params", Behaviors.setup(ctx -> new ParameterServer(ctx,
        WeightSyncSettings.fromConfig(ctx.getSystem().settings().config()), null)));
  }

  public static Behavior<Command> create(WeightSyncSettings settings) {
    return dev.rlft.health.Health.monitored("params", Behaviors.setup(ctx -> new ParameterServer(ctx, settings, null)));
  }

  /**
   * A parameter server that the learner publishes to on its own node, for a {@link #following}
   * server elsewhere to fetch from; it reports its health as {@value #UPSTREAM_HEALTH_ROLE}.
   */
  public static Behavior<Command> upstream() {
    return dev.rlft.health.Health.monitored(UPSTREAM_HEALTH_ROLE, Behaviors.setup(ctx -> new ParameterServer(ctx,
        WeightSyncSettings.fromConfig(ctx.getSystem().settings().config()), null)));
  }

  /** The health role of an {@link #upstream()} server. */
  public static final String UPSTREAM_HEALTH_ROLE = "params-upstream";

  /**
   * A parameter server that follows the upstream server the receptionist lists under {@code
   * upstream} (with the actor system's {@code rlft.weight-sync} settings); until one is listed, or
   * when none ever is, it serves what is published to it directly.
   */
  public static Behavior<Command> following(ServiceKey<Command> upstream) {
    return dev.rlft.health.Health.monitored("params", Behaviors.setup(ctx -> new ParameterServer(ctx,
        WeightSyncSettings.fromConfig(ctx.getSystem().settings().config()), upstream)));
  }

  public static Behavior<Command> following(ServiceKey<Command> upstream, WeightSyncSettings settings) {
    return dev.rlft.health.Health.monitored("params", Behaviors.setup(ctx -> new ParameterServer(ctx, settings,
        upstream)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Publish.class, this::onPublish)
        .onMessage(GetWeights.class, this::onGetWeights)
        .onMessage(GetVersion.class, this::onGetVersion)
        .onMessage(Subscribe.class, this::onSubscribe)
        .onMessage(WatchSync.class, w -> {
          listeners.add(w.listener());
          return this;
        })
        .onMessage(GetSubscribers.class, g -> {
          g.replyTo().tell(new Subscribers(sessions.size()));
          return this;
        })
        .onMessage(SessionReport.class, this::onReport)
        .onMessage(SessionEnded.class, this::onSessionEnded)
        .onMessage(UpstreamListed.class, this::onUpstreamListed)
        .onMessage(UpstreamReady.class, this::onUpstreamReady)
        .build();
  }

  /**
   * Follows the listed upstream: the first one found, or a new one when the one followed is no
   * longer listed. The listing includes unreachable nodes' upstreams, so one drops out only when
   * it stopped (its run ended) or its node left the cluster; this server then keeps serving its
   * latest version.
   */
  private Behavior<Command> onUpstreamListed(UpstreamListed l) {
    Set<ActorRef<Command>> listed = l.listing().getAllServiceInstances(upstreamKey);
    if (listed.isEmpty()) {
      if (upstream != null) {
        getContext().getLog().info("upstream parameter server {} is gone; serving version {} until another is listed",
            upstream.path(), latestVersion());
        getContext().stop(upstreamLink);
        upstream = null;
        upstreamLink = null;
        upstreamGeneration++;
      }
      return this;
    }
    if (upstream != null && listed.contains(upstream)) {
      return this;
    }
    ActorRef<Command> next = listed.stream().min(java.util.Comparator.comparing(r -> r.path().toString()))
        .orElseThrow();
    if (upstream == null) {
      getContext().getLog().info("following upstream parameter server {} (this server at version {})", next.path(),
          latestVersion());
    } else {
      getContext().getLog().info("switching upstream parameter server from {} to {} (this server at version {})",
          upstream.path(), next.path(), latestVersion());
    }
    follow(next);
    return this;
  }

  /** Subscribes to {@code next} with a new receiver, in place of the one there was. */
  private void follow(ActorRef<Command> next) {
    if (upstreamLink != null) {
      getContext().stop(upstreamLink);
    }
    upstream = next;
    upstreamDelivered = false;
    int generation = ++upstreamGeneration;
    ActorRef<Command> self = getContext().getSelf();
    // a link per upstream, so that a Ready still queued from a replaced receiver is told apart; its
    // receiver is named "weights", a large-message destination like a rollout worker's
    upstreamLink = getContext().spawn(Behaviors.<WeightReceiver.Ready>setup(link -> {
      link.spawn(WeightReceiver.create(next, link.getSelf(), settings), "weights");
      return Behaviors.receiveMessage(r -> {
        self.tell(new UpstreamReady(generation, r));
        return Behaviors.same();
      });
    }), "upstream-" + generation);
  }

  /**
   * A version from the upstream: merges the tensors that changed into the state followed and
   * publishes that version here, with the upstream's number, kind and shapes.
   */
  private Behavior<Command> onUpstreamReady(UpstreamReady u) {
    if (u.upstream() != upstreamGeneration) {
      return this;
    }
    WeightReceiver.Ready r = u.ready();
    Map<String, float[]> data = new HashMap<>();
    for (String name : r.names()) {
      float[] a = r.changed().get(name);
      if (a == null) {
        a = followedData.get(name);
      }
      if (a == null) {
        // a receiver's Ready carries what changed since its previous one and its first carries all, so
        // this is a bug; a fresh receiver fetches the whole version again
        getContext().getLog().error("upstream version {} keeps tensor '{}', which no earlier version delivered; "
            + "subscribing again for the whole state", r.version(), name);
        follow(upstream);
        return this;
      }
      data.put(name, a);
    }
    followedNames = r.names();
    followedData = data;
    followedShapes = r.shapes();
    if (!upstreamDelivered) {
      upstreamDelivered = true;
      long bytes = 0;
      for (float[] a : data.values()) {
        bytes += 4L * a.length;
      }
      getContext().getLog().info("upstream parameter server {}: version {} ({}, {} tensors, {} bytes)", upstream.path(),
          r.version(), r.kind(), r.names().size(), bytes);
    }
    if (latest != null && r.version() <= latest.version()) {
      getContext().getLog().debug("upstream version {} is not newer than {}", r.version(), latest.version());
      return this;
    }
    String[] names = followedNames.toArray(new String[0]);
    float[][] arrays = new float[names.length][];
    long[][] shapes = new long[names.length][];
    for (int i = 0; i < names.length; i++) {
      arrays[i] = data.get(names[i]);
      shapes[i] = followedShapes.get(i);
    }
    WeightSnapshot whole = new WeightSnapshot(r.version(), names, arrays, WeightSnapshot.Kind.FULL, shapes);
    if (r.kind() == WeightSnapshot.Kind.FULL) {
      return onPublish(new Publish(whole, null));
    }
    // adapters only: on top of the last full state this server holds, when it is still the base of this one
    if (!baseUnder(whole)) {
      base = whole;
    }
    Map<String, Integer> inBase = new HashMap<>();
    for (int i = 0; i < base.names().length; i++) {
      inBase.put(base.names()[i], i);
    }
    List<Integer> overlay = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      Integer j = inBase.get(names[i]);
      if (j == null || base.data()[j] != arrays[i]) {
        overlay.add(i);
      }
    }
    String[] on = new String[overlay.size()];
    float[][] onData = new float[overlay.size()][];
    long[][] onShapes = new long[overlay.size()][];
    for (int k = 0; k < on.length; k++) {
      on[k] = names[overlay.get(k)];
      onData[k] = arrays[overlay.get(k)];
      onShapes[k] = shapes[overlay.get(k)];
    }
    return onPublish(new Publish(new WeightSnapshot(r.version(), on, onData, WeightSnapshot.Kind.ADAPTERS, onShapes),
        null));
  }

  /**
   * Whether {@link #base} overlaid with {@code whole}'s adapters gives {@code whole}, in its order:
   * the base holds the same tensors (the same arrays, where they are not adapters), and only
   * adapters follow them.
   */
  private boolean baseUnder(WeightSnapshot whole) {
    if (base == null || base.names().length > whole.names().length) {
      return false;
    }
    for (int i = 0; i < base.names().length; i++) {
      if (!base.names()[i].equals(whole.names()[i]) || !java.util.Arrays.equals(base.shape(i), whole.shape(i))
          || (!WeightSnapshot.isAdapter(base.names()[i]) && base.data()[i] != whole.data()[i])) {
        return false;
      }
    }
    for (int i = base.names().length; i < whole.names().length; i++) {
      if (!WeightSnapshot.isAdapter(whole.names()[i])) {
        return false;
      }
    }
    return true;
  }

  private long latestVersion() {
    return latest == null ? -1 : latest.version();
  }

  private Behavior<Command> onPublish(Publish p) {
    long v = p.snapshot().version();
    if (latest != null && v <= latest.version()) {
      getContext().getLog().warn("ignoring publish of version {}: already at {}", v, latest.version());
    } else if (p.snapshot().kind() == WeightSnapshot.Kind.ADAPTERS && base == null) {
      getContext().getLog().error("ignoring adapter-only version {}: no full snapshot to apply it to", v);
    } else {
      Map<Integer, PreparedVersion> next = new HashMap<>();
      Target t = target(p.snapshot());
      try {
        prepare(t, settings.chunkBytes(), next);
        for (Session session : sessions.values()) {
          prepare(t, session.chunkBytes(), next);
        }
      } catch (IllegalArgumentException e) {
        getContext().getLog().error("ignoring version {}: {}", v, e.getMessage());
        if (p.replyTo() != null) {
          p.replyTo().tell(new Published(latest == null ? -1 : latest.version()));
        }
        return this;
      }
      latest = p.snapshot();
      dev.rlft.health.Health.version(getContext(), v);
      if (latest.kind() == WeightSnapshot.Kind.FULL) {
        base = latest;
      }
      target = t;
      prepared = next;
      getContext().getLog().debug("weights version {}: {} bytes", v, latest.bytes());
      List<GetWeights> ready = new ArrayList<>();
      waiting.removeIf(w -> {
        if (w.minVersion() <= latest.version()) {
          ready.add(w);
          return true;
        }
        return false;
      });
      ready.forEach(this::answer);
      dev.rlft.health.Health.queue(getContext(), waiting.size());
      SyncRecord record = new SyncRecord(v, prepared.values().stream().mapToLong(x -> x.prepareNanos).sum());
      syncing.put(v, record);
      record.pending.addAll(sessions.keySet());
      sessions.values().forEach(s -> s.ref().tell(new WeightSender.Send(prepared.get(s.chunkBytes()))));
      closeIfDone(record);
    }
    if (p.replyTo() != null) {
      p.replyTo().tell(new Published(latest == null ? -1 : latest.version()));
    }
    return this;
  }

  /** Prepares {@code t} in chunks of {@code chunkBytes} unless {@code into} has it, reusing the previous version's checks. */
  private PreparedVersion prepare(Target t, int chunkBytes, Map<Integer, PreparedVersion> into) {
    PreparedVersion done = into.get(chunkBytes);
    if (done == null) {
      done = PreparedVersion.prepare(t.version(), t.kind(), t.names(), t.data(), t.shapes(), chunkBytes,
          prepared.get(chunkBytes));
      into.put(chunkBytes, done);
    }
    return done;
  }

  /** The whole state a receiver must hold at this version: the snapshot, or for adapters the base overlaid with them. */
  private Target target(WeightSnapshot s) {
    List<String> names = new ArrayList<>();
    List<float[]> data = new ArrayList<>();
    List<long[]> shapes = new ArrayList<>();
    if (s.kind() == WeightSnapshot.Kind.ADAPTERS) {
      Map<String, Integer> overlay = new HashMap<>();
      for (int i = 0; i < s.names().length; i++) {
        overlay.put(s.names()[i], i);
      }
      for (int i = 0; i < base.names().length; i++) {
        Integer j = overlay.remove(base.names()[i]);
        names.add(base.names()[i]);
        data.add(j == null ? base.data()[i] : s.data()[j]);
        shapes.add(j == null ? base.shape(i) : s.shape(j));
      }
      for (int i = 0; i < s.names().length; i++) {
        if (overlay.containsKey(s.names()[i])) {
          names.add(s.names()[i]);
          data.add(s.data()[i]);
          shapes.add(s.shape(i));
        }
      }
    } else {
      for (int i = 0; i < s.names().length; i++) {
        names.add(s.names()[i]);
        data.add(s.data()[i]);
        shapes.add(s.shape(i));
      }
    }
    return new Target(s.version(), s.kind(), names, data, shapes);
  }

  private Behavior<Command> onSubscribe(Subscribe s) {
    Session session = sessions.get(s.receiver());
    if (session == null) {
      int chunk = frames.chunkFor(s.receiver().path(), settings.chunkBytes());
      if (chunk < settings.chunkBytes()) {
        getContext().getLog().info("weight receiver {} gets chunks of {} bytes, not {}: Artery's frame for its path "
            + "is smaller (make it a large-message destination for bigger chunks)", s.receiver().path(), chunk,
            settings.chunkBytes());
      }
      ActorRef<WeightSender.Command> ref = getContext().spawn(WeightSender.create(s.receiver(), settings, reports),
          "sender-" + (++sessionCount));
      getContext().watchWith(ref, new SessionEnded(s.receiver()));
      session = new Session(ref, chunk);
      sessions.put(s.receiver(), session);
      getContext().getLog().debug("weight receiver {} subscribed at version {}", s.receiver().path(), s.haveVersion());
      if (target != null) {
        SyncRecord record = syncing.get(target.version());
        if (record != null) {
          record.pending.add(s.receiver());
        }
        session.ref().tell(new WeightSender.Send(prepare(target, chunk, prepared)));
      }
    } else {
      session.ref().tell(new WeightSender.Resubscribed(s.haveVersion()));
    }
    return this;
  }

  private Behavior<Command> onReport(SessionReport r) {
    WeightSender.Report report = r.report();
    SyncRecord record = syncing.get(report.version());
    if (record == null || !record.pending.remove(report.receiver())) {
      return this;
    }
    switch (report.outcome()) {
      case DELIVERED -> record.delivered++;
      case SUPERSEDED -> record.superseded++;
      case FAILED -> record.failed++;
    }
    record.bytes += report.bytes();
    record.chunks += report.chunks();
    record.resent += report.resent();
    record.maxInFlight = Math.max(record.maxInFlight, report.maxInFlight());
    closeIfDone(record);
    return this;
  }

  private Behavior<Command> onSessionEnded(SessionEnded e) {
    sessions.remove(e.receiver());
    for (SyncRecord record : new ArrayList<>(syncing.values())) {
      if (record.pending.remove(e.receiver())) {
        record.failed++;
        closeIfDone(record);
      }
    }
    return this;
  }

  private void closeIfDone(SyncRecord record) {
    if (!record.pending.isEmpty()) {
      return;
    }
    syncing.remove(record.version);
    VersionSynced synced = new VersionSynced(record.version, record.delivered, record.superseded, record.failed,
        record.bytes, record.chunks, record.resent, record.maxInFlight, record.prepareNanos,
        System.nanoTime() - record.publishedAt);
    getContext().getLog().debug("weight version {} synced: {}", record.version, synced);
    listeners.forEach(l -> l.tell(synced));
  }

  private Behavior<Command> onGetWeights(GetWeights g) {
    if (latest == null || latest.version() < g.minVersion()) {
      waiting.add(g);
      dev.rlft.health.Health.queue(getContext(), waiting.size());
    } else {
      answer(g);
    }
    return this;
  }

  private Behavior<Command> onGetVersion(GetVersion g) {
    g.replyTo().tell(new Version(latest == null ? -1 : latest.version()));
    return this;
  }

  /**
   * Sends what the asker lacks: nothing when it is current; the latest snapshot otherwise, and
   * when that holds only adapters, also the full snapshot they apply to unless the asker has it.
   */
  private void answer(GetWeights g) {
    if (g.haveVersion() == latest.version()) {
      g.replyTo().tell(new WeightsReply(latest.version(), null, null));
    } else if (latest.kind() == WeightSnapshot.Kind.FULL || g.haveVersion() >= base.version()) {
      g.replyTo().tell(new WeightsReply(latest.version(), latest, null));
    } else {
      g.replyTo().tell(new WeightsReply(latest.version(), latest, base));
    }
  }
}
