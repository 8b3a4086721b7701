package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rlft.checkpoint.Checkpoint;
import dev.rlft.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole tiny {@code rlft train --control} run, then {@code eval} and {@code generate} on its checkpoint. */
class TrainEndToEndTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Small enough for seconds on one thread; the same task settings for every command. */
  private static final List<String> TINY = List.of(
      "--set", "torch-threads=1",
      "--set", "model.dim=16", "--set", "model.layers=1", "--set", "model.heads=2", "--set", "model.kv-heads=2",
      "--set", "model.hidden-dim=32",
      "--set", "task.train-size=200", "--set", "task.heldout-size=20");

  @TempDir Path tmp;

  private static String[] args(List<String> head, List<String> tail) {
    List<String> all = new ArrayList<>(head);
    all.addAll(tail);
    return all.toArray(new String[0]);
  }

  @Test
  void train_tinyRunWithControl_writesRunFolderThenEvalAndGenerateUseItsCheckpoint() throws IOException {
    Path runs = tmp.resolve("runs");
    CliRun train = CliRun.of(args(List.of("train", "--runs-dir", runs.toString(), "--sft-steps", "3",
        "--grpo-steps", "2", "--control",
        "--set", "data.heldout-limit=8", "--set", "eval.samples=2", "--set", "grpo.prompts-per-step=2",
        "--set", "grpo.group-size=2", "--set", "sft.batch-size=8"), TINY));

    assertEquals(0, train.exitCode(), train::toString);
    Path run;
    try (Stream<Path> s = Files.list(runs)) {
      List<Path> folders = s.toList();
      assertEquals(1, folders.size(), folders::toString);
      run = folders.get(0);
    }
    List<String> out = train.outLines();
    assertTrue(out.get(out.size() - 1).contains(run.toString()), train::toString);

    String config = Files.readString(run.resolve("config.conf"));
    assertTrue(config.contains("hidden-dim") && config.contains("32"), config);

    Set<String> phases = new HashSet<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      phases.add(n.get("phase").asText());
      if (n.has("loss")) {
        assertTrue(Double.isFinite(n.get("loss").asDouble()), line);
      }
    }
    assertTrue(phases.containsAll(Set.of("sft", "grpo")), phases::toString);
    long sftLines = Files.readAllLines(run.resolve("metrics.jsonl")).stream()
        .filter(l -> l.contains("\"phase\":\"sft\"")).count();
    assertEquals(3, sftLines, "one metrics line per SFT step");

    List<String> samples = Files.readAllLines(run.resolve("samples.jsonl"));
    assertFalse(samples.isEmpty(), "samples.jsonl is empty");
    for (String line : samples) {
      JSON.readTree(line);
    }

    ModelConfig expectedShape = null;
    for (String phase : List.of("sft", "grpo", "sft_control")) {
      Checkpoint c = Checkpoint.load(run.resolve("checkpoints").resolve(phase));
      assertEquals(phase, c.phase());
      assertEquals(16, c.model().dim());
      assertEquals(1, c.model().nLayers());
      if (expectedShape != null) {
        assertEquals(expectedShape, c.model());
      }
      expectedShape = c.model();
    }
    try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
      assertEquals(Set.of("sft", "grpo", "sft_control"),
          new HashSet<>(s.map(p -> p.getFileName().toString()).toList()), "no temporary folders left");
    }

    String report = Files.readString(run.resolve("report.md"));
    assertTrue(report.contains("The run finished.") && report.contains("(plots/grpo-reward.png)")
        && report.contains("(plots/sft-loss.png)") && report.contains("(plots/sft-control-loss.png)"), report);
    assertTrue(Files.size(run.resolve("plots").resolve("grpo-kl.png")) > 1000, "plots are drawn");

    JsonNode summary = JSON.readTree(run.resolve("summary.json").toFile());
    for (String phase : List.of("sft", "grpo", "sft_control")) {
      assertTrue(summary.has(phase), summary::toString);
      double acc = summary.get(phase).get("heldout_accuracy").asDouble(Double.NaN);
      assertTrue(acc >= 0 && acc <= 1, phase + " accuracy " + acc);
      assertEquals(8, summary.get(phase).get("heldout_problems").asInt(), summary::toString);
    }

    Path grpo = run.resolve("checkpoints").resolve("grpo");
    CliRun eval = CliRun.of(args(List.of("eval", "--checkpoint", grpo.toString(), "--limit", "3", "--samples", "1",
        "--set", "eval.max-new-tokens=16"), TINY));

    assertEquals(0, eval.exitCode(), eval::toString);
    List<String> evalOut = eval.outLines();
    JsonNode result = JSON.readTree(evalOut.get(evalOut.size() - 1));
    double acc = result.get("heldout_accuracy").asDouble(Double.NaN);
    assertTrue(acc >= 0 && acc <= 1, eval::toString);
    assertEquals(3, result.get("heldout_problems").asInt(), eval::toString);

    CliRun generate = CliRun.of("generate", "--checkpoint", grpo.toString(), "--prompt", "Start with 3. Add 4.",
        "-n", "2", "--temperature", "1", "--max-new-tokens", "8");

    assertEquals(0, generate.exitCode(), generate::toString);
    assertTrue(generate.out().contains("--- completion 1 (") && generate.out().contains("--- completion 2 ("),
        generate::toString);
  }

  @Test
  void loraGrpo_fromAnSftCheckpoint_syncsAdaptersOnly_andExportsAHuggingFaceFolder() throws IOException {
    Path runs = tmp.resolve("runs");
    CliRun sft = CliRun.of(args(List.of("train", "--phase", "sft", "--runs-dir", runs.resolve("sft").toString(),
        "--sft-steps", "2", "--set", "data.heldout-limit=4", "--set", "eval.samples=1", "--set", "eval.greedy=false",
        "--set", "sft.batch-size=8"), TINY));
    assertEquals(0, sft.exitCode(), sft::toString);
    Path sftRun;
    try (Stream<Path> s = Files.list(runs.resolve("sft"))) {
      sftRun = s.findFirst().orElseThrow();
    }
    Path sftCkpt = sftRun.resolve("checkpoints").resolve("sft");

    CliRun noInit = CliRun.of(args(List.of("train", "--lora", "--runs-dir", runs.resolve("bad").toString()), TINY));
    assertEquals(2, noInit.exitCode(), noInit::toString);
    assertTrue(noInit.errorLines().get(0).contains("--init"), noInit::toString);

    CliRun lora = CliRun.of(args(List.of("train", "--init", sftCkpt.toString(), "--lora", "--lora-rank", "2",
        "--runs-dir", runs.resolve("lora").toString(), "--grpo-steps", "3", "--set", "grpo.max-staleness=0",
        "--set", "data.heldout-limit=4", "--set", "eval.samples=1", "--set", "eval.greedy=false",
        "--set", "grpo.prompts-per-step=2", "--set", "grpo.group-size=2"), TINY));
    assertEquals(0, lora.exitCode(), lora::toString);
    Path run;
    try (Stream<Path> s = Files.list(runs.resolve("lora"))) {
      run = s.findFirst().orElseThrow();
    }
    List<Double> syncBytes = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      JsonNode n = JSON.readTree(line);
      if (n.get("phase").asText().equals("grpo")) {
        syncBytes.add(n.get("weight_sync_bytes").asDouble());
      }
    }
    assertEquals(3, syncBytes.size(), syncBytes::toString);
    assertTrue(syncBytes.get(0) > 0 && syncBytes.get(1) > 0, syncBytes::toString);
    assertTrue(syncBytes.get(1) * 4 < syncBytes.get(0),
        "after the first full sync only adapters move: " + syncBytes);

    Path hf = run.resolve("hf");
    assertTrue(Files.isRegularFile(hf.resolve("model.safetensors")) && Files.isRegularFile(hf.resolve("tokenizer.json"))
        && Files.isRegularFile(hf.resolve("config.json")), "Hugging Face export is complete");
    dev.rlft.model.HuggingFaceFolder.Pretrained exported = dev.rlft.model.HuggingFaceFolder.read(hf);
    Checkpoint grpo = Checkpoint.load(run.resolve("checkpoints").resolve("grpo"));
    for (String name : grpo.weights().keySet()) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(grpo.weights().get(name), exported.weights().get(name), 0f, name);
    }
    Checkpoint start = Checkpoint.load(sftCkpt);
    assertEquals(start.weights().keySet(), grpo.weights().keySet(), "adapters are merged into the base names");
    String text = "Start with 3. Add 4.\n\n\\boxed{7}";
    org.junit.jupiter.api.Assertions.assertArrayEquals(start.tokenizer().encode(text), exported.tokenizer().encode(text));

    Path out = tmp.resolve("export");
    CliRun export = CliRun.of("export", "--checkpoint", run.resolve("checkpoints").resolve("grpo").toString(),
        "--out", out.toString());
    assertEquals(0, export.exitCode(), export::toString);
    assertEquals(Files.readString(hf.resolve("config.json")), Files.readString(out.resolve("config.json")));
    CliRun again = CliRun.of("export", "--checkpoint", sftCkpt.toString(), "--out", out.toString());
    assertEquals(2, again.exitCode(), "refuses to overwrite");

    CliRun generate = CliRun.of("generate", "--checkpoint", hf.toString(), "--prompt", "Start with 3. Add 4.",
        "--max-new-tokens", "8");
    assertEquals(0, generate.exitCode(), generate::toString);
  }
}
