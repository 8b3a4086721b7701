package dev.rlft.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.rlft.health.Health;
import dev.rlft.reward.RewardFunction;
import dev.rlft.reward.RewardWorker;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The reward role of a node: registers itself with the receptionist, and for each run a learner
 * node announces builds the run's reward from its settings and starts a supervised pool of
 * {@code workers} reward workers, registered under the run's key. A worker that throws is
 * restarted by the pool's supervisor; the coordinator retries its batch. The host reports its health
 * as {@value #HEALTH_ROLE}, each worker as {@code reward}.
 */
public final class RewardHost {

  private RewardHost() {}

  /** The host's role in the health table; readiness of a reward node requires it running. */
  public static final String HEALTH_ROLE = "reward-host";

  /**
   * @param rewards builds the reward function from a run's settings (a config whose root holds {@code rlft})
   */
  public static Behavior<RunSpec> create(int workers, Function<Config, RewardFunction> rewards) {
    if (workers < 1) {
      throw new IllegalArgumentException("reward-workers-per-node must be >= 1, got " + workers);
    }
    return Health.monitored(HEALTH_ROLE, Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.REWARD_HOST, ctx.getSelf()));
      return serving(ctx, workers, rewards, null, null, null);
    }));
  }

  private static Behavior<RunSpec> serving(ActorContext<RunSpec> ctx, int count,
      Function<Config, RewardFunction> rewards, String incarnation, ActorRef<RewardWorker.Command> pool,
      RewardFunction fn) {
    return Behaviors.receive(RunSpec.class)
        .onMessage(RunSpec.class, spec -> {
          if (spec.incarnation().equals(incarnation)) {
            return Behaviors.same();
          }
          RewardFunction next;
          try {
            next = rewards.apply(ConfigFactory.parseString(spec.runConfig()).atKey("rlft"));
          } catch (RuntimeException e) {
            ctx.getLog().error("run {}: cannot build its reward, serving no reward workers for it: {}",
                spec.incarnation(), e.toString());
            return Behaviors.same();
          }
          if (pool != null) {
            Health.get(ctx.getSystem()).retire(pool); // the previous run's workers end as retired
            ctx.stop(pool);
          }
          close(ctx, fn);
          ActorRef<RewardWorker.Command> started = ctx.spawn(RewardWorker.pool(count, next),
              "reward-" + spec.incarnation());
          ctx.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.reward(spec.incarnation()), started));
          ctx.getLog().info("run {}: started {} reward worker(s) ({})", spec.incarnation(), count, next.name());
          return serving(ctx, count, rewards, spec.incarnation(), started, next);
        })
        .onSignal(PostStop.class, s -> {
          close(ctx, fn);
          return Behaviors.same();
        })
        .build();
  }

  private static void close(ActorContext<RunSpec> ctx, RewardFunction fn) {
    if (fn instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        ctx.getLog().warn("closing a reward failed: {}", e.toString());
      }
    }
  }
}
