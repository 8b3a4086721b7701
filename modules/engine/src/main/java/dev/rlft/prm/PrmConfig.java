package dev.rlft.prm;

import dev.rlft.model.Tokenizer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How a process reward model reads a solution and where its step scores come from.
 *
 * <p>The text a PRM sees is {@code promptPrefix + problem + promptSuffix}, then the steps joined
 * with {@code stepSeparator}, each step followed by {@code stepTag} when one is set; {@link
 * StepEncoder} turns it into tokens and finds each step's read position.
 *
 * @param head where a step's score comes from
 * @param promptPrefix text before the problem (may be empty)
 * @param promptSuffix text between the problem and the first step (may be empty)
 * @param stepSeparator text between two steps (may be empty)
 * @param stepTag text appended to every step, whose last token is the read position (Math-Shepherd's
 *     {@code " ки"}); empty for none. Required, or a {@code stepTagId}, for {@link HeadKind#LM_TOKENS}
 * @param stepTagId the token a step's tag must end in, or -1; when the tag text does not tokenize
 *     to it in context (or there is no tag text) this id is inserted directly
 * @param goodId {@link HeadKind#LM_TOKENS}: the vocabulary id meaning "step is good"; else -1
 * @param badId {@link HeadKind#LM_TOKENS}: the vocabulary id meaning "step is bad"; else -1
 */
public record PrmConfig(
    HeadKind head,
    String promptPrefix,
    String promptSuffix,
    String stepSeparator,
    String stepTag,
    int stepTagId,
    int goodId,
    int badId) {

  /** Where a PRM's step score comes from. */
  public enum HeadKind {
    /**
     * rlft's own head: {@code sigmoid(w . h + b)} on the final hidden state h at the step's last
     * token, with {@code w} ({@code score.weight}, [1, dim]) and {@code b} ({@code score.bias}, [1]).
     */
    SCALAR,
    /**
     * Math-Shepherd style (Wang et al., arXiv 2312.08935): the language-model head's logits at the
     * step tag, {@code p(good) / (p(good) + p(bad)) = sigmoid(logit[good] - logit[bad])}. Lets a
     * Hugging Face PRM trained that way run unchanged.
     */
    LM_TOKENS;

    /** The kind named {@code name} (any case, '-' or '_'); an unknown name lists the valid ones. */
    public static HeadKind parse(String name) {
      String key = name == null ? "" : name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
      for (HeadKind k : values()) {
        if (k.name().equals(key)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown PRM head kind '" + name + "'; valid: "
          + Arrays.toString(values()).toLowerCase(Locale.ROOT));
    }
  }

  /** Metadata keys of a PRM checkpoint. */
  static final String KEY_HEAD = "prm.head";
  static final String KEY_PROMPT_PREFIX = "prm.prompt-prefix";
  static final String KEY_PROMPT_SUFFIX = "prm.prompt-suffix";
  static final String KEY_SEPARATOR = "prm.step-separator";
  static final String KEY_TAG = "prm.step-tag";
  static final String KEY_TAG_ID = "prm.step-tag-id";
  static final String KEY_GOOD_ID = "prm.good-id";
  static final String KEY_BAD_ID = "prm.bad-id";

  public PrmConfig {
    Objects.requireNonNull(head, "head");
    Objects.requireNonNull(promptPrefix, "promptPrefix");
    Objects.requireNonNull(promptSuffix, "promptSuffix");
    Objects.requireNonNull(stepSeparator, "stepSeparator");
    Objects.requireNonNull(stepTag, "stepTag");
    if (stepTagId < -1) {
      throw new IllegalArgumentException("step tag id must be >= 0, or -1 for none; got " + stepTagId);
    }
    if (head == HeadKind.LM_TOKENS) {
      if (stepTag.isEmpty() && stepTagId < 0) {
        throw new IllegalArgumentException("an LM_TOKENS PRM needs a step tag (text, id or both)");
      }
      if (goodId < 0 || badId < 0 || goodId == badId) {
        throw new IllegalArgumentException(
            "an LM_TOKENS PRM needs two distinct token ids >= 0 for good and bad, got " + goodId + " and " + badId);
      }
    } else if (goodId != -1 || badId != -1) {
      throw new IllegalArgumentException(
          "good/bad token ids belong to an LM_TOKENS PRM; a SCALAR one takes -1, got " + goodId + " and " + badId);
    }
  }

  /**
   * rlft's default: a {@link HeadKind#SCALAR} head read at each step's last token, the problem
   * followed by a newline (as {@link dev.rlft.model.PromptTemplate#PLAIN}) and steps separated by
   * a blank line (as {@link dev.rlft.data.Steps}).
   */
  public static PrmConfig scalar() {
    return new PrmConfig(HeadKind.SCALAR, "", "\n", "\n\n", "", -1, -1, -1);
  }

  /**
   * An {@link HeadKind#LM_TOKENS} PRM whose tag and label tokens are looked up in {@code tokenizer}:
   * the tag id is the last token of {@code tagText}, and {@code good} and {@code bad} must each be
   * one token.
   */
  public static PrmConfig lmTokens(Tokenizer tokenizer, String promptSuffix, String stepSeparator, String tagText,
      String good, String bad) {
    int[] tag = tokenizer.encode(tagText);
    if (tag.length == 0) {
      throw new IllegalArgumentException("step tag '" + tagText + "' encodes to no tokens");
    }
    return new PrmConfig(HeadKind.LM_TOKENS, "", promptSuffix, stepSeparator, tagText, tag[tag.length - 1],
        singleToken(tokenizer, good), singleToken(tokenizer, bad));
  }

  /**
   * The input format of Math-Shepherd's released PRM ({@code peiyi9979/math-shepherd-mistral-7b-prm}),
   * as its model and data cards show it: {@code question + " " + steps}, each step ending in
   * {@code " ки"}, steps separated by a newline, labels {@code "+"} and {@code "-"}. Steps are used
   * verbatim; that PRM was trained on steps written as {@code "Step 1: ..."}. The ids come from
   * {@code tokenizer} (see {@link #lmTokens}); not checked here against the released model.
   */
  public static PrmConfig mathShepherd(Tokenizer tokenizer) {
    return lmTokens(tokenizer, " ", "\n", " ки", "+", "-");
  }

  private static int singleToken(Tokenizer tokenizer, String text) {
    int[] ids = tokenizer.encode(text);
    if (ids.length != 1) {
      throw new IllegalArgumentException("label '" + text + "' must be one token, got " + Arrays.toString(ids));
    }
    return ids[0];
  }

  /** Checks the token ids against a vocabulary of {@code vocabSize} ids. */
  void checkVocabulary(int vocabSize) {
    for (int id : new int[] {stepTagId, goodId, badId}) {
      if (id >= vocabSize) {
        throw new IllegalArgumentException("PRM token id " + id + " is outside the model's vocabulary of " + vocabSize);
      }
    }
  }

  /** The settings as checkpoint metadata (keys {@code prm.*}). */
  Map<String, String> toMetadata() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(KEY_HEAD, head.name().toLowerCase(Locale.ROOT));
    m.put(KEY_PROMPT_PREFIX, promptPrefix);
    m.put(KEY_PROMPT_SUFFIX, promptSuffix);
    m.put(KEY_SEPARATOR, stepSeparator);
    m.put(KEY_TAG, stepTag);
    m.put(KEY_TAG_ID, Integer.toString(stepTagId));
    m.put(KEY_GOOD_ID, Integer.toString(goodId));
    m.put(KEY_BAD_ID, Integer.toString(badId));
    return m;
  }

  /** Reads settings written by {@link #toMetadata()}; a missing or malformed key is named. */
  static PrmConfig fromMetadata(Map<String, String> m) {
    return new PrmConfig(HeadKind.parse(required(m, KEY_HEAD)), required(m, KEY_PROMPT_PREFIX),
        required(m, KEY_PROMPT_SUFFIX), required(m, KEY_SEPARATOR), required(m, KEY_TAG), intOf(m, KEY_TAG_ID),
        intOf(m, KEY_GOOD_ID), intOf(m, KEY_BAD_ID));
  }

  private static String required(Map<String, String> m, String key) {
    String v = m.get(key);
    if (v == null) {
      throw new IllegalArgumentException("PRM metadata lacks '" + key + "'");
    }
    return v;
  }

  private static int intOf(Map<String, String> m, String key) {
    String v = required(m, key);
    try {
      return Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("PRM metadata '" + key + "' is not an integer: '" + v + "'");
    }
  }
}
