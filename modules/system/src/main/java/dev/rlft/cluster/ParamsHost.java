package dev.rlft.cluster;

import dev.rlft.health.Health;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The params role of a node: registers itself with the receptionist and, for each run a learner
 * node announces, takes part in that run's parameter-server singleton ({@link Singletons#params}),
 * which then runs on the oldest params node. The host reports its health as {@value #HEALTH_ROLE},
 * the parameter server as {@code params}.
 */
public final class ParamsHost {

  private ParamsHost() {}

  /** The host's role in the health table; readiness of a params node requires it running. */
  public static final String HEALTH_ROLE = "params-host";

  public static Behavior<RunSpec> create() {
    return Health.monitored(HEALTH_ROLE, Behaviors.setup(ctx -> {
      ctx.getSystem().receptionist().tell(Receptionist.register(ServiceKeys.PARAMS_HOST, ctx.getSelf()));
      java.util.Set<String> joined = new java.util.HashSet<>();
      return Behaviors.receive(RunSpec.class)
          .onMessage(RunSpec.class, spec -> {
            if (joined.add(spec.incarnation())) {
              Singletons.params(ctx.getSystem(), spec.incarnation());
              ctx.getLog().info("run {}: parameter server singleton initialised", spec.incarnation());
            }
            return Behaviors.same();
          })
          .build();
    }));
  }
}
