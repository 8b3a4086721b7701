package dev.rlft.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.rlft.coordinator.Coordinator;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightCodec;
import dev.rlft.params.WeightDataPlane;
import dev.rlft.params.WeightManifest;
import dev.rlft.params.WeightReceiver;
import dev.rlft.params.WeightSender;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.proto.wire.DataEndpointProto;
import dev.rlft.proto.wire.GenerateRequest;
import dev.rlft.proto.wire.GetWeightsRequest;
import dev.rlft.proto.wire.HealthReportProto;
import dev.rlft.proto.wire.PromptGroupProto;
import dev.rlft.proto.wire.SamplingParamsProto;
import dev.rlft.proto.wire.ScoredReply;
import dev.rlft.proto.wire.TensorEntryProto;
import dev.rlft.proto.wire.WeightManifestProto;
import dev.rlft.proto.wire.WeightOffer;
import dev.rlft.testing.WireChecked;
import java.io.NotSerializableException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * What {@link ProtoSerializer} does with bytes it cannot use: every such case is a {@link
 * NotSerializableException} (Artery then logs and drops that one message), never another
 * exception and never a half-built message.
 */
class ProtoSerializerTest {

  private static final ActorTestKit testKit = ActorTestKit.create("proto-serializer", WireChecked.config());

  private static final ProtoSerializer proto =
      new ProtoSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void fromBinary_unknownManifest_isNotSerializableNamingIt() {
    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> proto.fromBinary(new byte[] {8, 1}, "learner.TrainPpoFromTheFuture"));

    assertTrue(e.getMessage().contains("learner.TrainPpoFromTheFuture"), e.getMessage());
  }

  @Test
  void fromBinary_garbageBytes_isNotSerializable() {
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x7a};

    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> proto.fromBinary(garbage, "params.GetWeights"));

    assertTrue(e.getMessage().contains("malformed 'params.GetWeights'"), e.getMessage());
  }

  @Test
  void fromBinary_truncatedMessage_isNotSerializable() throws Exception {
    byte[] whole = proto.toBinary(new ParameterServer.GetWeights(3, 4, testKit.createTestProbe(ParameterServer.WeightsReply.class).ref()));
    byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 3);

    assertThrows(NotSerializableException.class, () -> proto.fromBinary(cut, "params.GetWeights"));
  }

  @Test
  void fromBinary_missingReplyTo_isNotSerializable() {
    byte[] noReply = GetWeightsRequest.newBuilder().setHaveVersion(1).setMinVersion(2).build().toByteArray();

    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> proto.fromBinary(noReply, "params.GetWeights"));

    assertTrue(e.getMessage().contains("replyTo is missing"), e.getMessage());
  }

  @Test
  void fromBinary_valueTheRecordRefuses_isNotSerializable() {
    // a prompt group of size 0 parses as Protobuf, but RolloutWorker.PromptGroup refuses it
    byte[] bad = GenerateRequest.newBuilder().setBatchId(1).setReplyTo(testKitRef())
        .setSampling(SamplingParamsProto.newBuilder().setTemperature(1).setTopP(1).setMaxNewTokens(8))
        .addGroups(PromptGroupProto.newBuilder().setGroupId(1).setProblemId("p").addPrompt(1).setAnswer("3")
            .setSize(0))
        .build().toByteArray();

    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> proto.fromBinary(bad, "rollout.Generate"));

    assertTrue(e.getMessage().contains("group size"), e.getMessage());
  }

  @Test
  void fromBinary_scoredWithMismatchedCounts_isNotSerializable() {
    byte[] bad = ScoredReply.newBuilder().setBatchId(1).addRewards(1f).addRewards(0f).addCorrect(true).build()
        .toByteArray();

    assertThrows(NotSerializableException.class, () -> proto.fromBinary(bad, "reward.Scored"));
  }

  @Test
  void fromBinary_emptyBytes_giveDefaultsOnlyWhereTheMessageAllowsThem() throws Exception {
    // proto3: an all-defaults message is zero bytes; a reply without a reference is refused, a
    // version number of 0 is a valid message
    assertEquals(new ParameterServer.Version(0), proto.fromBinary(new byte[0], "params.Version"));
    assertThrows(NotSerializableException.class, () -> proto.fromBinary(new byte[0], "coordinator.Start"));
  }

  @Test
  void fromBinary_offerWithoutManifest_isNotSerializable() {
    byte[] bad = WeightOffer.newBuilder().setSender(testKitRef()).build().toByteArray();

    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> proto.fromBinary(bad, "params.Offer"));

    assertTrue(e.getMessage().contains("manifest is missing"), e.getMessage());
  }

  @Test
  void fromBinary_offerWhoseManifestTheRecordRefuses_isNotSerializable() {
    // one tensor of 8 bytes in chunks of 4 makes two chunks, but one CRC is listed
    WeightManifestProto.Builder manifest = WeightManifestProto.newBuilder().setVersion(3).setKind("FULL")
        .setChunkSize(4).addTensors(TensorEntryProto.newBuilder().setName("w").setDtype("F32").addShape(2)
            .setSizeBytes(8)).addChunkCrcs(1).setDigest(ByteString.copyFrom(new byte[32]));
    byte[] crcs = WeightOffer.newBuilder().setManifest(manifest).setSender(testKitRef()).build().toByteArray();
    byte[] kind = WeightOffer.newBuilder().setManifest(manifest.clone().addChunkCrcs(2).setKind("DELTA"))
        .setSender(testKitRef()).build().toByteArray();
    byte[] digest = WeightOffer.newBuilder().setManifest(manifest.clone().addChunkCrcs(2)
        .setDigest(ByteString.copyFrom(new byte[31]))).setSender(testKitRef()).build().toByteArray();

    assertTrue(assertThrows(NotSerializableException.class, () -> proto.fromBinary(crcs, "params.Offer"))
        .getMessage().contains("chunk CRCs"));
    assertTrue(assertThrows(NotSerializableException.class, () -> proto.fromBinary(kind, "params.Offer"))
        .getMessage().contains("unknown weight kind 'DELTA'"));
    assertTrue(assertThrows(NotSerializableException.class, () -> proto.fromBinary(digest, "params.Offer"))
        .getMessage().contains("32 bytes"));
  }

  @Test
  void fromBinary_offerWithADataEndpointWithoutAPort_isNotSerializable() throws Exception {
    WeightManifest.TensorEntry[] none = new WeightManifest.TensorEntry[0];
    WeightReceiver.Offer offer = new WeightReceiver.Offer(new WeightManifest(1, WeightSnapshot.Kind.FULL, 4, none,
        new int[0], WeightCodec.versionDigest(none)), testKit.createTestProbe(WeightSender.Command.class).ref(),
        new WeightDataPlane.DataEndpoint("10.0.0.7", 7356, 1, 2));
    byte[] bad = WeightOffer.newBuilder(WeightOffer.parseFrom(proto.toBinary(offer)))
        .setData(DataEndpointProto.newBuilder().setHost("10.0.0.7")).build().toByteArray();

    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> proto.fromBinary(bad, "params.Offer"));

    assertTrue(e.getMessage().contains("not an address"), e.getMessage());
  }

  @Test
  void fromBinary_healthReportWithAnUnknownStatus_isNotSerializable() {
    byte[] bad = HealthReportProto.newBuilder().setRun("r").setStatus("purple").build().toByteArray();

    NotSerializableException e = assertThrows(NotSerializableException.class,
        () -> proto.fromBinary(bad, "health.HealthReport"));

    assertTrue(e.getMessage().contains("unknown health status 'purple'"), e.getMessage());
  }

  @Test
  void fromBinary_garbageUnderEveryManifest_isNotSerializableOrAValidMessage() {
    // bytes that are not Protobuf at all: every reader refuses them the same way
    byte[] garbage = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f, 0x7a};
    for (ControlCodec<?> c : ControlCodecs.all()) {
      NotSerializableException e = assertThrows(NotSerializableException.class,
          () -> proto.fromBinary(garbage, c.manifest()), c.manifest());
      assertTrue(e.getMessage().contains("malformed '" + c.manifest() + "'"), e.getMessage());
    }
  }

  @Test
  void toBinary_unmappedClass_isIllegalArgumentNamingTheFix() {
    record NotMapped(int n) implements WireMessage {}

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> proto.toBinary(new NotMapped(1)));

    assertTrue(e.getMessage().contains("ControlCodecs"), e.getMessage());
  }

  @Test
  void manifests_areUniqueAndNamespacedByProtocol() {
    Set<String> seen = new HashSet<>();
    for (ControlCodec<?> c : ControlCodecs.all()) {
      assertTrue(seen.add(c.manifest()), "duplicate manifest " + c.manifest());
      assertTrue(c.manifest().matches("(coordinator|params|rollout|reward|learner|health|cluster)\\.[A-Za-z]+"),
          c.manifest());
    }
  }

  @Test
  void constructor_twoCodecsForOneClass_isRefused() {
    ControlCodec<Coordinator.Start> a = ControlCodec.of("x.A", Coordinator.Start.class, (m, r) -> null, (b, r) -> null);
    ControlCodec<Coordinator.Start> b = ControlCodec.of("x.B", Coordinator.Start.class, (m, r) -> null, (b2, r) -> null);

    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> new ProtoSerializer(new Refs(null), List.of(a, b)));
    assertInstanceOf(IllegalStateException.class, e);
  }

  private static String testKitRef() {
    return org.apache.pekko.actor.typed.ActorRefResolver.get(testKit.system())
        .toSerializationFormat(testKit.createTestProbe().ref());
  }
}
