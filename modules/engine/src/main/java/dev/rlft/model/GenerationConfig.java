package dev.rlft.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a model folder's {@code generation_config.json} says about decoding: the ids that end a
 * completion (one or several, as Qwen2.5's chat models list both {@code <|im_end|>} and {@code
 * <|endoftext|>}) and the sampling defaults the model was published with. Unset fields are null.
 */
public record GenerationConfig(List<Integer> eosIds, Integer bosId, Integer padId, Float temperature, Float topP,
    Integer topK) {

  public static final GenerationConfig NONE = new GenerationConfig(List.of(), null, null, null, null, null);

  public GenerationConfig {
    eosIds = List.copyOf(eosIds);
  }

  /** Reads {@code generation_config.json} from {@code folder}, or {@link #NONE} when there is none. */
  public static GenerationConfig read(Path folder) throws IOException {
    Path file = folder.resolve("generation_config.json");
    if (!Files.isRegularFile(file)) {
      return NONE;
    }
    JsonNode c;
    try {
      c = new ObjectMapper().readTree(file.toFile());
    } catch (IOException e) {
      throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
    }
    List<Integer> eos = new ArrayList<>();
    JsonNode e = c.path("eos_token_id");
    if (e.isArray()) {
      e.forEach(n -> eos.add(n.asInt()));
    } else if (e.canConvertToInt()) {
      eos.add(e.asInt());
    }
    return new GenerationConfig(eos, intOrNull(c, "bos_token_id"), intOrNull(c, "pad_token_id"),
        floatOrNull(c, "temperature"), floatOrNull(c, "top_p"), intOrNull(c, "top_k"));
  }

  private static Integer intOrNull(JsonNode c, String field) {
    JsonNode n = c.path(field);
    return n.canConvertToInt() && !n.isBoolean() ? n.asInt() : null;
  }

  private static Float floatOrNull(JsonNode c, String field) {
    JsonNode n = c.path(field);
    return n.isNumber() ? (float) n.asDouble() : null;
  }
}
