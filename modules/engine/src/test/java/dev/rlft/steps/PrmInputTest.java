package dev.rlft.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.model.Tokenizer;
import dev.rlft.steps.PrmInput.Format;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PrmInputTest {

  /** A Qwen-policy completion in Japanese with emoji, cut into steps in the policy's text. */
  private static List<String> policySteps() {
    Tokenizer qwen = TokenizerFixtures.qwen();
    String completion = "りんごが３個と２個あります。😀\n\n3+2=5\n\nええと、答えは 5 です。\n\n\\boxed{5}";
    TokenAlignment policy = TokenAlignment.of(qwen, qwen.encode(completion));
    return StepSegmenter.create().segment(policy.text()).stream().map(StepSegmenter.Step::text).toList();
  }

  static Stream<Arguments> prmTokenizers() {
    return Stream.of(
        Arguments.of("qwen2.5", (Supplier<Tokenizer>) TokenizerFixtures::qwen),
        Arguments.of("gpt2", (Supplier<Tokenizer>) TokenizerFixtures::gpt2),
        Arguments.of("stories260K", (Supplier<Tokenizer>) TokenizerFixtures::stories),
        Arguments.of("llm-jp", (Supplier<Tokenizer>) TokenizerFixtures::llmJp),
        Arguments.of("chars", (Supplier<Tokenizer>) TokenizerFixtures::chars));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("prmTokenizers")
  void build_stepsFromQwenPolicy_scoredAtTheTagAfterEachStep(String name, Supplier<Tokenizer> tokenizer) {
    Tokenizer prm = tokenizer.get();
    List<String> steps = policySteps();

    PrmInput input = PrmInput.build(prm, Format.tagged("Question: how many apples?\nAnswer:\n", "\n"), steps);

    assertEquals(4, steps.size());
    assertEquals(steps.size(), input.scorePositions().length);
    TokenAlignment prmView = TokenAlignment.of(prm, input.ids());
    for (int j = 0; j < steps.size(); j++) {
      int position = input.scorePositions()[j];
      // The scored token shows the newline tag (alone or glued to the step's last character).
      String shown = prmView.text().substring(prmView.tokenStart(position), prmView.tokenEnd(position));
      assertTrue(shown.endsWith("\n"), name + " step " + j + " scored on '" + shown + "'");
      // What the PRM has read up to there ends with step j's tag: the prefix's two newlines and
      // one per step so far (the steps hold no newline).
      String read = prmView.text().substring(0, prmView.tokenEnd(position));
      assertEquals(2 + j + 1, read.chars().filter(c -> c == '\n').count(), name + " step " + j + " reads '" + read + "'");
      assertTrue(read.endsWith("\n"));
    }
  }

  @Test
  void build_sameTokenizerRoundTrip_positionsAreTagTokens() {
    Tokenizer qwen = TokenizerFixtures.qwen();
    int imEnd = qwen.encode("<|im_end|>")[0];

    PrmInput input = PrmInput.build(qwen, new Format("<|im_start|>user\nq<|im_end|>\n", "<|im_end|>", "<|endoftext|>"),
        List.of("x=1", "ええと、2x=2", "\\boxed{1}"));

    for (int position : input.scorePositions()) {
      assertEquals(imEnd, input.ids()[position]);
    }
    assertEquals(3, Arrays.stream(input.scorePositions()).distinct().count());
    assertEquals(qwen.decode(input.ids()), input.text());
  }

  @Test
  void build_emptyTag_scoredAtStepsLastCharacter() {
    Tokenizer chars = TokenizerFixtures.chars();

    PrmInput input = PrmInput.build(chars, Format.tagged("Q:", ""), List.of("a=1", "b=2"));

    assertEquals("Q:a=1b=2", input.text());
    assertArrayEquals(new int[] {4, 7}, input.scorePositions());
  }

  @Test
  void build_prmCollapsesWhitespace_positionsCarriedOver() {
    // stories260K removes extra whitespace: the PRM's decoded text is shorter than what was built.
    Tokenizer stories = TokenizerFixtures.stories();
    List<String> steps = List.of("a  =  1", "b   =   2", "c = 3");

    PrmInput input = PrmInput.build(stories, Format.tagged("Q", "\n"), steps);

    TokenAlignment prmView = TokenAlignment.of(stories, input.ids());
    assertNotEquals(input.text(), prmView.text());
    String[] shown = new String[steps.size()];
    for (int j = 0; j < steps.size(); j++) {
      int p = input.scorePositions()[j];
      shown[j] = prmView.text().substring(prmView.tokenStart(p), prmView.tokenEnd(p));
    }
    assertArrayEquals(new String[] {"\n", "\n", "\n"}, shown);
  }

  @Test
  void build_noSteps_onlyTheLayout() {
    Tokenizer chars = TokenizerFixtures.chars();

    PrmInput input = PrmInput.build(chars, new Format("Q", "\n", "!"), List.of());

    assertEquals("Q!", input.text());
    assertEquals(0, input.scorePositions().length);
    assertEquals(2, input.ids().length);
  }

  @Test
  void build_emptyStep_rejectedWithMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PrmInput.build(TokenizerFixtures.chars(), Format.tagged("", "\n"), List.of("a=1", "")));
    assertEquals("steps[1] is empty", e.getMessage());
  }

  @Test
  void record_positionOutsideIds_rejectedWithMessage() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new PrmInput(new int[] {1, 2}, new int[] {2}, "ab"));
    assertEquals("scorePositions[0] = 2 is outside the 2 ids", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new PrmInput(new int[] {1, 2}, new int[] {1, 0}, "ab"));
  }
}
