package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rlft node} and {@code rlft train --resume}: bad input is one line naming the problem, exit 2. */
class NodeCommandTest {

  @TempDir Path tmp;

  private static void assertUserError(CliRun run, String expected) {
    assertEquals(2, run.exitCode(), run::toString);
    assertEquals(1, run.errorLines().size(), run::toString);
    assertTrue(run.errorLines().get(0).contains(expected), run::toString);
  }

  @Test
  void node_noRoles_namesTheValidRoles() {
    assertUserError(CliRun.of("node", "--seed-nodes", "127.0.0.1:2551"),
        "a node needs at least one role of [rollout, reward, learner, params]");
  }

  @Test
  void node_unknownRole_isRefusedWithTheValidOnes() {
    assertUserError(CliRun.of("node", "--roles", "rollout,gpu", "--seed-nodes", "127.0.0.1:2551"),
        "unknown node role 'gpu'; valid roles: [rollout, reward, learner, params]");
  }

  @Test
  void node_seedNodeWithoutPort_isRefused() {
    assertUserError(CliRun.of("node", "--roles", "rollout", "--seed-nodes", "localhost"),
        "seed node 'localhost' must be host:port");
  }

  @Test
  void node_noSeedNodes_saysHowToStartACluster() {
    assertUserError(CliRun.of("node", "--roles", "reward"), "a node needs seed nodes to join");
  }

  @Test
  void node_portOutOfRange_isRefused() {
    assertUserError(CliRun.of("node", "--roles", "reward", "--port", "70000", "--seed-nodes", "127.0.0.1:2551"),
        "cluster port must be in [0, 65535], got 70000");
  }

  @Test
  void train_resumeWithoutRunFolder_isRefused() {
    assertUserError(CliRun.of("train", "--resume", tmp.resolve("nope").toString()), "--resume: no run folder at");
  }

  @Test
  void train_resumeRunWithoutGrpoCheckpoint_saysThereIsNothingToResume() throws IOException {
    Path run = Files.createDirectories(tmp.resolve("run"));
    Files.writeString(run.resolve("config.conf"), "rlft.reward.accuracy = boxed\n");

    assertUserError(CliRun.of("train", "--resume", run.toString()), "nothing to resume in " + run);
  }

  @Test
  void train_resumeWithControl_isRefused() throws IOException {
    Path run = Files.createDirectories(tmp.resolve("run2"));

    assertUserError(CliRun.of("train", "--resume", run.toString(), "--control"), "drop --control and --init");
  }
}
