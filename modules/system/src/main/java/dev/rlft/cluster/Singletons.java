package dev.rlft.cluster;

import dev.rlft.coordinator.Coordinator;
import dev.rlft.learner.Learner;
import dev.rlft.params.ParameterServer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The cluster singletons of one run: the parameter server on the {@code params} role, the learner
 * and the coordinator on the {@code learner} role. Each is named after the run's incarnation, so a
 * restarted learner node gets fresh ones (a parameter server that kept the previous run's newer
 * versions would refuse the resumed run's weights). Initialising one on a node without its role
 * gives a proxy that buffers messages until the singleton is up.
 */
public final class Singletons {

  private Singletons() {}

  /**
   * The run's parameter server. It follows the learner node's upstream parameter server when one
   * is listed under {@link ServiceKeys#paramsUpstream} (the learner node does not host it), and
   * is published to directly otherwise.
   */
  public static ActorRef<ParameterServer.Command> params(ActorSystem<?> system, String incarnation) {
    return ClusterSingleton.get(system).init(SingletonActor.of(
            ParameterServer.following(ServiceKeys.paramsUpstream(incarnation)), "params-" + incarnation)
        .withSettings(ClusterSingletonSettings.create(system).withRole(Role.PARAMS.id())));
  }

  /** The learner, on its own pinned thread (it owns native tensors and DJL's gradient collector). */
  public static ActorRef<Learner.Command> learner(ActorSystem<?> system, String incarnation,
      Behavior<Learner.Command> learner) {
    return ClusterSingleton.get(system).init(SingletonActor.of(learner, "learner-" + incarnation)
        .withProps(DispatcherSelector.fromConfig("rlft.model-dispatcher"))
        .withSettings(ClusterSingletonSettings.create(system).withRole(Role.LEARNER.id())));
  }

  public static ActorRef<Coordinator.Command> coordinator(ActorSystem<?> system, String incarnation,
      Behavior<Coordinator.Command> coordinator) {
    return ClusterSingleton.get(system).init(SingletonActor.of(coordinator, "coordinator-" + incarnation)
        .withSettings(ClusterSingletonSettings.create(system).withRole(Role.LEARNER.id())));
  }
}
