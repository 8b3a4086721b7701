package dev.rlft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The llama2.c format, checked against the Hugging Face conversion of the same weights. */
class Llama2cCheckpointTest {

  private static final Path DIR = Path.of("src/test/resources/models/stories260K");

  @Test
  void read_stories260K_equalsHuggingFaceConversionBitExact() throws IOException {
    Llama2cCheckpoint.Contents c = Llama2cCheckpoint.read(DIR.resolve("stories260K.bin"));
    assertEquals(HuggingFaceFolder.readConfig(DIR.resolve("hf")).withVocabSize(512).dim(), c.config().dim());
    Map<String, Safetensors.Tensor> hf = Safetensors.read(DIR.resolve("hf/model.safetensors"));
    assertEquals(hf.keySet(), c.weights().keySet());
    for (String name : hf.keySet()) {
      assertArrayEquals(hf.get(name).data(), c.weights().get(name), 0f, name);
    }
  }

  @Test
  void load_stories260K_greedyContinuationMatchesReference() throws IOException {
    int[] want = {432, 383, 286, 261, 376, 298, 315, 421, 395, 317};
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel model = Llama2cCheckpoint.load(DIR.resolve("stories260K.bin"), root, false)) {
      List<Generation> g = Sampler.generate(model, List.of(new int[] {1, 403, 407, 261, 378}),
          SamplingParams.greedy(want.length), 2, root);
      assertArrayEquals(want, g.get(0).tokens());
    }
  }

  @Test
  void read_truncatedFile_errorNamesFileAndSize(@TempDir Path tmp) throws IOException {
    byte[] all = Files.readAllBytes(DIR.resolve("stories260K.bin"));
    Path cut = tmp.resolve("cut.bin");
    Files.write(cut, java.util.Arrays.copyOf(all, all.length - 100));
    IOException e = assertThrows(IOException.class, () -> Llama2cCheckpoint.read(cut));
    assertTrue(e.getMessage().contains("cut.bin") && e.getMessage().contains("does not match"), e.getMessage());
  }
}
