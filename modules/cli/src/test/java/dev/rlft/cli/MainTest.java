package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit codes and messages of the command line for help and for the user's mistakes. */
class MainTest {

  @TempDir Path tmp;

  /** Loads PyTorch before any run is captured, so its one-time log lines stay out of the assertions. */
  @BeforeAll
  static void loadEngine() {
    Engine.getInstance();
  }

  /** Exit code 2 and exactly one line on stderr, {@code rlft: error: ...} containing {@code part}, no stack trace. */
  private static String assertUserError(CliRun r, String part) {
    assertEquals(2, r.exitCode(), r::toString);
    List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), r::toString);
    String line = lines.get(0);
    assertTrue(line.startsWith("rlft: error: "), r::toString);
    assertTrue(line.contains(part), () -> "'" + part + "' in: " + line);
    assertFalse(r.err().contains("Exception"), r::toString);
    assertFalse(r.err().contains("\tat "), r::toString);
    return line;
  }

  private String[] train(String... extra) {
    String[] base = {"train", "--runs-dir", tmp.resolve("runs").toString(), "--set", "torch-threads=1"};
    String[] all = new String[base.length + extra.length];
    System.arraycopy(base, 0, all, 0, base.length);
    System.arraycopy(extra, 0, all, base.length, extra.length);
    return all;
  }

  @Test
  void run_help_exitsZeroListingCommands() {
    CliRun r = CliRun.of("--help");

    assertEquals(0, r.exitCode(), r::toString);
    for (String command : List.of("train", "eval", "generate", "bench")) {
      assertTrue(r.out().contains(command), () -> command + " in: " + r.out());
    }
  }

  @Test
  void run_trainHelp_exitsZeroListingFlags() {
    CliRun r = CliRun.of("train", "--help");

    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.out().contains("--train-data") && r.out().contains("--set"), r::toString);
  }

  @Test
  void run_unknownOption_exitsTwoNamingIt() {
    CliRun r = CliRun.of("train", "--no-such-flag");

    assertEquals(2, r.exitCode(), r::toString);
    assertTrue(r.err().contains("--no-such-flag"), r::toString);
    assertFalse(r.err().contains("\tat "), r::toString);
  }

  @Test
  void run_unknownCommand_exitsTwo() {
    CliRun r = CliRun.of("fly");

    assertEquals(2, r.exitCode(), r::toString);
    assertTrue(r.err().contains("fly"), r::toString);
  }

  @Test
  void train_missingTrainData_exitsTwoWithOneLineNamingPath() {
    Path missing = tmp.resolve("nonexistent.jsonl");

    CliRun r = CliRun.of(train("--train-data", missing.toString()));

    assertUserError(r, missing.toString());
    assertFalse(Files.exists(tmp.resolve("runs")), "no run folder for a run that never started");
  }

  @Test
  void train_malformedJsonl_exitsTwoNamingFileAndLine() throws IOException {
    Path data = tmp.resolve("bad.jsonl");
    Files.writeString(data, "{\"problem\": \"Start with 3. Add 4.\", \"solution\": \"\\\\boxed{7}\", \"answer\": \"7\"}\n"
        + "{\"problem\": \"Start with 1.\", \"answer\": \n", StandardCharsets.UTF_8);

    CliRun r = CliRun.of(train("--train-data", data.toString()));

    assertUserError(r, data + ":2:");
  }

  @Test
  void train_negativeBeta_exitsTwoNamingBeta() {
    CliRun r = CliRun.of(train("--set", "grpo.beta=-1"));

    String line = assertUserError(r, "beta");
    assertTrue(line.contains("-1"), line);
  }

  @Test
  void train_unknownSetting_exitsTwoNamingKey() {
    CliRun r = CliRun.of(train("--set", "nonexistent.key=1"));

    assertUserError(r, "nonexistent.key");
  }

  @Test
  void train_setWithoutEquals_exitsTwoQuotingIt() {
    CliRun r = CliRun.of(train("--set", "grpo.beta"));

    assertUserError(r, "'grpo.beta'");
  }

  @Test
  void train_wrongTypeSetting_exitsTwoNamingKey() {
    CliRun r = CliRun.of(train("--set", "model.dim=wide"));

    assertUserError(r, "dim");
  }

  @Test
  void train_missingConfigFile_exitsTwoNamingFile() {
    Path missing = tmp.resolve("absent.conf");

    CliRun r = CliRun.of(train("--config", missing.toString()));

    assertUserError(r, missing.toString());
  }

  @Test
  void train_controlWithSftOnly_exitsTwo() {
    CliRun r = CliRun.of(train("--phase", "sft", "--control"));

    assertUserError(r, "--control");
  }

  @Test
  void eval_missingCheckpoint_exitsTwoNamingFolder() {
    Path missing = tmp.resolve("nonexistent");

    CliRun r = CliRun.of("eval", "--checkpoint", missing.toString(), "--set", "torch-threads=1");

    assertUserError(r, missing.toString());
  }

  @Test
  void generate_missingCheckpoint_exitsTwoNamingFolder() {
    Path missing = tmp.resolve("nonexistent");

    CliRun r = CliRun.of("generate", "--checkpoint", missing.toString(), "--prompt", "Start with 3.");

    assertUserError(r, missing.toString());
  }
}
