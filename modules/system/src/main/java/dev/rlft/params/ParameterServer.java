package dev.rlft.params;

import dev.rlft.wire.WireMessage;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * Holds the latest versioned policy weights. The learner publishes each new version; rollout
 * workers ask for weights at least as new as a version they need and are answered as soon as such
 * a version exists (requests for a future version wait, never poll).
 */
public final class ParameterServer extends AbstractBehavior<ParameterServer.Command> {

  /** Messages the parameter server understands. */
  public sealed interface Command extends WireMessage {}

  /** Stores a new version; versions must increase. */
  public record Publish(WeightSnapshot snapshot, ActorRef<Published> replyTo) implements Command {}

  /**
   * Asks for weights of version at least {@code minVersion}. When the caller already holds the
   * latest version ({@code haveVersion}), the reply carries no weights.
   */
  public record GetWeights(long haveVersion, long minVersion, ActorRef<WeightsReply> replyTo) implements Command {}

  /** Asks for the latest version number. */
  public record GetVersion(ActorRef<Version> replyTo) implements Command {}

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

  private WeightSnapshot latest;
  /** The last full snapshot; adapter-only snapshots apply on top of it. */
  private WeightSnapshot base;
  private final List<GetWeights> waiting = new ArrayList<>();

  private ParameterServer(ActorContext<Command> context) {
    super(context);
  }

  public static Behavior<Command> create() {
    return dev.rlft.health.Health.monitored("params", Behaviors.setup(ParameterServer::new));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Publish.class, this::onPublish)
        .onMessage(GetWeights.class, this::onGetWeights)
        .onMessage(GetVersion.class, this::onGetVersion)
        .build();
  }

  private Behavior<Command> onPublish(Publish p) {
    long v = p.snapshot().version();
    if (latest != null && v <= latest.version()) {
      getContext().getLog().warn("ignoring publish of version {}: already at {}", v, latest.version());
    } else if (p.snapshot().kind() == WeightSnapshot.Kind.ADAPTERS && base == null) {
      getContext().getLog().error("ignoring adapter-only version {}: no full snapshot to apply it to", v);
    } else {
      latest = p.snapshot();
      dev.rlft.health.Health.version(getContext(), v);
      if (latest.kind() == WeightSnapshot.Kind.FULL) {
        base = latest;
      }
      getContext().getLog().debug("weights version {} ({} bytes)", v, latest.bytes());
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
    }
    if (p.replyTo() != null) {
      p.replyTo().tell(new Published(latest == null ? -1 : latest.version()));
    }
    return this;
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
