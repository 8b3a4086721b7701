package dev.rlft.reward;

import dev.rlft.prm.StepScorer;
import dev.rlft.prm.StepSolution;
import dev.rlft.wire.WireMessage;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Scores the reasoning steps of a batch of completions with a process reward model (or any {@link
 * StepScorer}), batched in one call, beside the accuracy reward workers. The steps arrive already
 * cut, so the scores line up with the steps the coordinator aligned to policy tokens. A worker
 * that throws is restarted; the coordinator decides what a missing answer means (train on the
 * accuracy reward alone after its timeout).
 */
public final class StepRewardWorker {

  private StepRewardWorker() {}

  /** Messages a step-reward worker understands. */
  public sealed interface Command extends WireMessage {}

  /** Scores every step of every completion; {@code steps.get(i)} are completion i's steps. */
  public record ScoreSteps(long batchId, ArrayList<String> problems, ArrayList<String[]> steps,
      ActorRef<StepsScored> replyTo) implements Command {
    public ScoreSteps {
      if (problems.size() != steps.size()) {
        throw new IllegalArgumentException("problems and step lists differ in count");
      }
    }
  }

  /** Per completion, one score in [0, 1] per step, in request order. */
  public record StepsScored(long batchId, float[][] scores, String worker) implements WireMessage {}

  public static Behavior<Command> create(StepScorer scorer) {
    return Behaviors.supervise(dev.rlft.health.Health.monitored("step-reward", Behaviors.receive(Command.class)
            .onMessage(ScoreSteps.class, s -> {
              List<StepSolution> solutions = new ArrayList<>(s.problems().size());
              for (int i = 0; i < s.problems().size(); i++) {
                solutions.add(new StepSolution(s.problems().get(i), List.of(s.steps().get(i))));
              }
              float[][] scores = scorer.score(solutions);
              s.replyTo().tell(new StepsScored(s.batchId(), scores, "step-reward"));
              return Behaviors.same();
            })
            .build()))
        .onFailure(SupervisorStrategy.restart());
  }
}
