package dev.rlft.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The added tokens of a Hugging Face tokenizer (matched whole in text, never split by BPE) and which
 * of them serve as BOS, EOS and padding, read from {@code tokenizer.json}'s {@code added_tokens} and
 * {@code tokenizer_config.json}'s {@code added_tokens_decoder}, {@code bos_token}, {@code eos_token},
 * {@code pad_token}.
 *
 * <p>A role the tokenizer does not have is {@link #NONE} (Qwen has no BOS). A missing pad token
 * falls back to EOS: padded positions are masked, so any real id serves.
 *
 * @param added the added tokens, by increasing id
 * @param bosId id of the beginning-of-sequence token, or {@link #NONE}
 * @param eosId id of the end-of-sequence token (where generation stops), or {@link #NONE}
 * @param padId id used to pad batches: the pad token, else {@code eosId}, else {@link #NONE}
 */
public record HuggingFaceSpecialTokens(List<AddedToken> added, int bosId, int eosId, int padId) {

  /** The id of a role the tokenizer does not have. */
  public static final int NONE = -1;

  /**
   * One added token.
   *
   * @param special whether decoding with {@code skipSpecialTokens} drops it ({@code <tool_call>} is
   *     added but not special in Qwen2.5)
   */
  public record AddedToken(int id, String content, boolean special) {
    public AddedToken {
      if (id < 0) {
        throw new IllegalArgumentException("added token id " + id + " is negative");
      }
      if (content == null || content.isEmpty()) {
        throw new IllegalArgumentException("added token " + id + " has no content");
      }
    }
  }

  public HuggingFaceSpecialTokens {
    added = List.copyOf(added);
    Set<Integer> ids = new HashSet<>();
    Set<String> contents = new HashSet<>();
    for (AddedToken t : added) {
      if (!ids.add(t.id()) || !contents.add(t.content())) {
        throw new IllegalArgumentException("added token repeated: " + t);
      }
    }
    for (int id : new int[] {bosId, eosId, padId}) {
      if (id < NONE) {
        throw new IllegalArgumentException("special token id " + id + " is below -1");
      }
    }
  }

  /** The id of the added token whose content is {@code content}, if there is one. */
  public OptionalInt idOf(String content) {
    for (AddedToken t : added) {
      if (t.content().equals(content)) {
        return OptionalInt.of(t.id());
      }
    }
    return OptionalInt.empty();
  }

  /** Added tokens listed as a JSON array of {@code {id, content, special, ...}} ({@code tokenizer.json}). */
  static List<AddedToken> fromArray(JsonNode array, String source, boolean plainOnly) throws IOException {
    List<AddedToken> out = new ArrayList<>();
    for (JsonNode t : array) {
      if (!t.path("id").canConvertToInt()) {
        throw new IOException(source + ": added token without an integer id: " + t);
      }
      out.add(parse(t.get("id").asInt(), t, source, plainOnly));
    }
    return out;
  }

  /** Added tokens listed as a JSON object {@code {"id": {content, special, ...}}} ({@code tokenizer_config.json}). */
  static List<AddedToken> fromDecoderMap(JsonNode map, String source, boolean plainOnly) throws IOException {
    List<AddedToken> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      int id;
      try {
        id = Integer.parseInt(e.getKey());
      } catch (NumberFormatException ex) {
        throw new IOException(source + ": added_tokens_decoder key '" + e.getKey() + "' is not an id");
      }
      out.add(parse(id, e.getValue(), source, plainOnly));
    }
    return out;
  }

  private static AddedToken parse(int id, JsonNode t, String source, boolean plainOnly) throws IOException {
    if (!t.path("content").isTextual() || t.get("content").asText().isEmpty()) {
      throw new IOException(source + ": added token " + id + " has no content");
    }
    if (plainOnly) {
      for (String flag : new String[] {"lstrip", "rstrip", "single_word"}) {
        if (t.path(flag).asBoolean(false)) {
          throw new IOException(source + ": added token " + id + " sets " + flag + ", which is not supported");
        }
      }
    }
    return new AddedToken(id, t.get("content").asText(), t.path("special").asBoolean(false));
  }

  /**
   * Merges added-token lists and resolves the BOS, EOS and pad roles.
   *
   * @param lists added tokens from each source; one id listed twice must have one content
   * @param config the parsed {@code tokenizer_config.json}, or a missing node
   * @param defaultRole content of the token for a role ({@code "bos_token"}, ...) the config does
   *     not mention, or null for none
   * @param vocabId id of a plain vocabulary token, or a negative number if absent; a role token
   *     found only there becomes a special added token, as in Hugging Face
   * @param source names the files in error messages
   * @throws IOException when lists disagree or a role names a token that exists nowhere
   */
  static HuggingFaceSpecialTokens resolve(
      List<List<AddedToken>> lists,
      JsonNode config,
      Function<String, String> defaultRole,
      ToIntFunction<String> vocabId,
      String source)
      throws IOException {
    TreeMap<Integer, AddedToken> byId = new TreeMap<>();
    Map<String, Integer> byContent = new HashMap<>();
    for (List<AddedToken> list : lists) {
      for (AddedToken t : list) {
        AddedToken old = byId.putIfAbsent(t.id(), t);
        if (old != null && !old.content().equals(t.content())) {
          throw new IOException(source + ": id " + t.id() + " is both '" + old.content() + "' and '" + t.content() + "'");
        }
        Integer oldId = byContent.putIfAbsent(t.content(), t.id());
        if (oldId != null && oldId != t.id()) {
          throw new IOException(source + ": '" + t.content() + "' has ids " + oldId + " and " + t.id());
        }
      }
    }
    int[] roles = new int[3];
    String[] names = {"bos_token", "eos_token", "pad_token"};
    for (int r = 0; r < 3; r++) {
      String content = roleContent(config, names[r], defaultRole, source);
      if (content == null) {
        roles[r] = NONE;
      } else if (byContent.containsKey(content)) {
        roles[r] = byContent.get(content);
      } else {
        int id = vocabId.applyAsInt(content);
        if (id < 0) {
          throw new IOException(source + ": " + names[r] + " '" + content + "' is neither an added token nor in the vocabulary");
        }
        byId.put(id, new AddedToken(id, content, true));
        byContent.put(content, id);
        roles[r] = id;
      }
    }
    int pad = roles[2] != NONE ? roles[2] : roles[1];
    return new HuggingFaceSpecialTokens(new ArrayList<>(byId.values()), roles[0], roles[1], pad);
  }

  private static String roleContent(JsonNode config, String role, Function<String, String> defaultRole, String source)
      throws IOException {
    JsonNode n = config.get(role);
    if (n == null) {
      return defaultRole.apply(role);
    }
    if (n.isNull()) {
      return null;
    }
    if (n.isTextual()) {
      return n.asText();
    }
    if (n.path("content").isTextual()) {
      return n.get("content").asText();
    }
    throw new IOException(source + ": " + role + " is neither a string nor {\"content\": ...}: " + n);
  }
}
