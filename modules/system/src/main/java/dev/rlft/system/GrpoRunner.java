package dev.rlft.system;

import com.typesafe.config.Config;
import dev.rlft.coordinator.StepReport;
import java.util.function.Consumer;

/**
 * Runs one GRPO phase to completion: in one JVM ({@link LocalGrpoRun#run}, the default) or on a
 * Pekko Cluster ({@code dev.rlft.cluster.ClusterGrpoRun}). The same plan and actors either way.
 */
@FunctionalInterface
public interface GrpoRunner {

  /**
   * Runs {@code plan}; {@code onStep} sees every step report, in order, before this returns;
   * {@code onStart}, when not null, sees the actor system the run's actors live in as soon as it
   * exists (e.g. to make them report their health to a monitor).
   */
  LocalGrpoRun.Result run(LocalGrpoRun.Plan plan, Config config, Consumer<StepReport> onStep,
      Consumer<org.apache.pekko.actor.typed.ActorSystem<?>> onStart);

  /** As above, with nobody watching the actor system. */
  default LocalGrpoRun.Result run(LocalGrpoRun.Plan plan, Config config, Consumer<StepReport> onStep) {
    return run(plan, config, onStep, null);
  }

  /** Every role in this JVM. */
  GrpoRunner LOCAL = LocalGrpoRun::run;
}
