package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rlft.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rlft train} with PPO: a tiny run, resuming its critic, GRPO ignoring it, and the settings' errors. */
class PpoCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A tiny model and task, a two-prompt batch of two samples each, the lenient PRM, a short evaluation. */
  private static final List<String> TINY = List.of(
      "--set", "torch-threads=1",
      "--set", "model.dim=16", "--set", "model.layers=1", "--set", "model.heads=2", "--set", "model.kv-heads=2",
      "--set", "model.hidden-dim=32",
      "--set", "task.train-size=200", "--set", "task.heldout-size=20", "--set", "sft.batch-size=8",
      "--set", "grpo.prompts-per-step=2", "--set", "grpo.group-size=2", "--set", "grpo.max-staleness=0",
      "--set", "grpo.process.prm=lenient-equations",
      "--set", "data.heldout-limit=4", "--set", "eval.samples=1", "--set", "eval.greedy=false");

  @TempDir Path tmp;

  /** Loads PyTorch before any run is captured, so its one-time log lines stay out of the assertions. */
  @BeforeAll
  static void loadEngine() {
    Engine.getInstance();
  }

  private static String[] args(List<String> head) {
    List<String> all = new ArrayList<>(head);
    all.addAll(TINY);
    return all.toArray(new String[0]);
  }

  private static Path onlyRun(Path runs) throws IOException {
    try (Stream<Path> s = Files.list(runs)) {
      List<Path> folders = s.toList();
      assertEquals(1, folders.size(), folders::toString);
      return folders.get(0);
    }
  }

  private static List<JsonNode> metrics(Path run, String phase) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      if (n.get("phase").asText().equals(phase)) {
        out.add(n);
      }
    }
    return out;
  }

  @Test
  void train_sftThenPpo_thenPhasePpoResumesTheCritic_andPhaseGrpoIgnoresIt() throws IOException {
    Path runs = tmp.resolve("runs");
    CliRun first = CliRun.of(args(List.of("train", "--runs-dir", runs.resolve("a").toString(), "--sft-steps", "2",
        "--grpo-steps", "2", "--set", "rl.algorithm=ppo")));

    assertEquals(0, first.exitCode(), first::toString);
    assertTrue(first.out().contains("critic: full-weight copy of the starting policy"), first::toString);
    Path run = onlyRun(runs.resolve("a"));
    List<JsonNode> steps = metrics(run, "ppo");
    assertEquals(2, steps.size(), "one metrics line per PPO step");
    assertTrue(metrics(run, "grpo").isEmpty(), "a PPO run writes no grpo phase");
    for (JsonNode n : steps) {
      for (String key : List.of("value_loss", "explained_variance", "critic_grad_norm", "pg_loss", "kl", "entropy")) {
        assertTrue(n.has(key) && Double.isFinite(n.get(key).asDouble()), key + " in " + n);
      }
      assertEquals(0.0, n.get("prm_fallback").asDouble(), n::toString);
    }
    Checkpoint ppo = Checkpoint.load(run.resolve("checkpoints").resolve("ppo"));
    assertEquals("ppo", ppo.phase());
    assertNotNull(ppo.critic(), "the PPO checkpoint carries the critic");
    assertEquals(2 * 2 * 2, ppo.critic().optimizerSteps(), "2 updates of 2 epochs x 2 minibatches");
    assertFalse(ppo.critic().optimizerState().isEmpty(), "and its optimizer's moments");
    JsonNode summary = JSON.readTree(run.resolve("summary.json").toFile());
    assertTrue(summary.has("sft") && summary.has("ppo") && !summary.has("grpo"), summary::toString);
    assertTrue(Files.isRegularFile(run.resolve("hf").resolve("model.safetensors")));

    Path ppoCkpt = run.resolve("checkpoints").resolve("ppo");
    CliRun resumed = CliRun.of(args(List.of("train", "--init", ppoCkpt.toString(), "--phase", "ppo",
        "--runs-dir", runs.resolve("b").toString(), "--grpo-steps", "1")));

    assertEquals(0, resumed.exitCode(), resumed::toString);
    assertTrue(resumed.out().contains("critic: restored from --init (8 optimizer steps)"), resumed::toString);
    Checkpoint again = Checkpoint.load(onlyRun(runs.resolve("b")).resolve("checkpoints").resolve("ppo"));
    assertEquals(8 + 4, again.critic().optimizerSteps(), "the resumed critic's optimizer kept counting");

    CliRun grpo = CliRun.of(args(List.of("train", "--init", ppoCkpt.toString(), "--phase", "grpo",
        "--runs-dir", runs.resolve("c").toString(), "--grpo-steps", "1")));

    assertEquals(0, grpo.exitCode(), grpo::toString);
    assertFalse(grpo.out().contains("critic"), grpo::toString);
    Checkpoint grpoCkpt = Checkpoint.load(onlyRun(runs.resolve("c")).resolve("checkpoints").resolve("grpo"));
    assertNull(grpoCkpt.critic(), "a GRPO run neither uses nor writes a critic");
  }

  @Test
  void train_resumePpoRun_retrainsTheStepsAfterItsCheckpointAlike_andRefusesAnotherAlgorithm() throws IOException {
    Path runs = tmp.resolve("runs");
    CliRun first = CliRun.of(args(List.of("train", "--runs-dir", runs.toString(), "--sft-steps", "2",
        "--grpo-steps", "3", "--set", "rl.algorithm=ppo", "--set", "grpo.checkpoint-every=2")));
    assertEquals(0, first.exitCode(), first::toString);
    Path run = onlyRun(runs);
    JsonNode straightStep3 = metrics(run, "ppo").get(2);

    CliRun resumed = CliRun.of("train", "--resume", run.toString());

    assertEquals(0, resumed.exitCode(), resumed::toString);
    assertTrue(resumed.out().contains("resuming PPO in " + run + " after step 2 (weight version 2)"), resumed::toString);
    assertTrue(resumed.out().contains("critic: restored from checkpoints/grpo-latest (8 optimizer steps)"),
        resumed::toString);
    List<JsonNode> steps = metrics(run, "ppo");
    assertEquals(4, steps.size(), "steps 1-3, then step 3 again after the resume");
    JsonNode again = steps.get(3);
    assertEquals(3, again.get("step").asInt());
    for (String key : List.of("loss", "pg_loss", "value_loss", "explained_variance", "kl", "critic_grad_norm")) {
      assertEquals(straightStep3.get(key).asDouble(), again.get(key).asDouble(), key + " of the retrained step 3");
    }
    assertEquals(1, metrics(run, "grpo_resume").size());
    Checkpoint ppo = Checkpoint.load(run.resolve("checkpoints").resolve("ppo"));
    assertEquals(3 * 2 * 2, ppo.critic().optimizerSteps(), "the resumed critic's optimizer kept counting");
    JsonNode summary = JSON.readTree(run.resolve("summary.json").toFile());
    assertEquals(2, summary.get("ppo").get("resumed_after_step").asInt(), summary::toString);

    assertUserError(CliRun.of("train", "--resume", run.toString(), "--set", "rl.algorithm=grpo"),
        "holds a PPO critic", "rl.algorithm = grpo");
  }

  /** Exit code 2 and one {@code rlft: error:} line containing every part, no stack trace. */
  private static void assertUserError(CliRun r, String... parts) {
    assertEquals(2, r.exitCode(), r::toString);
    List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), r::toString);
    assertTrue(lines.get(0).startsWith("rlft: error: "), r::toString);
    for (String part : parts) {
      assertTrue(lines.get(0).contains(part), () -> "'" + part + "' in: " + lines.get(0));
    }
    assertFalse(r.err().contains("\tat "), r::toString);
  }

  private CliRun train(String... extra) {
    List<String> all = new ArrayList<>(List.of("train", "--runs-dir", tmp.resolve("runs").toString(),
        "--set", "torch-threads=1"));
    all.addAll(List.of(extra));
    return CliRun.of(all.toArray(new String[0]));
  }

  @Test
  void train_ppoWithoutAStepScorer_failsAtStartNamingThePrmKey() {
    assertUserError(train("--set", "rl.algorithm=ppo"), "grpo.process.prm");
    assertUserError(train("--phase", "ppo", "--init", tmp.resolve("absent").toString()), "grpo.process.prm");
    assertUserError(train("--phase", "ppo", "--set", "grpo.process.prm=" + tmp.resolve("no-prm")),
        "grpo.process.prm", "no-prm");
  }

  @Test
  void train_badPpoValues_failAtStartNamingTheKey() {
    String prm = "grpo.process.prm=lenient-equations";
    assertUserError(train("--set", "rl.algorithm=ppo", "--set", prm, "--set", "ppo.gamma=1.5"), "ppo.gamma", "1.5");
    assertUserError(train("--set", "rl.algorithm=ppo", "--set", prm, "--set", "ppo.lambda=-0.1"), "ppo.lambda");
    assertUserError(train("--set", "rl.algorithm=ppo", "--set", prm, "--set", "ppo.epochs=0"), "ppo.epochs");
    assertUserError(train("--set", "rl.algorithm=ppo", "--set", prm, "--set", "ppo.minibatches=1000"),
        "ppo.minibatches", "128");
    assertUserError(train("--set", "rl.algorithm=ppo", "--set", prm, "--set", "ppo.critic-lr=0"), "ppo.critic-lr");
    assertUserError(train("--set", "rl.algorithm=ppo", "--set", prm, "--set", "ppo.vf-coef=-1"), "ppo.vf-coef");
    assertUserError(train("--set", "rl.algorithm=ppo", "--set", prm, "--set", "ppo.clip-value=-0.2"),
        "ppo.clip-value");
    assertUserError(train("--set", "rl.algorithm=a2c"), "rl.algorithm", "a2c");
  }

  @Test
  void train_phaseContradictingTheAlgorithm_failsNamingBoth() {
    assertUserError(train("--phase", "grpo", "--set", "rl.algorithm=ppo", "--set",
        "grpo.process.prm=lenient-equations"), "--phase grpo", "rl.algorithm = ppo");
    assertUserError(train("--phase", "ppo", "--set", "rl.algorithm=grpo", "--set",
        "grpo.process.prm=lenient-equations"), "--phase ppo", "rl.algorithm = grpo");
  }
}
