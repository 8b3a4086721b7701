package dev.rlft.params;

import dev.rlft.wire.WireMessage;
import java.time.Duration;
import java.util.ArrayDeque;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The parameter server's side of one receiver's weight sync: offers each new version's manifest,
 * then streams the chunks the receiver asks for, never more than the receiver's credit allows.
 *
 * <p>The receiver drives the transfer ({@link WeightReceiver}): it answers an offer with a
 * {@link Request} naming the tensors it lacks and a first grant of credit, extends the credit as it
 * accepts chunks, asks for chunks again when one fails its checksum or goes missing, and says when
 * the version is applied. Credit is cumulative ("chunks numbered below {@code grantedUpTo} may be
 * sent"), so a lost or repeated credit message does no harm. A newer version replaces the one in
 * flight: its offer goes out at once and chunks of the old stream stop.
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

  private PreparedVersion current;
  private boolean settled;
  private long offeredAt;
  private long lastHeard;
  private int offers;
  private long stream = -1;
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
        .onMessageEquals(Signal.TICK, this::onTick)
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
    receiver.tell(new WeightReceiver.Offer(current.manifest, getContext().getSelf()));
  }

  private Behavior<Command> onResubscribed(Resubscribed r) {
    if (current == null || r.haveVersion() >= current.version()) {
      if (current != null) {
        settle(Outcome.DELIVERED, null);
      }
      return this;
    }
    boolean offerPending = stream < 0 && !settled;
    if (!offerPending || System.nanoTime() - offeredAt >= settings.timeout().toNanos()) {
      // the receiver is idle without this version: whatever we thought was in flight is not
      settled = false;
      offers = 0;
      offer();
    }
    return this;
  }

  private Behavior<Command> onRequest(Request r) {
    if (current == null || r.version() != current.version() || r.stream() <= stream || settled) {
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
    stream = r.stream();
    plan = p;
    nextSeq = 0;
    accepted = 0;
    granted = r.grantedUpTo();
    resends.clear();
    pump();
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
    if (stream < 0 && now - offeredAt >= timeout) {
      if (offers > settings.maxRetries()) {
        getContext().getLog().warn("weight sync to {}: no answer to {} offers of version {}; dropping the session",
            receiver.path(), offers, current.version());
        settle(Outcome.FAILED, "no answer to the offer");
        return Behaviors.stopped();
      }
      offers++;
      offeredAt = now;
      receiver.tell(new WeightReceiver.Offer(current.manifest, getContext().getSelf()));
    } else if (stream >= 0 && now - lastHeard >= timeout * (settings.maxRetries() + 2L)) {
      // the receiver re-asks on its own; this long a silence means it is gone or cut off
      getContext().getLog().warn("weight sync to {}: receiver silent for {} ms during version {}; dropping the session",
          receiver.path(), (now - lastHeard) / 1_000_000, current.version());
      settle(Outcome.FAILED, "receiver silent");
      return Behaviors.stopped();
    }
    return this;
  }

  /** Retransmits first (they take no new credit: the chunk they replace is still counted in flight), then new chunks while credit lasts. */
  private void pump() {
    while (!resends.isEmpty()) {
      int seq = resends.poll();
      send(seq);
      resent++;
    }
    while (plan != null && nextSeq < plan.length && nextSeq < granted) {
      send(nextSeq++);
      maxInFlight = (int) Math.max(maxInFlight, nextSeq - accepted);
    }
  }

  private void send(int seq) {
    int index = plan[seq];
    byte[] payload = current.chunk(index);
    receiver.tell(new WeightReceiver.Chunk(stream, seq, index, payload));
    bytes += payload.length;
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
