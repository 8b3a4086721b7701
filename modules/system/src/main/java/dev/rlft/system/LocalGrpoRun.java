package dev.rlft.system;

import dev.rlft.coordinator.Coordinator;
import dev.rlft.coordinator.PromptFeed;
import dev.rlft.coordinator.StepReport;
import dev.rlft.learner.Learner;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.Tokenizer;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.reward.RewardFunction;
import dev.rlft.reward.RewardWorker;
import dev.rlft.rollout.RolloutWorker;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Runs a whole GRPO (or PPO) phase with every role in one JVM: the local simulation. One guardian spawns the
 * parameter server, the learner, the rollout workers (each on its own pinned thread), the reward
 * pool and the coordinator; the same actors run on separate nodes in a cluster deployment.
 */
public final class LocalGrpoRun {

  private LocalGrpoRun() {}

  /**
   * What the run produced: the coordinator's outcome, the final policy weights and, for a PPO
   * learner, the final critic (else null).
   */
  public record Result(Coordinator.Finished finished, WeightSnapshot finalWeights,
      dev.rlft.checkpoint.Checkpoint.Critic critic) {

    public Result(Coordinator.Finished finished, WeightSnapshot finalWeights) {
      this(finished, finalWeights, null);
    }
  }

  /**
   * Everything the run is made of.
   *
   * @param recovery rolling checkpoints and the cursor a resumed run starts from; null for neither
   */
  public record Plan(Learner.Init learner, Coordinator.Settings settings, PromptFeed feed, Tokenizer tokenizer,
      PromptTemplate template, RewardFunction reward, int rolloutWorkers, int rewardWorkers,
      RolloutWorker.ModelSpec rollout, ProcessPlan process, Coordinator.Recovery recovery) {

    public Plan(Learner.Init learner, Coordinator.Settings settings, PromptFeed feed, Tokenizer tokenizer,
        PromptTemplate template, RewardFunction reward, int rolloutWorkers, int rewardWorkers,
        RolloutWorker.ModelSpec rollout, ProcessPlan process) {
      this(learner, settings, feed, tokenizer, template, reward, rolloutWorkers, rewardWorkers, rollout, process, null);
    }

    public Plan(Learner.Init learner, Coordinator.Settings settings, PromptFeed feed, Tokenizer tokenizer,
        PromptTemplate template, RewardFunction reward, int rolloutWorkers, int rewardWorkers,
        RolloutWorker.ModelSpec rollout) {
      this(learner, settings, feed, tokenizer, template, reward, rolloutWorkers, rewardWorkers, rollout, null);
    }

    /** A plan whose rollout workers run the learner's model shape and adapters in float32. */
    public Plan(Learner.Init learner, Coordinator.Settings settings, PromptFeed feed, Tokenizer tokenizer,
        PromptTemplate template, RewardFunction reward, int rolloutWorkers, int rewardWorkers) {
      this(learner, settings, feed, tokenizer, template, reward, rolloutWorkers, rewardWorkers,
          new RolloutWorker.ModelSpec(learner.model(), learner.lora(), java.util.Set.of(),
              ai.djl.ndarray.types.DataType.FLOAT32));
    }

    public Plan {
      if (rolloutWorkers < 1 || rewardWorkers < 1) {
        throw new IllegalArgumentException("need at least one rollout worker and one reward worker, got "
            + rolloutWorkers + " and " + rewardWorkers);
      }
      if (learner.ppo() != null && process == null) {
        throw new IllegalArgumentException("PPO learns from step rewards: it needs process supervision (a step scorer)");
      }
    }
  }

  /**
   * Process supervision: a step scorer (a PRM) run by a step-reward worker, and how its scores
   * become per-token advantages.
   */
  public record ProcessPlan(dev.rlft.prm.StepScorer scorer, dev.rlft.steps.ProcessRewards.Config rewards,
      java.util.Set<Integer> stopIds, Duration timeout, dev.rlft.steps.HackingSentinel.Config sentinel) {

    public ProcessPlan(dev.rlft.prm.StepScorer scorer, dev.rlft.steps.ProcessRewards.Config rewards,
        java.util.Set<Integer> stopIds, Duration timeout) {
      this(scorer, rewards, stopIds, timeout, null);
    }
  }

  private sealed interface GuardianCommand extends NoSerializationVerificationNeeded {}

  private record Run(ActorRef<Result> replyTo) implements GuardianCommand {}

  private record Done(Coordinator.Finished finished, ActorRef<Learner.Command> learner, ActorRef<Result> replyTo)
      implements GuardianCommand {}

  /** A step report, delivered through the guardian's mailbox so it is handled before the run's {@link Done}. */
  private record StepSeen(StepReport report) implements GuardianCommand {}

  private record FinalWeights(Coordinator.Finished finished, WeightSnapshot weights, Throwable failure,
      ActorRef<Result> replyTo) implements GuardianCommand {}

  private record FinalCritic(Coordinator.Finished finished, WeightSnapshot weights, Learner.CriticState critic,
      Throwable failure, ActorRef<Result> replyTo) implements GuardianCommand {}
  /** The coordinator stopped; sent again through the mailbox so a Finished it sent first is seen first. */
  private record CoordinatorStopped(boolean recheck) implements GuardianCommand {}

  /**
   * Runs the plan to completion and shuts the actor system down.
   *
   * @see GrpoRunner
   */
  public static Result run(Plan plan, Config config, Consumer<StepReport> onStep) {
    return run(plan, config, onStep, null);
  }

  /**
   * As above; {@code onStart} sees the run's actor system as soon as it exists, e.g. to make its
   * actors report their health to a monitor. If the system terminates or the coordinator stops
   * before the run finished, the run fails instead of waiting.
   */
  public static Result run(Plan plan, Config config, Consumer<StepReport> onStep,
      Consumer<ActorSystem<?>> onStart) {
    ActorSystem<GuardianCommand> system = ActorSystem.create(guardian(plan, onStep), "rlft", config);
    try {
      if (onStart != null) {
        onStart.accept(system);
      }
      CompletionStage<Result> result = AskPattern.ask(system, Run::new, Duration.ofDays(30), system.scheduler());
      CompletableFuture<Result> done = result.toCompletableFuture();
      system.getWhenTerminated().thenRun(() -> done.completeExceptionally(
          new IllegalStateException("the actor system terminated before the run finished")));
      return done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while training", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("GRPO run failed: " + e.getCause(), e.getCause());
    } finally {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // shutting down anyway
      }
    }
  }

  private static Behavior<GuardianCommand> guardian(Plan plan, Consumer<StepReport> onStep) {
    return Behaviors.setup(ctx -> {
      DispatcherSelector pinned = DispatcherSelector.fromConfig("rlft.model-dispatcher");
      ActorRef<ParameterServer.Command> params = ctx.spawn(ParameterServer.create(), "params");
      ActorRef<Learner.Command> learner = ctx.spawn(Learner.create(plan.learner(), params), "learner", pinned);
      List<ActorRef<RolloutWorker.Command>> workers = new ArrayList<>();
      for (int i = 0; i < plan.rolloutWorkers(); i++) {
        workers.add(ctx.spawn(RolloutWorker.create(plan.rollout(), plan.tokenizer(), params,
            plan.settings().generateTimeout()), "rollout-" + i, pinned));
      }
      ActorRef<RewardWorker.Command> rewards = ctx.spawn(
          RewardWorker.pool(plan.rewardWorkers(), plan.reward()), "reward");
      // Not a separate actor: the coordinator sends every report before Finished, both land in this
      // mailbox in that order, so no report is still queued when the run replies and shuts down.
      ActorRef<StepReport> listener = ctx.messageAdapter(StepReport.class, StepSeen::new);
      Coordinator.Process process = null;
      if (plan.process() != null) {
        // the PRM owns native tensors: its own thread, like the learner and the rollout workers
        ActorRef<dev.rlft.reward.StepRewardWorker.Command> prm = ctx.spawn(
            dev.rlft.reward.StepRewardWorker.create(plan.process().scorer()), "step-reward", pinned);
        process = new Coordinator.Process(prm, plan.process().rewards(), plan.process().stopIds(),
            plan.process().timeout(), plan.process().sentinel(),
            plan.learner().ppo() != null ? Coordinator.Target.REWARDS : Coordinator.Target.ADVANTAGES);
      }
      ActorRef<Coordinator.Command> coordinator = ctx.spawn(Coordinator.create(plan.settings(), plan.feed(),
          plan.tokenizer(), plan.template(), workers, rewards, learner, plan.learner().startVersion(), listener,
          process, plan.recovery()), "coordinator");
      ctx.watchWith(coordinator, new CoordinatorStopped(false));
      // who waits for the run, until the coordinator's Finished arrives; and whether it is gone
      AtomicReference<ActorRef<Result>> waiting = new AtomicReference<>();
      boolean[] coordinatorGone = {false};
      Coordinator.Finished lost = new Coordinator.Finished(0, plan.learner().startVersion(), 0, 0,
          new java.util.LinkedHashMap<>(), "the coordinator stopped before the run finished");
      return Behaviors.receive(GuardianCommand.class)
          .onMessage(CoordinatorStopped.class, c -> {
            if (!c.recheck()) {
              ctx.getSelf().tell(new CoordinatorStopped(true));
              return Behaviors.same();
            }
            coordinatorGone[0] = true;
            ActorRef<Result> replyTo = waiting.getAndSet(null);
            if (replyTo != null) {
              replyTo.tell(new Result(lost, null));
            }
            return Behaviors.same();
          })
          .onMessage(Run.class, r -> {
            if (coordinatorGone[0]) {
              r.replyTo().tell(new Result(lost, null));
              return Behaviors.same();
            }
            waiting.set(r.replyTo());
            ActorRef<Coordinator.Finished> adapter = ctx.messageAdapter(Coordinator.Finished.class,
                f -> new Done(f, learner, r.replyTo()));
            coordinator.tell(new Coordinator.Start(adapter));
            return Behaviors.same();
          })
          .onMessage(StepSeen.class, s -> {
            if (onStep != null) {
              onStep.accept(s.report());
            }
            return Behaviors.same();
          })
          .onMessage(Done.class, d -> {
            waiting.set(null);
            ctx.ask(WeightSnapshot.class, d.learner(), Duration.ofMinutes(5), Learner.GetWeights::new,
                (w, err) -> new FinalWeights(d.finished(), w, err, d.replyTo()));
            return Behaviors.same();
          })
          .onMessage(FinalWeights.class, f -> {
            if (f.failure() != null) {
              throw new IllegalStateException("could not read final weights", f.failure());
            }
            if (plan.learner().ppo() == null) {
              f.replyTo().tell(new Result(f.finished(), f.weights()));
            } else {
              ctx.ask(Learner.CriticState.class, learner, Duration.ofMinutes(5), Learner.GetCritic::new,
                  (c, err) -> new FinalCritic(f.finished(), f.weights(), c, err, f.replyTo()));
            }
            return Behaviors.same();
          })
          .onMessage(FinalCritic.class, f -> {
            if (f.failure() != null || f.critic().error() != null) {
              // the run's error, so that a caller never takes a PPO result without its critic
              Coordinator.Finished d = f.finished();
              String why = "could not read the final critic: " + (f.failure() != null ? f.failure() : f.critic().error());
              f.replyTo().tell(new Result(new Coordinator.Finished(d.steps(), d.version(), d.trainedSamples(),
                  d.seconds(), d.dropped(), d.error() != null ? d.error() + "; " + why : why), f.weights(), null));
              return Behaviors.same();
            }
            f.replyTo().tell(new Result(f.finished(), f.weights(), f.critic().toCheckpoint()));
            return Behaviors.same();
          })
          .build();
    });
  }
}
