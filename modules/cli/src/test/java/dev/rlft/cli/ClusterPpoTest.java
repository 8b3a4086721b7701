package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.cli.LocalNodes.Node;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Step-by-step PPO on a real multi-process cluster on loopback: a learner+params JVM (which also
 * runs the step-reward worker and the critic), a reward JVM and a rollout JVM, a tiny model on the
 * embedded task with the lenient PRM. The learner JVM is killed with SIGKILL after a rolling
 * checkpoint and restarted with {@code --resume}: the run must finish every PPO step once after the
 * resume, with PPO's critic metrics on every step, and the critic in both checkpoints, its optimizer
 * having counted every update of both incarnations.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterPpoTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final int STEPS = 16;

  private static final int PROMPTS = 2;

  @TempDir Path tmp;

  private LocalNodes nodes;

  @BeforeEach
  void nodes() {
    nodes = new LocalNodes(tmp, LocalNodes.TINY);
  }

  @AfterEach
  void stopAll(org.junit.jupiter.api.TestInfo test) throws InterruptedException, IOException {
    nodes.stopAll("cluster-ppo", test.getTestMethod().map(m -> m.getName()).orElse("test"));
  }

  @Test
  void node_ppoRunWithLearnerKilledAndResumed_finishesWithCriticMetricsAndACriticThatCountedEveryUpdate()
      throws Exception {
    int learnerPort = LocalNodes.freePort();
    int rewardPort = LocalNodes.freePort();
    String seeds = "127.0.0.1:" + learnerPort + ",127.0.0.1:" + rewardPort;
    Path runs = tmp.resolve("runs");
    List<String> learnerNode = List.of("--roles", "learner,params", "--port", Integer.toString(learnerPort),
        "--seed-nodes", seeds);
    List<String> first = new ArrayList<>(learnerNode);
    first.addAll(List.of("--runs-dir", runs.toString(), "--sft-steps", "2", "--grpo-steps", Integer.toString(STEPS),
        "--set", "rl.algorithm=ppo", "--set", "grpo.process.prm=lenient-equations",
        "--set", "grpo.prompts-per-step=" + PROMPTS, "--set", "grpo.group-size=2", "--set", "sft.batch-size=8",
        "--set", "data.heldout-limit=4", "--set", "eval.samples=1", "--set", "eval.greedy=false",
        "--set", "grpo.checkpoint-every=2"));
    Node learner = nodes.start("learner", first);
    Node reward = nodes.start("reward", List.of("--roles", "reward", "--port", Integer.toString(rewardPort),
        "--seed-nodes", seeds));
    Node rollout = nodes.start("rollout", List.of("--roles", "rollout", "--port",
        Integer.toString(LocalNodes.freePort()), "--seed-nodes", seeds));

    nodes.await(learner, Pattern.compile("starting PPO"), 0, Duration.ofSeconds(90));
    nodes.await(learner, Pattern.compile("GRPO checkpoint at version 4 "), 0, Duration.ofSeconds(60));
    nodes.mayDie(learner);
    learner.process().destroyForcibly(); // SIGKILL
    assertTrue(learner.process().waitFor(10, TimeUnit.SECONDS));
    Matcher checkpoints = Pattern.compile("GRPO checkpoint at version (\\d+) ").matcher(learner.logText());
    int announced = 0;
    while (checkpoints.find()) {
      announced = Integer.parseInt(checkpoints.group(1));
    }
    Path run;
    try (Stream<Path> s = Files.list(runs)) {
      run = s.findFirst().orElseThrow();
    }
    List<String> again = new ArrayList<>(learnerNode);
    again.addAll(List.of("--resume", run.toString()));
    Node restarted = nodes.start("learner-restarted", again);

    assertTrue(restarted.process().waitFor(120, TimeUnit.SECONDS), "restarted learner did not finish:\n"
        + restarted.logText());
    String log = restarted.logText();
    assertEquals(0, restarted.process().exitValue(), log);
    Matcher resuming = Pattern.compile("resuming PPO in " + Pattern.quote(run.toString()) + " after step (\\d+)")
        .matcher(log);
    assertTrue(resuming.find(), log);
    int after = Integer.parseInt(resuming.group(1));
    assertTrue(after >= announced && after < STEPS, "resumed after step " + after + ", last announced checkpoint "
        + announced + " of " + STEPS + " steps");
    assertTrue(Pattern.compile("critic: restored from checkpoints/grpo-latest \\(\\d+ optimizer steps\\)").matcher(log)
        .find(), log);
    for (Node n : List.of(reward, rollout)) {
      assertTrue(n.process().isAlive(), n.name() + " went down with the learner:\n" + n.logText());
      n.process().destroy(); // SIGTERM
      assertTrue(n.process().waitFor(30, TimeUnit.SECONDS), n.name() + " did not leave on SIGTERM:\n" + n.logText());
    }

    // the critic optimizer's steps of the updates that count: the first incarnation's up to the
    // checkpoint, then the resumed run's
    TreeMap<Integer, Double> ppoSteps = new TreeMap<>();
    boolean resumed = false;
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      String phase = n.get("phase").asText();
      assertFalse(phase.equals("grpo"), "a PPO run writes no grpo steps: " + line);
      if (phase.equals("grpo_resume")) {
        assertEquals(after, n.get("after_step").asInt(), line);
        resumed = true;
      } else if (phase.equals("ppo")) {
        int step = n.get("step").asInt();
        for (String key : List.of("value_loss", "explained_variance", "value_mean", "return_mean", "pg_loss", "kl",
            "prm_score_mean", "steps_mean")) {
          assertTrue(n.has(key) && Double.isFinite(n.get(key).asDouble()), key + " in " + line);
        }
        // a skipped update (a non-finite gradient) reports its gradient norms as NaN
        assertTrue(n.has("critic_grad_norm") && (n.get("skipped").asDouble() > 0
            || Double.isFinite(n.get("critic_grad_norm").asDouble())), line);
        if (!resumed && step <= after) {
          ppoSteps.put(step, n.get("ppo_steps").asDouble());
        } else if (resumed) {
          assertFalse(ppoSteps.containsKey(step), "step " + step + " trained twice after the resume");
          ppoSteps.put(step, n.get("ppo_steps").asDouble());
        }
      }
    }
    assertTrue(resumed, "no grpo_resume line");
    assertEquals(IntStream.rangeClosed(1, STEPS).boxed().toList(), new ArrayList<>(ppoSteps.keySet()));

    Checkpoint ppo = Checkpoint.load(run.resolve("checkpoints").resolve("ppo"));
    assertNotNull(ppo.critic(), "the PPO checkpoint carries the critic");
    assertFalse(ppo.critic().optimizerState().isEmpty(), "and its optimizer's moments");
    long expected = Math.round(ppoSteps.values().stream().mapToDouble(Double::doubleValue).sum());
    assertEquals(expected, ppo.critic().optimizerSteps(),
        "the critic's optimizer lost count across the resume: " + ppoSteps);
    assertNotNull(Checkpoint.load(run.resolve("checkpoints").resolve("grpo-latest")).critic(),
        "the rolling checkpoint carries the critic");
    JsonNode summary = JSON.readTree(run.resolve("summary.json").toFile());
    assertTrue(summary.has("sft") && summary.has("ppo") && !summary.has("grpo"), summary::toString);
    JsonNode groups = summary.get("ppo").get("groups");
    assertEquals(after, summary.get("ppo").get("resumed_after_step").asInt(), summary::toString);
    long dropped = 0;
    for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) () -> groups.get("dropped").fields()) {
      dropped += e.getValue().asLong();
    }
    assertEquals((long) STEPS * PROMPTS, groups.get("trained").asLong(), groups::toString);
    assertEquals(groups.get("dispatched").asLong(), groups.get("trained").asLong() + dropped, groups::toString);
    assertFalse(log.contains("Exception in thread"), log);
  }
}
