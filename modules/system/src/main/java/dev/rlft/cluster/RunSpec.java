package dev.rlft.cluster;

import dev.rlft.model.Tokenizer;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.wire.WireMessage;
import java.time.Duration;

/**
 * What the learner node tells every rollout and reward host about the run it drives: enough to
 * start workers that match it. Hosts need no run configuration of their own.
 *
 * @param incarnation unique per start of the learner node; workers register under keys named after it
 * @param rollout the rollout workers' model (shape, LoRA, stop ids, dtype)
 * @param weightsTimeout how long a rollout worker waits for weights from the parameter server
 * @param runConfig the run's {@code rlft} settings as HOCON; reward hosts build the reward from them
 */
public record RunSpec(String incarnation, RolloutWorker.ModelSpec rollout, Tokenizer tokenizer,
    Duration weightsTimeout, String runConfig) implements WireMessage {

  public RunSpec {
    if (incarnation == null || incarnation.isEmpty() || !incarnation.matches("[A-Za-z0-9-]+")) {
      throw new IllegalArgumentException("incarnation must be non-empty letters, digits and dashes, got '"
          + incarnation + "'");
    }
    if (rollout == null || tokenizer == null || runConfig == null) {
      throw new IllegalArgumentException("a run spec needs the rollout model, the tokenizer and the run config");
    }
    if (weightsTimeout == null || weightsTimeout.isNegative() || weightsTimeout.isZero()) {
      throw new IllegalArgumentException("weights timeout must be positive, got " + weightsTimeout);
    }
  }
}
