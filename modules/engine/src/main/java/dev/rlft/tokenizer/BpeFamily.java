package dev.rlft.tokenizer;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The byte-level BPE tokenizer families {@link BpeTokenizer} reads: how text is normalized and split
 * into pieces before BPE, and the special tokens Hugging Face's tokenizer class assumes when {@code
 * tokenizer_config.json} does not name them.
 */
public enum BpeFamily {
  /**
   * OpenAI GPT-2 ({@code GPT2Tokenizer}): no normalization, GPT-2's split pattern (runs of digits
   * stay together); {@code <|endoftext|>} is BOS and EOS, there is no pad token.
   */
  GPT2(
      "GPT2Tokenizer",
      "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
      false,
      "<|endoftext|>",
      "<|endoftext|>",
      null),
  /**
   * Qwen2, Qwen2.5 and Qwen3 ({@code Qwen2Tokenizer}): NFC normalization, Qwen2's split pattern
   * (case-insensitive contractions, one digit per piece, newlines kept with the punctuation before
   * them); no BOS, {@code <|endoftext|>} is EOS and pad. Instruct models' {@code
   * tokenizer_config.json} makes {@code <|im_end|>} the EOS.
   */
  QWEN2(
      "Qwen2Tokenizer",
      "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
      true,
      null,
      "<|endoftext|>",
      "<|endoftext|>");

  private final String tokenizerClass;
  private final String splitRegex;
  private final Pattern split;
  private final boolean nfc;
  private final String defaultBos;
  private final String defaultEos;
  private final String defaultPad;

  BpeFamily(String tokenizerClass, String splitRegex, boolean nfc, String bos, String eos, String pad) {
    this.tokenizerClass = tokenizerClass;
    this.splitRegex = splitRegex;
    // The reference implementations (Oniguruma in Hugging Face tokenizers, Python's regex module)
    // read \s as Unicode White_Space; plain Java \s would be ASCII only and miss U+00A0, U+3000, ...
    this.split = Pattern.compile(splitRegex, Pattern.UNICODE_CHARACTER_CLASS);
    this.nfc = nfc;
    this.defaultBos = bos;
    this.defaultEos = eos;
    this.defaultPad = pad;
  }

  /**
   * The family of a {@code tokenizer_config.json} {@code tokenizer_class} ({@code "Qwen2Tokenizer"},
   * {@code "GPT2TokenizerFast"}, ...).
   *
   * @throws IllegalArgumentException for any other class, with a message listing the known ones
   */
  public static BpeFamily fromTokenizerClass(String tokenizerClass) {
    String slow = tokenizerClass.endsWith("Fast")
        ? tokenizerClass.substring(0, tokenizerClass.length() - "Fast".length())
        : tokenizerClass;
    for (BpeFamily f : values()) {
      if (f.tokenizerClass.equals(slow)) {
        return f;
      }
    }
    throw new IllegalArgumentException("unsupported tokenizer_class '" + tokenizerClass + "'; valid: "
        + Arrays.stream(values()).map(f -> f.tokenizerClass + "[Fast]").toList());
  }

  /** Hugging Face's name for the (slow) tokenizer class, e.g. {@code "Qwen2Tokenizer"}. */
  public String tokenizerClass() {
    return tokenizerClass;
  }

  /** The pre-tokenization regex, in the Hugging Face / Python spelling. */
  public String splitRegex() {
    return splitRegex;
  }

  /** {@link #splitRegex()} compiled for Java, with Unicode {@code \s}. */
  Pattern splitPattern() {
    return split;
  }

  /** Whether text between added tokens is put in Unicode NFC before splitting. */
  public boolean normalizesNfc() {
    return nfc;
  }

  /** Content of the token playing {@code role} ({@code bos_token}, ...) when the config is silent; null if none. */
  String defaultRoleToken(String role) {
    return switch (role) {
      case "bos_token" -> defaultBos;
      case "eos_token" -> defaultEos;
      case "pad_token" -> defaultPad;
      default -> throw new IllegalStateException("no token role '" + role + "'");
    };
  }

  /** The special tokens the tokenizer class registers by itself, in role order, without repeats. */
  List<String> defaultSpecialTokens() {
    Set<String> out = new LinkedHashSet<>();
    for (String s : new String[] {defaultBos, defaultEos, defaultPad}) {
      if (s != null) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }
}
