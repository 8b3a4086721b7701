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

  /** Runs {@code plan}; {@code onStep} sees every step report, in order, before this returns. */
  LocalGrpoRun.Result run(LocalGrpoRun.Plan plan, Config config, Consumer<StepReport> onStep);

  /** Every role in this JVM. */
  GrpoRunner LOCAL = LocalGrpoRun::run;
}
