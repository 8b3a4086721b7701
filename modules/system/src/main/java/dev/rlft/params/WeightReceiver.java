package dev.rlft.params;

import dev.rlft.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Receives weight versions from the parameter server for one owner (a rollout worker): subscribes,
 * answers each offered manifest with the tensors it lacks, grants credit as it accepts chunks,
 * checks every chunk's CRC32C, and hands a version to its owner only once every chunk is in and the
 * whole version's digest matches. A half-received version is never handed over.
 *
 * <p>What it lacks is decided by content digest: a tensor whose name and digest equal one it holds
 * is kept, so a LoRA version moves only the adapters and a full version only the tensors that
 * changed. A newer offer replaces the version in flight; tensors of the old one that were already
 * complete are kept for the new one when their digests match.
 *
 * <p>Failures: a chunk with a bad checksum is asked for again at once; a gap in the chunk numbers
 * asks for the missing ones; {@code timeout} without a chunk asks for everything outstanding and
 * renews the credit. After {@code max-retries} of either the version restarts as a new stream,
 * keeping the complete tensors; after {@code max-retries} restarts it is given up (the sender is
 * told) and the receiver subscribes again when idle. An idle receiver that heard nothing for
 * {@code subscribe-interval} subscribes again, which finds a restarted parameter server.
 *
 * <p>When an offer names a data endpoint, it connects there once per sender session; chunks then
 * arrive as {@link LocalChunk}s from that connection's reading thread and are checked the same
 * way. An offer that already carries an eager stream is taken without a request when it names
 * exactly the tensors this receiver lacks; frames of such a stream that overtake their offer are
 * held until it arrives.
 *
 * <p>It holds only the digests of what its owner has, not the weights: each {@link Ready} carries
 * the tensors that changed, and the owner must apply every Ready (or merge those it skips). An
 * owner that has copied a Ready's arrays may give them back ({@link Recycle}) to be filled again.
 */
public final class WeightReceiver extends AbstractBehavior<WeightReceiver.Command> {

  /** Messages a weight receiver understands. */
  public sealed interface Command extends WireMessage {}

  /**
   * Sender to receiver: version {@code manifest.version()} is available from {@code sender}; when
   * {@code data} is set, its chunks come over a data connection to that endpoint
   * ({@link WeightDataPlane}), else over Artery.
   */
  public record Offer(WeightManifest manifest, ActorRef<WeightSender.Command> sender,
      WeightDataPlane.DataEndpoint data, long eagerStream, int[] eagerTensors) implements Command {

    public Offer(WeightManifest manifest, ActorRef<WeightSender.Command> sender) {
      this(manifest, sender, null);
    }

    public Offer(WeightManifest manifest, ActorRef<WeightSender.Command> sender, WeightDataPlane.DataEndpoint data) {
      this(manifest, sender, data, 0, null);
    }
  }

  /**
   * Sender to receiver: chunk number {@code seq} of a stream, which is chunk {@code index} of the
   * manifest, as little-endian float32 bytes.
   */
  public record Chunk(long stream, int seq, int index, byte[] payload) implements Command {}

  /**
   * A chunk read from this receiver's data connection, in a buffer of the connection's pool (its
   * position to limit are the payload): given back once handled.
   */
  record LocalChunk(long stream, int seq, int index, java.nio.ByteBuffer payload,
      java.util.concurrent.BlockingQueue<java.nio.ByteBuffer> pool) implements Command, NoSerializationVerificationNeeded {}

  /**
   * Owner to receiver, in the same JVM: arrays of earlier {@link Ready} messages the owner has
   * copied and will not touch again. The receiver fills them with later versions instead of
   * allocating (and zeroing) new arrays of a whole model every version.
   */
  public record Recycle(List<float[]> arrays) implements Command, NoSerializationVerificationNeeded {}

  /** From this receiver's data connection: it failed ({@code admitted}: after the sender's node had accepted it). */
  record DataLost(WeightDataPlane.DataEndpoint endpoint, String reason, boolean admitted)
      implements Command, NoSerializationVerificationNeeded {}

  private enum Signal implements Command, NoSerializationVerificationNeeded {
    TICK
  }

  /**
   * Counters since the receiver started.
   *
   * @param chunks chunks accepted
   * @param bytes payload bytes accepted
   * @param corrupt chunks refused for a wrong size or checksum
   * @param resendRequests {@link WeightSender.Resend} messages sent
   * @param restarts versions restarted as a new stream
   * @param staleChunks chunks of a replaced stream, ignored
   * @param creditViolations chunks numbered beyond the credit granted (a sender bug; accepted anyway)
   * @param requests streams asked for ({@link WeightSender.Request}, repeats included)
   * @param eagerStreams streams the sender started with its offer that this receiver took, asking nothing
   */
  public record Stats(long chunks, long bytes, long corrupt, long resendRequests, long restarts, long staleChunks,
      long creditViolations, long requests, long eagerStreams) {}

  /**
   * A complete, verified version, for the owner in this JVM (never sent over the wire).
   *
   * @param changed the tensors that differ from the previous Ready's version, in manifest order;
   *     the first Ready carries every tensor
   * @param names every tensor of the version, in order
   * @param bytes chunk bytes that arrived since the previous Ready, including those of versions
   *     that were replaced before they completed
   * @param syncNanos from this version's offer to its verification
   * @param shapes the shape of every tensor of the version, in the order of {@code names}
   */
  public record Ready(long version, WeightSnapshot.Kind kind, Map<String, float[]> changed, List<String> names,
      long bytes, long syncNanos, Stats stats, List<long[]> shapes) implements NoSerializationVerificationNeeded {}

  /** A complete, checked tensor of a version that was replaced before it finished. */
  private record Staged(WeightManifest.TensorEntry entry, float[] data) {}

  /** The version being received. */
  private static final class Transfer {
    final WeightManifest manifest;
    final WeightManifest.Layout layout;
    final ActorRef<WeightSender.Command> sender;
    final long startNanos = System.nanoTime();
    final float[][] buffers;
    boolean ignoreHeld;
    int restarts;
    long stream;
    int[] tensors;
    int[] plan;
    int[] missing;
    BitSet received;
    BitSet resendAsked;
    Map<Integer, Integer> failures;
    int accepted;
    long granted;
    int grantedAt;
    int highestSeen;
    int stalls;
    long lastProgress;

    Transfer(WeightManifest manifest, ActorRef<WeightSender.Command> sender) {
      this.manifest = manifest;
      this.layout = manifest.layout();
      this.sender = sender;
      this.buffers = new float[manifest.tensors().length][];
    }
  }

  private final ActorRef<ParameterServer.Command> params;
  private final ActorRef<Ready> owner;
  private final WeightSyncSettings settings;

  private long version = -1;
  private Map<String, WeightManifest.TensorEntry> held = new LinkedHashMap<>();
  private final Map<String, Staged> staged = new HashMap<>();
  private Transfer transfer;
  /** Arrays the owner gave back, by length: no more of a length than the latest manifest has tensors of it. */
  private final Map<Integer, java.util.ArrayDeque<float[]>> spare = new HashMap<>();
  private WeightDataPlane.Connection data;
  private ActorRef<WeightSender.Command> dataSender;
  /**
   * Chunks of an eager stream (numbers -2, -3, ... per data connection) that came in before its
   * offer, which travels on Artery and may be overtaken; held (in the connection's buffers) until
   * the offer says whether this receiver takes that stream.
   */
  private final java.util.ArrayDeque<LocalChunk> early = new java.util.ArrayDeque<>();
  /** The newest eager stream an offer has named on this data connection; -1: none yet. */
  private long eagerOffered = -1;
  private long nextStream = 1;
  private long lastContact;
  private long bytesSinceReady;
  private long chunks;
  private long bytes;
  private long corrupt;
  private long resendRequests;
  private long restarts;
  private long staleChunks;
  private long creditViolations;
  private long requests;
  private long eagerStreams;

  private WeightReceiver(ActorContext<Command> context, TimerScheduler<Command> timers,
      ActorRef<ParameterServer.Command> params, ActorRef<Ready> owner, WeightSyncSettings settings) {
    super(context);
    this.params = params;
    this.owner = owner;
    this.settings = settings;
    Duration tick = settings.timeout().dividedBy(4);
    timers.startTimerWithFixedDelay(Signal.TICK, tick.toMillis() < 5 ? Duration.ofMillis(5) : tick);
    subscribe();
  }

  /** A receiver with the actor system's {@code rlft.weight-sync} settings. */
  public static Behavior<Command> create(ActorRef<ParameterServer.Command> params, ActorRef<Ready> owner) {
    return Behaviors.setup(ctx -> create(params, owner,
        WeightSyncSettings.fromConfig(ctx.getSystem().settings().config())));
  }

  public static Behavior<Command> create(ActorRef<ParameterServer.Command> params, ActorRef<Ready> owner,
      WeightSyncSettings settings) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new WeightReceiver(ctx, timers, params, owner, settings)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Offer.class, o -> {
          onOffer(o);
          replayEarly();
          return this;
        })
        .onMessage(Chunk.class, c -> accept(c.stream(), c.seq(), c.index(),
            c.payload() == null ? null : java.nio.ByteBuffer.wrap(c.payload()), true))
        .onMessage(LocalChunk.class, this::onLocalChunk)
        .onMessage(DataLost.class, this::onDataLost)
        .onMessage(Recycle.class, this::onRecycle)
        .onMessageEquals(Signal.TICK, this::onTick)
        .onSignal(PostStop.class, stop -> {
          closeData();
          return this;
        })
        .build();
  }

  private void subscribe() {
    lastContact = System.nanoTime();
    params.tell(new ParameterServer.Subscribe(getContext().getSelf(), version));
  }

  private Behavior<Command> onOffer(Offer o) {
    lastContact = System.nanoTime();
    WeightManifest m = o.manifest();
    if (o.eagerStream() < 0 && o.sender().equals(dataSender)) {
      eagerOffered = Math.min(eagerOffered, o.eagerStream());
    }
    if (m.version() <= version) {
      boolean same = m.version() == version;
      o.sender().tell(new WeightSender.Complete(m.version(), same, same ? null
          : "receiver already holds the newer version " + version));
      return this;
    }
    followData(o);
    if (transfer != null && transfer.sender.equals(o.sender())) {
      if (transfer.manifest.version() == m.version()) {
        // offered again: our request may have been lost
        request(transfer, new WeightSender.Request(m.version(), transfer.stream, transfer.tensors,
            transfer.granted));
        return this;
      }
      if (transfer.manifest.version() > m.version()) {
        return this; // an old offer overtaken by the one we are on
      }
    }
    if (transfer != null) {
      getContext().getLog().debug("weight version {} replaces version {} in flight", m.version(),
          transfer.manifest.version());
      stageCompleted(transfer);
    }
    transfer = new Transfer(m, o.sender());
    beginStream(o.data() != null && o.eagerTensors() != null ? o : null);
    return this;
  }

  private Behavior<Command> onRecycle(Recycle r) {
    Map<Integer, Integer> wanted = new HashMap<>();
    WeightManifest latest = transfer != null ? transfer.manifest : null;
    if (latest != null) {
      for (WeightManifest.TensorEntry e : latest.tensors()) {
        wanted.merge(e.elements(), 1, Integer::sum);
      }
    } else {
      held.values().forEach(e -> wanted.merge(e.elements(), 1, Integer::sum));
    }
    for (float[] a : r.arrays()) {
      java.util.ArrayDeque<float[]> free = spare.computeIfAbsent(a.length, n -> new java.util.ArrayDeque<>());
      if (free.size() < wanted.getOrDefault(a.length, 0)) {
        free.add(a);
      }
    }
    return this;
  }

  /** An array for a tensor every element of which a transfer will write: a recycled one when there is one. */
  private float[] allocate(int elements) {
    java.util.ArrayDeque<float[]> free = spare.get(elements);
    float[] a = free == null ? null : free.poll();
    return a != null ? a : new float[elements];
  }

  /** Connects to the data endpoint an offer names (once per endpoint), or closes a connection the sender no longer uses. */
  private void followData(Offer o) {
    if (o.data() == null) {
      if (data != null && o.sender().equals(dataSender)) {
        closeData();
      }
      return;
    }
    if (data != null && data.endpoint().equals(o.data())) {
      return;
    }
    closeData();
    // chunk buffers between the connection and this actor (when none is free, TCP holds the sender back)
    data = WeightDataPlane.get(getContext().getSystem()).connect(o.data(), o.manifest().chunkSize(),
        Math.min(settings.window(), 8) + 4, getContext().getSelf());
    dataSender = o.sender();
  }

  private void request(Transfer t, WeightSender.Request r) {
    requests++;
    t.sender.tell(r);
  }

  private Behavior<Command> onLocalChunk(LocalChunk c) {
    Transfer t = transfer;
    if ((t == null || c.stream() != t.stream) && c.stream() < eagerOffered) {
      early.add(c); // its offer has not come yet
      return this;
    }
    try {
      return accept(c.stream(), c.seq(), c.index(), c.payload(), false);
    } finally {
      c.pool().offer(c.payload().clear());
    }
  }

  /** After an offer: the held chunks of the stream now taken are used, those of streams now settled are let go. */
  private void replayEarly() {
    for (int n = early.size(); n > 0; n--) {
      LocalChunk c = early.poll();
      if (transfer != null && c.stream() == transfer.stream) {
        try {
          accept(c.stream(), c.seq(), c.index(), c.payload(), false);
        } finally {
          c.pool().offer(c.payload().clear());
        }
      } else if (c.stream() < eagerOffered) {
        early.add(c);
      } else {
        c.pool().offer(c.payload().clear());
      }
    }
  }

  private Behavior<Command> onDataLost(DataLost l) {
    if (data == null || !data.endpoint().equals(l.endpoint())) {
      return this;
    }
    if (transfer == null && l.admitted()) {
      // closed while idle: the parameter server stopped or dropped the session (the end of a run)
      getContext().getLog().info("weight data connection to {}:{} closed: {}", l.endpoint().host(),
          l.endpoint().port(), l.reason());
    } else {
      getContext().getLog().warn("weight data connection to {}:{} {}: {}", l.endpoint().host(), l.endpoint().port(),
          l.admitted() ? "lost" : "failed", l.reason());
    }
    // the sender resends over Artery what it had sent on this connection, and offers a new one later
    dataSender.tell(new WeightSender.DataUnavailable(l.endpoint().tokenHigh(), l.endpoint().tokenLow(), l.reason(),
        l.admitted()));
    closeData();
    return this;
  }

  private void closeData() {
    if (data != null) {
      data.close();
      data = null;
      dataSender = null;
    }
    early.forEach(c -> c.pool().offer(c.payload().clear()));
    early.clear();
    eagerOffered = -1;
  }

  /**
   * Asks for what the state at the transfer's version needs beyond what is held or staged, or,
   * when {@code eager} (an offer whose stream the sender already started) names exactly that,
   * takes that stream without asking.
   */
  private void beginStream(Offer eager) {
    Transfer t = transfer;
    WeightManifest.TensorEntry[] entries = t.manifest.tensors();
    List<Integer> needed = new ArrayList<>();
    for (int i = 0; i < entries.length; i++) {
      if (t.buffers[i] != null && t.missing != null && t.missing[i] == 0) {
        continue; // completed in an earlier stream of this transfer
      }
      if (t.ignoreHeld || !(entries[i].sameContent(held.get(entries[i].name()))
          || (staged.containsKey(entries[i].name()) && entries[i].sameContent(staged.get(entries[i].name()).entry())))) {
        needed.add(i);
      }
    }
    t.tensors = needed.stream().mapToInt(Integer::intValue).toArray();
    t.plan = t.layout.plan(t.tensors);
    t.missing = new int[entries.length];
    // a tensor's buffer is allocated at its first chunk, so that zeroing it overlaps the transfer
    for (int c : t.plan) {
      t.missing[t.layout.tensorOf(c)]++;
    }
    // tensors completed by an earlier stream of this transfer keep their buffers, with nothing missing
    boolean adopt = eager != null && java.util.Arrays.equals(t.tensors, eager.eagerTensors());
    if (adopt) {
      eagerStreams++;
    }
    t.stream = adopt ? eager.eagerStream() : nextStream++;
    t.received = new BitSet(t.plan.length);
    t.resendAsked = new BitSet(t.plan.length);
    t.failures = new HashMap<>();
    t.accepted = 0;
    t.grantedAt = 0;
    t.granted = settings.window();
    t.highestSeen = -1;
    t.stalls = 0;
    t.lastProgress = System.nanoTime();
    if (t.plan.length == 0) {
      finish();
    } else if (!adopt) {
      request(t, new WeightSender.Request(t.manifest.version(), t.stream, t.tensors, t.granted));
    }
  }

  /**
   * Checks and places chunk {@code index}, number {@code seq} of {@code stream} (payload: position
   * to limit). {@code credited}: it came under the credit protocol (Artery), not on a data
   * connection, which TCP paces instead.
   */
  private Behavior<Command> accept(long stream, int seq, int index, java.nio.ByteBuffer payload, boolean credited) {
    lastContact = System.nanoTime();
    Transfer t = transfer;
    if (t == null || stream != t.stream) {
      staleChunks++;
      return this;
    }
    if (seq < 0 || seq >= t.plan.length || t.plan[seq] != index) {
      getContext().getLog().warn("weight sync: chunk number {} of stream {} names chunk {}, not in the stream's plan",
          seq, stream, index);
      corrupt++;
      return this;
    }
    if (t.received.get(seq)) {
      return this; // a retransmit of a chunk that was only late
    }
    if (credited && seq >= t.granted) {
      creditViolations++;
    }
    if (payload == null || payload.remaining() != t.layout.chunkBytes(index)
        || WeightCodec.crc32c(payload) != t.manifest.chunkCrcs()[index]) {
      corrupt++;
      int failures = t.failures.merge(seq, 1, Integer::sum);
      if (failures > settings.maxRetries()) {
        restart("chunk " + index + " failed its checksum " + failures + " times");
      } else {
        askResend(new int[] {seq});
      }
      return this;
    }
    int tensor = t.layout.tensorOf(index);
    if (t.buffers[tensor] == null) {
      t.buffers[tensor] = allocate(t.manifest.tensors()[tensor].elements());
    }
    WeightCodec.decode(payload, t.buffers[tensor], t.layout.elementOffset(index));
    int length = payload.remaining();
    t.received.set(seq);
    t.accepted++;
    t.missing[tensor]--;
    t.stalls = 0;
    t.lastProgress = System.nanoTime();
    chunks++;
    bytes += length;
    bytesSinceReady += length;
    if (seq > t.highestSeen + 1) {
      List<Integer> gap = new ArrayList<>();
      for (int s = t.highestSeen + 1; s < seq; s++) {
        if (!t.received.get(s) && !t.resendAsked.get(s)) {
          gap.add(s);
        }
      }
      if (!gap.isEmpty()) {
        askResend(gap.stream().mapToInt(Integer::intValue).toArray());
      }
    }
    t.highestSeen = Math.max(t.highestSeen, seq);
    if (t.accepted == t.plan.length) {
      finish();
    } else if (t.accepted - t.grantedAt >= settings.creditBatch()) {
      grant(t);
    }
    return this;
  }

  private void grant(Transfer t) {
    t.grantedAt = t.accepted;
    t.granted = (long) t.accepted + settings.window();
    t.sender.tell(new WeightSender.Credit(t.stream, t.accepted, t.granted));
  }

  private void askResend(int[] seqs) {
    for (int s : seqs) {
      transfer.resendAsked.set(s);
    }
    resendRequests++;
    transfer.sender.tell(new WeightSender.Resend(transfer.stream, seqs));
  }

  /** Every chunk is in: applies the version if the assembled state is exactly the manifest's. */
  private void finish() {
    Transfer t = transfer;
    WeightManifest.TensorEntry[] entries = t.manifest.tensors();
    for (int i : t.tensors) {
      if (t.buffers[i] == null) {
        t.buffers[i] = new float[entries[i].elements()]; // no chunks: an empty tensor
      }
    }
    WeightManifest.TensorEntry[] assembled = new WeightManifest.TensorEntry[entries.length];
    Map<String, float[]> changed = new LinkedHashMap<>();
    List<String> names = new ArrayList<>(entries.length);
    List<long[]> shapes = new ArrayList<>(entries.length);
    for (int i = 0; i < entries.length; i++) {
      String name = entries[i].name();
      names.add(name);
      shapes.add(entries[i].shape().clone());
      if (t.buffers[i] != null) {
        assembled[i] = entries[i];
        changed.put(name, t.buffers[i]);
      } else if (staged.containsKey(name) && entries[i].sameContent(staged.get(name).entry())
          && !entries[i].sameContent(held.get(name))) {
        assembled[i] = staged.get(name).entry();
        changed.put(name, staged.get(name).data());
      } else {
        assembled[i] = held.get(name);
      }
    }
    if (!java.util.Arrays.equals(WeightCodec.versionDigest(assembled), t.manifest.digest())) {
      if (!t.ignoreHeld) {
        getContext().getLog().warn("weight version {}: the assembled state does not match the version digest; "
            + "fetching every tensor", t.manifest.version());
        t.ignoreHeld = true;
        java.util.Arrays.fill(t.buffers, null);
        t.missing = null;
        staged.clear();
        restart("version digest mismatch");
      } else {
        giveUp("version digest mismatch with every tensor fetched: the manifest is inconsistent");
      }
      return;
    }
    version = t.manifest.version();
    LinkedHashMap<String, WeightManifest.TensorEntry> now = new LinkedHashMap<>();
    for (WeightManifest.TensorEntry e : assembled) {
      now.put(e.name(), e);
    }
    held = now;
    staged.clear();
    transfer = null;
    t.sender.tell(new WeightSender.Complete(version, true, null));
    owner.tell(new Ready(version, t.manifest.kind(), Collections.unmodifiableMap(changed),
        Collections.unmodifiableList(names), bytesSinceReady, System.nanoTime() - t.startNanos, stats(),
        Collections.unmodifiableList(shapes)));
    bytesSinceReady = 0;
  }

  /** Starts the version again as a new stream, keeping its complete tensors; gives up after too many restarts. */
  private void restart(String reason) {
    Transfer t = transfer;
    t.restarts++;
    restarts++;
    if (t.restarts > settings.maxRetries()) {
      giveUp(reason + ", after " + (t.restarts - 1) + " restarts");
      return;
    }
    getContext().getLog().warn("weight version {}: restarting the transfer ({})", t.manifest.version(), reason);
    beginStream(null);
  }

  private void giveUp(String reason) {
    Transfer t = transfer;
    getContext().getLog().warn("weight version {}: giving up: {}", t.manifest.version(), reason);
    stageCompleted(t);
    transfer = null;
    lastContact = System.nanoTime();
    t.sender.tell(new WeightSender.Complete(t.manifest.version(), false, reason));
  }

  /** Keeps the complete, checked tensors of a transfer that will not finish, for the next version to reuse. */
  private void stageCompleted(Transfer t) {
    if (t.missing == null || t.ignoreHeld) {
      return;
    }
    for (int i = 0; i < t.buffers.length; i++) {
      if (t.buffers[i] != null && t.missing[i] == 0) {
        staged.put(t.manifest.tensors()[i].name(), new Staged(t.manifest.tensors()[i], t.buffers[i]));
      }
    }
  }

  private Behavior<Command> onTick() {
    long now = System.nanoTime();
    Transfer t = transfer;
    if (t != null) {
      if (now - t.lastProgress >= settings.timeout().toNanos()) {
        t.stalls++;
        t.lastProgress = now;
        if (t.stalls > settings.maxRetries()) {
          restart("no chunk for " + settings.timeout().toMillis() + " ms, " + (t.stalls - 1) + " times");
        } else if (t.accepted == 0 && t.highestSeen < 0 && t.stream < 0) {
          // nothing of the sender's eager stream arrived: ask for a stream of our own
          beginStream(null);
        } else if (t.accepted == 0 && t.highestSeen < 0) {
          // nothing arrived: the request itself may be lost
          request(t, new WeightSender.Request(t.manifest.version(), t.stream, t.tensors, t.granted));
        } else {
          List<Integer> outstanding = new ArrayList<>();
          long upTo = Math.min(t.granted, t.plan.length);
          for (int s = 0; s < upTo; s++) {
            if (!t.received.get(s)) {
              outstanding.add(s);
            }
          }
          if (!outstanding.isEmpty()) {
            askResend(outstanding.stream().mapToInt(Integer::intValue).toArray());
          }
          grant(t);
        }
      }
    } else if (now - lastContact >= settings.subscribeInterval().toNanos()) {
      subscribe();
    }
    return this;
  }

  private Stats stats() {
    return new Stats(chunks, bytes, corrupt, resendRequests, restarts, staleChunks, creditViolations, requests,
        eagerStreams);
  }
}
