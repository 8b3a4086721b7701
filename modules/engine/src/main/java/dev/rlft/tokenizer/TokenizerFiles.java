package dev.rlft.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A model folder's tokenizer, whichever form it takes, together with the files it came from so
 * that checkpoints and exported model folders carry it along.
 *
 * <p>Forms, in the order they are tried: {@code tokenizer.json} (Hugging Face's fast tokenizer, run
 * by DJL's binding of the Rust library), {@code tokenizer.model} (SentencePiece, read by rlft's
 * own reader) and {@code vocab.json} + {@code merges.txt} (byte-level BPE of GPT-2 or Qwen2).
 */
public final class TokenizerFiles {

  /** Files that belong to a tokenizer; any present are kept with it. */
  public static final List<String> NAMES = List.of("tokenizer.json", "tokenizer_config.json",
      "special_tokens_map.json", "added_tokens.json", "tokenizer.model", "vocab.json", "merges.txt");

  private TokenizerFiles() {}

  /** Whether {@code folder} holds a tokenizer in one of the known forms. */
  public static boolean present(Path folder) {
    return Files.isRegularFile(folder.resolve("tokenizer.json"))
        || Files.isRegularFile(folder.resolve("tokenizer.model"))
        || (Files.isRegularFile(folder.resolve("vocab.json")) && Files.isRegularFile(folder.resolve("merges.txt")));
  }

  /** Loads the tokenizer of a model folder; an IOException names the folder when there is none or it is malformed. */
  public static FileTokenizer load(Path folder) throws IOException {
    Tokenizer t;
    String form;
    if (Files.isRegularFile(folder.resolve("tokenizer.json"))) {
      t = HuggingFaceTokenizer.load(folder);
      form = "tokenizer.json";
    } else if (Files.isRegularFile(folder.resolve("tokenizer.model"))) {
      t = SentencePieceTokenizer.load(folder.resolve("tokenizer.model"));
      form = "tokenizer.model";
    } else if (Files.isRegularFile(folder.resolve("vocab.json")) && Files.isRegularFile(folder.resolve("merges.txt"))) {
      t = BpeTokenizer.load(folder);
      form = "vocab.json+merges.txt";
    } else {
      throw new IOException(folder + ": no tokenizer (looked for tokenizer.json, tokenizer.model, vocab.json + merges.txt)");
    }
    Map<String, byte[]> files = new TreeMap<>();
    for (String name : NAMES) {
      Path f = folder.resolve(name);
      if (Files.isRegularFile(f)) {
        files.put(name, Files.readAllBytes(f));
      }
    }
    return new FileTokenizer(t, form, files);
  }

  /** Rebuilds a tokenizer from the files {@link FileTokenizer#files()} returned (as a checkpoint stores them). */
  public static FileTokenizer fromFiles(Map<String, byte[]> files) throws IOException {
    Path tmp = Files.createTempDirectory("rlft-tokenizer-");
    try {
      write(tmp, files);
      return load(tmp);
    } finally {
      try (Stream<Path> walk = Files.walk(tmp)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** Writes tokenizer files into {@code folder}; only the known names are accepted. */
  public static void write(Path folder, Map<String, byte[]> files) throws IOException {
    Files.createDirectories(folder);
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      if (!NAMES.contains(e.getKey())) {
        throw new IOException("not a tokenizer file name: '" + e.getKey() + "'");
      }
      Files.write(folder.resolve(e.getKey()), e.getValue());
    }
  }

  /**
   * The files of a Hugging Face fast tokenizer equivalent to {@code chars}: a BPE model without
   * merges over its symbols (so every character is one token), specials as added tokens and a
   * fusing decoder. transformers' {@code AutoTokenizer} and DJL load it; encodings match {@code chars}.
   */
  public static Map<String, byte[]> forCharTokenizer(CharTokenizer chars) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    List<String> symbols = chars.symbols();
    for (int id = 0; id < 4; id++) {
      ObjectNode t = added.addObject();
      t.put("id", id);
      t.put("content", symbols.get(id));
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", false);
      t.put("special", true);
    }
    root.putNull("normalizer");
    root.putNull("pre_tokenizer");
    root.putNull("post_processor");
    ObjectNode decoder = root.putObject("decoder");
    decoder.put("type", "Fuse");
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.put("unk_token", CharTokenizer.UNK);
    model.putNull("continuing_subword_prefix");
    model.putNull("end_of_word_suffix");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.put("ignore_merges", false);
    ObjectNode vocab = model.putObject("vocab");
    for (int id = 0; id < symbols.size(); id++) {
      vocab.put(symbols.get(id), id);
    }
    model.putArray("merges");
    ObjectNode config = json.createObjectNode();
    config.put("tokenizer_class", "PreTrainedTokenizerFast");
    config.put("bos_token", CharTokenizer.BOS);
    config.put("eos_token", CharTokenizer.EOS);
    config.put("pad_token", CharTokenizer.PAD);
    config.put("unk_token", CharTokenizer.UNK);
    config.put("model_max_length", 1_000_000);
    Map<String, byte[]> out = new LinkedHashMap<>();
    out.put("tokenizer.json", json.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    out.put("tokenizer_config.json", json.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
    return out;
  }
}
