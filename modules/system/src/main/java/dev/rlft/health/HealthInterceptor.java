package dev.rlft.health;

import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.BehaviorInterceptor;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.TypedActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * Times every message an actor handles and notes restarts and how it stopped, into its {@link
 * HealthProbe}. Sits inside the actor's supervisor, so a restart shows as a {@link PreRestart}.
 */
final class HealthInterceptor<T> extends BehaviorInterceptor<T, T> {

  private final HealthProbe probe;
  private final Health health;

  @SuppressWarnings("unchecked")
  HealthInterceptor(HealthProbe probe, Health health) {
    super((Class<T>) (Class<?>) Object.class);
    this.probe = probe;
    this.health = health;
  }

  @Override
  public Behavior<T> aroundReceive(TypedActorContext<T> ctx, T msg, ReceiveTarget<T> target) {
    probe.begin(System.nanoTime());
    boolean failed = true;
    Behavior<T> next = null;
    try {
      next = target.apply(ctx, msg);
      failed = false;
      return next;
    } finally {
      probe.end(System.nanoTime(), failed, next != null && !Behavior.isAlive(next));
    }
  }

  @Override
  public Behavior<T> aroundSignal(TypedActorContext<T> ctx, Signal signal, SignalTarget<T> target) {
    if (signal instanceof PreRestart) {
      probe.restarted();
    } else if (signal instanceof PostStop) {
      boolean shuttingDown = CoordinatedShutdown.get(Adapter.toClassic(ctx.asJava().getSystem()))
          .getShutdownReason().isPresent();
      probe.stopped(shuttingDown);
      health.ended(probe);
    }
    return target.apply(ctx, signal);
  }
}
