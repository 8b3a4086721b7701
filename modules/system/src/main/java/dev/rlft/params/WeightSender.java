package dev.rlft.params;

import dev.rlft.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
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
 * The parameter server's side of one receiver's weight sync: offers each new version's manifest,
 * then streams the chunks the receiver asks for; over Artery never more than the receiver's credit
 * allows.
 *
 * <p>The receiver drives the transfer ({@link WeightReceiver}): it answers an offer with a
 * {@link Request} naming the tensors it lacks and a first grant of credit, extends the credit as it
 * accepts chunks, asks for chunks again when one fails its checksum or goes missing, and says when
 * the version is applied. Credit is cumulative ("chunks numbered below {@code grantedUpTo} may be
 * sent"), so a lost or repeated credit message does no harm. A newer version replaces the one in
 * flight: its offer goes out at once and chunks of the old stream stop.
 *
 * <p>To a receiver in another JVM, chunks go over a data connection ({@link WeightDataPlane})
 * when it can connect: there TCP paces them, so the whole stream is queued on the link at once,
 * and once the connection is up each new version starts at once as an eager stream (the tensors
 * changed since the receiver's last confirmed version), which the receiver takes or replaces with
 * a request of its own. If the connection fails, chunks go over Artery under credit again.
 *
 * <p>One session per receiver, a child of the parameter server; it stops when its receiver stops
 * or stays silent through every re-offer.
 */
public final class WeightSender extends AbstractBehavior<WeightSender.Command> {

  /** Messages a sender session understands. */
  public sealed interface Command extends WireMessage {}

  /**
   * Receiver to sender: stream {@code version} as stream number {@code stream}, carrying the chunks
   * of the tensors at these manifest indices (ascending), numbered from 0; chunks numbered below
   * {@code grantedUpTo} may be sent now. A higher stream number replaces the stream in flight.
   */
  public record Request(long version, long stream, int[] tensors, long grantedUpTo) implements Command {}

  /** Receiver to sender: {@code accepted} chunks of the stream are in; chunks numbered below {@code grantedUpTo} may be sent. */
  public record Credit(long stream, long accepted, long grantedUpTo) implements Command {}

  /** Receiver to sender: send these chunk numbers of the stream again (bad checksum, lost, or late). */
  public record Resend(long stream, int[] seqs) implements Command {}

  /** Receiver to sender: the version is applied ({@code ok}), or given up for {@code error}. */
  public record Complete(long version, boolean ok, String error) implements Command {}

  /**
   * Receiver to sender: the data connection of the session with this token failed ({@code
   * admitted}: after it had been accepted), so its chunks must come over Artery.
   */
  public record DataUnavailable(long tokenHigh, long tokenLow, String reason, boolean admitted) implements Command {}

  /** This session's data link stopped (from the link's thread). */
  private record LinkFailed(WeightDataPlane.Link link, String reason, boolean everConnected)
      implements Command, NoSerializationVerificationNeeded {}

  /** The parameter server's newest version, to be offered now. */
  record Send(PreparedVersion version) implements Command, NoSerializationVerificationNeeded {}

  /** The receiver subscribed again (it is idle) holding {@code haveVersion}. */
  record Resubscribed(long haveVersion) implements Command, NoSerializationVerificationNeeded {}

  private enum Signal implements Command, NoSerializationVerificationNeeded {
    TICK,
    RECEIVER_GONE
  }

  /** How a version ended for this receiver. */
  enum Outcome {
    DELIVERED,
    SUPERSEDED,
    FAILED
  }

  /**
   * What the session tells its parameter server about each version it offered.
   *
   * @param bytes payload bytes sent for the version, retransmits included
   * @param maxInFlight most chunks ever sent and not yet reported accepted by the receiver
   * @param nanos from the offer to the outcome
   */
  record Report(ActorRef<WeightReceiver.Command> receiver, long version, Outcome outcome, String error, long bytes,
      long chunks, long resent, int maxInFlight, long nanos) implements NoSerializationVerificationNeeded {}

  private final ActorRef<WeightReceiver.Command> receiver;
  private final WeightSyncSettings settings;
  private final ActorRef<Report> reportTo;
  /** The data plane when chunks to this receiver may go over a data connection; null: Artery (or a local tell) only. */
  private WeightDataPlane plane;
  private WeightDataPlane.Link link;

  private PreparedVersion current;
  private boolean settled;
  private long offeredAt;
  private long lastHeard;
  private int offers;
  /** The stream being sent (valid while {@code plan != null}): the receiver's number, or an eager one (negative). */
  private long stream = -1;
  /** The highest stream number the receiver has asked for: an older request is stale. */
  private long lastRequested;
  private long eagerStreams;
  /** The manifest of the last version this receiver confirmed: what it holds, unless it kept other tensors since. */
  private WeightManifest delivered;
  private int[] plan;
  private int nextSeq;
  private long granted;
  private long accepted;
  private final ArrayDeque<Integer> resends = new ArrayDeque<>();
  private long bytes;
  private long chunks;
  private long resent;
  private int maxInFlight;

  private WeightSender(ActorContext<Command> context, TimerScheduler<Command> timers,
      ActorRef<WeightReceiver.Command> receiver, WeightSyncSettings settings, ActorRef<Report> reportTo) {
    super(context);
    this.receiver = receiver;
    this.settings = settings;
    this.reportTo = reportTo;
    context.watchWith(receiver, Signal.RECEIVER_GONE);
    if (!receiver.path().address().hasLocalScope()) {
      WeightDataPlane p = WeightDataPlane.get(context.getSystem());
      plane = p.enabled() ? p : null;
    }
    Duration tick = settings.timeout().dividedBy(2);
    timers.startTimerWithFixedDelay(Signal.TICK, tick.isZero() ? settings.timeout() : tick);
  }

  static Behavior<Command> create(ActorRef<WeightReceiver.Command> receiver, WeightSyncSettings settings,
      ActorRef<Report> reportTo) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(
        timers -> new WeightSender(ctx, timers, receiver, settings, reportTo)));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Send.class, this::onSend)
        .onMessage(Resubscribed.class, this::onResubscribed)
        .onMessage(Request.class, this::onRequest)
        .onMessage(Credit.class, this::onCredit)
        .onMessage(Resend.class, this::onResend)
        .onMessage(Complete.class, this::onComplete)
        .onMessage(LinkFailed.class, f -> onLinkFailed(f.link(), f.reason(), f.everConnected()))
        .onMessage(DataUnavailable.class, this::onDataUnavailable)
        .onMessageEquals(Signal.TICK, this::onTick)
        .onSignal(PostStop.class, stop -> {
          if (link != null) {
            link.close();
          }
          return this;
        })
        .onMessageEquals(Signal.RECEIVER_GONE, () -> {
          settle(Outcome.FAILED, "receiver stopped");
          return Behaviors.stopped();
        })
        .build();
  }

  private Behavior<Command> onSend(Send s) {
    if (current != null && s.version().version() <= current.version()) {
      return this;
    }
    settle(Outcome.SUPERSEDED, null);
    current = s.version();
    settled = false;
    offers = 0;
    offer();
    return this;
  }

  private void offer() {
    if (link != null) {
      link.discardQueued(); // frames of the version this one replaces
    }
    stream = -1;
    plan = null;
    resends.clear();
    bytes = 0;
    chunks = 0;
    resent = 0;
    maxInFlight = 0;
    offers++;
    offeredAt = System.nanoTime();
    lastHeard = offeredAt;
    WeightDataPlane.DataEndpoint endpoint = dataEndpoint();
    if (endpoint != null && link.connected() && offers == 1) {
      // start at once with what the receiver most likely lacks; it adopts this stream when it
      // lacks exactly that, else it asks for its own and this one is dropped
      int[] tensors = likelyLacking();
      long eager = -2 - eagerStreams++;
      receiver.tell(new WeightReceiver.Offer(current.manifest, getContext().getSelf(), endpoint, eager, tensors));
      startStream(eager, current.layout.plan(tensors), settings.window());
    } else {
      receiver.tell(new WeightReceiver.Offer(current.manifest, getContext().getSelf(), endpoint));
    }
  }

  /** The tensors of the current version whose name and digest differ from those of the last version delivered. */
  private int[] likelyLacking() {
    Map<String, WeightManifest.TensorEntry> had = new HashMap<>();
    if (delivered != null) {
      for (WeightManifest.TensorEntry e : delivered.tensors()) {
        had.put(e.name(), e);
      }
    }
    WeightManifest.TensorEntry[] now = current.manifest.tensors();
    return java.util.stream.IntStream.range(0, now.length).filter(i -> !now[i].sameContent(had.get(now[i].name())))
        .toArray();
  }

  private void startStream(long number, int[] newPlan, long grantedUpTo) {
    if (link != null) {
      link.discardQueued(); // frames of the stream this one replaces
    }
    stream = number;
    plan = newPlan;
    nextSeq = 0;
    accepted = 0;
    granted = grantedUpTo;
    resends.clear();
    pump();
  }

  /** The endpoint of this session's data link, opened if there is none; null when chunks go over Artery. */
  private WeightDataPlane.DataEndpoint dataEndpoint() {
    if (plane == null) {
      return null;
    }
    if (link == null) {
      ActorRef<Command> self = getContext().getSelf();
      try {
        link = plane.open(receiver.path().address().hostPort(),
            (l, reason, everConnected) -> self.tell(new LinkFailed(l, reason, everConnected)));
      } catch (java.io.IOException e) {
        getContext().getLog().warn("weight sync to {}: cannot listen for data connections ({}); chunks go over Artery",
            receiver.path(), e.toString());
        plane = null;
        return null;
      }
    }
    return link.endpoint();
  }

  private Behavior<Command> onDataUnavailable(DataUnavailable u) {
    if (link != null && link.endpoint().tokenHigh() == u.tokenHigh() && link.endpoint().tokenLow() == u.tokenLow()) {
      // a link that was connected once (a receiver reconnecting after a cut is refused its used token) gets a new one
      onLinkFailed(link, "the receiver reports: " + u.reason(), u.admitted() || link.connected());
    }
    return this;
  }

  /**
   * Chunks go over Artery from now on: what was queued on the link is resent, and a receiver that
   * never got connected stays on Artery; one whose connection broke is offered a new one with the
   * next version.
   */
  private Behavior<Command> onLinkFailed(WeightDataPlane.Link failed, String reason, boolean everConnected) {
    if (failed != link) {
      return this;
    }
    link.close();
    link = null;
    if (everConnected) {
      getContext().getLog().warn("weight sync to {}: data connection lost ({}); chunks in flight are resent over "
          + "Artery, the next version gets a new connection", receiver.path(), reason);
    } else {
      getContext().getLog().warn("weight sync to {}: no data connection ({}); its chunks go over Artery",
          receiver.path(), reason);
      plane = null;
    }
    if (!settled && plan != null) {
      // what was queued within the credit is resent; the rest is sent as credit comes
      int upTo = (int) Math.min(nextSeq, granted);
      for (int seq = (int) accepted; seq < upTo; seq++) {
        if (!resends.contains(seq)) {
          resends.add(seq);
        }
      }
      nextSeq = upTo;
      pump();
    }
    return this;
  }

  private Behavior<Command> onResubscribed(Resubscribed r) {
    if (current == null || r.haveVersion() >= current.version()) {
      if (current != null) {
        settle(Outcome.DELIVERED, null);
      }
      return this;
    }
    boolean offerPending = plan == null && !settled;
    if (!offerPending || System.nanoTime() - offeredAt >= settings.timeout().toNanos()) {
      // the receiver is idle without this version: whatever we thought was in flight is not
      settled = false;
      offers = 0;
      offer();
    }
    return this;
  }

  private Behavior<Command> onRequest(Request r) {
    if (current == null || r.version() != current.version() || r.stream() <= lastRequested || settled) {
      return this; // stale: an older version, or a stream already replaced
    }
    int[] p;
    try {
      p = current.layout.plan(r.tensors());
    } catch (IllegalArgumentException e) {
      getContext().getLog().error("weight sync to {}: bad request for version {}: {}", receiver.path(),
          r.version(), e.getMessage());
      return this;
    }
    lastHeard = System.nanoTime();
    lastRequested = r.stream();
    startStream(r.stream(), p, r.grantedUpTo());
    return this;
  }

  private Behavior<Command> onCredit(Credit c) {
    if (c.stream() != stream || settled) {
      return this;
    }
    lastHeard = System.nanoTime();
    accepted = Math.max(accepted, c.accepted());
    granted = Math.max(granted, c.grantedUpTo());
    pump();
    return this;
  }

  private Behavior<Command> onResend(Resend r) {
    if (r.stream() != stream || settled) {
      return this;
    }
    lastHeard = System.nanoTime();
    for (int seq : r.seqs()) {
      // only chunks already sent: anything else is new and waits for credit
      if (seq >= 0 && seq < nextSeq && !resends.contains(seq)) {
        resends.add(seq);
      }
    }
    pump();
    return this;
  }

  private Behavior<Command> onComplete(Complete c) {
    if (current == null || c.version() != current.version() || settled) {
      return this;
    }
    if (c.ok()) {
      delivered = current.manifest;
      settle(Outcome.DELIVERED, null);
    } else {
      getContext().getLog().warn("weight sync to {}: receiver gave up version {}: {}", receiver.path(), c.version(),
          c.error());
      settle(Outcome.FAILED, c.error());
    }
    stream = -1;
    plan = null;
    resends.clear();
    return this;
  }

  private Behavior<Command> onTick() {
    if (current == null || settled) {
      return this;
    }
    long now = System.nanoTime();
    long timeout = settings.timeout().toNanos();
    if (plan == null && now - offeredAt >= timeout) {
      if (offers > settings.maxRetries()) {
        getContext().getLog().warn("weight sync to {}: no answer to {} offers of version {}; dropping the session",
            receiver.path(), offers, current.version());
        settle(Outcome.FAILED, "no answer to the offer");
        return Behaviors.stopped();
      }
      offers++;
      offeredAt = now;
      receiver.tell(new WeightReceiver.Offer(current.manifest, getContext().getSelf(), dataEndpoint()));
    } else if (plan != null && now - lastHeard >= timeout * (settings.maxRetries() + 2L)) {
      // the receiver re-asks on its own; this long a silence means it is gone or cut off
      getContext().getLog().warn("weight sync to {}: receiver silent for {} ms during version {}; dropping the session",
          receiver.path(), (now - lastHeard) / 1_000_000, current.version());
      settle(Outcome.FAILED, "receiver silent");
      return Behaviors.stopped();
    }
    return this;
  }

  /**
   * Retransmits first (they take no new credit: the chunk they replace is still counted in flight),
   * then new chunks while credit lasts. On a data link the whole stream is queued at once: the
   * link holds references, not bytes, and TCP's own flow control paces it against the receiver
   * (whose reader stops taking frames when its buffers are all waiting for the receiver).
   */
  private void pump() {
    while (!resends.isEmpty()) {
      int seq = resends.poll();
      send(seq);
      resent++;
    }
    long limit = link != null ? Long.MAX_VALUE : granted;
    while (plan != null && nextSeq < plan.length && nextSeq < limit) {
      send(nextSeq++);
      maxInFlight = (int) Math.max(maxInFlight, nextSeq - accepted);
    }
  }

  private void send(int seq) {
    int index = plan[seq];
    if (link != null) {
      link.send(current, stream, seq, index); // encoded on the link's thread
      bytes += current.layout.chunkBytes(index);
    } else {
      byte[] payload = current.chunk(index);
      receiver.tell(new WeightReceiver.Chunk(stream, seq, index, payload));
      bytes += payload.length;
    }
    chunks++;
  }

  private void settle(Outcome outcome, String error) {
    if (current == null || settled) {
      return;
    }
    settled = true;
    reportTo.tell(new Report(receiver, current.version(), outcome, error, bytes, chunks, resent, maxInFlight,
        System.nanoTime() - offeredAt));
  }
}
