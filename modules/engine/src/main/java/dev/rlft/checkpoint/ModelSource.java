package dev.rlft.checkpoint;

import ai.djl.ndarray.NDManager;
import dev.rlft.model.GenerationConfig;
import dev.rlft.model.HuggingFaceFolder;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * A model to start from or to run, read from either form a user has: a Hugging Face folder
 * ({@code config.json} + safetensors + tokenizer) or an rlft checkpoint folder ({@code
 * manifest.pb}). A LoRA checkpoint is merged into plain weights.
 *
 * @param eosIds ids that end a completion: the tokenizer's EOS and any that {@code
 *     generation_config.json} adds
 * @param checkpoint the rlft checkpoint when the source was one (optimizer state, counters), else null
 */
public record ModelSource(ModelConfig config, Map<String, float[]> weights, Tokenizer tokenizer, Set<Integer> eosIds,
    GenerationConfig generation, Checkpoint checkpoint) {

  public ModelSource {
    eosIds = Set.copyOf(eosIds);
  }

  public static ModelSource load(Path dir) throws IOException {
    if (Files.isRegularFile(dir.resolve(Checkpoint.MANIFEST))) {
      Checkpoint c = Checkpoint.load(dir);
      Map<String, float[]> weights = c.weights();
      if (c.lora() != null) {
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu());
            LlamaModel merged = LlamaModel.withLora(c.model(), c.weights(), c.lora(), c.adapters(), 0, m, false)) {
          weights = merged.exportWeights();
        }
      }
      return new ModelSource(c.model(), weights, c.tokenizer(), eosOf(c.tokenizer(), GenerationConfig.NONE),
          GenerationConfig.NONE, c);
    }
    if (HuggingFaceFolder.isModelFolder(dir)) {
      HuggingFaceFolder.Pretrained p = HuggingFaceFolder.read(dir);
      if (p.tokenizer() == null) {
        throw new IOException(dir + ": a model folder without a tokenizer (tokenizer.json, tokenizer.model or "
            + "vocab.json + merges.txt) cannot be trained or sampled");
      }
      return new ModelSource(p.config(), p.weights(), p.tokenizer(), eosOf(p.tokenizer(), p.generation()),
          p.generation(), null);
    }
    throw new IOException(dir + ": neither an rlft checkpoint (manifest.pb) nor a Hugging Face model folder (config.json)");
  }

  private static Set<Integer> eosOf(Tokenizer t, GenerationConfig g) {
    Set<Integer> ids = new LinkedHashSet<>();
    if (t.eosId() >= 0) {
      ids.add(t.eosId());
    }
    ids.addAll(g.eosIds());
    return ids;
  }
}
