package dev.rlft.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightReceiver;
import dev.rlft.params.WeightSender;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.proto.wire.GenerateRequest;
import dev.rlft.proto.wire.HealthReportProto;
import dev.rlft.proto.wire.PromptGroupProto;
import dev.rlft.proto.wire.SamplingParamsProto;
import dev.rlft.proto.wire.TensorEntryProto;
import dev.rlft.proto.wire.WeightManifestProto;
import dev.rlft.proto.wire.WeightOffer;
import java.io.NotSerializableException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.JSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two actor systems talking over Artery on loopback. The sender forges what a broken or foreign
 * node could send (garbage under the Protobuf and Kryo serializer ids, an unknown manifest, a
 * message its record refuses); the receiving node drops each one, stays up, and still gets the
 * valid messages sent after them on the same connection.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MalformedRemoteMessageTest {

  /** Bytes and a manifest sent as they are under the Protobuf serializer's id. */
  record ForgedControl(String manifest, byte[] bytes) {}

  /** Bytes sent as they are under the Kryo serializer's id. */
  record ForgedBulk(byte[] bytes) {}

  /** Stands in for {@link ProtoSerializer} on the sending node: real messages go through it, forged ones as given. */
  public static final class ForgingProto extends SerializerWithStringManifest {
    private final ProtoSerializer real;

    public ForgingProto(ExtendedActorSystem system) {
      this.real = new ProtoSerializer(system);
    }

    @Override
    public int identifier() {
      return ProtoSerializer.ID;
    }

    @Override
    public String manifest(Object o) {
      return o instanceof ForgedControl f ? f.manifest() : real.manifest(o);
    }

    @Override
    public byte[] toBinary(Object o) {
      return o instanceof ForgedControl f ? f.bytes() : real.toBinary(o);
    }

    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
      return real.fromBinary(bytes, manifest);
    }
  }

  /** Stands in for {@link KryoSerializer} on the sending node. */
  public static final class ForgingKryo extends JSerializer {
    private final KryoSerializer real;

    public ForgingKryo(ExtendedActorSystem system) {
      this.real = new KryoSerializer(system);
    }

    @Override
    public int identifier() {
      return KryoSerializer.ID;
    }

    @Override
    public boolean includeManifest() {
      return false;
    }

    @Override
    public byte[] toBinary(Object o) {
      return o instanceof ForgedBulk f ? f.bytes() : real.toBinary(o);
    }

    @Override
    public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
      return real.fromBinaryJava(bytes, manifest);
    }
  }

  private ActorSystem<Void> receiver;
  private ActorSystem<Void> sender;

  @AfterEach
  void shutdown() {
    for (ActorSystem<Void> s : new ActorSystem[] {sender, receiver}) {
      if (s != null) {
        s.terminate();
        s.getWhenTerminated().toCompletableFuture().join();
      }
    }
  }

  private static Config remote() {
    return ConfigFactory.parseString("""
            pekko.actor.provider = remote
            pekko.remote.artery.canonical.hostname = "127.0.0.1"
            pekko.remote.artery.canonical.port = 0
            pekko.loglevel = WARNING
            """).withFallback(ConfigFactory.load());
  }

  @Test
  void tell_forgedAndMalformedMessages_areDroppedAndTheNodeKeepsServing() throws Exception {
    BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    receiver = ActorSystem.create(Behaviors.empty(), "receiver", remote());
    ActorRef<Object> target = receiver.systemActorOf(Behaviors.receive(Object.class)
        .onAnyMessage(m -> {
          inbox.add(m);
          return Behaviors.same();
        }).build(), "inbox", org.apache.pekko.actor.typed.Props.empty());
    String address = ActorRefResolver.get(receiver).toSerializationFormat(target);
    sender = ActorSystem.create(Behaviors.empty(), "sender", ConfigFactory.parseString("""
            pekko.actor.serializers.rlft-proto = "dev.rlft.wire.MalformedRemoteMessageTest$ForgingProto"
            pekko.actor.serializers.rlft-kryo = "dev.rlft.wire.MalformedRemoteMessageTest$ForgingKryo"
            pekko.actor.serialization-bindings {
              "dev.rlft.wire.MalformedRemoteMessageTest$ForgedControl" = rlft-proto
              "dev.rlft.wire.MalformedRemoteMessageTest$ForgedBulk" = rlft-kryo
            }
            """).withFallback(remote()));
    ActorRef<Object> remoteTarget = ActorRefResolver.get(sender).resolveActorRef(address);
    byte[] refusedByRecord = GenerateRequest.newBuilder().setBatchId(1).setReplyTo(address)
        .setSampling(SamplingParamsProto.newBuilder().setTemperature(1).setTopP(1).setMaxNewTokens(8))
        .addGroups(PromptGroupProto.newBuilder().setGroupId(1).setProblemId("p").addPrompt(1).setAnswer("3"))
        .build().toByteArray(); // group size 0
    // one tensor of 8 bytes in chunks of 4 makes two chunks, but one CRC is listed
    byte[] refusedManifest = WeightOffer.newBuilder().setSender(address).setManifest(WeightManifestProto.newBuilder()
        .setVersion(3).setKind("FULL").setChunkSize(4).addTensors(TensorEntryProto.newBuilder().setName("w")
            .setDtype("F32").addShape(2).setSizeBytes(8)).addChunkCrcs(1).setDigest(ByteString.copyFrom(new byte[32])))
        .build().toByteArray();
    byte[] unknownStatus = HealthReportProto.newBuilder().setRun("r").setStatus("purple").build().toByteArray();
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x7a, 0x01};

    remoteTarget.tell(new ForgedControl("params.GetWeights", garbage));
    remoteTarget.tell(new ForgedControl("nope.FromANewerNode", new byte[] {8, 1}));
    remoteTarget.tell(new ForgedControl("rollout.Generate", refusedByRecord));
    remoteTarget.tell(new ForgedControl("params.Offer", garbage));
    remoteTarget.tell(new ForgedControl("params.Offer", refusedManifest));
    remoteTarget.tell(new ForgedControl("health.Heartbeat", garbage));
    remoteTarget.tell(new ForgedControl("health.HealthReport", unknownStatus));
    remoteTarget.tell(new ForgedBulk(garbage));
    remoteTarget.tell(new ForgedBulk(new byte[] {0x7f, 0x7f, 0x7f})); // a class id no node registered
    remoteTarget.tell(new ParameterServer.Version(42));
    remoteTarget.tell(new ParameterServer.WeightsReply(3, new WeightSnapshot(3, new String[] {"w"},
        new float[][] {{1f, 2f}}, WeightSnapshot.Kind.FULL), null));

    Object first = inbox.poll(30, TimeUnit.SECONDS);
    assertEquals(new ParameterServer.Version(42), first, "the first message to arrive must be the first valid one");
    ParameterServer.WeightsReply second = assertInstanceOf(ParameterServer.WeightsReply.class,
        inbox.poll(10, TimeUnit.SECONDS));
    assertEquals(3, second.version());
    assertNull(inbox.poll(300, TimeUnit.MILLISECONDS), "a forged message got through");
    assertFalse(receiver.getWhenTerminated().toCompletableFuture().isDone(), "the receiving node stopped");

    // and the connection still carries traffic afterwards, weight-sync control and chunks too
    remoteTarget.tell(new ParameterServer.Published(43));
    remoteTarget.tell(new WeightSender.Credit(-2, 3, 19));
    remoteTarget.tell(new WeightReceiver.Chunk(-2, 3, 0, new byte[] {1, 2, 3, 4}));
    assertEquals(new ParameterServer.Published(43), inbox.poll(10, TimeUnit.SECONDS));
    assertEquals(new WeightSender.Credit(-2, 3, 19), inbox.poll(10, TimeUnit.SECONDS));
    WeightReceiver.Chunk chunk = assertInstanceOf(WeightReceiver.Chunk.class, inbox.poll(10, TimeUnit.SECONDS));
    assertArrayEquals(new byte[] {1, 2, 3, 4}, chunk.payload());
    assertNull(inbox.poll(Duration.ofMillis(100).toMillis(), TimeUnit.MILLISECONDS));
  }
}
