package dev.rlft.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import dev.rlft.coordinator.Coordinator;
import dev.rlft.coordinator.StepReport;
import dev.rlft.learner.Learner;
import dev.rlft.model.SamplingParams;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightManifest;
import dev.rlft.params.WeightReceiver;
import dev.rlft.params.WeightSender;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.reward.RewardWorker;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.train.Trajectory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The classes allowed on the wire, each under a fixed Kryo id. Append only: changing an id breaks
 * every node that still runs the old table.
 */
public final class WireRegistry {

  private WireRegistry() {}

  static void register(Kryo kryo, Serializer<?> actorRefSerializer) {
    int id = 100;
    kryo.register(int[].class, id++);
    kryo.register(long[].class, id++);
    kryo.register(float[].class, id++);
    kryo.register(double[].class, id++);
    kryo.register(boolean[].class, id++);
    kryo.register(String[].class, id++);
    kryo.register(float[][].class, id++);
    kryo.register(ArrayList.class, id++);
    kryo.register(LinkedHashMap.class, id++);
    kryo.register(HashMap.class, id++);
    kryo.register(List.of().getClass(), new KryoSerializer.ImmutableListSerializer(), id++);
    kryo.register(List.of(1).getClass(), new KryoSerializer.ImmutableListSerializer(), id++);
    id++; // 112 reserved: List.of(a, b, c) shares List.of()'s class (ListN)
    kryo.register(actorRefClass(), actorRefSerializer, id++);
    id = 200;
    kryo.register(Trajectory.class, id++);
    kryo.register(SamplingParams.class, id++);
    kryo.register(WeightSnapshot.class, id++);
    id = 300;
    kryo.register(ParameterServer.Publish.class, id++);
    kryo.register(ParameterServer.GetWeights.class, id++);
    kryo.register(ParameterServer.GetVersion.class, id++);
    kryo.register(ParameterServer.Published.class, id++);
    kryo.register(ParameterServer.WeightsReply.class, id++);
    kryo.register(ParameterServer.Version.class, id++);
    id = 320;
    kryo.register(RolloutWorker.PromptGroup.class, id++);
    kryo.register(RolloutWorker.Generate.class, id++);
    kryo.register(RolloutWorker.Generated.class, id++);
    id = 340;
    kryo.register(RewardWorker.Score.class, id++);
    kryo.register(RewardWorker.Scored.class, id++);
    id = 360;
    kryo.register(Learner.Train.class, id++);
    kryo.register(Learner.Trained.class, id++);
    kryo.register(Learner.SaveCheckpoint.class, id++);
    kryo.register(Learner.Saved.class, id++);
    kryo.register(Learner.GetWeights.class, id++);
    id = 380;
    kryo.register(Coordinator.Start.class, id++);
    kryo.register(Coordinator.Finished.class, id++);
    kryo.register(StepReport.class, id++);
    id = 390;
    kryo.register(WeightSnapshot.Kind.class, id++);
    id = 400;
    kryo.register(dev.rlft.reward.StepRewardWorker.ScoreSteps.class, id++);
    kryo.register(dev.rlft.reward.StepRewardWorker.StepsScored.class, id++);
    kryo.register(Learner.AdjustBeta.class, id++);
    id = 420; // PPO
    kryo.register(Learner.TrainPpo.class, id++);
    kryo.register(Learner.GetCritic.class, id++);
    kryo.register(Learner.CriticState.class, id++);
    id = 600;
    kryo.register(dev.rlft.health.HealthMonitor.Heartbeat.class, id++);
    kryo.register(dev.rlft.health.HealthMonitor.RunStarted.class, id++);
    kryo.register(dev.rlft.health.HealthMonitor.GetHealth.class, id++);
    kryo.register(dev.rlft.health.HealthMonitor.HealthReport.class, id++);
    kryo.register(dev.rlft.health.HealthMonitor.ActorHealth.class, id++);
    id = 640; // weight sync: manifest, chunks, credit (dev.rlft.params)
    kryo.register(byte[].class, id++);
    kryo.register(long[][].class, id++);
    kryo.register(WeightManifest.class, id++);
    kryo.register(WeightManifest.TensorEntry.class, id++);
    kryo.register(WeightManifest.TensorEntry[].class, id++);
    kryo.register(WeightReceiver.Offer.class, id++);
    kryo.register(WeightReceiver.Chunk.class, id++);
    kryo.register(WeightSender.Request.class, id++);
    kryo.register(WeightSender.Credit.class, id++);
    kryo.register(WeightSender.Resend.class, id++);
    kryo.register(WeightSender.Complete.class, id++);
    kryo.register(ParameterServer.Subscribe.class, id++);
    kryo.register(ParameterServer.WatchSync.class, id++);
    kryo.register(ParameterServer.GetSubscribers.class, id++);
    kryo.register(ParameterServer.Subscribers.class, id++);
    kryo.register(ParameterServer.VersionSynced.class, id++);
  }

  private static Class<?> actorRefClass() {
    try {
      return Class.forName("org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("Pekko's typed ActorRefAdapter not found: incompatible Pekko version", e);
    }
  }
}
