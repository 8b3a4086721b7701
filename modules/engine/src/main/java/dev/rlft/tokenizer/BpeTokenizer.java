package dev.rlft.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.rlft.model.Tokenizer;
import dev.rlft.tokenizer.HuggingFaceSpecialTokens.AddedToken;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Byte-level BPE tokenizer (GPT-2, Qwen2/2.5/3) read from a Hugging Face folder's {@code vocab.json}
 * and {@code merges.txt}, plus {@code tokenizer_config.json} when present; gives the ids Hugging
 * Face's tokenizer gives with {@code add_special_tokens=False}.
 *
 * <p>Encoding: added tokens ({@code <|im_start|>}, ...) are cut out of the text first and become
 * their own ids; each span between them is normalized ({@link BpeFamily#normalizesNfc()}), split by
 * the family's regex, and each piece's UTF-8 bytes are written in {@link BpeByteAlphabet}
 * characters, merged pair by pair (lowest merge rank first, leftmost first among equal ranks, as in
 * Hugging Face's {@code Word::merge_all}) and looked up in the vocabulary. Nothing is added at the
 * start or end. Decoding concatenates the tokens' bytes and reads them as UTF-8, an invalid
 * sequence becoming U+FFFD.
 *
 * <p>Not supported (the load fails): added tokens with {@code lstrip}, {@code rstrip} or {@code
 * single_word}. Immutable and thread-safe; merge results are cached per piece.
 */
public final class BpeTokenizer implements Tokenizer {

  /** The per-piece cache is cleared when it reaches this many entries, bounding its memory. */
  private static final int CACHE_LIMIT = 1 << 17;

  private final BpeFamily family;
  private final HuggingFaceSpecialTokens specialTokens;
  /** Bytes of every id; null for an id that is not a token. */
  private final byte[][] tokenBytes;
  /** Per id: the added token it is, or null. */
  private final AddedToken[] addedById;
  /** Vocabulary id of each byte's single-character token. */
  private final int[] byteIds;
  /** (leftId << 32 | rightId) to (rank << 32 | mergedId). */
  private final Map<Long, Long> merges;
  /** Matches every added token that is cut out of text, longest first; null when there are none. */
  private final Pattern addedPattern;
  private final Map<String, Integer> addedIds;
  private final Map<String, int[]> cache = new ConcurrentHashMap<>();

  private BpeTokenizer(
      BpeFamily family,
      HuggingFaceSpecialTokens specialTokens,
      byte[][] tokenBytes,
      AddedToken[] addedById,
      int[] byteIds,
      Map<Long, Long> merges,
      boolean splitSpecialTokens) {
    this.family = family;
    this.specialTokens = specialTokens;
    this.tokenBytes = tokenBytes;
    this.addedById = addedById;
    this.byteIds = byteIds;
    this.merges = merges;
    this.addedIds = new HashMap<>();
    for (AddedToken t : specialTokens.added()) {
      if (!(splitSpecialTokens && t.special())) {
        addedIds.put(t.content(), t.id());
      }
    }
    // Longest first, so that at one position the longest added token wins (leftmost-longest, as
    // Hugging Face's Aho-Corasick matcher).
    this.addedPattern = addedIds.isEmpty()
        ? null
        : Pattern.compile(addedIds.keySet().stream()
            .sorted(Comparator.comparingInt(String::length).reversed().thenComparing(Comparator.naturalOrder()))
            .map(Pattern::quote)
            .collect(Collectors.joining("|")));
  }

  /**
   * Reads a folder whose {@code tokenizer_config.json} names its family in {@code tokenizer_class}.
   *
   * @throws IOException if a file is missing or malformed, or the class is not a {@link BpeFamily}
   */
  public static BpeTokenizer load(Path folder) throws IOException {
    Path configFile = folder.resolve("tokenizer_config.json");
    if (!Files.isRegularFile(configFile)) {
      throw new IOException(folder + ": no tokenizer_config.json to name the tokenizer family; load it with a BpeFamily");
    }
    String cls = new ObjectMapper().readTree(configFile.toFile()).path("tokenizer_class").asText("");
    try {
      return load(folder, BpeFamily.fromTokenizerClass(cls));
    } catch (IllegalArgumentException e) {
      throw new IOException(configFile + ": " + e.getMessage(), e);
    }
  }

  /**
   * Reads {@code vocab.json}, {@code merges.txt} and, if present, {@code tokenizer_config.json}
   * (added tokens, {@code bos_token}, {@code eos_token}, {@code pad_token}, {@code
   * split_special_tokens}) from {@code folder}. Without a config, or for roles it does not
   * mention, the family's defaults apply.
   *
   * @throws IOException if a file is missing or malformed: a merge or a byte outside the
   *     vocabulary, an id given to two tokens, a role token that exists nowhere
   */
  public static BpeTokenizer load(Path folder, BpeFamily family) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Path vocabFile = folder.resolve("vocab.json");
    Path mergesFile = folder.resolve("merges.txt");
    Path configFile = folder.resolve("tokenizer_config.json");
    for (Path p : List.of(vocabFile, mergesFile)) {
      if (!Files.isRegularFile(p)) {
        throw new IOException(folder + ": no " + p.getFileName());
      }
    }
    Map<String, Integer> vocab = readVocab(json.readTree(vocabFile.toFile()), vocabFile);
    JsonNode config = Files.isRegularFile(configFile) ? json.readTree(configFile.toFile()) : MissingNode.getInstance();

    List<AddedToken> added;
    JsonNode decoder = config.path("added_tokens_decoder");
    if (decoder.isObject()) {
      added = HuggingFaceSpecialTokens.fromDecoderMap(decoder, configFile.toString(), true);
    } else {
      // What the tokenizer class registers by itself: its role tokens, appended after the
      // vocabulary when vocab.json lacks them (Qwen's <|endoftext|> is 151643).
      added = new ArrayList<>();
      int next = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
      for (String s : family.defaultSpecialTokens()) {
        Integer id = vocab.get(s);
        added.add(new AddedToken(id != null ? id : next++, s, true));
      }
    }
    HuggingFaceSpecialTokens specials = HuggingFaceSpecialTokens.resolve(
        List.of(added), config, family::defaultRoleToken, s -> vocab.getOrDefault(s, -1), folder.toString());

    int size = 0;
    for (int id : vocab.values()) {
      size = Math.max(size, id + 1);
    }
    for (AddedToken t : specials.added()) {
      size = Math.max(size, t.id() + 1);
    }
    byte[][] tokenBytes = new byte[size][];
    for (Map.Entry<String, Integer> e : vocab.entrySet()) {
      tokenBytes[e.getValue()] = BpeByteAlphabet.decode(e.getKey());
    }
    AddedToken[] addedById = new AddedToken[size];
    for (AddedToken t : specials.added()) {
      addedById[t.id()] = t;
      tokenBytes[t.id()] = BpeByteAlphabet.decode(t.content());
    }
    int[] byteIds = new int[256];
    for (int b = 0; b < 256; b++) {
      Integer id = vocab.get(String.valueOf(BpeByteAlphabet.charOf((byte) b)));
      if (id == null) {
        throw new IOException(vocabFile + ": no token for byte " + b + " ('" + BpeByteAlphabet.charOf((byte) b) + "')");
      }
      byteIds[b] = id;
    }
    Map<Long, Long> merges = readMerges(mergesFile, vocab);
    return new BpeTokenizer(family, specials, tokenBytes, addedById, byteIds, merges,
        config.path("split_special_tokens").asBoolean(false));
  }

  private static Map<String, Integer> readVocab(JsonNode root, Path file) throws IOException {
    if (!root.isObject()) {
      throw new IOException(file + ": not a JSON object {token: id}");
    }
    Map<String, Integer> vocab = new HashMap<>(root.size() * 2);
    Map<Integer, String> seen = new HashMap<>(root.size() * 2);
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
        throw new IOException(file + ": token '" + e.getKey() + "' has id " + e.getValue() + ", not a non-negative integer");
      }
      int id = e.getValue().asInt();
      String old = seen.put(id, e.getKey());
      if (old != null) {
        throw new IOException(file + ": id " + id + " is both '" + old + "' and '" + e.getKey() + "'");
      }
      vocab.put(e.getKey(), id);
    }
    return vocab;
  }

  private static Map<Long, Long> readMerges(Path file, Map<String, Integer> vocab) throws IOException {
    Map<Long, Long> merges = new HashMap<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      int lineNo = 0;
      int rank = 0;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNo++;
        if (line.endsWith("\r")) {
          line = line.substring(0, line.length() - 1);
        }
        if ((lineNo == 1 && line.startsWith("#version")) || line.isEmpty()) {
          continue;
        }
        int space = line.indexOf(' ');
        if (space <= 0 || space == line.length() - 1 || line.indexOf(' ', space + 1) >= 0) {
          throw new IOException(file + ":" + lineNo + ": not a merge 'left right': " + line);
        }
        String left = line.substring(0, space);
        String right = line.substring(space + 1);
        Integer l = vocab.get(left);
        Integer r = vocab.get(right);
        Integer m = vocab.get(left + right);
        if (l == null || r == null || m == null) {
          throw new IOException(file + ":" + lineNo + ": merge '" + line + "' uses or makes a token outside vocab.json");
        }
        // A repeated pair takes its last rank, as Hugging Face's merge map does.
        merges.put(pairKey(l, r), ((long) rank << 32) | m);
        rank++;
      }
    }
    return merges;
  }

  private static long pairKey(int left, int right) {
    return ((long) left << 32) | (right & 0xFFFFFFFFL);
  }

  @Override
  public int[] encode(String text) {
    IntStream.Builder out = IntStream.builder();
    int last = 0;
    if (addedPattern != null) {
      Matcher m = addedPattern.matcher(text);
      while (m.find()) {
        encodeOrdinary(text.substring(last, m.start()), out);
        out.add(addedIds.get(m.group()));
        last = m.end();
      }
    }
    encodeOrdinary(text.substring(last), out);
    return out.build().toArray();
  }

  private void encodeOrdinary(String span, IntStream.Builder out) {
    if (span.isEmpty()) {
      return;
    }
    if (family.normalizesNfc()) {
      span = Normalizer.normalize(span, Normalizer.Form.NFC);
    }
    Matcher m = family.splitPattern().matcher(span);
    int last = 0;
    while (m.find()) {
      if (m.start() > last) {
        encodePiece(span.substring(last, m.start()), out);
      }
      encodePiece(m.group(), out);
      last = m.end();
    }
    if (last < span.length()) {
      encodePiece(span.substring(last), out);
    }
  }

  private void encodePiece(String piece, IntStream.Builder out) {
    if (piece.isEmpty()) {
      return;
    }
    int[] ids = cache.get(piece);
    if (ids == null) {
      ids = merge(piece.getBytes(StandardCharsets.UTF_8));
      if (cache.size() >= CACHE_LIMIT) {
        cache.clear();
      }
      cache.put(piece, ids);
    }
    for (int id : ids) {
      out.add(id);
    }
  }

  /**
   * BPE over one piece's bytes: start from one token per byte and repeatedly apply the merge of
   * lowest rank among adjacent pairs, leftmost first on ties. A queue entry is (rank, position);
   * one made stale by an earlier merge is recognised by the pair now at its position no longer
   * having its rank.
   */
  private int[] merge(byte[] bytes) {
    int n = bytes.length;
    int[] sym = new int[n];
    int[] prev = new int[n];
    int[] next = new int[n];
    for (int i = 0; i < n; i++) {
      sym[i] = byteIds[bytes[i] & 0xFF];
      prev[i] = i - 1;
      next[i] = i + 1 < n ? i + 1 : -1;
    }
    PriorityQueue<Long> queue = new PriorityQueue<>();
    for (int i = 0; i + 1 < n; i++) {
      offer(queue, sym[i], sym[i + 1], i);
    }
    while (!queue.isEmpty()) {
      long top = queue.poll();
      int rank = (int) (top >>> 32);
      int pos = (int) top;
      if (sym[pos] < 0 || next[pos] < 0) {
        continue;
      }
      int right = next[pos];
      Long merge = merges.get(pairKey(sym[pos], sym[right]));
      if (merge == null || (int) (merge >>> 32) != rank) {
        continue;
      }
      sym[pos] = (int) (long) merge;
      sym[right] = -1;
      next[pos] = next[right];
      if (next[pos] >= 0) {
        prev[next[pos]] = pos;
        offer(queue, sym[pos], sym[next[pos]], pos);
      }
      if (prev[pos] >= 0) {
        offer(queue, sym[prev[pos]], sym[pos], prev[pos]);
      }
    }
    IntStream.Builder ids = IntStream.builder();
    for (int i = 0; i >= 0; i = next[i]) {
      ids.add(sym[i]);
    }
    return ids.build().toArray();
  }

  private void offer(PriorityQueue<Long> queue, int left, int right, int pos) {
    Long merge = merges.get(pairKey(left, right));
    if (merge != null) {
      queue.add((merge & 0xFFFFFFFF00000000L) | pos);
    }
  }

  /** Decodes every id, special tokens included, as Hugging Face's {@code decode} does by default. */
  @Override
  public String decode(int[] ids) {
    return decode(ids, false);
  }

  /**
   * Decodes {@code ids}; with {@code skipSpecialTokens} the added tokens marked special (e.g.
   * {@code <|im_end|>}, not {@code <tool_call>}) are left out.
   *
   * @throws IllegalArgumentException for an id that is not a token
   */
  public String decode(int[] ids, boolean skipSpecialTokens) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int id : ids) {
      checkId(id);
      if (skipSpecialTokens && addedById[id] != null && addedById[id].special()) {
        continue;
      }
      bytes.writeBytes(tokenBytes[id]);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  /** The decoded text of one token; a token holding part of a UTF-8 sequence gives U+FFFD. */
  @Override
  public String tokenText(int id) {
    checkId(id);
    return new String(tokenBytes[id], StandardCharsets.UTF_8);
  }

  private void checkId(int id) {
    if (id < 0 || id >= tokenBytes.length || tokenBytes[id] == null) {
      throw new IllegalArgumentException("token id " + id + " is not in the vocabulary of " + tokenBytes.length);
    }
  }

  /** One more than the largest token id (151665 for Qwen2.5; its models pad embeddings to 151936 rows). */
  @Override
  public int vocabSize() {
    return tokenBytes.length;
  }

  /** The pad token, else the EOS token; see {@link HuggingFaceSpecialTokens#padId()}. */
  @Override
  public int padId() {
    return specialTokens.padId();
  }

  /** The BOS token, or {@link HuggingFaceSpecialTokens#NONE} (-1) when the family has none (Qwen). */
  @Override
  public int bosId() {
    return specialTokens.bosId();
  }

  @Override
  public int eosId() {
    return specialTokens.eosId();
  }

  public BpeFamily family() {
    return family;
  }

  public HuggingFaceSpecialTokens specialTokens() {
    return specialTokens;
  }
}
