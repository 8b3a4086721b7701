package dev.rlft.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import dev.rlft.learner.Learner;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightReceiver;
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
    // (201, 301-303, 305, 320-321, 340-341, 361-364, 380-382, 400-402, 421, 600-604, 642-645,
    // 647-657) stay retired: never register another class under one of them.
    kryo.register(Trajectory.class, 200);
    kryo.register(WeightSnapshot.class, 202);
    kryo.register(ParameterServer.Publish.class, 300);
    kryo.register(ParameterServer.WeightsReply.class, 304);
    kryo.register(RolloutWorker.Generated.class, 322);
    kryo.register(Learner.Train.class, 360);
    kryo.register(WeightSnapshot.Kind.class, 390);
    // PPO: TrainPpo carries trajectory batches, CriticState critic weights. 421 (GetCritic) is
    // Protobuf now and stays retired.
    kryo.register(Learner.TrainPpo.class, 420);
    kryo.register(Learner.CriticState.class, 422);
    // 600-604 (the health monitor's protocol) are Protobuf now and stay retired.
    // Weight sync: only the chunks (weight bytes) and the arrays bulk payloads hold. The manifest,
    // offer, request, credit, resend, completion, data endpoint and the parameter server's
    // subscription messages are Protobuf now; their ids 642-645 and 647-657 stay retired.
    kryo.register(byte[].class, 640);
    kryo.register(long[][].class, 641); // WeightSnapshot's shapes
    kryo.register(WeightReceiver.Chunk.class, 646);
  }

  private static Class<?> actorRefClass() {
    try {
      return Class.forName("org.apache.pekko.actor.typed.internal.adapter.ActorRefAdapter");
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("Pekko's typed ActorRefAdapter not found: incompatible Pekko version", e);
    }
  }
}
