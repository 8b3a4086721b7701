package dev.rlft.cluster;

import dev.rlft.health.Health;
import dev.rlft.params.ParameterServer;
import dev.rlft.rollout.RolloutWorker;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The rollout role of a node: registers itself with the receptionist, and when a learner node
 * announces a run ({@link RunSpec}) starts {@code workers} rollout workers for it, each on its own
 * pinned thread, registered under the run's key. A new incarnation replaces the previous workers
 * (their model copies hold another run's weights; the old ones end as retired, not as a fault); the
 * same one again changes nothing. The host reports its health as {@value #HEALTH_ROLE}, each worker as
 * {@code rollout}.
 */
public final class RolloutHost {

  private RolloutHost() {}

  /** The host's role in the health table; readiness of a rollout node requires it running. */
  public static final String HEALTH_ROLE = "rollout-host";

  public static Behavior<RunSpec> create(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("rollout-workers-per-node must be >= 1, got " + workers);
    }
    return Health.monitored(HEALTH_ROLE, Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.ROLLOUT_HOST, ctx.getSelf()));
      return serving(ctx, workers, null, List.of());
    }));
  }

  private static Behavior<RunSpec> serving(ActorContext<RunSpec> ctx, int count, String incarnation,
      List<ActorRef<RolloutWorker.Command>> running) {
    return Behaviors.receive(RunSpec.class)
        .onMessage(RunSpec.class, spec -> {
          if (spec.incarnation().equals(incarnation)) {
            return Behaviors.same();
          }
          for (ActorRef<RolloutWorker.Command> old : running) {
            Health.get(ctx.getSystem()).retire(old);
            ctx.stop(old); // stopping also takes them out of the receptionist
          }
          ActorRef<ParameterServer.Command> params = Singletons.params(ctx.getSystem(), spec.incarnation());
          DispatcherSelector pinned = DispatcherSelector.fromConfig("rlft.model-dispatcher");
          List<ActorRef<RolloutWorker.Command>> started = new ArrayList<>();
          for (int i = 0; i < count; i++) {
            ActorRef<RolloutWorker.Command> w = ctx.spawn(
                RolloutWorker.create(spec.rollout(), spec.tokenizer(), params, spec.weightsTimeout()),
                "rollout-" + spec.incarnation() + "-" + i, pinned);
            ctx.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.rollout(spec.incarnation()), w));
            started.add(w);
          }
          ctx.getLog().info("run {}: started {} rollout worker(s) for a {}-parameter model", spec.incarnation(), count,
              spec.rollout().config().parameterCount());
          return serving(ctx, count, spec.incarnation(), List.copyOf(started));
        })
        .build();
  }
}
