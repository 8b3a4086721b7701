package dev.rlft.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import dev.rlft.coordinator.Coordinator;
import dev.rlft.coordinator.StepReport;
import dev.rlft.health.Health;
import dev.rlft.learner.Learner;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.reward.RewardWorker;
import dev.rlft.reward.StepRewardWorker;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.system.LocalGrpoRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Routers;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * One GRPO phase on the learner node. It starts the run's singletons (parameter server, learner,
 * coordinator), announces the run to every rollout, reward and params host the receptionist
 * lists (now and whenever one joins), passes the reachable rollout workers to the coordinator as
 * they come and go, reaches the reward pools through a group router, and starts the coordinator
 * once at least one rollout and one reward worker are up. It reports its health as {@value
 * #HEALTH_ROLE}; the singletons and the step-reward worker report as their own roles.
 */
final class LearnerRun {

  private LearnerRun() {}

  /** The run's role in the health table. */
  static final String HEALTH_ROLE = "learner-run";

  private sealed interface Msg extends NoSerializationVerificationNeeded {}

  /** Every receptionist listing (an actor has one message adapter per message class, so one for all keys). */
  private record Listed(Receptionist.Listing listing) implements Msg {}

  private record StepSeen(StepReport report) implements Msg {}

  private record Done(Coordinator.Finished finished) implements Msg {}

  private record FinalWeights(Coordinator.Finished finished, WeightSnapshot weights, Throwable failure) implements Msg {}

  /** PPO: the critic as the run ends, asked for after the final weights. */
  private record FinalCritic(Coordinator.Finished finished, WeightSnapshot weights, Learner.CriticState critic,
      Throwable failure) implements Msg {}

  private enum WaitTick implements Msg { INSTANCE }

  static Behavior<Msg> create(LocalGrpoRun.Plan plan, Config config, Consumer<StepReport> onStep,
      ClusterSettings settings, ActorRef<ClusterNode.Outcome> replyTo) {
    return Health.monitored(HEALTH_ROLE, Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      String other = otherLearner(ctx);
      if (other != null) {
        replyTo.tell(new ClusterNode.Outcome(null, "another learner node (" + other + ") is in the cluster; a "
            + "cluster runs one learner node at a time"));
        return Behaviors.stopped();
      }
      return new LearnerRun.Running(ctx, timers, plan, config, onStep, settings, replyTo).behavior();
    })));
  }

  /** A member with the learner role other than this node, or null. */
  private static String otherLearner(ActorContext<?> ctx) {
    Cluster cluster = Cluster.get(ctx.getSystem());
    for (org.apache.pekko.cluster.Member m : cluster.state().getMembers()) {
      boolean live = m.status() == MemberStatus.up() || m.status() == MemberStatus.joining()
          || m.status() == MemberStatus.weaklyUp();
      if (live && m.hasRole(Role.LEARNER.id()) && !m.uniqueAddress().equals(cluster.selfMember().uniqueAddress())) {
        return m.address().toString();
      }
    }
    return null;
  }

  /**
   * Where the learner publishes: the params singleton when it runs on this node (the node has the
   * {@code params} role and is its oldest member), so a version is handed over by reference; else
   * an upstream parameter server on this node, registered for the singleton to follow by weight
   * sync, so no whole snapshot crosses to another node.
   */
  private static ActorRef<ParameterServer.Command> publishTarget(ActorContext<Msg> ctx, ClusterSettings settings,
      String incarnation) {
    ActorRef<ParameterServer.Command> singleton = settings.has(Role.PARAMS)
        ? Singletons.params(ctx.getSystem(), incarnation) : null;
    String elsewhere = olderParamsNode(ctx);
    if (singleton != null && elsewhere == null) {
      return singleton;
    }
    ActorRef<ParameterServer.Command> upstream = ctx.spawn(ParameterServer.upstream(), "params-upstream");
    ctx.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.paramsUpstream(incarnation), upstream));
    ctx.getLog().info("run {}: the parameter server singleton runs on {}; the learner publishes to {} on this node, "
        + "which the singleton follows by weight sync", incarnation,
        elsewhere != null ? "another node (" + elsewhere + ")" : "the params nodes", upstream.path());
    return upstream;
  }

  /** The oldest up member with the params role when it is older than this node (it hosts the params singleton), or null. */
  private static String olderParamsNode(ActorContext<?> ctx) {
    Cluster cluster = Cluster.get(ctx.getSystem());
    org.apache.pekko.cluster.Member self = cluster.selfMember();
    org.apache.pekko.cluster.Member oldest = null;
    for (org.apache.pekko.cluster.Member m : cluster.state().getMembers()) {
      boolean live = m.status() == MemberStatus.up() || m.status() == MemberStatus.leaving();
      if (live && m.hasRole(Role.PARAMS.id()) && !m.uniqueAddress().equals(self.uniqueAddress())
          && m.isOlderThan(self) && (oldest == null || m.isOlderThan(oldest))) {
        oldest = m;
      }
    }
    return oldest == null ? null : oldest.address().toString();
  }

  private static final class Running {
    private final ActorContext<Msg> ctx;
    private final Consumer<StepReport> onStep;
    private final ActorRef<ClusterNode.Outcome> replyTo;
    private final boolean ppo;
    private final RunSpec spec;
    private final ActorRef<Learner.Command> learner;
    private final ActorRef<Coordinator.Command> coordinator;
    private final ServiceKey<RolloutWorker.Command> rolloutKey;
    private final ServiceKey<RewardWorker.Command> rewardKey;
    private final long deadline;
    private int rolloutWorkers;
    private int rewardPools;
    private boolean started;

    Running(ActorContext<Msg> ctx, TimerScheduler<Msg> timers, LocalGrpoRun.Plan plan, Config config,
        Consumer<StepReport> onStep, ClusterSettings settings, ActorRef<ClusterNode.Outcome> replyTo) {
      this.ctx = ctx;
      this.onStep = onStep;
      this.replyTo = replyTo;
      this.ppo = plan.learner().ppo() != null;
      String incarnation = UUID.randomUUID().toString();
      this.spec = new RunSpec(incarnation, plan.rollout(), plan.tokenizer(), plan.settings().generateTimeout(),
          config.getConfig("rlft").root().render(ConfigRenderOptions.concise()));
      this.rolloutKey = ServiceKeys.rollout(incarnation);
      this.rewardKey = ServiceKeys.reward(incarnation);
      ActorRef<ParameterServer.Command> params = publishTarget(ctx, settings, incarnation);
      this.learner = Singletons.learner(ctx.getSystem(), incarnation, Learner.create(plan.learner(), params));
      ActorRef<RewardWorker.Command> rewards = ctx.spawn(
          Routers.group(rewardKey).withRoundRobinRouting(), "reward-router");
      Coordinator.Process process = null;
      if (plan.process() != null) {
        // the PRM owns native tensors: its own thread, on this node (the plan holds the loaded scorer)
        ActorRef<StepRewardWorker.Command> prm = ctx.spawn(StepRewardWorker.create(plan.process().scorer()),
            "step-reward", DispatcherSelector.fromConfig("rlft.model-dispatcher"));
        process = new Coordinator.Process(prm, plan.process().rewards(), plan.process().stopIds(),
            plan.process().timeout(), plan.process().sentinel(),
            plan.learner().ppo() != null ? Coordinator.Target.REWARDS : Coordinator.Target.ADVANTAGES);
      }
      // Reports come through this actor's mailbox, in order and before Finished (as in LocalGrpoRun).
      ActorRef<StepReport> listener = ctx.messageAdapter(StepReport.class, StepSeen::new);
      this.coordinator = Singletons.coordinator(ctx.getSystem(), incarnation, Coordinator.create(plan.settings(),
          plan.feed(), plan.tokenizer(), plan.template(), List.of(), rewards, learner, plan.learner().startVersion(),
          listener, process, plan.recovery()));
      ActorRef<Receptionist.Listing> listings = ctx.messageAdapter(Receptionist.Listing.class, Listed::new);
      for (ServiceKey<?> key : List.of(ServiceKeys.ROLLOUT_HOST, ServiceKeys.REWARD_HOST, ServiceKeys.PARAMS_HOST,
          rolloutKey, rewardKey)) {
        ctx.getSystem().receptionist().tell(Receptionist.subscribe(key, listings));
      }
      this.deadline = System.nanoTime() + settings.workerWait().toNanos();
      timers.startTimerWithFixedDelay(WaitTick.INSTANCE, Duration.ofSeconds(10));
      ctx.getLog().info("run {}: waiting for rollout and reward workers", incarnation);
    }

    Behavior<Msg> behavior() {
      return Behaviors.receive(Msg.class)
          .onMessage(Listed.class, l -> onListing(l.listing()))
          .onMessage(WaitTick.class, t -> {
            if (started) {
              return Behaviors.same();
            }
            if (System.nanoTime() > deadline) {
              replyTo.tell(new ClusterNode.Outcome(null, "no rollout or no reward worker joined in time ("
                  + rolloutWorkers + " rollout, " + rewardPools + " reward pools): start nodes with --roles rollout "
                  + "and --roles reward that join this cluster"));
              return ended();
            }
            ctx.getLog().warn("run {}: still waiting for workers: {} rollout, {} reward pools", spec.incarnation(),
                rolloutWorkers, rewardPools);
            return Behaviors.same();
          })
          .onMessage(StepSeen.class, s -> {
            onStep.accept(s.report());
            return Behaviors.same();
          })
          .onMessage(Done.class, d -> {
            ctx.ask(WeightSnapshot.class, learner, Duration.ofMinutes(5), Learner.GetWeights::new,
                (w, err) -> new FinalWeights(d.finished(), w, err));
            return Behaviors.same();
          })
          .onMessage(FinalWeights.class, f -> {
            if (f.failure() == null && ppo) {
              ctx.ask(Learner.CriticState.class, learner, Duration.ofMinutes(5), Learner.GetCritic::new,
                  (c, err) -> new FinalCritic(f.finished(), f.weights(), c, err));
              return Behaviors.same();
            }
            replyTo.tell(f.failure() != null
                ? new ClusterNode.Outcome(null, "could not read the final weights: " + f.failure())
                : new ClusterNode.Outcome(new LocalGrpoRun.Result(f.finished(), f.weights()), null));
            return ended();
          })
          .onMessage(FinalCritic.class, f -> {
            // never a PPO result without its critic
            if (f.failure() != null || f.critic().error() != null) {
              replyTo.tell(new ClusterNode.Outcome(null, "could not read the final critic: "
                  + (f.failure() != null ? f.failure() : f.critic().error())));
            } else {
              replyTo.tell(new ClusterNode.Outcome(new LocalGrpoRun.Result(f.finished(), f.weights(),
                  f.critic().toCheckpoint()), null));
            }
            return ended();
          })
          .build();
    }

    /**
     * Stops this run. Its children (the step-reward worker) stop with it as planned, so the health
     * table shows them ended, not down.
     */
    private Behavior<Msg> ended() {
      Health.get(ctx.getSystem()).retire(ctx.getSelf());
      return Behaviors.stopped();
    }

    private Behavior<Msg> onListing(Receptionist.Listing listing) {
      if (listing.isForKey(rolloutKey)) {
        List<ActorRef<RolloutWorker.Command>> reachable = new ArrayList<>(listing.getServiceInstances(rolloutKey));
        rolloutWorkers = reachable.size();
        coordinator.tell(new Coordinator.RolloutWorkersChanged(reachable));
        return maybeStart();
      }
      if (listing.isForKey(rewardKey)) {
        rewardPools = listing.getServiceInstances(rewardKey).size();
        return maybeStart();
      }
      for (ServiceKey<RunSpec> hostKey : List.of(ServiceKeys.ROLLOUT_HOST, ServiceKeys.REWARD_HOST,
          ServiceKeys.PARAMS_HOST)) {
        if (listing.isForKey(hostKey)) {
          for (ActorRef<RunSpec> host : listing.getServiceInstances(hostKey)) {
            host.tell(spec); // a host that already serves this incarnation ignores it
          }
        }
      }
      return Behaviors.same();
    }

    private Behavior<Msg> maybeStart() {
      if (!started && rolloutWorkers > 0 && rewardPools > 0) {
        started = true;
        ctx.getLog().info("run {}: {} rollout worker(s) and {} reward pool(s) up; starting {}", spec.incarnation(),
            rolloutWorkers, rewardPools, ppo ? "PPO" : "GRPO");
        coordinator.tell(new Coordinator.Start(ctx.messageAdapter(Coordinator.Finished.class, Done::new)));
      }
      return Behaviors.same();
    }
  }
}
