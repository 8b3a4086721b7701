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
    assertEquals(TinyPolicy.TOKENIZER.symbols(), loaded.tokenizer().symbols());
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
