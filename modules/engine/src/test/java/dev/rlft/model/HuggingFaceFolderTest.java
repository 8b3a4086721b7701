package dev.rlft.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hugging Face folders in and out, on the real stories260K checkpoint. */
class HuggingFaceFolderTest {

  private static final Path HF = Path.of("src/test/resources/models/stories260K/hf");

  @Test
  void save_thenLoad_roundTripsBitExactWithOriginalTensorNames(@TempDir Path tmp) throws IOException {
    Map<String, Safetensors.Tensor> original = Safetensors.read(HF.resolve("model.safetensors"));
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel model = HuggingFaceFolder.load(HF, root, false)) {
      HuggingFaceFolder.save(tmp, model.config(), model.exportWeights());
      assertEquals(model.config(), HuggingFaceFolder.readConfig(tmp));
      Map<String, Safetensors.Tensor> saved = Safetensors.read(tmp.resolve("model.safetensors"));
      assertEquals(original.keySet(), saved.keySet());
      for (String name : original.keySet()) {
        assertArrayEquals(original.get(name).shape(), saved.get(name).shape(), name);
        assertArrayEquals(original.get(name).data(), saved.get(name).data(), 0f, name);
      }
      try (LlamaModel again = HuggingFaceFolder.load(tmp, root, false)) {
        Map<String, float[]> a = model.exportWeights();
        Map<String, float[]> b = again.exportWeights();
        for (String name : a.keySet()) {
          assertArrayEquals(a.get(name), b.get(name), 0f, name);
        }
      }
    }
  }

  @Test
  void load_unsupportedArchitecture_errorNamesIt(@TempDir Path tmp) throws IOException {
    Files.writeString(tmp.resolve("config.json"), "{\"model_type\": \"gpt_neox\"}");
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.readConfig(tmp));
    assertTrue(e.getMessage().contains("gpt_neox"), e.getMessage());
  }

  @Test
  void load_missingTensor_errorNamesIt(@TempDir Path tmp) throws IOException {
    Files.copy(HF.resolve("config.json"), tmp.resolve("config.json"));
    Map<String, Safetensors.Tensor> tensors = new java.util.LinkedHashMap<>(Safetensors.read(HF.resolve("model.safetensors")));
    tensors.remove("model.norm.weight");
    Safetensors.write(tmp.resolve("model.safetensors"), tensors, Map.of());
    try (NDManager root = NDManager.newBaseManager()) {
      IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.load(tmp, root, false));
      assertTrue(e.getMessage().contains("model.norm.weight"), e.getMessage());
    }
  }

  @Test
  void load_shardedWithIndex_equalsSingleFile(@TempDir Path tmp) throws IOException {
    Files.copy(HF.resolve("config.json"), tmp.resolve("config.json"));
    Map<String, Safetensors.Tensor> all = Safetensors.read(HF.resolve("model.safetensors"));
    Map<String, Safetensors.Tensor> first = new java.util.LinkedHashMap<>();
    Map<String, Safetensors.Tensor> second = new java.util.LinkedHashMap<>();
    StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
    int i = 0;
    for (Map.Entry<String, Safetensors.Tensor> e : all.entrySet()) {
      boolean inFirst = i++ % 2 == 0;
      (inFirst ? first : second).put(e.getKey(), e.getValue());
      index.append(i > 1 ? "," : "").append('"').append(e.getKey()).append("\": \"")
          .append(inFirst ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors").append('"');
    }
    index.append("}}");
    Safetensors.write(tmp.resolve("model-00001-of-00002.safetensors"), first, Map.of());
    Safetensors.write(tmp.resolve("model-00002-of-00002.safetensors"), second, Map.of());
    Files.writeString(tmp.resolve("model.safetensors.index.json"), index.toString());
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel single = HuggingFaceFolder.load(HF, root, false);
        LlamaModel sharded = HuggingFaceFolder.load(tmp, root, false)) {
      Map<String, float[]> a = single.exportWeights();
      Map<String, float[]> b = sharded.exportWeights();
      for (String name : a.keySet()) {
        assertArrayEquals(a.get(name), b.get(name), 0f, name);
      }
    }
    Files.delete(tmp.resolve("model-00002-of-00002.safetensors"));
    IOException e = assertThrows(IOException.class, () -> HuggingFaceFolder.readTensors(tmp));
    assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
  }
}
