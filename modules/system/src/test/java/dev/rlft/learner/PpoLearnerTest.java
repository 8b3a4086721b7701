package dev.rlft.learner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.model.PromptTemplate;
import dev.rlft.params.ParameterServer;
import dev.rlft.testing.TinyPolicy;
import dev.rlft.testing.WireChecked;
import dev.rlft.train.Trajectory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A PPO learner: critic learning, versions, refusals of the other algorithm, and its critic in checkpoints. */
class PpoLearnerTest {

  private static final ActorTestKit testKit = ActorTestKit.create("ppo-learner", WireChecked.config());

  private static final Duration TRAIN = Duration.ofSeconds(30);

  private static final Map<String, float[]> INITIAL = TinyPolicy.initialWeights(13);

  private static int actors;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** Two epochs of two minibatches per update; lambda 1 so the value targets do not move with the critic. */
  private static Learner.Ppo ppo(Checkpoint.Critic critic) {
    return new Learner.Ppo(TinyPolicy.ppo(1f, 1e-2f), 2, 2, critic, 3);
  }

  private static ActorRef<Learner.Command> spawn(Learner.Init init) {
    int n = ++actors;
    ActorRef<ParameterServer.Command> params = testKit.spawn(ParameterServer.create(), "params-" + n);
    return testKit.spawn(Learner.create(init, params), "learner-" + n,
        DispatcherSelector.fromConfig("rlft.model-dispatcher"));
  }

  private static <T> TestProbe<T> probe(Class<T> type) {
    return testKit.createTestProbe("probe-" + (++actors), type);
  }

  /** Four completions, two right; the sampling log-probabilities are uniform over the vocabulary. */
  private static ArrayList<Trajectory> batch() {
    ArrayList<Trajectory> out = new ArrayList<>();
    String[][] groups = {{"1+1=", "1+1=2\n\n\\boxed{2}", "1+1=3\n\n\\boxed{3}"}, {"2+3=", "\\boxed{5}", "2+3=4"}};
    for (int g = 0; g < groups.length; g++) {
      int[] prompt = PromptTemplate.PLAIN.encode(TinyPolicy.TOKENIZER, groups[g][0]);
      for (int i = 1; i <= 2; i++) {
        int[] text = TinyPolicy.TOKENIZER.encode(groups[g][i]);
        int[] completion = Arrays.copyOf(text, text.length + 1);
        completion[text.length] = TinyPolicy.TOKENIZER.eosId();
        float[] logprobs = new float[completion.length];
        Arrays.fill(logprobs, (float) -Math.log(TinyPolicy.TOKENIZER.vocabSize()));
        out.add(new Trajectory(g, prompt, completion, logprobs, 0, i == 1 ? 1f : 0f, i == 1));
      }
    }
    return out;
  }

  /** A step reward of 0.5 on the fourth token, and the outcome on the final token. */
  private static ArrayList<float[]> rewards(List<Trajectory> batch) {
    ArrayList<float[]> out = new ArrayList<>();
    for (Trajectory t : batch) {
      float[] r = new float[t.completion().length];
      r[3] = 0.5f;
      r[r.length - 1] += t.reward();
      out.add(r);
    }
    return out;
  }

  private static Learner.Trained trainPpo(ActorRef<Learner.Command> learner, long batchId) {
    TestProbe<Learner.Trained> trained = probe(Learner.Trained.class);
    ArrayList<Trajectory> batch = batch();
    learner.tell(new Learner.TrainPpo(batchId, batch, rewards(batch), trained.ref()));
    return trained.receiveMessage(TRAIN);
  }

  private static Learner.CriticState critic(ActorRef<Learner.Command> learner) {
    TestProbe<Learner.CriticState> reply = probe(Learner.CriticState.class);
    learner.tell(new Learner.GetCritic(reply.ref()));
    return reply.receiveMessage(TRAIN);
  }

  private static void assertSameTensors(Map<String, float[]> expected, Map<String, float[]> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    expected.forEach((name, data) -> assertArrayEquals(data, actual.get(name), name));
  }

  @Test
  void trainPpo_repeatedOnAFixedBatch_versionsAdvance_metricsFinite_valueLossFalls() {
    ActorRef<Learner.Command> learner = spawn(TinyPolicy.ppoLearnerInit(INITIAL, ppo(null)));
    List<Double> valueLoss = new ArrayList<>();

    for (int i = 1; i <= 8; i++) {
      Learner.Trained t = trainPpo(learner, i);
      assertNull(t.error());
      assertEquals(i, t.version(), "one version per update");
      for (String key : List.of("pg_loss", "value_loss", "kl", "clip_frac", "value_clip_frac", "explained_variance",
          "value_mean", "return_mean", "adv_abs", "entropy", "grad_norm", "critic_grad_norm", "train_seconds")) {
        assertNotNull(t.metrics().get(key), key + " in " + t.metrics().keySet());
        assertTrue(Double.isFinite(t.metrics().get(key)), key + " = " + t.metrics().get(key));
      }
      assertEquals(4.0, t.metrics().get("ppo_steps"), "2 epochs x 2 minibatches");
      valueLoss.add(t.metrics().get("value_loss"));
    }

    assertTrue(valueLoss.get(7) < 0.5 * valueLoss.get(0), "value loss " + valueLoss);
    assertEquals(32, critic(learner).optimizerSteps());
  }

  @Test
  void saveCheckpoint_ppoLearner_savesTheCritic_andANewLearnerResumesFromIt(@TempDir Path tmp) throws Exception {
    ActorRef<Learner.Command> first = spawn(TinyPolicy.ppoLearnerInit(INITIAL, ppo(null)));
    trainPpo(first, 1);
    Learner.CriticState held = critic(first);
    TestProbe<Learner.Saved> saved = probe(Learner.Saved.class);
    Path dir = tmp.resolve("ppo");

    first.tell(new Learner.SaveCheckpoint(dir.toString(), "ppo", saved.ref()));
    assertNull(saved.receiveMessage(TRAIN).error());
    Checkpoint loaded = Checkpoint.load(dir);

    assertNotNull(loaded.critic(), "a PPO checkpoint carries its critic");
    assertSameTensors(held.weights(), loaded.critic().weights());
    assertSameTensors(held.optimizerState(), loaded.critic().optimizerState());
    assertEquals(4, loaded.critic().optimizerSteps());

    ActorRef<Learner.Command> resumed = spawn(TinyPolicy.ppoLearnerInit(loaded.weights(), ppo(loaded.critic())));
    Learner.CriticState restored = critic(resumed);
    assertSameTensors(held.weights(), restored.weights());
    assertSameTensors(held.optimizerState(), restored.optimizerState());
    assertEquals(4, restored.optimizerSteps());
    Learner.CriticState fresh = critic(spawn(TinyPolicy.ppoLearnerInit(loaded.weights(), ppo(null))));
    assertFalse(Arrays.equals(held.weights().get("value_head.weight"), fresh.weights().get("value_head.weight")),
        "the resumed critic is the trained one, not a fresh head");

    assertNull(trainPpo(resumed, 2).error());
    assertEquals(8, critic(resumed).optimizerSteps(), "the critic's optimizer goes on counting");
  }

  @Test
  void trainPpo_loraPolicy_fullWeightCriticLearns_andOnlyAdaptersArePublished() {
    int n = ++actors;
    ActorRef<ParameterServer.Command> params = testKit.spawn(ParameterServer.create(), "params-" + n);
    dev.rlft.model.LoraConfig lora = new dev.rlft.model.LoraConfig(2, 4f, 0f, java.util.Set.of("q_proj", "v_proj"));
    Learner.Init plain = TinyPolicy.ppoLearnerInit(INITIAL, ppo(null));
    Learner.Init init = new Learner.Init(plain.model(), plain.tokenizer(), INITIAL, INITIAL, 0, plain.adam(),
        plain.grpo(), lora, 5, plain.ppo());
    ActorRef<Learner.Command> learner = testKit.spawn(Learner.create(init, params), "learner-" + n,
        DispatcherSelector.fromConfig("rlft.model-dispatcher"));
    TestProbe<ParameterServer.WeightsReply> replies = probe(ParameterServer.WeightsReply.class);

    Learner.Trained t = trainPpo(learner, 1);
    params.tell(new ParameterServer.GetWeights(0, 1, replies.ref()));
    ParameterServer.WeightsReply v1 = replies.receiveMessage(TRAIN);
    Learner.CriticState c = critic(learner);

    assertNull(t.error());
    assertEquals(1, t.version());
    assertTrue(t.metrics().get("critic_grad_norm") > 0, t.metrics().toString());
    assertEquals(dev.rlft.params.WeightSnapshot.Kind.ADAPTERS, v1.snapshot().kind());
    assertFalse(Arrays.equals(INITIAL.get("model.norm.weight"), c.weights().get("model.norm.weight")),
        "the critic's backbone trains all its weights although the policy trains adapters only");
  }

  @Test
  void eachLearner_refusesTheOtherAlgorithmsMessages_withAnErrorReply() {
    ActorRef<Learner.Command> grpo = spawn(TinyPolicy.learnerInit(INITIAL));
    ActorRef<Learner.Command> ppo = spawn(TinyPolicy.ppoLearnerInit(INITIAL, ppo(null)));
    TestProbe<Learner.Trained> trained = probe(Learner.Trained.class);

    Learner.Trained ppoOnGrpo = trainPpo(grpo, 1);
    ppo.tell(new Learner.Train(2, batch(), 2, trained.ref()));
    Learner.Trained grpoOnPpo = trained.receiveMessage(TRAIN);
    Learner.CriticState none = critic(grpo);

    assertTrue(ppoOnGrpo.error() != null && ppoOnGrpo.error().contains("GRPO"), String.valueOf(ppoOnGrpo.error()));
    assertEquals(0, ppoOnGrpo.version());
    assertTrue(grpoOnPpo.error() != null && grpoOnPpo.error().contains("PPO"), String.valueOf(grpoOnPpo.error()));
    assertEquals(0, grpoOnPpo.version());
    assertNotNull(none.error());
    assertThrows(IllegalStateException.class, none::toCheckpoint);
  }

  @Test
  void init_savedCriticOfAnotherShape_rejectedNamingTheTensors() {
    Map<String, float[]> weights = new LinkedHashMap<>(INITIAL);
    weights.put("value_head.weight", new float[TinyPolicy.MODEL.dim()]);
    weights.put("value_head.bias", new float[1]);
    Map<String, float[]> missing = new LinkedHashMap<>(weights);
    missing.remove("model.norm.weight");
    Map<String, float[]> wrongSize = new LinkedHashMap<>(weights);
    wrongSize.put("value_head.weight", new float[3]);

    IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
        () -> TinyPolicy.ppoLearnerInit(INITIAL, ppo(new Checkpoint.Critic(missing, Map.of(), 0))));
    IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
        () -> TinyPolicy.ppoLearnerInit(INITIAL, ppo(new Checkpoint.Critic(wrongSize, Map.of(), 0))));
    TinyPolicy.ppoLearnerInit(INITIAL, ppo(new Checkpoint.Critic(weights, Map.of(), 0)));

    assertTrue(a.getMessage().contains("model.norm.weight"), a.getMessage());
    assertTrue(b.getMessage().contains("value_head.weight") && b.getMessage().contains("3"), b.getMessage());
  }
}
