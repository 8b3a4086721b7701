package dev.rlft.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rlft.model.CharTokenizer;
import dev.rlft.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trip, atomic replacement and damage detection of checkpoint folders. */
class CheckpointTest {

  @TempDir Path tmp;

  private static final CharTokenizer TOK = CharTokenizer.ofAlphabet("0123456789+-=\\{}boxed é\n");
  private static final ModelConfig MODEL = new ModelConfig(TOK.vocabSize(), 16, 1, 2, 2, 32, 192, 10000f, 1e-5f, true);

  private static float[] random(Random r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  private static Checkpoint sample(long seed, String phase) {
    Random r = new Random(seed);
    Map<String, float[]> weights = new LinkedHashMap<>();
    // values whose bit patterns a lossy encoding would change
    weights.put("model.special", new float[] {-0.0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN,
        Float.NEGATIVE_INFINITY, 1e-40f, 0.1f});
    weights.put("model.embed_tokens.weight", random(r, MODEL.vocabSize() * MODEL.dim()));
    weights.put("model.norm.weight", random(r, MODEL.dim()));
    weights.put("empty", new float[0]);
    Map<String, float[]> opt = new LinkedHashMap<>();
    opt.put("m/model.norm.weight", random(r, MODEL.dim()));
    opt.put("v/model.norm.weight", random(r, MODEL.dim()));
    return new Checkpoint(MODEL, TOK, weights, opt, 123_456_789_012L + seed, 77 + seed, phase,
        Map.of("seed", Long.toString(seed), "note", "ünïcode = ok"));
  }

  private static void assertBitsEqual(Map<String, float[]> expected, Map<String, float[]> actual) {
    assertEquals(expected.keySet(), actual.keySet());
    for (Map.Entry<String, float[]> e : expected.entrySet()) {
      float[] a = actual.get(e.getKey());
      assertEquals(e.getValue().length, a.length, e.getKey());
      for (int i = 0; i < a.length; i++) {
        assertEquals(Float.floatToRawIntBits(e.getValue()[i]), Float.floatToRawIntBits(a[i]),
            e.getKey() + "[" + i + "]");
      }
    }
  }

  private Set<String> siblings() throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  @Test
  void loraRun_withFileTokenizer_roundTripsAdaptersConfigAndTokenizer() throws IOException {
    dev.rlft.tokenizer.FileTokenizer qwen = dev.rlft.tokenizer.TokenizerFiles.load(Path.of("src/test/resources/tokenizers/qwen2.5"));
    ModelConfig qwen2 = new ModelConfig(qwen.vocabSize(), 16, 1, 2, 1, 32, 64, 1e6f, 1e-6f, true,
        ModelConfig.Architecture.QWEN2, 8, true, false, dev.rlft.model.RopeScaling.llama3(8f, 1f, 4f, 32), 0);
    dev.rlft.model.LoraConfig lora = new dev.rlft.model.LoraConfig(2, 4f, 0.05f, Set.of("q_proj", "up_proj"));
    Map<String, float[]> adapters = Map.of("model.layers.0.self_attn.q_proj.lora_A.weight", new float[] {1f, -2f},
        "model.layers.0.self_attn.q_proj.lora_B.weight", new float[] {0.5f});
    Checkpoint saved = new Checkpoint(qwen2, qwen, sample(3, "x").weights(), Map.of("m/x", new float[] {1f}), 4, 7, "grpo",
        Map.of(), lora, adapters);
    saved.save(tmp.resolve("ckpt"));
    Checkpoint loaded = Checkpoint.load(tmp.resolve("ckpt"));
    assertEquals(qwen2, loaded.model());
    assertEquals(lora, loaded.lora());
    assertBitsEqual(adapters, loaded.adapters());
    String text = "答えは \\boxed{42} です";
    assertArrayEquals(qwen.encode(text), loaded.tokenizer().encode(text));
    assertEquals(qwen.eosId(), loaded.tokenizer().eosId());
  }

  @Test
  void saveThenLoad_everything_bitExact() throws IOException {
    Checkpoint saved = sample(1, "sft");
    Path dir = tmp.resolve("ckpt");

    saved.save(dir);
    Checkpoint loaded = Checkpoint.load(dir);

    assertBitsEqual(saved.weights(), loaded.weights());
    assertBitsEqual(saved.optimizerState(), loaded.optimizerState());
    assertEquals(saved.model(), loaded.model());
    assertEquals(((CharTokenizer) saved.tokenizer()).symbols(), ((CharTokenizer) loaded.tokenizer()).symbols());
    assertArrayEquals(TOK.encode("1+é=2"), loaded.tokenizer().encode("1+é=2"));
    assertEquals(saved.optimizerSteps(), loaded.optimizerSteps());
    assertEquals(saved.weightVersion(), loaded.weightVersion());
    assertEquals("sft", loaded.phase());
    assertEquals(saved.metadata(), loaded.metadata());
  }

  @Test
  void saveThenLoad_withCritic_roundTripsCriticWeightsMomentsAndSteps_besideThePolicy() throws IOException {
    Random r = new Random(5);
    Map<String, float[]> criticWeights = new LinkedHashMap<>();
    criticWeights.put("model.norm.weight", random(r, MODEL.dim()));
    criticWeights.put("value_head.weight", random(r, MODEL.dim()));
    criticWeights.put("value_head.bias", new float[] {Float.MIN_VALUE});
    Map<String, float[]> criticMoments = Map.of("m/value_head.bias", new float[] {0.5f},
        "v/value_head.bias", new float[] {0.25f});
    Checkpoint plain = sample(2, "ppo");
    Checkpoint saved = plain.withCritic(new Checkpoint.Critic(criticWeights, criticMoments, 17));
    Path dir = tmp.resolve("ppo");

    saved.save(dir);
    Checkpoint loaded = Checkpoint.load(dir);

    assertBitsEqual(plain.weights(), loaded.weights());
    assertBitsEqual(plain.optimizerState(), loaded.optimizerState());
    assertBitsEqual(criticWeights, loaded.critic().weights());
    assertBitsEqual(criticMoments, loaded.critic().optimizerState());
    assertEquals(17, loaded.critic().optimizerSteps());
    assertEquals("ppo", loaded.phase());
  }

  @Test
  void load_checkpointWithoutCritic_hasNone() throws IOException {
    Path dir = tmp.resolve("grpo");
    sample(3, "grpo").save(dir);

    assertEquals(null, Checkpoint.load(dir).critic());
    assertThrows(IllegalArgumentException.class, () -> new Checkpoint.Critic(Map.of(), Map.of(), 0));
  }

  @Test
  void saveThenLoad_untiedModelWithoutOptimizerState_roundTrips() throws IOException {
    ModelConfig untied = new ModelConfig(TOK.vocabSize(), 16, 2, 4, 2, 40, 64, 500000f, 1e-6f, false);
    Checkpoint saved = new Checkpoint(untied, CharTokenizer.ascii(), Map.of("w", new float[] {1f, 2f}), Map.of(), 0, 0,
        "grpo", Map.of());
    Path dir = tmp.resolve("nested/deeper/ckpt");

    saved.save(dir);
    Checkpoint loaded = Checkpoint.load(dir);

    assertEquals(untied, loaded.model());
    assertTrue(loaded.optimizerState().isEmpty());
    assertTrue(loaded.metadata().isEmpty());
    assertEquals(CharTokenizer.ascii().symbols(), ((CharTokenizer) loaded.tokenizer()).symbols());
  }

  @Test
  void save_overExistingCheckpoint_replacesItAndLeavesNoTemporaryFolders() throws IOException {
    Path dir = tmp.resolve("ckpt");
    sample(1, "sft").save(dir);
    Files.writeString(dir.resolve("stale.txt"), "from the old checkpoint");
    Checkpoint second = sample(2, "grpo");

    second.save(dir);

    Checkpoint loaded = Checkpoint.load(dir);
    assertEquals("grpo", loaded.phase());
    assertBitsEqual(second.weights(), loaded.weights());
    assertEquals(second.optimizerSteps(), loaded.optimizerSteps());
    assertFalse(Files.exists(dir.resolve("stale.txt")), "the folder is replaced, not merged");
    assertEquals(Set.of("ckpt"), siblings());
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(Set.of(Checkpoint.MANIFEST, Checkpoint.TENSORS),
          s.map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
    }
  }

  @Test
  void load_flippedByteInTensors_ioExceptionMentioningCorruption() throws IOException {
    Path dir = tmp.resolve("ckpt");
    sample(1, "sft").save(dir);
    Path tensors = dir.resolve(Checkpoint.TENSORS);
    byte[] bytes = Files.readAllBytes(tensors);
    bytes[bytes.length / 2] ^= 0x10;
    Files.write(tensors, bytes);

    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(dir));

    assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
  }

  @Test
  void load_truncatedTensors_ioException() throws IOException {
    Path dir = tmp.resolve("ckpt");
    sample(1, "sft").save(dir);
    Path tensors = dir.resolve(Checkpoint.TENSORS);
    byte[] bytes = Files.readAllBytes(tensors);
    Files.write(tensors, java.util.Arrays.copyOf(bytes, bytes.length - 8));

    assertThrows(IOException.class, () -> Checkpoint.load(dir));
  }

  @Test
  void load_missingFile_ioExceptionNamingFolder() throws IOException {
    Path dir = tmp.resolve("ckpt");
    sample(1, "sft").save(dir);
    Files.delete(dir.resolve(Checkpoint.MANIFEST));

    IOException missingManifest = assertThrows(IOException.class, () -> Checkpoint.load(dir));
    IOException missingFolder = assertThrows(IOException.class, () -> Checkpoint.load(tmp.resolve("absent")));

    assertTrue(missingManifest.getMessage().contains(dir.toString()), missingManifest.getMessage());
    assertTrue(missingFolder.getMessage().contains(tmp.resolve("absent").toString()), missingFolder.getMessage());
  }

  @Test
  void load_missingTensorsFile_ioExceptionNamingFolder() throws IOException {
    Path dir = tmp.resolve("ckpt");
    sample(1, "sft").save(dir);
    Files.delete(dir.resolve(Checkpoint.TENSORS));

    IOException e = assertThrows(IOException.class, () -> Checkpoint.load(dir));

    assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains(Checkpoint.TENSORS), e.getMessage());
  }

  /**
   * A save that fails at its last step (the old folder cannot be moved aside) keeps the old
   * checkpoint and leaves no temporary folder. Root ignores permissions, so the old folder is made
   * immutable with {@code chattr +i}; where that is not allowed, the test is skipped.
   */
  @Test
  void save_failingToReplace_keepsOldCheckpointAndLeavesNoTemporaryFolders() throws Exception {
    Path dir = tmp.resolve("ckpt");
    Checkpoint first = sample(1, "sft");
    first.save(dir);
    assumeTrue(chattr("+i", dir), "chattr +i is not available here");
    try {
      assertThrows(IOException.class, () -> sample(2, "grpo").save(dir));
    } finally {
      assertTrue(chattr("-i", dir), "could not undo chattr +i on " + dir);
    }

    assertEquals(Set.of("ckpt"), siblings());
    Checkpoint loaded = Checkpoint.load(dir);
    assertEquals("sft", loaded.phase());
    assertBitsEqual(first.weights(), loaded.weights());
  }

  private static boolean chattr(String flag, Path p) {
    try {
      Process proc = new ProcessBuilder(List.of("chattr", flag, p.toString())).redirectErrorStream(true).start();
      proc.getInputStream().readAllBytes();
      return proc.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
