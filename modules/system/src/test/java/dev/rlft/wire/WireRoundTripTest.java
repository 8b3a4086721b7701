package dev.rlft.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Registration;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.rlft.coordinator.Coordinator;
import dev.rlft.coordinator.StepReport;
import dev.rlft.learner.Learner;
import dev.rlft.model.SamplingParams;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightCodec;
import dev.rlft.params.WeightManifest;
import dev.rlft.params.WeightReceiver;
import dev.rlft.params.WeightSender;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.reward.RewardWorker;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.testing.WireChecked;
import dev.rlft.train.Trajectory;
import java.io.IOException;
import java.io.Serializable;
import java.lang.reflect.Array;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import scala.util.Try;

/**
 * Every wire message survives a trip through the serializer Pekko binds it to unchanged: control
 * messages through {@link ProtoSerializer}, bulk payloads (and what they hold) through {@link
 * KryoSerializer}. Every concrete wire message has exactly one of the two, and anything else is
 * refused.
 */
class WireRoundTripTest {

  private static final ActorTestKit testKit = ActorTestKit.create("wire-round-trip", WireChecked.config());

  private static final KryoSerializer kryo =
      new KryoSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()));

  private static final ProtoSerializer proto =
      new ProtoSerializer((ExtendedActorSystem) Adapter.toClassic(testKit.system()));

  /** Reply targets inside the samples; the probes are real actors, so their refs must resolve back. */
  private static final TestProbe<Object> probe = testKit.createTestProbe("wire-sample-probe");

  private static int probes;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @SuppressWarnings("unchecked")
  private static <T> ActorRef<T> ref() {
    return (ActorRef<T>) probe.ref();
  }

  private static <T> TestProbe<T> freshProbe(Class<T> type) {
    return testKit.createTestProbe("probe-" + (++probes), type);
  }

  private static Trajectory trajectory(long group, float reward, boolean correct) {
    return new Trajectory(group, new int[] {1, 40, 41, 42}, new int[] {50, 51, 2},
        new float[] {-0.5f, Float.MIN_VALUE, -0f}, 7, reward, correct);
  }

  private static WeightSnapshot snapshot(long version) {
    return new WeightSnapshot(version, new String[] {"model.embed_tokens.weight", "model.norm.weight"},
        new float[][] {{1f, -2.5f, Float.NaN, Float.MAX_VALUE}, {}}, WeightSnapshot.Kind.FULL);
  }

  private static <T> ArrayList<T> arrayList(List<T> items) {
    return new ArrayList<>(items);
  }

  /** One or more samples of every registered class, with nulls, empties and odd floats where allowed. */
  static Stream<Arguments> samples() {
    LinkedHashMap<String, Double> metrics = new LinkedHashMap<>();
    metrics.put("loss", 0.25);
    metrics.put("kl", -0.0);
    metrics.put("grad_norm", Double.NaN);
    LinkedHashMap<String, Integer> dropped = new LinkedHashMap<>();
    dropped.put("too stale", 2);
    dropped.put("reward failed", 1);
    HashMap<String, Integer> hash = new HashMap<>(dropped);
    ArrayList<String> texts = arrayList(List.of("\\boxed{9}", "", "ünïcødé ✓"));
    ArrayList<String> answers = arrayList(List.of("9", "3", "4"));
    ArrayList<String> withNull = new ArrayList<>();
    withNull.add(null);
    withNull.add("x");
    SamplingParams sampling = new SamplingParams(0.7f, 0.9f, 5, 24, -42L);
    dev.rlft.params.WeightDataPlane.DataEndpoint endpoint =
        new dev.rlft.params.WeightDataPlane.DataEndpoint("10.0.0.7", 7356, 0x1234_5678_9abc_def0L, -42L);
    WeightManifest.TensorEntry[] entries = {
        new WeightManifest.TensorEntry("model.norm.weight", WeightManifest.F32, new long[] {3}, 12, -5L),
        new WeightManifest.TensorEntry("empty", WeightManifest.F32, new long[] {0, 4}, 0, 0L),
        new WeightManifest.TensorEntry("lm_head.weight", WeightManifest.F32, new long[] {2, 3}, 24, Long.MIN_VALUE)};
    WeightManifest manifest = new WeightManifest(5, WeightSnapshot.Kind.ADAPTERS, 16, entries,
        new int[] {1, -1, 7}, WeightCodec.versionDigest(entries));
    ArrayList<RolloutWorker.PromptGroup> groups = arrayList(List.of(
        new RolloutWorker.PromptGroup(3, "arith-train-000003", new int[] {1, 5, 6}, "12", 2),
        new RolloutWorker.PromptGroup(4, "arith-train-000004", new int[] {1}, "0", 1)));
    ArrayList<Trajectory> trajectories = arrayList(List.of(trajectory(3, 1f, true), trajectory(3, 0f, false)));
    LinkedHashMap<String, float[]> criticWeights = new LinkedHashMap<>();
    criticWeights.put("model.norm.weight", new float[] {1f, -0f});
    criticWeights.put("value_head.bias", new float[] {Float.NaN});
    LinkedHashMap<String, float[]> criticMoments = new LinkedHashMap<>();
    criticMoments.put("m/value_head.bias", new float[] {0.5f});
    LinkedHashMap<String, Double> gauges = new LinkedHashMap<>();
    gauges.put("weight_sync_seconds", 0.25);
    gauges.put("checker_timeouts", 3.0);
    dev.rlft.health.HealthMonitor.Heartbeat heartbeat = new dev.rlft.health.HealthMonitor.Heartbeat(
        "pekko://rlft@10.0.0.2:2552", "reward/$a", "reward", ref(), "running", 3, 0.5, -1.0, 2, 7, 120, 1, gauges);
    dev.rlft.health.HealthMonitor.ActorHealth actorHealth = new dev.rlft.health.HealthMonitor.ActorHealth(
        "pekko://rlft", "learner", "learner", "down", "stopped", "stopped", 1.5, -1, 0.0, 12.5, 0, 42, 99, 0,
        new LinkedHashMap<>(), ref());
    dev.rlft.health.HealthMonitor.ActorHealth actorHealthWithGauges = new dev.rlft.health.HealthMonitor.ActorHealth(
        "pekko://rlft@10.0.0.2:2552", "reward/$a", "reward", "late", "last heartbeat 3.1 s ago", "running", 3.1, 7,
        0.0, -1.0, 2, -1, 1L << 40, 3, gauges, null);
    return Stream.of(
        Arguments.of("int[]", new int[] {0, -1, Integer.MAX_VALUE}),
        Arguments.of("long[]", new long[] {Long.MIN_VALUE, 0}),
        Arguments.of("float[]", new float[] {Float.NaN, -0f, Float.NEGATIVE_INFINITY}),
        Arguments.of("double[]", new double[] {Math.PI, -0.0}),
        Arguments.of("boolean[]", new boolean[] {true, false, true}),
        Arguments.of("String[]", new String[] {"a", null, ""}),
        Arguments.of("float[][]", new float[][] {{1f}, {}, {2f, 3f}}),
        Arguments.of("ArrayList", withNull),
        Arguments.of("LinkedHashMap", dropped),
        Arguments.of("HashMap", hash),
        Arguments.of("List.of()", List.of()),
        Arguments.of("List.of(a)", List.of("a")),
        Arguments.of("List.of(a, b)", List.of("a", "b")),
        Arguments.of("List.of(a, b, c)", List.of("a", "b", "c")),
        Arguments.of("ActorRef", probe.ref()),
        Arguments.of("Trajectory", trajectory(9, 0.5f, true)),
        Arguments.of("Trajectory empty completion",
            new Trajectory(1, new int[] {1}, new int[0], new float[0], 0, 0f, false)),
        Arguments.of("WeightSnapshot", snapshot(3)),
        Arguments.of("ParameterServer.Publish", new ParameterServer.Publish(snapshot(4), ref())),
        Arguments.of("ParameterServer.Publish without reply", new ParameterServer.Publish(snapshot(4), null)),
        Arguments.of("ParameterServer.GetWeights", new ParameterServer.GetWeights(-1, 5, ref())),
        Arguments.of("ParameterServer.GetVersion", new ParameterServer.GetVersion(ref())),
        Arguments.of("ParameterServer.Published", new ParameterServer.Published(4)),
        Arguments.of("ParameterServer.WeightsReply", new ParameterServer.WeightsReply(4, snapshot(4), null)),
        Arguments.of("ParameterServer.WeightsReply up to date", new ParameterServer.WeightsReply(4, null, null)),
        Arguments.of("ParameterServer.WeightsReply adapters on a base", new ParameterServer.WeightsReply(5,
            WeightSnapshot.of(5, java.util.Map.of("model.layers.0.self_attn.q_proj.lora_A.weight", new float[] {1f, 2f}),
                WeightSnapshot.Kind.ADAPTERS), snapshot(0))),
        Arguments.of("ParameterServer.Version", new ParameterServer.Version(-1)),
        Arguments.of("WeightSnapshot.Kind", WeightSnapshot.Kind.ADAPTERS),
        Arguments.of("RolloutWorker.PromptGroup", groups.get(0)),
        Arguments.of("RolloutWorker.Generate", new RolloutWorker.Generate(11, groups, sampling, 2, ref())),
        Arguments.of("RolloutWorker.Generated", new RolloutWorker.Generated(11, 2, trajectories,
            arrayList(List.of("a", "b")), arrayList(List.of("12", "12")), 123_456_789L, "rollout-0", 4096L, 7_000_000L)),
        Arguments.of("RewardWorker.Score", new RewardWorker.Score(11, 2, texts, answers, ref())),
        Arguments.of("RewardWorker.Scored", new RewardWorker.Scored(11, 2, new float[] {1f, 0f, 0f},
            new boolean[] {true, false, false}, new String[] {"9", null, ""}, "reward")),
        Arguments.of("Learner.Train", new Learner.Train(11, trajectories, 2, ref())),
        Arguments.of("Learner.Train with token advantages", new Learner.Train(11, trajectories, 2,
            arrayList(List.of(new float[] {0.5f, -1f}, new float[] {}, new float[] {2f}, new float[] {0f})), ref())),
        Arguments.of("StepRewardWorker.ScoreSteps", new dev.rlft.reward.StepRewardWorker.ScoreSteps(11,
            arrayList(List.of("1+1?", "2+2?")), arrayList(List.of(new String[] {"1+1=2", "\\boxed{2}"}, new String[] {})),
            ref())),
        Arguments.of("StepRewardWorker.StepsScored", new dev.rlft.reward.StepRewardWorker.StepsScored(11,
            new float[][] {{0.9f, 0.1f}, {}}, "step-reward")),
        Arguments.of("Learner.Trained", new Learner.Trained(11, 3, metrics, null)),
        Arguments.of("Learner.SaveCheckpoint", new Learner.SaveCheckpoint("/tmp/ckpt", "grpo", ref())),
        Arguments.of("Learner.Saved", new Learner.Saved("/tmp/ckpt", 3, null)),
        Arguments.of("Learner.Saved with error", new Learner.Saved("/tmp/ckpt", 3, "java.io.IOException: disk full")),
        Arguments.of("Learner.GetWeights", new Learner.GetWeights(ref())),
        Arguments.of("Learner.AdjustBeta", new Learner.AdjustBeta(2f)),
        Arguments.of("Learner.TrainPpo", new Learner.TrainPpo(12, trajectories,
            arrayList(List.of(new float[] {0f, 0.9f, 1f}, new float[] {-0.5f, 0f, Float.MIN_VALUE})), ref())),
        Arguments.of("Learner.GetCritic", new Learner.GetCritic(ref())),
        Arguments.of("Learner.CriticState", new Learner.CriticState(3, criticWeights, criticMoments, 4, null)),
        Arguments.of("Learner.CriticState without a critic", new Learner.CriticState(3, new LinkedHashMap<>(),
            new LinkedHashMap<>(), 0, "this learner has no critic (GRPO)")),
        Arguments.of("Coordinator.Start", new Coordinator.Start(ref())),
        Arguments.of("Coordinator.Finished", new Coordinator.Finished(3, 3, 12, 1.5, dropped, null,
            new Coordinator.Groups(12, 8, 2, new LinkedHashMap<>(Map.of("too stale", 4L))))),
        Arguments.of("Coordinator.Finished with error",
            new Coordinator.Finished(0, 0, 0, 0.0, new LinkedHashMap<>(), "learner failed")),
        Arguments.of("Coordinator.RolloutWorkersChanged", new Coordinator.RolloutWorkersChanged(List.of(ref(), ref()))),
        Arguments.of("Coordinator.RolloutWorkersChanged none", new Coordinator.RolloutWorkersChanged(List.of())),
        Arguments.of("Learner.SaveCheckpoint with metadata", new Learner.SaveCheckpoint("/tmp/ckpt", "grpo",
            Map.of("grpo.pending", "3:12:12:2", "grpo.trained_steps", "7"), ref())),
        Arguments.of("StepReport without sample", new StepReport(2, 1, 1, 2, 0, new LinkedHashMap<>(), null, false)),
        Arguments.of("RunSpec", new dev.rlft.cluster.RunSpec("0f3c-run", new RolloutWorker.ModelSpec(
            dev.rlft.testing.TinyPolicy.MODEL, null, java.util.Set.of(3, 7), ai.djl.ndarray.types.DataType.FLOAT32),
            dev.rlft.testing.TinyPolicy.TOKENIZER, Duration.ofSeconds(90), "grpo { steps = 3 }")),
        Arguments.of("RunSpec with LoRA", new dev.rlft.cluster.RunSpec("lora-run", new RolloutWorker.ModelSpec(
            dev.rlft.testing.TinyPolicy.MODEL, new dev.rlft.model.LoraConfig(4, 8f, 0f, java.util.Set.of("q_proj",
            "v_proj")), java.util.Set.of(), ai.djl.ndarray.types.DataType.FLOAT16),
            dev.rlft.testing.TinyPolicy.TOKENIZER, Duration.ofMillis(1500), "")),
        Arguments.of("StepReport", new StepReport(1, 0, 0, 1, 0, metrics, "7+5=12", true)),
        Arguments.of("StepReport with the sample's steps", new StepReport(2, 1, 1, 2, 1, metrics, "7+5=12\n\n\\boxed{12}",
            false, "Ann has 7 apples.", "12", new String[] {"7+5=12", "\\boxed{12}"}, new float[] {0.9f, Float.NaN})),
        Arguments.of("HealthMonitor.Heartbeat", heartbeat),
        Arguments.of("HealthMonitor.RunStarted", new dev.rlft.health.HealthMonitor.RunStarted("runs/x")),
        Arguments.of("HealthMonitor.GetHealth", new dev.rlft.health.HealthMonitor.GetHealth(ref())),
        Arguments.of("HealthMonitor.ActorHealth", actorHealth),
        Arguments.of("HealthMonitor.HealthReport", new dev.rlft.health.HealthMonitor.HealthReport(1_700_000_000_000L,
            "runs/x", true, false, "down", "essential actor learner (learner) is down: stopped",
            arrayList(List.of(actorHealth)))),
        Arguments.of("HealthMonitor.HealthReport with gauges", new dev.rlft.health.HealthMonitor.HealthReport(-1L,
            "", true, true, "late", "", arrayList(List.of(actorHealthWithGauges, actorHealth)))),
        Arguments.of("HealthMonitor.HealthReport empty", new dev.rlft.health.HealthMonitor.HealthReport(0L, "",
            false, false, "ok", "the run has not started", new ArrayList<>())),
        Arguments.of("HealthMonitor.ActorHealth without a ref", actorHealthWithGauges),
        Arguments.of("HealthMonitor.Heartbeat without a ref nor gauges", new dev.rlft.health.HealthMonitor.Heartbeat(
            "pekko://rlft", "learner", "learner", null, "finished", -1, 0.0, Double.NaN, 0, -1, 0, 0,
            new LinkedHashMap<>())),
        Arguments.of("byte[]", new byte[] {0, -1, Byte.MAX_VALUE, Byte.MIN_VALUE}),
        Arguments.of("long[][]", new long[][] {{4, 8}, {}, {3}}),
        Arguments.of("WeightSnapshot with shapes", new WeightSnapshot(2, new String[] {"w", "b"},
            new float[][] {{1f, 2f, 3f, 4f, 5f, 6f}, {}}, WeightSnapshot.Kind.FULL, new long[][] {{2, 3}, {0}})),
        Arguments.of("WeightManifest", manifest),
        Arguments.of("WeightManifest without tensors", new WeightManifest(0, WeightSnapshot.Kind.FULL, 4,
            new WeightManifest.TensorEntry[0], new int[0], WeightCodec.versionDigest(new WeightManifest.TensorEntry[0]))),
        Arguments.of("WeightReceiver.Offer", new WeightReceiver.Offer(manifest, ref())),
        Arguments.of("WeightReceiver.Offer with a data endpoint", new WeightReceiver.Offer(manifest, ref(), endpoint)),
        Arguments.of("WeightReceiver.Offer with an eager stream",
            new WeightReceiver.Offer(manifest, ref(), endpoint, -2, new int[] {0, 2})),
        Arguments.of("WeightReceiver.Offer with an eager stream of no tensors",
            new WeightReceiver.Offer(manifest, ref(), endpoint, Long.MIN_VALUE, new int[0])),
        Arguments.of("WeightReceiver.Offer with eager tensors but no endpoint",
            new WeightReceiver.Offer(manifest, ref(), null, -7, new int[] {1})),
        Arguments.of("WeightReceiver.Chunk", new WeightReceiver.Chunk(3, 0, 1, new byte[] {1, 2, 3, 4})),
        Arguments.of("WeightReceiver.Chunk empty", new WeightReceiver.Chunk(3, 0, 1, new byte[0])),
        Arguments.of("WeightSender.Request", new WeightSender.Request(5, 2, new int[] {0, 2}, 16)),
        Arguments.of("WeightSender.Request on an eager stream", new WeightSender.Request(5, -2, new int[0], 0)),
        Arguments.of("WeightSender.Credit", new WeightSender.Credit(2, 12, 28)),
        Arguments.of("WeightSender.Credit on an eager stream", new WeightSender.Credit(-3, 0, Long.MAX_VALUE)),
        Arguments.of("WeightSender.Resend none", new WeightSender.Resend(Long.MIN_VALUE, new int[0])),
        Arguments.of("WeightSender.DataUnavailable without a reason",
            new WeightSender.DataUnavailable(Long.MIN_VALUE, 0L, null, true)),
        Arguments.of("WeightSender.Resend", new WeightSender.Resend(2, new int[] {3, 9})),
        Arguments.of("WeightSender.Complete", new WeightSender.Complete(5, true, null)),
        Arguments.of("WeightSender.DataUnavailable", new WeightSender.DataUnavailable(1L, -1L,
            "java.net.ConnectException: Connection refused", false)),
        Arguments.of("WeightSender.Complete failed", new WeightSender.Complete(5, false, "version digest mismatch")),
        Arguments.of("ParameterServer.Subscribe", new ParameterServer.Subscribe(ref(), -1)),
        Arguments.of("ParameterServer.WatchSync", new ParameterServer.WatchSync(ref())),
        Arguments.of("ParameterServer.GetSubscribers", new ParameterServer.GetSubscribers(ref())),
        Arguments.of("ParameterServer.Subscribers", new ParameterServer.Subscribers(3)),
        Arguments.of("ParameterServer.VersionSynced",
            new ParameterServer.VersionSynced(5, 2, 1, 0, 1L << 33, 4096, 3, 16, 1_000_000L, 2_000_000_000L)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void toBinary_sample_roundTripsFieldByFieldThroughItsSerializer(String name, Object sample) throws Exception {
    Object back = proto.classes().contains(sample.getClass())
        ? proto.fromBinary(proto.toBinary(sample), proto.manifest(sample))
        : kryo.fromBinary(kryo.toBinary(sample));

    assertDeepEquals(sample, back, name);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void toBinaryByteBuffer_registeredSample_roundTripsAsArteryUsesIt(String name, Object sample) {
    if (proto.classes().contains(sample.getClass())) {
      return; // a control message: Protobuf, not Kryo
    }
    java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocateDirect(64 * 1024);
    frame.position(17); // Artery writes its header first

    kryo.toBinary(sample, frame);
    frame.flip().position(17);
    Object back = kryo.fromBinary(frame, "");

    assertDeepEquals(sample, back, name);
    assertEquals(frame.limit(), frame.position(), name + ": every byte read back");
    assertArrayEquals(kryo.toBinary(sample), kryo.toBinary(back), name + ": the byte[] path writes the same bytes");
  }

  @Test
  void toBinaryByteBuffer_messageLargerThanTheFrame_throws() {
    java.nio.ByteBuffer frame = java.nio.ByteBuffer.allocateDirect(1024);
    WeightReceiver.Chunk big = new WeightReceiver.Chunk(1, 0, 0, new byte[4096]);

    assertThrows(RuntimeException.class, () -> kryo.toBinary(big, frame));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void serializationExtension_wireMessage_usesItsBoundSerializerAndRoundTrips(String name, Object sample) {
    if (!(sample instanceof WireMessage)) {
      return; // arrays and collections only travel inside wire messages
    }
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    int expected = proto.classes().contains(sample.getClass()) ? ProtoSerializer.ID : KryoSerializer.ID;

    assertEquals(expected, serialization.findSerializerFor(sample).identifier(), name);
    byte[] bytes = serialization.serialize(sample).get();
    String manifest = org.apache.pekko.serialization.Serializers.manifestFor(serialization.findSerializerFor(sample),
        sample);
    Object back = serialization.deserialize(bytes, expected, manifest).get();
    assertDeepEquals(sample, back, name);
  }

  @Test
  void samples_everyRegisteredOrMappedClass_hasASample() {
    Set<Class<?>> sampled = new HashSet<>();
    samples().forEach(a -> sampled.add(a.get()[1].getClass()));
    Set<String> missing = new TreeSet<>();
    Set<Class<?>> all = new HashSet<>(registeredClasses());
    all.addAll(proto.classes());
    for (Class<?> c : all) {
      if (!sampled.contains(c)) {
        missing.add(c.getName());
      }
    }

    assertTrue(missing.isEmpty(), "on the wire but not round-tripped here: " + missing);
  }

  @Test
  void registry_everyConcreteWireMessage_hasExactlyOneSerializer() throws Exception {
    Kryo registry = registryKryo();
    List<Class<?>> wireClasses = mainWireMessageClasses();
    Set<String> neither = new TreeSet<>();
    Set<String> both = new TreeSet<>();
    for (Class<?> c : wireClasses) {
      boolean bulk = registry.getClassResolver().getRegistration(c) != null;
      boolean control = proto.classes().contains(c);
      if (bulk && control) {
        both.add(c.getName());
      } else if (!bulk && !control) {
        neither.add(c.getName());
      }
    }

    assertTrue(wireClasses.size() >= 20, "found only " + wireClasses.size() + " wire message classes: scan broken?");
    assertTrue(neither.isEmpty(), "wire messages with no Protobuf codec and no Kryo registration: " + neither);
    assertTrue(both.isEmpty(), "wire messages both in ControlCodecs and in WireRegistry: " + both);
  }

  @Test
  void configuration_everyControlClass_isBoundToProtoSerializer() throws Exception {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    Set<String> unbound = new TreeSet<>();
    for (Class<?> c : proto.classes()) {
      if (serialization.serializerFor(c).identifier() != ProtoSerializer.ID) {
        unbound.add(c.getName());
      }
    }

    assertTrue(unbound.isEmpty(), "control messages not bound to rlft-proto in reference.conf: " + unbound);
  }

  @Test
  void register_retiredIds_stayFree() {
    // ids of messages that moved to Protobuf: a node still on the old table would read a new
    // class under one of them as the old message
    int[][] retired = {{201, 201}, {301, 303}, {305, 305}, {320, 321}, {340, 341}, {361, 364}, {380, 382},
        {400, 402}, {421, 421}, {600, 604}, {642, 645}, {647, 657}};
    Kryo registry = registryKryo();
    List<String> reused = new ArrayList<>();
    for (int[] range : retired) {
      for (int id = range[0]; id <= range[1]; id++) {
        Registration r = registry.getRegistration(id);
        if (r != null) {
          reused.add(id + " -> " + r.getType().getName());
        }
      }
    }

    assertTrue(reused.isEmpty(), "retired Kryo ids registered again: " + reused);
  }

  @Test
  void register_everyClass_hasExactlyOneId() {
    Kryo registry = registryKryo();
    Map<Class<?>, List<Integer>> idsByClass = new LinkedHashMap<>();
    for (int id = 100; id < 1000; id++) {
      Registration r = registry.getRegistration(id);
      if (r != null) {
        idsByClass.computeIfAbsent(r.getType(), k -> new ArrayList<>()).add(id);
      }
    }
    // List.of() and List.of(a, b, c) share one JDK class, so its first id is shadowed by the second.
    idsByClass.remove(List.of().getClass());
    idsByClass.values().removeIf(ids -> ids.size() == 1);

    assertTrue(idsByClass.isEmpty(), "classes registered under several ids: " + idsByClass);
  }

  @Test
  void fromBinary_bytesThatDecodeToNull_throw() {
    // Kryo writes null as the single byte 0; a null must never reach Artery as a message
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kryo.fromBinary(new byte[] {0}));
    assertTrue(e.getMessage().contains("decodes to null"), e.getMessage());
  }

  @Test
  void fromBinaryByteBuffer_nullOrTrailingBytes_throw() {
    // Artery reads through the ByteBuffer path: it must refuse what the byte[] path refuses
    IllegalArgumentException nul = assertThrows(IllegalArgumentException.class,
        () -> kryo.fromBinary(java.nio.ByteBuffer.wrap(new byte[] {0}), ""));
    assertTrue(nul.getMessage().contains("decodes to null"), nul.getMessage());
    byte[] valid = kryo.toBinary(new int[] {1, 2});
    IllegalArgumentException trailing = assertThrows(IllegalArgumentException.class,
        () -> kryo.fromBinary(java.nio.ByteBuffer.wrap(java.util.Arrays.copyOf(valid, valid.length + 2)), ""));
    assertTrue(trailing.getMessage().contains("bytes after"), trailing.getMessage());
  }

  @Test
  void fromBinary_trailingBytes_throw() {
    byte[] valid = kryo.toBinary(new int[] {1, 2});
    byte[] longer = java.util.Arrays.copyOf(valid, valid.length + 2);

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> kryo.fromBinary(longer));
    assertTrue(e.getMessage().contains("2 bytes after"), e.getMessage());
  }

  @Test
  void toBinary_unregisteredWireMessage_throws() {
    record Unregistered(int n) implements WireMessage {}

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> kryo.toBinary(new Unregistered(1)));
    assertTrue(e.getMessage().contains("not registered"), e.getMessage());
  }

  @Test
  void serialize_unregisteredWireMessage_isFailure() {
    record Unregistered(int n) implements WireMessage {}
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));

    Try<byte[]> result = serialization.serialize(new Unregistered(1));

    assertTrue(result.isFailure(), "an unregistered class must not serialize");
  }

  @Test
  void serialize_javaSerializableNonWireMessage_isFailure() {
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));

    Try<byte[]> result = serialization.serialize(new PlainSerializable(1));

    assertTrue(result.isFailure(), "Java serialization must be off");
    assertTrue(result.failed().get().getMessage().contains("Java serialization"),
        result.failed().get().getMessage());
  }

  @Test
  void tell_javaSerializableNonWireMessage_isNotDelivered() {
    TestProbe<Object> target = freshProbe(Object.class);

    target.ref().tell(new PlainSerializable(1));
    target.ref().tell(new ParameterServer.Version(7));

    // The wire message sent second arrives; the Java-serializable one before it never does.
    ParameterServer.Version got = assertInstanceOf(ParameterServer.Version.class,
        target.receiveMessage(Duration.ofSeconds(3)));
    assertEquals(7, got.version());
    target.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void tell_wireMessage_arrivesAsADeserializedCopy() {
    TestProbe<ParameterServer.WeightsReply> target = freshProbe(ParameterServer.WeightsReply.class);
    ParameterServer.WeightsReply sent = new ParameterServer.WeightsReply(4, snapshot(4), null);

    target.ref().tell(sent);

    ParameterServer.WeightsReply got = target.receiveMessage(Duration.ofSeconds(3));
    assertTrue(got != sent && got.snapshot() != sent.snapshot(), "serialize-messages is not on in this test kit");
    assertDeepEquals(sent, got, "WeightsReply");
  }

  /** A Java-serializable message that is not a {@link WireMessage}. */
  record PlainSerializable(int n) implements Serializable {}

  // --- helpers -------------------------------------------------------------------------------

  private static Kryo registryKryo() {
    Kryo k = new Kryo();
    k.setRegistrationRequired(true);
    WireRegistry.register(k, new Serializer<Object>() {
      @Override
      public void write(Kryo kryo, Output output, Object object) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Object read(Kryo kryo, Input input, Class<?> type) {
        throw new UnsupportedOperationException();
      }
    });
    return k;
  }

  /** Classes WireRegistry adds beyond Kryo's built-in defaults (ids 100 and up). */
  private static Set<Class<?>> registeredClasses() {
    Kryo registry = registryKryo();
    Set<Class<?>> out = new HashSet<>();
    for (int id = 100; id < 1000; id++) {
      Registration r = registry.getRegistration(id);
      if (r != null) {
        out.add(r.getType());
      }
    }
    return out;
  }

  /** Concrete main-code classes that implement WireMessage and are meant to be verified on the wire. */
  private static List<Class<?>> mainWireMessageClasses() throws Exception {
    URI location = WireMessage.class.getProtectionDomain().getCodeSource().getLocation().toURI();
    Path root = Path.of(location);
    if (Files.isDirectory(root)) {
      return wireMessageClassesUnder(root);
    }
    try (FileSystem jar = FileSystems.newFileSystem(root)) {
      return wireMessageClassesUnder(jar.getPath("/"));
    }
  }

  private static List<Class<?>> wireMessageClassesUnder(Path root) throws IOException {
    List<Class<?>> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Iterator<Path> it = files.iterator(); it.hasNext(); ) {
        Path f = it.next();
        String rel = root.relativize(f).toString().replace('\\', '/');
        if (!rel.startsWith("dev/rlft/") || !rel.endsWith(".class")) {
          continue;
        }
        String name = rel.substring(0, rel.length() - ".class".length()).replace('/', '.');
        Class<?> c;
        try {
          c = Class.forName(name, false, WireMessage.class.getClassLoader());
        } catch (ClassNotFoundException e) {
          throw new IllegalStateException(e);
        }
        boolean concrete = !c.isInterface() && !Modifier.isAbstract(c.getModifiers());
        if (concrete && WireMessage.class.isAssignableFrom(c)
            && !NoSerializationVerificationNeeded.class.isAssignableFrom(c)) {
          out.add(c);
        }
      }
    }
    return out;
  }

  /** Equality by value: same classes, records component by component, arrays element by element. */
  static void assertDeepEquals(Object expected, Object actual, String path) {
    if (expected == null) {
      assertNull(actual, path);
      return;
    }
    assertNotNull(actual, path);
    assertEquals(expected.getClass(), actual.getClass(), path + ": class");
    if (expected.getClass().isArray()) {
      int n = Array.getLength(expected);
      assertEquals(n, Array.getLength(actual), path + ": length");
      for (int i = 0; i < n; i++) {
        // boxed equals compares floats and doubles by bits: NaN == NaN, -0 != 0
        assertDeepEquals(Array.get(expected, i), Array.get(actual, i), path + "[" + i + "]");
      }
    } else if (expected instanceof Record) {
      for (RecordComponent c : expected.getClass().getRecordComponents()) {
        Method accessor = c.getAccessor();
        accessor.setAccessible(true);
        try {
          assertDeepEquals(accessor.invoke(expected), accessor.invoke(actual), path + "." + c.getName());
        } catch (ReflectiveOperationException e) {
          fail(path + "." + c.getName() + ": " + e);
        }
      }
    } else if (expected instanceof dev.rlft.model.CharTokenizer e && actual instanceof dev.rlft.model.CharTokenizer a) {
      assertEquals(e.symbols(), a.symbols(), path + ": symbols");
    } else if (expected instanceof List<?> e && actual instanceof List<?> a) {
      assertEquals(e.size(), a.size(), path + ": size");
      for (int i = 0; i < e.size(); i++) {
        assertDeepEquals(e.get(i), a.get(i), path + "[" + i + "]");
      }
    } else if (expected instanceof Map<?, ?> e && actual instanceof Map<?, ?> a) {
      if (e instanceof LinkedHashMap<?, ?>) {
        assertEquals(new ArrayList<>(e.keySet()), new ArrayList<>(a.keySet()), path + ": keys in order");
      } else {
        assertEquals(e.keySet(), a.keySet(), path + ": keys");
      }
      for (Object key : e.keySet()) {
        assertDeepEquals(e.get(key), a.get(key), path + "[" + key + "]");
      }
    } else {
      assertEquals(expected, actual, path);
    }
  }
}
