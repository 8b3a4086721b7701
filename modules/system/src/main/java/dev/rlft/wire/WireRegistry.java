package dev.rlft.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import dev.rlft.learner.Learner;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightManifest;
import dev.rlft.params.WeightReceiver;
import dev.rlft.params.WeightSender;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.train.Trajectory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The classes Kryo may put on the wire (bulk payloads: trajectory batches and weights, and what
 * they contain), each under a fixed id. Append only: changing an id breaks every node that still
 * runs the old table. Control messages are Protobuf ({@link ControlCodecs}).
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
    // Bulk payloads only. Control messages go through ProtoSerializer; the ids they had here
    // (201, 301-303, 305, 320-321, 340-341, 361-364, 380-382, 400-402) stay retired.
    kryo.register(Trajectory.class, 200);
    kryo.register(WeightSnapshot.class, 202);
    kryo.register(ParameterServer.Publish.class, 300);
    kryo.register(ParameterServer.WeightsReply.class, 304);
    kryo.register(RolloutWorker.Generated.class, 322);
    kryo.register(Learner.Train.class, 360);
    kryo.register(WeightSnapshot.Kind.class, 390);
    // Kept on Kryo from main (not Protobuf control codecs): PPO (420-422: TrainPpo carries
    // trajectory batches, CriticState carries critic weights), the health monitor's local protocol
    // (600-604) and chunked weight sync (640-657: manifest, byte chunks, their credit/flow control, the data connection).
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
    kryo.register(dev.rlft.params.WeightDataPlane.DataEndpoint.class, id++); // 656: the data connection (tcp transport)
    kryo.register(WeightSender.DataUnavailable.class, id++);
  }

  private static Class<?> actorRefClass() {
    try {
      return Class.forName("org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("Pekko's typed ActorRefAdapter not found: incompatible Pekko version", e);
    }
  }
}
