package dev.rlft.learner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.model.PromptTemplate;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.testing.TinyPolicy;
import dev.rlft.testing.WireChecked;
import dev.rlft.train.Trajectory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The learner: one Train is one published version; checkpoints load back to what it holds. */
class LearnerTest {

  private static final ActorTestKit testKit = ActorTestKit.create("learner", WireChecked.config());

  private static final Duration TRAIN = Duration.ofSeconds(30);

  private static final Map<String, float[]> INITIAL = TinyPolicy.initialWeights(11);

  private static int actors;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit(); // stops the learners, whose PostStop closes their NDManagers
  }

  private record Fixture(ActorRef<ParameterServer.Command> params, ActorRef<Learner.Command> learner) {}

  private static Fixture spawn() {
    int n = ++actors;
    ActorRef<ParameterServer.Command> params = testKit.spawn(ParameterServer.create(), "params-" + n);
    ActorRef<Learner.Command> learner = testKit.spawn(Learner.create(TinyPolicy.learnerInit(INITIAL), params),
        "learner-" + n, DispatcherSelector.fromConfig("rlft.model-dispatcher"));
    return new Fixture(params, learner);
  }

  private static <T> TestProbe<T> probe(Class<T> type) {
    return testKit.createTestProbe("probe-" + (++actors), type);
  }

  /** Two groups of two; within each group one completion is rewarded, so every advantage is non-zero. */
  private static ArrayList<Trajectory> batch() {
    ArrayList<Trajectory> out = new ArrayList<>();
    String[][] groups = {{"1+1=", "2", "3"}, {"2+3=", "5", "4"}};
    for (int g = 0; g < groups.length; g++) {
      int[] prompt = PromptTemplate.PLAIN.encode(TinyPolicy.TOKENIZER, groups[g][0]);
      for (int i = 1; i <= 2; i++) {
        int[] text = TinyPolicy.TOKENIZER.encode("\\boxed{" + groups[g][i] + "}");
        int[] completion = Arrays.copyOf(text, text.length + 1);
        completion[text.length] = TinyPolicy.TOKENIZER.eosId();
        float[] logprobs = new float[completion.length];
        Arrays.fill(logprobs, (float) -Math.log(TinyPolicy.TOKENIZER.vocabSize()));
        out.add(new Trajectory(g, prompt, completion, logprobs, 0, i == 1 ? 1f : 0f, i == 1));
      }
    }
    return out;
  }

  private static Learner.Trained train(Fixture f, long batchId) {
    TestProbe<Learner.Trained> trained = probe(Learner.Trained.class);
    f.learner().tell(new Learner.Train(batchId, batch(), 2, trained.ref()));
    return trained.receiveMessage(TRAIN);
  }

  private static WeightSnapshot learnerWeights(Fixture f) {
    TestProbe<WeightSnapshot> weights = probe(WeightSnapshot.class);
    f.learner().tell(new Learner.GetWeights(weights.ref()));
    return weights.receiveMessage(TRAIN);
  }

  private static boolean anyTensorDiffers(Map<String, float[]> a, Map<String, float[]> b) {
    return a.keySet().stream().anyMatch(k -> !Arrays.equals(a.get(k), b.get(k)));
  }

  @Test
  void loraLearner_publishesTheBaseOnce_thenAdapterOnlyVersions() {
    int n = ++actors;
    ActorRef<ParameterServer.Command> params = testKit.spawn(ParameterServer.create(), "params-" + n);
    Learner.Init plain = TinyPolicy.learnerInit(INITIAL);
    dev.rlft.model.LoraConfig lora = new dev.rlft.model.LoraConfig(2, 4f, 0f, java.util.Set.of("q_proj", "v_proj"));
    Learner.Init init = new Learner.Init(plain.model(), plain.tokenizer(), INITIAL, INITIAL, 0, plain.adam(),
        plain.grpo(), lora, 5);
    Fixture f = new Fixture(params, testKit.spawn(Learner.create(init, params), "learner-" + n,
        DispatcherSelector.fromConfig("rlft.model-dispatcher")));
    TestProbe<ParameterServer.WeightsReply> replies = probe(ParameterServer.WeightsReply.class);

    f.params().tell(new ParameterServer.GetWeights(-1, 0, replies.ref()));
    ParameterServer.WeightsReply v0 = replies.receiveMessage(TRAIN);
    assertEquals(WeightSnapshot.Kind.FULL, v0.snapshot().kind());
    assertFalse(anyTensorDiffers(INITIAL, v0.snapshot().baseWeights()), "version 0 carries the frozen base");
    assertEquals(2 * 2 * plain.model().nLayers(), v0.snapshot().adapters().size());

    assertNull(train(f, 1).error());
    f.params().tell(new ParameterServer.GetWeights(0, 1, replies.ref()));
    ParameterServer.WeightsReply v1 = replies.receiveMessage(TRAIN);
    assertEquals(1, v1.version());
    assertEquals(WeightSnapshot.Kind.ADAPTERS, v1.snapshot().kind());
    assertNull(v1.base(), "a worker holding the base gets only the adapters");
    assertTrue(v1.snapshot().baseWeights().isEmpty());
    assertTrue(v1.bytes() * 4 < v0.bytes(), "adapter sync " + v1.bytes() + " bytes vs full " + v0.bytes());

    f.params().tell(new ParameterServer.GetWeights(-1, 1, replies.ref()));
    ParameterServer.WeightsReply fresh = replies.receiveMessage(TRAIN);
    assertNotNull(fresh.base(), "a worker without the base gets it with the adapters");
    assertEquals(0, fresh.base().version());
    assertEquals(WeightSnapshot.Kind.ADAPTERS, fresh.snapshot().kind());

    WeightSnapshot merged = learnerWeights(f);
    assertTrue(anyTensorDiffers(INITIAL, merged.asMap()), "the learner's merged weights moved");
    assertEquals(INITIAL.keySet(), merged.asMap().keySet(), "merged export uses the base names only");
  }

  @Test
  void create_startVersion_isPublishedWithTheInitialWeights() {
    Fixture f = spawn();
    TestProbe<ParameterServer.WeightsReply> replies = probe(ParameterServer.WeightsReply.class);

    f.params().tell(new ParameterServer.GetWeights(-1, 0, replies.ref()));
    ParameterServer.WeightsReply reply = replies.receiveMessage(TRAIN);

    assertEquals(0, reply.version());
    assertFalse(anyTensorDiffers(INITIAL, reply.snapshot().asMap()), "version 0 must be the initial weights");
  }

  @Test
  void train_oneBatch_publishesVersionOneWithMovedWeights() {
    Fixture f = spawn();
    TestProbe<ParameterServer.WeightsReply> replies = probe(ParameterServer.WeightsReply.class);

    Learner.Trained trained = train(f, 42);
    f.params().tell(new ParameterServer.GetWeights(0, 1, replies.ref()));
    ParameterServer.WeightsReply published = replies.receiveMessage(TRAIN);
    WeightSnapshot held = learnerWeights(f);

    assertEquals(42, trained.batchId());
    assertEquals(1, trained.version());
    for (String key : new String[] {"loss", "kl", "grad_norm", "train_seconds"}) {
      assertNotNull(trained.metrics().get(key), "metric " + key);
      assertTrue(Double.isFinite(trained.metrics().get(key)), key + " = " + trained.metrics().get(key));
    }
    assertTrue(trained.metrics().get("grad_norm") > 0, "a batch with non-zero advantages must have a gradient");
    assertEquals(1, published.version());
    assertNotNull(published.snapshot());
    assertTrue(anyTensorDiffers(INITIAL, published.snapshot().asMap()), "the update did not move any weight");
    assertEquals(1, held.version());
    assertFalse(anyTensorDiffers(held.asMap(), published.snapshot().asMap()),
        "the parameter server must hold exactly the learner's weights");
  }

  @Test
  void train_twice_versionsIncreaseByOne() {
    Fixture f = spawn();

    long first = train(f, 0).version();
    long second = train(f, 1).version();

    assertEquals(1, first);
    assertEquals(2, second);
  }

  @Test
  void saveCheckpoint_afterTrain_writesACheckpointThatLoadsBack(@TempDir Path tmp) throws Exception {
    Fixture f = spawn();
    train(f, 0);
    WeightSnapshot held = learnerWeights(f);
    Path dir = tmp.resolve("ckpt");
    TestProbe<Learner.Saved> saved = probe(Learner.Saved.class);

    f.learner().tell(new Learner.SaveCheckpoint(dir.toString(), "grpo", saved.ref()));
    Learner.Saved reply = saved.receiveMessage(TRAIN);
    Checkpoint loaded = Checkpoint.load(dir);

    assertNull(reply.error());
    assertEquals(1, reply.version());
    assertEquals(dir.toString(), reply.dir());
    assertEquals(TinyPolicy.MODEL, loaded.model());
    assertEquals(TinyPolicy.TOKENIZER.symbols(), ((dev.rlft.model.CharTokenizer) loaded.tokenizer()).symbols());
    assertEquals(1, loaded.weightVersion());
    assertEquals(1, loaded.optimizerSteps());
    assertEquals("grpo", loaded.phase());
    assertEquals(held.asMap().keySet(), loaded.weights().keySet());
    held.asMap().forEach((name, data) -> assertArrayEquals(data, loaded.weights().get(name), name));
    assertFalse(loaded.optimizerState().isEmpty(), "optimizer moments must be saved");
  }

  @Test
  void saveCheckpoint_unwritableDir_repliesWithError(@TempDir Path tmp) throws Exception {
    Fixture f = spawn();
    Path file = tmp.resolve("not-a-dir");
    java.nio.file.Files.writeString(file, "x");
    TestProbe<Learner.Saved> saved = probe(Learner.Saved.class);

    f.learner().tell(new Learner.SaveCheckpoint(file.resolve("ckpt").toString(), "grpo", saved.ref()));
    Learner.Saved reply = saved.receiveMessage(TRAIN);

    assertNotNull(reply.error(), "saving under a regular file must fail");
    assertEquals(0, reply.version());
  }
}
