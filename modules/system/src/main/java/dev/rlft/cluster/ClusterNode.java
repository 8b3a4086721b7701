package dev.rlft.cluster;

import com.typesafe.config.Config;
import dev.rlft.coordinator.StepReport;
import dev.rlft.dashboard.ManagementSettings;
import dev.rlft.health.Health;
import dev.rlft.health.MonitorDiscovery;
import dev.rlft.reward.RewardFunction;
import dev.rlft.system.LocalGrpoRun;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The guardian of a cluster node: spawns what the node's roles call for. Rollout, reward and
 * params nodes start a host that waits for a learner node to announce a run; a learner node runs
 * GRPO phases when its pipeline asks ({@link RunGrpo}). Every node also runs a {@link
 * MonitorDiscovery}, so its actors report to each health monitor of the cluster, and expects its
 * hosts to run for readiness ({@link Health#expect}).
 */
public final class ClusterNode {

  private ClusterNode() {}

  /** Messages of the guardian; local only (the pipeline and the guardian share a JVM). */
  public sealed interface Command extends NoSerializationVerificationNeeded {}

  /** Runs a GRPO phase with this node as the learner node. */
  public record RunGrpo(LocalGrpoRun.Plan plan, Config config, Consumer<StepReport> onStep,
      ActorRef<Outcome> replyTo) implements Command {}

  /** A GRPO phase's result, or why it failed. */
  public record Outcome(LocalGrpoRun.Result result, String error) implements NoSerializationVerificationNeeded {}

  /**
   * Starts this node: the actor system {@code rlft} with the cluster provider, configured by {@code
   * settings} over {@code config} (which holds {@link ClusterSettings#defaults()}), with {@code
   * rlft.management}'s address for Pekko Management when it is enabled, and this guardian.
   *
   * @param rewards builds a run's reward from its settings (on reward nodes)
   */
  public static ActorSystem<Command> start(ClusterSettings settings, Config config,
      Function<Config, RewardFunction> rewards) {
    Config node = settings.toConfig(ManagementSettings.from(config).pekkoConfig().withFallback(config));
    return ActorSystem.create(create(settings, rewards), ClusterSettings.SYSTEM_NAME, node);
  }

  /**
   * @param rewards builds a run's reward from its settings (on reward nodes)
   */
  public static Behavior<Command> create(ClusterSettings settings, Function<Config, RewardFunction> rewards) {
    return Behaviors.setup(ctx -> {
      Health health = Health.get(ctx.getSystem());
      ctx.spawn(MonitorDiscovery.create(), "health-reporting");
      if (settings.has(Role.PARAMS)) {
        health.expect(ParamsHost.HEALTH_ROLE);
        ctx.spawn(ParamsHost.create(), "params-host");
      }
      if (settings.has(Role.ROLLOUT)) {
        health.expect(RolloutHost.HEALTH_ROLE);
        ctx.spawn(RolloutHost.create(settings.rolloutWorkers()), "rollout-host");
      }
      if (settings.has(Role.REWARD)) {
        health.expect(RewardHost.HEALTH_ROLE);
        ctx.spawn(RewardHost.create(settings.rewardWorkers(), rewards), "reward-host");
      }
      ctx.getLog().info("rlft node {} with roles {}", Cluster.get(ctx.getSystem()).selfMember().address(),
          settings.roles());
      int[] runs = {0};
      java.util.Map<ActorRef<?>, ActorRef<Outcome>> running = new java.util.HashMap<>();
      return Behaviors.receive(Command.class)
          .onMessage(RunGrpo.class, r -> {
            if (!settings.has(Role.LEARNER)) {
              r.replyTo().tell(new Outcome(null, "this node has no learner role"));
            } else {
              ActorRef<?> run = ctx.spawn(LearnerRun.create(r.plan(), r.config(), r.onStep(), settings, r.replyTo()),
                  "grpo-run-" + (++runs[0]));
              ctx.watch(run);
              running.put(run, r.replyTo());
            }
            return Behaviors.same();
          })
          .onSignal(ChildFailed.class, f -> {
            // a run that failed never replied: fail the phase instead of leaving the pipeline waiting
            ActorRef<Outcome> replyTo = running.remove(f.getRef());
            if (replyTo != null) {
              replyTo.tell(new Outcome(null, "the GRPO run failed: " + f.getCause()));
            }
            return Behaviors.same();
          })
          .onSignal(Terminated.class, t -> {
            running.remove(t.getRef());
            return Behaviors.same();
          })
          .build();
    });
  }
}
