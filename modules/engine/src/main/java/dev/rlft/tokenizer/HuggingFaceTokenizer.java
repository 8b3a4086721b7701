package dev.rlft.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.rlft.model.Tokenizer;
import dev.rlft.tokenizer.HuggingFaceSpecialTokens.AddedToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json}, run by the Rust {@code tokenizers} library through DJL's
 * bundled native binding. Encoding adds no special tokens and neither truncates nor pads; decoding
 * keeps special tokens unless asked. Special-token roles come from {@code tokenizer.json}'s {@code
 * added_tokens} and, when present next to it, {@code tokenizer_config.json}.
 *
 * <p>Holds a native tokenizer: {@link #close()} it. Thread-safe until closed; any use after {@code
 * close} throws {@link IllegalStateException}.
 */
public final class HuggingFaceTokenizer implements Tokenizer, AutoCloseable {

  /** DJL's defaults truncate to 512 tokens and pad; a policy's prompts and completions need neither. */
  private static final Map<String, String> OPTIONS =
      Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");

  private final ai.djl.huggingface.tokenizers.HuggingFaceTokenizer tokenizer;
  private final HuggingFaceSpecialTokens specialTokens;
  private final int vocabSize;

  private HuggingFaceTokenizer(
      ai.djl.huggingface.tokenizers.HuggingFaceTokenizer tokenizer,
      HuggingFaceSpecialTokens specialTokens,
      int vocabSize) {
    this.tokenizer = tokenizer;
    this.specialTokens = specialTokens;
    this.vocabSize = vocabSize;
  }

  /**
   * Loads {@code path}, a {@code tokenizer.json} file or a folder holding one. Roles the folder's
   * {@code tokenizer_config.json} does not name (or all, when there is none) follow GPT-2's
   * convention if {@code tokenizer.json} has exactly one special added token: it is BOS and EOS.
   * Otherwise such a role is {@link HuggingFaceSpecialTokens#NONE}; a missing pad falls back to EOS.
   *
   * @throws IOException if the file is missing or malformed, or the native library rejects it
   */
  public static HuggingFaceTokenizer load(Path path) throws IOException {
    Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
    if (!Files.isRegularFile(file)) {
      throw new IOException(path + ": no tokenizer.json");
    }
    Path folder = file.toAbsolutePath().getParent();
    Path configFile = folder.resolve("tokenizer_config.json");
    ObjectMapper json = new ObjectMapper();
    byte[] bytes = Files.readAllBytes(file);
    JsonNode root = json.readTree(bytes);
    JsonNode config = Files.isRegularFile(configFile) ? json.readTree(configFile.toFile()) : MissingNode.getInstance();

    List<AddedToken> added = HuggingFaceSpecialTokens.fromArray(root.path("added_tokens"), file.toString(), false);
    List<AddedToken> configured = config.path("added_tokens_decoder").isObject()
        ? HuggingFaceSpecialTokens.fromDecoderMap(config.get("added_tokens_decoder"), configFile.toString(), false)
        : List.of();
    List<AddedToken> special = added.stream().filter(AddedToken::special).toList();
    String only = special.size() == 1 ? special.get(0).content() : null;
    JsonNode vocab = root.path("model").path("vocab");
    HuggingFaceSpecialTokens specials = HuggingFaceSpecialTokens.resolve(
        List.of(added, configured),
        config,
        role -> role.equals("pad_token") ? null : only,
        s -> vocab.isObject() && vocab.path(s).canConvertToInt() ? vocab.get(s).asInt() : -1,
        file.toString());

    int size = vocabSize(vocab, file);
    for (AddedToken t : specials.added()) {
      size = Math.max(size, t.id() + 1);
    }
    ai.djl.huggingface.tokenizers.HuggingFaceTokenizer rust;
    try {
      rust = ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(bytes), OPTIONS);
    } catch (RuntimeException e) {
      throw new IOException(file + ": rejected by the tokenizers library: " + e.getMessage(), e);
    }
    return new HuggingFaceTokenizer(rust, specials, size);
  }

  /** One more than the largest id of the model's vocabulary: a {token: id} object or a Unigram [piece, score] list. */
  private static int vocabSize(JsonNode vocab, Path file) throws IOException {
    if (vocab.isArray()) {
      return vocab.size();
    }
    if (!vocab.isObject()) {
      throw new IOException(file + ": model.vocab is neither an object nor a list");
    }
    int size = 0;
    for (Iterator<JsonNode> it = vocab.elements(); it.hasNext(); ) {
      size = Math.max(size, it.next().asInt() + 1);
    }
    return size;
  }

  @Override
  public int[] encode(String text) {
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /** Decodes every id, special tokens included. */
  @Override
  public String decode(int[] ids) {
    return decode(ids, false);
  }

  /**
   * Decodes {@code ids}, leaving out special tokens if {@code skipSpecialTokens}.
   *
   * @throws IllegalArgumentException for an id outside the vocabulary
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    long[] longs = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      checkId(ids[i]);
      longs[i] = ids[i];
    }
    return tokenizer.decode(longs, skipSpecialTokens);
  }

  /** The decoded text of one token; a token holding part of a UTF-8 sequence gives U+FFFD. */
  @Override
  public String tokenText(int id) {
    return decode(new int[] {id});
  }

  private void checkId(int id) {
    if (id < 0 || id >= vocabSize) {
      throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + vocabSize);
    }
  }

  /** One more than the largest id in the model vocabulary and the added tokens. */
  @Override
  public int vocabSize() {
    return vocabSize;
  }

  /** The pad token, else the EOS token; see {@link HuggingFaceSpecialTokens#padId()}. */
  @Override
  public int padId() {
    return specialTokens.padId();
  }

  /** The BOS token, or {@link HuggingFaceSpecialTokens#NONE} (-1) if there is none. */
  @Override
  public int bosId() {
    return specialTokens.bosId();
  }

  /** The EOS token, or {@link HuggingFaceSpecialTokens#NONE} (-1) if none could be told. */
  @Override
  public int eosId() {
    return specialTokens.eosId();
  }

  public HuggingFaceSpecialTokens specialTokens() {
    return specialTokens;
  }

  /** Frees the native tokenizer; idempotent. */
  @Override
  public void close() {
    tokenizer.close();
  }
}
