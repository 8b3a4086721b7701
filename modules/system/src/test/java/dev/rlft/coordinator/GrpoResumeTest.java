package dev.rlft.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.learner.Learner;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.reward.BoxedAnswerReward;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.steps.HackingSentinel;
import dev.rlft.system.LocalGrpoRun;
import dev.rlft.testing.TinyPolicy;
import dev.rlft.testing.Weights;
import dev.rlft.testing.WireChecked;
import dev.rlft.train.AdamW;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GRPO run that checkpoints as it goes, and a run resumed from such a checkpoint: it continues
 * with the same weights, optimizer moments, version, data cursor and sampling seeds, regenerates
 * the batches that were in flight, and keeps one account of every prompt group.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class GrpoResumeTest {

  private static final long SEED = 13;

  private static final Map<String, float[]> INITIAL = TinyPolicy.initialWeights(SEED);

  private static final int PROMPTS = 2;

  private static final int GROUP = 2;

  @TempDir
  Path dir;

  private record Outcome(LocalGrpoRun.Result result, List<StepReport> reports) {}

  private static Outcome run(int steps, int maxStaleness, Learner.Init init, Coordinator.Recovery recovery) {
    Coordinator.Settings settings = new Coordinator.Settings(steps, PROMPTS, GROUP, maxStaleness,
        new SamplingParams(1f, 1f, 0, TinyPolicy.MAX_NEW_TOKENS, SEED), Duration.ofSeconds(30), Duration.ofSeconds(30),
        0, Duration.ofSeconds(30));
    LocalGrpoRun.Plan plan = new LocalGrpoRun.Plan(init, settings, new PromptFeed(TinyPolicy.problems(SEED), SEED),
        TinyPolicy.TOKENIZER, PromptTemplate.PLAIN, new BoxedAnswerReward(), 1, 1,
        new RolloutWorker.ModelSpec(TinyPolicy.MODEL, null, Set.of(), ai.djl.ndarray.types.DataType.FLOAT32), null,
        recovery);
    List<StepReport> reports = new CopyOnWriteArrayList<>();
    LocalGrpoRun.Result result = LocalGrpoRun.run(plan, WireChecked.config(), reports::add);
    assertNull(result.finished().error());
    return new Outcome(result, reports);
  }

  /** A learner continuing from {@code ckpt}, its KL reference still the run's starting weights. */
  private static Learner.Init resumed(Checkpoint ckpt, Learner.Resume resume) {
    return new Learner.Init(TinyPolicy.MODEL, TinyPolicy.TOKENIZER, ckpt.weights(), INITIAL, ckpt.weightVersion(),
        AdamW.Config.defaults(), TinyPolicy.grpo(), null, 0, resume);
  }

  @Test
  void resume_synchronousRun_endsWithTheWeightsOfTheUninterruptedRun() throws Exception {
    Path ckptDir = dir.resolve("grpo-latest");
    Outcome straight = run(3, 0, TinyPolicy.learnerInit(INITIAL), new Coordinator.Recovery(ckptDir.toString(), 2, null));

    Checkpoint ckpt = Checkpoint.load(ckptDir);
    assertEquals(2, ckpt.weightVersion());
    assertEquals(2, ckpt.optimizerSteps());
    assertFalse(ckpt.optimizerState().isEmpty(), "no optimizer moments in the checkpoint");
    assertEquals("0.04", ckpt.metadata().get(Learner.BETA_KEY));
    ResumeCursor cursor = ResumeCursor.fromMetadata(ckpt.metadata());
    assertEquals(2, cursor.trainedSteps());
    assertEquals(2, cursor.nextBatchId());
    assertEquals(List.of(), cursor.pending(), "a synchronous run has nothing in flight after a step");

    Outcome resumedRun = run(3, 0, resumed(ckpt, new Learner.Resume(ckpt.optimizerState(), ckpt.optimizerSteps(),
        ckpt.adapters())), new Coordinator.Recovery(dir.resolve("again").toString(), 0, cursor));

    assertEquals(3, resumedRun.result().finished().steps());
    assertEquals(3, resumedRun.result().finished().version());
    assertEquals(1, resumedRun.reports().size());
    assertEquals(3, resumedRun.reports().get(0).step());
    assertEquals(2, resumedRun.reports().get(0).batchId(), "the resumed run must draw the next batch, not batch 0");
    assertEquals(3L * PROMPTS, resumedRun.result().finished().groups().trained());
    double diff = Weights.maxDifference(straight.result().finalWeights().asMap(), resumedRun.result().finalWeights().asMap());
    assertTrue(diff < 1e-6, "resumed weights differ from the uninterrupted run's by " + diff);

    // the moments matter: the same resume with fresh optimizer state ends elsewhere
    Map<String, float[]> zeroMoments = new HashMap<>();
    ckpt.optimizerState().forEach((k, v) -> zeroMoments.put(k, new float[v.length]));
    Outcome forgetful = run(3, 0, resumed(ckpt, new Learner.Resume(zeroMoments, 0, Map.of())),
        new Coordinator.Recovery(dir.resolve("forgetful").toString(), 0, cursor));
    double forgetfulDiff = Weights.maxDifference(straight.result().finalWeights().asMap(),
        forgetful.result().finalWeights().asMap());
    assertTrue(forgetfulDiff > 1e-5, "optimizer state made no difference (" + forgetfulDiff + "): test is blind");
  }

  @Test
  void resume_overlappedRun_regeneratesInFlightBatchesAndAccountsForEveryGroup() throws Exception {
    Path ckptDir = dir.resolve("grpo-latest");
    run(4, 1, TinyPolicy.learnerInit(INITIAL), new Coordinator.Recovery(ckptDir.toString(), 2, null));
    Checkpoint ckpt = Checkpoint.load(ckptDir);
    ResumeCursor cursor = ResumeCursor.fromMetadata(ckpt.metadata());
    assertEquals(2, cursor.trainedSteps());
    assertEquals(List.of(2L), cursor.pending().stream().map(ResumeCursor.Pending::batchId).toList(),
        "batch 2 is generated while batch 1 trains");

    Outcome resumedRun = run(4, 1, resumed(ckpt, new Learner.Resume(ckpt.optimizerState(), ckpt.optimizerSteps(),
        ckpt.adapters())), new Coordinator.Recovery(dir.resolve("again").toString(), 0, cursor));

    Coordinator.Finished f = resumedRun.result().finished();
    assertEquals(4, f.steps());
    assertEquals(4, f.version());
    assertEquals(List.of(3, 4), resumedRun.reports().stream().map(StepReport::step).toList());
    assertEquals(Set.of(2L, 3L), Set.copyOf(resumedRun.reports().stream().map(StepReport::batchId).toList()));
    assertEquals(4L * PROMPTS, f.groups().dispatched());
    assertEquals(4L * PROMPTS, f.groups().trained());
    assertEquals(Map.of(), f.groups().dropped());
    assertEquals(4L * PROMPTS * GROUP, f.trainedSamples());
  }

  @Test
  void cursor_metadataRoundTrip_keepsEveryField() {
    LinkedHashMap<String, Long> groupsDropped = new LinkedHashMap<>(Map.of("too stale", 4L));
    HackingSentinel.State sentinel = new HackingSentinel.State(7, 9,
        List.of(Map.of("accuracy", 0.5, "kl", 0.01)), List.of(Map.of("accuracy", 0.25, "kl", Double.NaN)));
    ResumeCursor c = new ResumeCursor(7, 112, 10, 20, 20,
        List.of(new ResumeCursor.Pending(8, 16, 16, 2), new ResumeCursor.Pending(9, 18, 18, 2)),
        new LinkedHashMap<>(Map.of("too stale", 2)), new Coordinator.Groups(20, 14, 2, groupsDropped), sentinel,
        List.of(HackingSentinel.Action.SWITCH_CREDIT, HackingSentinel.Action.GUARD));

    ResumeCursor back = ResumeCursor.fromMetadata(c.toMetadata());

    assertEquals(c.trainedSteps(), back.trainedSteps());
    assertEquals(c.trainedSamples(), back.trainedSamples());
    assertEquals(c.nextBatchId(), back.nextBatchId());
    assertEquals(c.nextGroupId(), back.nextGroupId());
    assertEquals(c.feedPosition(), back.feedPosition());
    assertEquals(c.pending(), back.pending());
    assertEquals(c.droppedBatches(), back.droppedBatches());
    assertEquals(c.groups().dispatched(), back.groups().dispatched());
    assertEquals(c.groups().dropped(), back.groups().dropped());
    assertEquals(sentinel, back.sentinel());
    assertEquals(c.sentinelActions(), back.sentinelActions());
    assertTrue(ResumeCursor.presentIn(c.toMetadata()));

    // a checkpoint from before the sentinel's state was saved: no sentinel, no decisions in force
    Map<String, String> older = new HashMap<>(c.toMetadata());
    older.remove("grpo.sentinel");
    older.remove("grpo.sentinel_actions");
    ResumeCursor old = ResumeCursor.fromMetadata(older);
    assertNull(old.sentinel());
    assertEquals(List.of(), old.sentinelActions());
  }

  @Test
  void cursor_missingKey_isAnErrorNamingIt() {
    Map<String, String> m = new HashMap<>(new ResumeCursor(1, 4, 1, 2, 2, new ArrayList<>(), new LinkedHashMap<>(),
        Coordinator.Groups.none()).toMetadata());
    m.remove("grpo.feed_position");

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ResumeCursor.fromMetadata(m));
    assertTrue(e.getMessage().contains("grpo.feed_position"), e.getMessage());
  }

  @Test
  void promptFeed_seek_continuesTheSameSequenceAcrossEpochs() {
    PromptFeed a = new PromptFeed(TinyPolicy.problems(SEED), SEED);
    int n = TinyPolicy.problems(SEED).size();
    List<String> first = new ArrayList<>();
    for (int i = 0; i < n + 5; i++) {
      first.add(a.next().id());
    }
    PromptFeed b = new PromptFeed(TinyPolicy.problems(SEED), SEED);
    b.seek(n - 2);

    assertEquals(first.get(n - 2), b.next().id());
    assertEquals(first.get(n - 1), b.next().id());
    assertEquals(first.get(n), b.next().id(), "the next epoch's shuffle");
    assertEquals(n + 1, b.position());
    assertEquals(first.get(3), b.at(3).id(), "at() of another epoch");
  }
}
