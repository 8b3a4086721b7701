package dev.rlft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.rlft.tokenizer.FileTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Per-sequence stop strings and several end-of-sequence ids, on the real stories260K model and tokenizer. */
class SamplerStopsTest {

  private static NDManager root;
  private static LlamaModel model;
  private static FileTokenizer tokenizer;
  private static final int[] PROMPT = {1, 403, 407, 261, 378};

  @BeforeAll
  static void load() throws IOException {
    ai.djl.engine.Engine.getInstance();
    ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
    root = NDManager.newBaseManager();
    HuggingFaceFolder.Pretrained p = HuggingFaceFolder.read(Path.of("src/test/resources/models/stories260K/hf"));
    model = LlamaModel.fromWeights(p.config(), p.weights(), root, false);
    tokenizer = p.tokenizer();
  }

  @AfterAll
  static void close() {
    model.close();
    root.close();
  }

  @Test
  void stopString_endsOnlyItsOwnRow_atTheTokenThatCompletesIt() {
    SamplingParams greedy = SamplingParams.greedy(60);
    int[] full = Sampler.generate(model, List.of(PROMPT), greedy, 2, root).get(0).tokens();
    String fullText = tokenizer.decode(full);
    int dot = fullText.indexOf('.');
    assertTrue(dot > 0 && dot < fullText.length() - 5, "the golden continuation has a sentence end: " + fullText);

    Sampler.Stops stops = new Sampler.Stops(Set.of(2), List.of(List.of(".", "zebra"), List.of()), tokenizer);
    List<Generation> g = Sampler.generate(model, List.of(PROMPT, PROMPT), greedy, stops, root);
    Generation stopped = g.get(0);
    assertEquals(Generation.Finish.STOP, stopped.finish());
    assertEquals(".", stopped.stop());
    String text = tokenizer.decode(stopped.tokens());
    assertTrue(text.contains("."), text);
    assertFalse(tokenizer.decode(Arrays.copyOf(stopped.tokens(), stopped.tokens().length - 1)).contains("."));
    assertArrayEquals(Arrays.copyOf(full, stopped.tokens().length), stopped.tokens(), "same tokens up to the stop");
    assertArrayEquals(full, g.get(1).tokens(), "a row without stop strings is not cut");
    assertNull(g.get(1).stop());
  }

  @Test
  void anyOfSeveralEosIds_endsTheCompletion() {
    int[] full = Sampler.generate(model, List.of(PROMPT), SamplingParams.greedy(20), 2, root).get(0).tokens();
    int fifth = full[4];
    Sampler.Stops stops = new Sampler.Stops(Set.of(2, fifth), List.of(), null);
    Generation g = Sampler.generate(model, List.of(PROMPT), SamplingParams.greedy(20), stops, root).get(0);
    int firstAt = 0;
    while (full[firstAt] != fifth) {
      firstAt++;
    }
    assertEquals(firstAt + 1, g.tokens().length);
    assertEquals(Generation.Finish.EOS, g.finish());
  }

  @Test
  void stopStrings_needATokenizer_andOneListPerPrompt() {
    assertThrows(IllegalArgumentException.class, () -> new Sampler.Stops(Set.of(2), List.of(List.of(".")), null));
    assertThrows(IllegalArgumentException.class, () -> new Sampler.Stops(Set.of(2), List.of(List.of("")), tokenizer));
    Sampler.Stops two = new Sampler.Stops(Set.of(2), List.of(List.of("."), List.of(".")), tokenizer);
    assertThrows(IllegalArgumentException.class,
        () -> Sampler.generate(model, List.of(PROMPT), SamplingParams.greedy(4), two, root));
  }
}
