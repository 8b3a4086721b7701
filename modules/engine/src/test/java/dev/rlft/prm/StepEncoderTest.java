package dev.rlft.prm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.model.CharTokenizer;
import dev.rlft.model.Tokenizer;
import dev.rlft.tokenizer.FileTokenizer;
import dev.rlft.tokenizer.TokenizerFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Step end positions in the PRM's own tokenization, for a char tokenizer and Qwen2.5's byte-level BPE. */
class StepEncoderTest {

  private static final CharTokenizer CHARS = PrmFixtures.CHARS;
  private static FileTokenizer qwen;

  @BeforeAll
  static void loadQwen() throws IOException {
    qwen = TokenizerFiles.load(Path.of("src/test/resources/tokenizers/qwen2.5"));
  }

  @Test
  void encode_charTokenizer_endsAtEachStepsLastCharacter() {
    StepSolution s = new StepSolution("Q?", List.of("1+1=2", "2*3=6", "\\boxed{6}"));

    StepEncoder.Encoded e = StepEncoder.encode(CHARS, PrmConfig.scalar(), s);

    String text = "Q?\n1+1=2\n\n2*3=6\n\n\\boxed{6}";
    int[] expected = new int[text.length() + 1];
    expected[0] = CHARS.bosId();
    System.arraycopy(CHARS.encode(text), 0, expected, 1, text.length());
    assertArrayEquals(expected, e.tokens());
    // BOS + "Q?\n" is 4 tokens; "1+1=2" then ends at index 8; each later step adds "\n\n" and itself
    assertArrayEquals(new int[] {8, 8 + 2 + 5, 8 + 2 + 5 + 2 + 9}, e.stepEnds());
    for (int k = 0; k < 3; k++) {
      String last = s.steps().get(k).substring(s.steps().get(k).length() - 1);
      assertEquals(last, CHARS.tokenText(e.tokens()[e.stepEnds()[k]]), "step " + k);
    }
  }

  @Test
  void encode_tagText_readsAtTheTagAfterEveryStep() {
    int tag = CHARS.encode("#")[0];
    PrmConfig config = new PrmConfig(PrmConfig.HeadKind.LM_TOKENS, "Q: ", " ", "\n", " #", tag,
        CHARS.encode("+")[0], CHARS.encode("-")[0]);
    StepSolution s = new StepSolution("2+2?", List.of("a", "bc"));

    StepEncoder.Encoded e = StepEncoder.encode(CHARS, config, s);

    assertEquals("Q: 2+2? a #\nbc #", CHARS.decode(e.tokens()));
    assertEquals(CHARS.bosId(), e.tokens()[0]);
    assertArrayEquals(new int[] {11, 16}, e.stepEnds());
    for (int end : e.stepEnds()) {
      assertEquals(tag, e.tokens()[end]);
    }
  }

  @Test
  void encode_tagIdWithoutText_isInsertedAfterEveryStep() {
    int tag = CHARS.encode("~")[0];
    PrmConfig config = new PrmConfig(PrmConfig.HeadKind.LM_TOKENS, "", "\n", "\n\n", "", tag,
        CHARS.encode("+")[0], CHARS.encode("-")[0]);

    StepEncoder.Encoded e = StepEncoder.encode(CHARS, config, new StepSolution("P", List.of("x", "y")));

    assertEquals("P\nx~\n\ny~", CHARS.decode(e.tokens()));
    assertArrayEquals(new int[] {4, 8}, e.stepEnds());
  }

  @Test
  void encode_tagTextNotEndingInTagId_insertsTheId() {
    int tag = CHARS.encode("~")[0];
    PrmConfig config = new PrmConfig(PrmConfig.HeadKind.LM_TOKENS, "", "\n", "\n\n", " #", tag,
        CHARS.encode("+")[0], CHARS.encode("-")[0]);

    StepEncoder.Encoded e = StepEncoder.encode(CHARS, config, new StepSolution("P", List.of("x", "y")));

    assertEquals("P\nx~\n\ny~", CHARS.decode(e.tokens()));
  }

  @Test
  void encode_qwenBpe_jointTokensAndStepEndsOnBoundaries() {
    StepSolution s = new StepSolution("Ann has 7 apples. She buys 5 more. She eats 3. How many apples now?",
        List.of("7+5=12", "12-3=9", "\\boxed{9}"));

    StepEncoder.Encoded e = StepEncoder.encode(qwen, PrmConfig.scalar(), s);

    String full = s.problem() + "\n" + String.join("\n\n", s.steps());
    assertEquals(-1, qwen.bosId(), "Qwen2.5 has no BOS");
    assertArrayEquals(qwen.encode(full), e.tokens(), "no token straddles a step boundary here: the joint encoding");
    assertBoundaries(qwen, s, e);
  }

  @Test
  void encode_qwenBpe_stepEndingInFullStop_keepsTheBoundaryAQwenMergeWouldHide() {
    // Qwen's pre-tokenizer puts punctuation and the newlines after it in one piece, and its
    // vocabulary has ".\n\n" as one token, so the joint encoding has no boundary after "12."
    StepSolution s = new StepSolution("Ann has 7 apples. She buys 5 more. How many now?",
        List.of("She has 7+5=12.", "So the answer is 12.", "\\boxed{12}"));
    String full = s.problem() + "\n" + String.join("\n\n", s.steps());
    int[] joint = qwen.encode(full);

    StepEncoder.Encoded e = StepEncoder.encode(qwen, PrmConfig.scalar(), s);

    assertFalse(Arrays.equals(joint, e.tokens()), "the joint encoding straddles the step end");
    assertEquals(full, qwen.decode(e.tokens()));
    assertBoundaries(qwen, s, e);
    assertEquals(".", qwen.decode(new int[] {e.tokens()[e.stepEnds()[0]]}));
  }

  @Test
  void encode_mathShepherdFormat_withQwen_readsAtTheTag() {
    PrmConfig config = PrmConfig.lmTokens(qwen, " ", "\n", " ки", "+", "-");
    StepSolution s = new StepSolution("What is 2+3?", List.of("Step 1: 2+3=5.", "Step 2: The answer is: 5"));

    StepEncoder.Encoded e = StepEncoder.encode(qwen, config, s);

    assertEquals("What is 2+3? Step 1: 2+3=5. ки\nStep 2: The answer is: 5 ки", qwen.decode(e.tokens()));
    for (int end : e.stepEnds()) {
      assertEquals(config.stepTagId(), e.tokens()[end]);
    }
    assertTrue(e.stepEnds()[1] == e.tokens().length - 1);
  }

  @Test
  void encode_sentencePiece_jointTokensAndStepEndsOnBoundaries() throws IOException {
    FileTokenizer sp = TokenizerFiles.load(Path.of("src/test/resources/models/stories260K/hf"));
    StepSolution s = new StepSolution("Tim has 7 apples. He eats 3. How many now?",
        List.of("7-3=4", "So he has 4 apples.", "\\boxed{4}"));

    StepEncoder.Encoded e = StepEncoder.encode(sp, PrmConfig.scalar(), s);

    int[] joint = sp.encode(s.problem() + "\n" + String.join("\n\n", s.steps()));
    int[] withBos = new int[joint.length + 1];
    withBos[0] = sp.bosId();
    System.arraycopy(joint, 0, withBos, 1, joint.length);
    assertArrayEquals(withBos, e.tokens(), "BOS and the joint encoding: no piece straddles a step end here");
    assertEquals(sp.bosId(), e.tokens()[0]);
    assertBoundaries(sp, s, e);
  }

  @Test
  void lmTokens_labelOfSeveralTokens_rejectedNamingIt() {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
        () -> PrmConfig.lmTokens(CHARS, " ", "\n", "#", "good", "-"));
    assertTrue(ex.getMessage().contains("good"), ex.getMessage());
  }

  /** Every step's tokens, up to its end position, decode to the text up to the end of that step. */
  private static void assertBoundaries(Tokenizer tok, StepSolution s, StepEncoder.Encoded e) {
    int[] ids = e.tokens();
    StringBuilder text = new StringBuilder(s.problem()).append('\n');
    for (int k = 0; k < s.steps().size(); k++) {
      if (k > 0) {
        text.append("\n\n");
      }
      text.append(s.steps().get(k));
      int end = e.stepEnds()[k];
      assertEquals(text.toString(), tok.decode(Arrays.copyOf(ids, end + 1)), "tokens through the end of step " + k);
      if (k + 1 < s.steps().size()) {
        String rest = tok.decode(Arrays.copyOfRange(ids, end + 1, ids.length));
        assertTrue(rest.startsWith("\n\n" + s.steps().get(k + 1)), "after step " + k + ": " + rest);
      }
    }
  }
}
