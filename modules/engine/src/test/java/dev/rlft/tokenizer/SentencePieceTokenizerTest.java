package dev.rlft.tokenizer;

import static dev.rlft.tokenizer.SentencePieceFixtures.ModelBuilder.BPE;
import static dev.rlft.tokenizer.SentencePieceFixtures.ModelBuilder.BYTE;
import static dev.rlft.tokenizer.SentencePieceFixtures.ModelBuilder.NORMAL;
import static dev.rlft.tokenizer.SentencePieceFixtures.ModelBuilder.WORD;
import static dev.rlft.tokenizer.SentencePieceFixtures.ModelBuilder.withSpecials;
import static dev.rlft.tokenizer.SentencePieceFixtures.tok512;
import static dev.rlft.tokenizer.SentencePieceFixtures.tokenizer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Behaviour of {@link SentencePieceTokenizer} one rule at a time: loading and its errors, byte
 * fallback, unknown runs, BPE and Unigram tie rules, decoding and the special ids. Expected ids for
 * the hand-built models were checked with the SentencePiece library (0.1.97) on the same bytes.
 */
class SentencePieceTokenizerTest {

  private static final int TOK512_SPACE = 410;
  private static final int TOK512_ONCE = 403;
  private static final int TOK512_UPON = 407;
  private static final int TOK512_BYTE_OFFSET = 3;

  @TempDir Path tmp;

  @Test
  void load_missingFile_throwsIOExceptionNamingFile() {
    Path missing = tmp.resolve("missing.model");

    IOException e = assertThrows(IOException.class, () -> SentencePieceTokenizer.load(missing));
    assertTrue(e.getMessage().contains("missing.model"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"empty", "text", "truncated", "random", "json"})
  void load_corruptFile_throwsIOExceptionNamingFile(String kind) throws IOException {
    byte[] real = Files.readAllBytes(SentencePieceFixtures.DIR.resolve("stories260K/tok512.model"));
    byte[] random = new byte[4096];
    new Random(7).nextBytes(random);
    byte[] content = switch (kind) {
      case "empty" -> new byte[0];
      case "text" -> "hello, this is not a model\n".getBytes(StandardCharsets.UTF_8);
      case "truncated" -> Arrays.copyOf(real, 1000);
      case "random" -> random;
      case "json" -> Files.readAllBytes(SentencePieceFixtures.DIR.resolve("library_cases.json"));
      default -> throw new IllegalArgumentException(kind);
    };
    Path file = tmp.resolve(kind + ".model");
    Files.write(file, content);

    IOException e = assertThrows(IOException.class, () -> SentencePieceTokenizer.load(file));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void load_wordModel_throwsUnsupported() {
    IOException e = assertThrows(IOException.class,
        () -> withSpecials().modelType(WORD).piece("\u2581a", -1).build());
    assertTrue(e.getMessage().contains("WORD"), e.getMessage());
  }

  @Test
  void load_bytePieceWithoutByteFallback_throws() {
    IOException e = assertThrows(IOException.class,
        () -> withSpecials().piece("<0x41>", 0, BYTE).build());
    assertTrue(e.getMessage().contains("byte_fallback"), e.getMessage());
  }

  @Test
  void load_byteFallbackWithoutAllBytePieces_throws() {
    IOException e = assertThrows(IOException.class,
        () -> withSpecials().byteFallback(true).piece("<0x41>", 0, BYTE).build());
    assertTrue(e.getMessage().contains("<0x00>"), e.getMessage());
  }

  @Test
  void load_noUnknownPiece_throws() {
    IOException e = assertThrows(IOException.class,
        () -> new SentencePieceFixtures.ModelBuilder().piece("a", -1).build());
    assertTrue(e.getMessage().contains("unknown piece"), e.getMessage());
  }

  @Test
  void load_repeatedPiece_throws() {
    IOException e = assertThrows(IOException.class,
        () -> withSpecials().piece("a", -1).piece("a", -2, NORMAL).build());
    assertTrue(e.getMessage().contains("twice"), e.getMessage());
  }

  @Test
  void encode_emoji_fallsBackToItsUtf8BytePieces() {
    int[] ids = tok512().encode("\uD83E\uDD99");

    int b = TOK512_BYTE_OFFSET;
    assertArrayEquals(new int[] {TOK512_SPACE, b + 0xF0, b + 0x9F, b + 0xA6, b + 0x99}, ids);
    assertEquals("<0xF0>", tok512().piece(ids[1]));
    assertEquals("\uD83E\uDD99", tok512().decode(ids));
  }

  @Test
  void encode_unknownRunWithoutByteFallback_givesOneUnknownId() {
    SentencePieceTokenizer tok = tokenizer("unigram_nfkc.model");

    int[] ids = tok.encode("x\uC548\uB155y");

    assertArrayEquals(new int[] {7, 236, 0, 40}, ids);
    assertEquals("x \u2047 y", tok.decode(ids));
  }

  @Test
  void encode_extraWhitespace_isDroppedWhenModelRemovesIt() {
    assertArrayEquals(new int[] {TOK512_ONCE, TOK512_UPON}, tok512().encode("  Once   upon  "));
  }

  @ParameterizedTest
  @ValueSource(strings = {"tok512.model", "llm-jp-tokenizer-100k.ver3.0b1.model"})
  void encode_emptyText_givesNoIds(String model) {
    assertArrayEquals(new int[0], tokenizer(model).encode(""));
    assertEquals("", tokenizer(model).decode(new int[0]));
  }

  @Test
  void encode_unpairedSurrogate_isEncodedAsReplacementCharacter() {
    assertArrayEquals(tok512().encode("a\uFFFDb"), tok512().encode("a\uD800b"));
  }

  @Test
  void encode_bpeEqualScores_mergesLeftmostPairFirst() throws IOException {
    SentencePieceTokenizer tok = withSpecials().modelType(BPE).addDummyPrefix(false)
        .piece("a", -1).piece("aa", 0).build();

    assertArrayEquals(new int[] {4, 3}, tok.encode("aaa"));
    assertArrayEquals(new int[] {4, 4, 3}, tok.encode("aaaaa"));
  }

  @Test
  void encode_bpeHigherScoredMerge_winsOverLeftmost() throws IOException {
    SentencePieceTokenizer tok = withSpecials().modelType(BPE).addDummyPrefix(false)
        .piece("a", -3).piece("b", -4).piece("c", -5).piece("ab", -2).piece("bc", -1).build();

    assertArrayEquals(new int[] {3, 7}, tok.encode("abc"));
  }

  @Test
  void encode_unigram_picksPathWithHighestTotalScore() throws IOException {
    SentencePieceTokenizer tok = withSpecials().addDummyPrefix(false)
        .piece("a", -1).piece("b", -1).piece("ab", -1.5f).piece("c", -1).piece("abc", -5).build();

    assertArrayEquals(new int[] {5, 6}, tok.encode("abc"));
  }

  @Test
  void encode_unigramEqualTotals_keepsPieceStartingEarlier() throws IOException {
    SentencePieceTokenizer tok = withSpecials().addDummyPrefix(false)
        .piece("a", -1).piece("b", -1).piece("ab", -2).build();

    assertArrayEquals(new int[] {5}, tok.encode("ab"));
  }

  @Test
  void decode_leadingBos_dropsDummyPrefixSpaceOnly() {
    assertEquals("Once upon", tok512().decode(new int[] {1, TOK512_ONCE, 2, TOK512_UPON}));
    assertEquals("A Once", tok512().decode(new int[] {1, TOK512_BYTE_OFFSET + 'A', TOK512_ONCE}));
  }

  @Test
  void decode_malformedBytePieces_becomeReplacementCharacters() {
    int b = TOK512_BYTE_OFFSET;

    assertEquals("\uFFFD\uFFFD", tok512().decode(new int[] {b + 0xE3, b + 0x81}));
    assertEquals("\u3042", tok512().decode(new int[] {b + 0xE3, b + 0x81, b + 0x82}));
  }

  @Test
  void decode_idOutsideVocabulary_throwsIllegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> tok512().decode(new int[] {403, 512}));
    assertThrows(IllegalArgumentException.class, () -> tok512().decode(new int[] {-1}));
    assertThrows(IllegalArgumentException.class, () -> tok512().tokenText(512));
  }

  @Test
  void tokenText_tok512Pieces_showAsTheyDecode() {
    SentencePieceTokenizer tok = tok512();

    assertEquals(" Once", tok.tokenText(TOK512_ONCE));
    assertEquals("", tok.tokenText(tok.bosId()));
    assertEquals("\n", tok.tokenText(TOK512_BYTE_OFFSET + '\n'));
    assertEquals("\uFFFD", tok.tokenText(TOK512_BYTE_OFFSET + 0xE3));
    // tok512's trainer wrote its unk_surface with the escapes spelled out; the library shows it so.
    assertEquals(" \\342\\201\\207 ", tok.tokenText(0));
    assertEquals(tok.decode(new int[] {5, 0}).substring(1), tok.tokenText(0));
  }

  @Test
  void specialIds_tok512_haveNoPadPiece() {
    SentencePieceTokenizer tok = tok512();

    assertEquals(new SentencePieceTokenizer.SpecialIds(0, 1, 2, -1), tok.specialIds());
    assertEquals(512, tok.vocabSize());
    assertEquals(1, tok.bosId());
    assertEquals(2, tok.eosId());
    assertEquals(SentencePieceTokenizer.Algorithm.BPE, tok.algorithm());
  }

  @Test
  void padId_withoutPadPiece_isUnknownIdElseThePadPiece() {
    assertEquals(0, tok512().padId());
    assertEquals(0, tokenizer("llm-jp-tokenizer-100k.ver3.0b1.model").padId());
    assertEquals(4, tokenizer("code10k_en20k_ja30k.ver2.1.model").padId());
  }
}
