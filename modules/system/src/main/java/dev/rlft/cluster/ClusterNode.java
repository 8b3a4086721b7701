package dev.rlft.cluster;

import com.typesafe.config.Config;
import dev.rlft.coordinator.StepReport;
import dev.rlft.reward.RewardFunction;
import dev.rlft.system.LocalGrpoRun;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.ChildFailed;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The guardian of a cluster node: spawns what the node's roles call for. Rollout, reward and
 * params nodes start a host that waits for a learner node to announce a run; a learner node runs
 * GRPO phases when its pipeline asks ({@link RunGrpo}).
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
   * @param rewards builds a run's reward from its settings (on reward nodes)
   */
  public static Behavior<Command> create(ClusterSettings settings, Function<Config, RewardFunction> rewards) {
    return Behaviors.setup(ctx -> {
      if (settings.has(Role.PARAMS)) {
        ctx.spawn(ParamsHost.create(), "params-host");
      }
      if (settings.has(Role.ROLLOUT)) {
        ctx.spawn(RolloutHost.create(settings.rolloutWorkers()), "rollout-host");
      }
      if (settings.has(Role.REWARD)) {
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
