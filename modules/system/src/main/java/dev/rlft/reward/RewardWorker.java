package dev.rlft.reward;

import dev.rlft.wire.WireMessage;
import java.util.ArrayList;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Routers;

/**
 * Scores completions with a {@link RewardFunction}. Workers run as a supervised pool: a worker that
 * throws is restarted, and the request it was serving is retried by the coordinator.
 */
public final class RewardWorker {

  private RewardWorker() {}

  /** Messages a reward worker understands. */
  public sealed interface Command extends WireMessage {}

  /** Scores each (completion, answer) pair; {@code attempt} counts retries of the same batch. */
  public record Score(long batchId, int attempt, ArrayList<String> completions, ArrayList<String> answers,
      ActorRef<Scored> replyTo) implements Command {
    public Score {
      if (completions.size() != answers.size()) {
        throw new IllegalArgumentException("completions and answers differ in count");
      }
    }
  }

  /** Rewards of a batch, in request order. */
  public record Scored(long batchId, int attempt, float[] rewards, boolean[] correct, String[] extracted,
      String worker) implements WireMessage {}

  public static Behavior<Command> create(RewardFunction fn) {
    return Behaviors.setup(ctx -> Behaviors.receive(Command.class)
        .onMessage(Score.class, s -> {
          int n = s.completions().size();
          float[] rewards = new float[n];
          boolean[] correct = new boolean[n];
          String[] extracted = new String[n];
          int timeouts = 0;
          for (int i = 0; i < n; i++) {
            RewardResult r = fn.score(s.completions().get(i), s.answers().get(i));
            rewards[i] = (float) r.reward();
            correct[i] = r.correct();
            extracted[i] = r.extracted();
            timeouts += isCheckerTimeout(r) ? 1 : 0;
          }
          dev.rlft.health.Health.count(ctx, "checker_timeouts", timeouts);
          s.replyTo().tell(new Scored(s.batchId(), s.attempt(), rewards, correct, extracted, "reward"));
          return Behaviors.same();
        })
        .build());
  }

  /** Whether the answer check gave up at {@code reward.checker.timeout} (its reason says so). */
  static boolean isCheckerTimeout(RewardResult r) {
    return r.reason().startsWith("timeout") || r.reason().contains(": timeout");
  }

  /** A pool of {@code size} supervised workers that restart on failure. */
  public static Behavior<Command> pool(int size, RewardFunction fn) {
    if (size < 1) {
      throw new IllegalArgumentException("reward worker pool size must be >= 1, got " + size);
    }
    return Routers.pool(size, Behaviors.supervise(dev.rlft.health.Health.monitored("reward", create(fn)))
            .onFailure(SupervisorStrategy.restart()))
        .withRoundRobinRouting()
        .withRouteeProps(DispatcherSelector.fromConfig("rlft.reward-dispatcher"));
  }
}
