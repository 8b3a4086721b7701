package dev.rlft.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.model.CharTokenizer;
import dev.rlft.model.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TokenAlignmentTest {

  static Stream<Arguments> tokenizers() {
    return Stream.of(
        Arguments.of("qwen2.5", (Supplier<Tokenizer>) TokenizerFixtures::qwen),
        Arguments.of("gpt2", (Supplier<Tokenizer>) TokenizerFixtures::gpt2),
        Arguments.of("stories260K", (Supplier<Tokenizer>) TokenizerFixtures::stories),
        Arguments.of("llm-jp", (Supplier<Tokenizer>) TokenizerFixtures::llmJp),
        Arguments.of("chars", (Supplier<Tokenizer>) TokenizerFixtures::chars));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokenizers")
  void of_randomTexts_equalsPrefixDecodingReference(String name, Supplier<Tokenizer> tokenizer) {
    Tokenizer t = tokenizer.get();
    for (String text : Texts.random(11, 80, 12)) {
      int[] ids = t.encode(text);

      TokenAlignment fast = TokenAlignment.of(t, ids);
      TokenAlignment reference = TokenAlignment.ofByPrefixes(t, ids);

      assertEquals(reference.text(), fast.text());
      assertArrayEquals(reference.tokenEnds(), fast.tokenEnds(), () -> name + ": " + text);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokenizers")
  void of_longCompletion_equalsReference(String name, Supplier<Tokenizer> tokenizer) {
    Tokenizer t = tokenizer.get();
    String text = String.join("", Texts.random(12, 1, 400));
    int[] ids = t.encode(text);

    assertArrayEquals(TokenAlignment.ofByPrefixes(t, ids).tokenEnds(), TokenAlignment.of(t, ids).tokenEnds());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokenizers")
  void of_anyText_endsNonDecreasingAndNeverSplitSurrogatePairs(String name, Supplier<Tokenizer> tokenizer) {
    Tokenizer t = tokenizer.get();
    for (String text : Texts.random(13, 60, 12)) {
      TokenAlignment a = TokenAlignment.of(t, t.encode(text));
      int previous = 0;
      for (int k = 0; k < a.size(); k++) {
        int end = a.tokenEnd(k);
        assertTrue(end >= previous && end <= a.text().length());
        assertTrue(end == 0 || end == a.text().length() || !Character.isLowSurrogate(a.text().charAt(end)),
            () -> name + " splits a surrogate pair in " + text);
        previous = end;
      }
      if (a.size() > 0) {
        assertEquals(a.text().length(), a.tokenEnd(a.size() - 1));
      }
    }
  }

  @Test
  void of_gpt2EmojiSplitAcrossTokens_completingTokenOwnsIt() {
    Tokenizer gpt2 = TokenizerFixtures.gpt2();
    int[] ids = gpt2.encode("x😀");

    TokenAlignment a = TokenAlignment.of(gpt2, ids);

    // "x", then the emoji's four UTF-8 bytes in two byte-level tokens, each alone a U+FFFD.
    assertEquals(3, ids.length);
    assertEquals("\uFFFD", gpt2.tokenText(ids[1]));
    assertArrayEquals(new int[] {1, 1, 3}, a.tokenEnds());
    assertEquals(2, a.tokenEndingAtOrAfter(3));
  }

  @Test
  void of_qwenJapaneseAndEmoji_oneCharacterPerToken() {
    Tokenizer qwen = TokenizerFixtures.qwen();
    int[] ids = qwen.encode("ええと。😀");

    TokenAlignment a = TokenAlignment.of(qwen, ids);

    assertEquals("ええと。😀", a.text());
    assertArrayEquals(new int[] {1, 2, 3, 4, 6}, a.tokenEnds());
  }

  @Test
  void of_storiesByteFallback_japaneseCharacterOwnedByItsLastByte() {
    Tokenizer stories = TokenizerFixtures.stories();
    int[] ids = stories.encode("えx");

    TokenAlignment a = TokenAlignment.of(stories, ids);

    // The dummy-prefix space piece (shows nothing at the start), three byte pieces, then "x".
    assertArrayEquals(new int[] {0, 0, 0, 1, 2}, a.tokenEnds());
  }

  @Test
  void of_sentencePieceLeadingSpace_droppedOnlyAtStart() {
    Tokenizer stories = TokenizerFixtures.stories();
    int[] ids = stories.encode("Hello world");

    TokenAlignment a = TokenAlignment.of(stories, ids);

    List<String> pieces = new ArrayList<>();
    for (int k = 0; k < a.size(); k++) {
      pieces.add(a.text().substring(a.tokenStart(k), a.tokenEnd(k)));
    }
    assertEquals(List.of("He", "ll", "o", " w", "or", "ld"), pieces);
  }

  @Test
  void of_charTokenizerUnknowns_eachShowsReplacementCharacter() {
    Tokenizer chars = TokenizerFixtures.chars();

    TokenAlignment a = TokenAlignment.of(chars, chars.encode("ええ😀x"));

    assertEquals("\uFFFD\uFFFD\uFFFDx", a.text());
    assertArrayEquals(new int[] {1, 2, 3, 4}, a.tokenEnds());
  }

  @Test
  void of_controlTokens_endWhereThePreviousTokenEnds() {
    CharTokenizer chars = CharTokenizer.ascii();
    int[] ids = {chars.bosId(), chars.encode("a")[0], chars.encode("b")[0], chars.eosId()};

    TokenAlignment a = TokenAlignment.of(chars, ids);

    assertArrayEquals(new int[] {0, 1, 2, 2}, a.tokenEnds());
    assertEquals(2, a.tokenEndingAtOrAfter(2)); // "b", not the EOS after it
  }

  @Test
  void stepEndTokens_qwenSolution_tokenHoldingEachStepsLastCharacter() {
    Tokenizer qwen = TokenizerFixtures.qwen();
    String text = "So,\n\n7+5=12\n\n12-3=9\n\n\\boxed{9}";
    TokenAlignment a = TokenAlignment.of(qwen, qwen.encode(text));
    List<StepSegmenter.Step> steps = StepSegmenter.create(new StepSegmenter.Config("\n\n", false, 0)).segment(a.text());

    int[] tokens = a.stepEndTokens(steps);

    assertEquals(4, tokens.length);
    for (int j = 0; j < tokens.length; j++) {
      int last = steps.get(j).end() - 1;
      assertTrue(a.tokenStart(tokens[j]) <= last && last < a.tokenEnd(tokens[j]), "step " + j);
    }
    // Qwen glues trailing newlines onto punctuation: "So," ends inside the token ",\n\n".
    assertEquals(",\n\n", qwen.tokenText(qwen.encode(text)[tokens[0]]));
  }

  @Test
  void tokenEndingAtOrAfter_outsideText_rejectedWithMessage() {
    Tokenizer chars = TokenizerFixtures.chars();
    TokenAlignment a = TokenAlignment.of(chars, chars.encode("abc"));

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.tokenEndingAtOrAfter(0));
    assertEquals("character end 0 is outside [1, 3] of the decoded text", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> a.tokenEndingAtOrAfter(4));
  }

  @Test
  void of_noTokens_emptyAlignment() {
    TokenAlignment a = TokenAlignment.of(TokenizerFixtures.qwen(), new int[0]);

    assertEquals("", a.text());
    assertEquals(0, a.size());
    assertThrows(IllegalArgumentException.class, () -> a.tokenEndingAtOrAfter(1));
  }

  @Test
  void of_idOutsideVocabulary_rejected() {
    assertThrows(IllegalArgumentException.class, () -> TokenAlignment.of(TokenizerFixtures.chars(), new int[] {5, 100_000}));
  }

  @Test
  void of_decodeThatRewritesEarlierText_equalsReference() {
    // Hugging Face-style clean-up: words joined by spaces, " ." and " ," glued back; "!" turns the
    // word before it upper case, so appending a token changes text already decoded.
    Tokenizer cleanup = new WordTokenizer();
    int[] ids = cleanup.encode("so x = 5 . then y , z ! and w ! done .");

    assertArrayEquals(TokenAlignment.ofByPrefixes(cleanup, ids).tokenEnds(), TokenAlignment.of(cleanup, ids).tokenEnds());
  }

  @Test
  void of_decodeUnstableEverywhere_stillMonotoneAndComplete() {
    // Decodes in reverse order: no prefix of the text is ever stable, the worst case.
    Tokenizer reversed = new WordTokenizer() {
      @Override
      public String decode(int[] ids) {
        int[] r = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
          r[i] = ids[ids.length - 1 - i];
        }
        return super.decode(r);
      }
    };
    int[] ids = reversed.encode("a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h");

    TokenAlignment a = TokenAlignment.of(reversed, ids);

    assertArrayEquals(TokenAlignment.ofByPrefixes(reversed, ids).tokenEnds(), a.tokenEnds());
  }

  @Test
  void of_qwenLongCompletion_decodesLinearlyManyTokens() {
    CountingTokenizer counting = new CountingTokenizer(TokenizerFixtures.qwen());
    String text = String.join("", Texts.random(14, 1, 1500));
    int[] ids = counting.encode(text);
    counting.reset();

    TokenAlignment.of(counting, ids);

    // One decode for the text, then about two per token of a few tokens each: linear work.
    assertTrue(counting.calls <= 3L * ids.length, counting.calls + " decodes for " + ids.length + " tokens");
    assertTrue(counting.tokens <= 12L * ids.length, counting.tokens + " decoded tokens for " + ids.length + " tokens");
  }

  @Test
  void of_replacementCharactersInText_notMistakenForSplitCharacters() {
    // stories260K spells U+FFFD as the byte pieces EF BF BD; its partial decodes show one U+FFFD
    // per byte, which the text's own U+FFFD characters can match by coincidence.
    Tokenizer stories = TokenizerFixtures.stories();
    int[] ids = stories.encode("\uFFFD\uFFFD\r\u00e9[x\uFFFD");

    assertArrayEquals(TokenAlignment.ofByPrefixes(stories, ids).tokenEnds(), TokenAlignment.of(stories, ids).tokenEnds());
  }

  @Test
  void of_longRunOfUnknownCharacters_staysLinear() {
    CountingTokenizer counting = new CountingTokenizer(TokenizerFixtures.chars());
    int[] ids = counting.encode("答え".repeat(300) + "=5");
    counting.reset();

    TokenAlignment a = TokenAlignment.of(counting, ids);

    assertArrayEquals(TokenAlignment.ofByPrefixes(TokenizerFixtures.chars(), ids).tokenEnds(), a.tokenEnds());
    assertTrue(counting.calls <= 6L * ids.length, counting.calls + " decodes for " + ids.length + " tokens");
    assertTrue(counting.tokens <= 20L * ids.length, counting.tokens + " decoded tokens for " + ids.length + " tokens");
  }

  /** Counts decode calls and decoded ids. */
  private static final class CountingTokenizer implements Tokenizer {
    private final Tokenizer inner;
    long calls;
    long tokens;

    CountingTokenizer(Tokenizer inner) {
      this.inner = inner;
    }

    void reset() {
      calls = 0;
      tokens = 0;
    }

    @Override
    public int[] encode(String text) {
      return inner.encode(text);
    }

    @Override
    public String decode(int[] ids) {
      calls++;
      tokens += ids.length;
      return inner.decode(ids);
    }

    @Override
    public int vocabSize() {
      return inner.vocabSize();
    }

    @Override
    public int padId() {
      return inner.padId();
    }

    @Override
    public int bosId() {
      return inner.bosId();
    }

    @Override
    public int eosId() {
      return inner.eosId();
    }

    @Override
    public String tokenText(int id) {
      return inner.tokenText(id);
    }
  }

  /**
   * Whitespace-separated words, each a token; decode joins them with spaces, glues {@code .} and
   * {@code ,} to the word before and upper-cases a word followed by {@code !}.
   */
  static class WordTokenizer implements Tokenizer {
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<String> words = new ArrayList<>();

    @Override
    public int[] encode(String text) {
      return Arrays.stream(text.trim().split("\\s+"))
          .filter(w -> !w.isEmpty())
          .mapToInt(w -> ids.computeIfAbsent(w, k -> {
            words.add(k);
            return words.size() - 1;
          }))
          .toArray();
    }

    @Override
    public String decode(int[] tokenIds) {
      List<String> out = new ArrayList<>();
      for (int id : tokenIds) {
        String w = words.get(id);
        if (w.equals("!") && !out.isEmpty()) {
          out.set(out.size() - 1, out.get(out.size() - 1).toUpperCase());
        }
        out.add(w);
      }
      return String.join(" ", out).replace(" .", ".").replace(" ,", ",");
    }

    @Override
    public int vocabSize() {
      return words.size();
    }

    @Override
    public int padId() {
      return -1;
    }

    @Override
    public int bosId() {
      return -1;
    }

    @Override
    public int eosId() {
      return -1;
    }

    @Override
    public String tokenText(int id) {
      return words.get(id);
    }
  }

  /** Seeded random model-like texts. */
  static final class Texts {
    private static final String[] UNITS = {
      "So,", "Therefore,", "Let's think.", "ええと。", "答えは", "５", "x", " x", "=", " = ", "+", "−", "12", "3.5",
      "\\frac{1}{2}", "\\boxed{", "}", "$", "^2", " ", "  ", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", "\t",
      "😀", "🦙", "👍🏽", "🇯🇵", "é", "e\u0301", "中文", "한국어", "Привет", "\u00A0", "\u3000", "<think>", "**Step 1:**",
      ".", ",", "!", "?", "(", ")", "'s", "Hello", " world", "step-by-step"
    };

    private Texts() {}

    /** {@code count} strings of 1 to {@code maxUnits} units. */
    static List<String> random(long seed, int count, int maxUnits) {
      Random r = new Random(seed);
      List<String> out = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        StringBuilder sb = new StringBuilder();
        int n = 1 + r.nextInt(maxUnits);
        for (int u = 0; u < n; u++) {
          sb.append(UNITS[r.nextInt(UNITS.length)]);
        }
        out.add(sb.toString());
      }
      return out;
    }
  }
}
