package dev.rlft.steps;

import dev.rlft.model.Tokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Character offsets of a completion's tokens in its decoded text, for any {@link Tokenizer}, so
 * that a step found in the text ({@link StepSegmenter}) can be placed on the token that completes
 * it.
 *
 * <p><b>Definition.</b> {@code text} is {@code tokenizer.decode(ids)}. The end of token {@code k}
 * is the number of leading characters of {@code text} that tokens {@code 0..k} already determine:
 * the length of the longest common prefix of {@code decode(ids[0..k])} and {@code text}, made
 * non-decreasing, with the last token ending at {@code text.length()}. A byte-level BPE token that
 * holds only the first bytes of a multi-byte character (its partial decode ends in U+FFFD, which
 * {@code text} lacks there) therefore does not own that character; the token that completes it
 * does. Control tokens and other tokens that show nothing end where the token before them ends.
 * SentencePiece's dropped leading space needs no special case: prefixes and {@code text} start
 * with the same first piece.
 *
 * <p><b>Reward position.</b> A step spanning {@code [start, end)} of {@code text} gets its reward on
 * {@link #tokenEndingAtOrAfter(int) tokenEndingAtOrAfter(end)}: the first token whose end is
 * {@code >= end}, i.e. the token that holds the step's last character (the earliest one, when
 * several tokens end at the same offset).
 *
 * <p><b>Cost.</b> Instead of decoding every prefix (n decodes of up to n tokens: O(n²) work), the
 * ends are found by incremental decoding as in Hugging Face text-generation-inference: token
 * {@code k} decodes the window {@code ids[p..k]}, where {@code p} starts the previously accepted
 * chunk, and what the window adds to that chunk's own decode is checked against {@code text}. The
 * context chunk keeps SentencePiece's leading space and the bytes before a split character in
 * place. A chunk is accepted only when what it adds matches {@code text} and does not end in a
 * U+FFFD that the next tokens could still complete (checked by decoding up to three more tokens,
 * only when a window ends in U+FFFD); until then it grows. Typically that is about 2n decodes of a
 * few tokens each, O(n) work (a 1,800-token Qwen completion takes about 3,600 decodes of 4 tokens
 * on average). A token whose window contradicts the accepted text, or whose chunk has not matched
 * for {@value #HOLD_LIMIT} tokens, decodes its whole prefix instead. That happens for decoders
 * that rewrite earlier text (clean-up rules) and, rarely, around invalid UTF-8; the worst case is
 * then n prefix decodes, O(n²) work. For decoders whose decode of a prefix is a prefix
 * of the decode of any longer sequence, apart from a partial last character, the result equals the
 * prefix-decoding definition; tests check that on Qwen2.5, GPT-2, two SentencePiece models and the
 * character tokenizer.
 *
 * <p>Immutable and thread-safe.
 */
public final class TokenAlignment {

  /** Tokens a chunk may grow without matching the text before falling back to a prefix decode. */
  static final int HOLD_LIMIT = 16;

  /** Most bytes of a UTF-8 character after its first. */
  private static final int UTF8_TAIL = 3;

  private final String text;
  private final int[] ends;

  private TokenAlignment(String text, int[] ends) {
    this.text = text;
    this.ends = ends;
  }

  /**
   * The alignment of {@code ids} decoded by {@code tokenizer}. Pass the completion without its stop
   * token: byte-level BPE decodes special tokens as their text ({@code <|im_end|>}), which would
   * become part of the last step.
   *
   * @param ids the completion's token ids, in order; not modified
   * @throws IllegalArgumentException if {@code tokenizer} rejects an id
   */
  public static TokenAlignment of(Tokenizer tokenizer, int[] ids) {
    Objects.requireNonNull(tokenizer, "tokenizer");
    Objects.requireNonNull(ids, "ids");
    int[] copy = ids.clone();
    String text = tokenizer.decode(copy);
    return new TokenAlignment(text, incrementalEnds(tokenizer, copy, text));
  }

  /**
   * Reference implementation of the definition by decoding every prefix: O(n) decodes of O(n)
   * tokens. For tests and for checking a new tokenizer.
   */
  public static TokenAlignment ofByPrefixes(Tokenizer tokenizer, int[] ids) {
    Objects.requireNonNull(tokenizer, "tokenizer");
    Objects.requireNonNull(ids, "ids");
    int[] copy = ids.clone();
    String text = tokenizer.decode(copy);
    int[] ends = new int[copy.length];
    int previous = 0;
    for (int k = 0; k < copy.length; k++) {
      String prefix = tokenizer.decode(Arrays.copyOf(copy, k + 1));
      previous = Math.max(previous, commonPrefix(prefix, 0, text, 0));
      ends[k] = previous;
    }
    if (ends.length > 0) {
      ends[ends.length - 1] = text.length();
    }
    return new TokenAlignment(text, ends);
  }

  /** The decoded completion: {@code tokenizer.decode(ids)}. */
  public String text() {
    return text;
  }

  /** Number of tokens. */
  public int size() {
    return ends.length;
  }

  /** Character end (exclusive) of token {@code k} in {@link #text()}; see the class doc. */
  public int tokenEnd(int k) {
    Objects.checkIndex(k, ends.length);
    return ends[k];
  }

  /** Character start of token {@code k}: the end of token {@code k - 1}, or 0. */
  public int tokenStart(int k) {
    Objects.checkIndex(k, ends.length);
    return k == 0 ? 0 : ends[k - 1];
  }

  /** The end of every token, a copy. */
  public int[] tokenEnds() {
    return ends.clone();
  }

  /**
   * The first token whose end is {@code >= charEnd}: the token holding character {@code charEnd -
   * 1}. Binary search, O(log n).
   *
   * @param charEnd exclusive end of a span of {@link #text()}, in {@code [1, text().length()]}
   * @throws IllegalArgumentException if {@code charEnd} is outside that range or there are no tokens
   */
  public int tokenEndingAtOrAfter(int charEnd) {
    if (charEnd < 1 || charEnd > text.length()) {
      throw new IllegalArgumentException(
          "character end " + charEnd + " is outside [1, " + text.length() + "] of the decoded text");
    }
    int lo = 0;
    int hi = ends.length - 1;
    // ends is non-decreasing and its last value is text.length() >= charEnd, so an answer exists.
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (ends[mid] >= charEnd) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }

  /**
   * The token that gets each step's reward: {@link #tokenEndingAtOrAfter(int)} of its end.
   * Non-decreasing for steps in text order.
   *
   * @param steps steps of {@link #text()}, as {@link StepSegmenter#segment} returns them
   * @throws IllegalArgumentException if a step does not lie inside the text
   */
  public int[] stepEndTokens(List<StepSegmenter.Step> steps) {
    int[] out = new int[steps.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = tokenEndingAtOrAfter(steps.get(i).end());
    }
    return out;
  }

  /**
   * Token ends by incremental decoding; see the class doc. State: tokens {@code [0, read)} are
   * accepted and show {@code text[0, readChar)}; {@code prefix} is the decode of {@code
   * ids[context, read)}, the context that later windows start from; tokens from {@code read} on
   * form the chunk being read.
   */
  private static int[] incrementalEnds(Tokenizer tokenizer, int[] ids, String text) {
    int n = ids.length;
    int[] ends = new int[n];
    int context = 0;
    int read = 0;
    int readChar = 0;
    String prefix = "";
    int previous = 0;
    for (int k = 0; k < n; k++) {
      String window = decode(tokenizer, ids, context, k + 1);
      if (window.startsWith(prefix)) {
        int fresh = window.length() - prefix.length();
        int lcp = commonPrefix(window, prefix.length(), text, readChar);
        boolean clean = lcp == fresh
            && (fresh == 0 || !endsInReplacement(window) || settled(tokenizer, ids, context, k, window));
        if (clean || k + 1 - read < HOLD_LIMIT) {
          ends[k] = previous = Math.max(previous, readChar + lcp);
          if (clean) {
            String chunk = decode(tokenizer, ids, read, k + 1);
            // A context must show text: if the chunk shows nothing (a control token, a space
            // SentencePiece drops at the start), keep the old context and extend it.
            if (!chunk.isEmpty()) {
              context = read;
              prefix = chunk;
            } else {
              prefix = window;
            }
            read = k + 1;
            readChar += lcp;
          }
          continue;
        }
      }
      // The window disagrees with what was accepted, or the chunk has not matched for too long:
      // decode the whole prefix, as the definition does.
      String whole = decode(tokenizer, ids, 0, k + 1);
      int lcp = commonPrefix(whole, 0, text, 0);
      ends[k] = previous = Math.max(previous, lcp);
      if (lcp == whole.length() && (!endsInReplacement(whole) || settled(tokenizer, ids, 0, k, whole))) {
        String chunk = decode(tokenizer, ids, read, k + 1);
        if (!chunk.isEmpty()) {
          context = read;
          prefix = chunk;
        } else {
          context = 0;
          prefix = whole;
        }
        read = k + 1;
        readChar = lcp;
      }
    }
    if (n > 0) {
      ends[n - 1] = text.length();
    }
    return ends;
  }

  private static boolean endsInReplacement(String s) {
    return !s.isEmpty() && s.charAt(s.length() - 1) == '\uFFFD';
  }

  /**
   * Whether the U+FFFD that {@code window} (the decode of {@code ids[from, k]}) ends with is a
   * replacement character in the text rather than a character whose remaining bytes are still to
   * come: true when appending each of the next {@value #UTF8_TAIL} tokens (a UTF-8 character has at
   * most that many bytes after its first) leaves {@code window} as the start of the decode.
   */
  private static boolean settled(Tokenizer tokenizer, int[] ids, int from, int k, String window) {
    for (int m = 1; m <= UTF8_TAIL && k + m < ids.length; m++) {
      if (!decode(tokenizer, ids, from, k + 1 + m).startsWith(window)) {
        return false;
      }
    }
    return true;
  }

  private static String decode(Tokenizer tokenizer, int[] ids, int from, int to) {
    return tokenizer.decode(Arrays.copyOfRange(ids, from, to));
  }

  /** Length of the common prefix of {@code a[aFrom..]} and {@code b[bFrom..]}. */
  static int commonPrefix(String a, int aFrom, String b, int bFrom) {
    int n = Math.min(a.length() - aFrom, b.length() - bFrom);
    int i = 0;
    while (i < n && a.charAt(aFrom + i) == b.charAt(bFrom + i)) {
      i++;
    }
    return i;
  }
}
