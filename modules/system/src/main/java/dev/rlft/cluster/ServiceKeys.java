package dev.rlft.cluster;

import dev.rlft.params.ParameterServer;
import dev.rlft.reward.RewardWorker;
import dev.rlft.rollout.RolloutWorker;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Receptionist keys. Hosts register once per node; workers register under keys named after the
 * learner incarnation that asked for them, so a restarted learner never picks up a worker still
 * holding the previous run's weights.
 */
public final class ServiceKeys {

  private ServiceKeys() {}

  /** A rollout node's host, which starts rollout workers for each run it is told about. */
  public static final ServiceKey<RunSpec> ROLLOUT_HOST = ServiceKey.create(RunSpec.class, "rlft-rollout-host");

  /** A reward node's host, which starts a reward pool for each run it is told about. */
  public static final ServiceKey<RunSpec> REWARD_HOST = ServiceKey.create(RunSpec.class, "rlft-reward-host");

  /** A params node's host, which takes part in each run's parameter-server singleton. */
  public static final ServiceKey<RunSpec> PARAMS_HOST = ServiceKey.create(RunSpec.class, "rlft-params-host");

  /**
   * The parameter server on the learner node that the learner publishes to when the node does not
   * host the run's params singleton; the singleton follows it by weight sync.
   */
  public static ServiceKey<ParameterServer.Command> paramsUpstream(String incarnation) {
    return ServiceKey.create(ParameterServer.Command.class, "rlft-params-upstream-" + incarnation);
  }

  public static ServiceKey<RolloutWorker.Command> rollout(String incarnation) {
    return ServiceKey.create(RolloutWorker.Command.class, "rlft-rollout-" + incarnation);
  }

  public static ServiceKey<RewardWorker.Command> reward(String incarnation) {
    return ServiceKey.create(RewardWorker.Command.class, "rlft-reward-" + incarnation);
  }
}
