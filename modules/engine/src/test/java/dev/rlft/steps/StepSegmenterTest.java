package dev.rlft.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.steps.StepSegmenter.Config;
import dev.rlft.steps.StepSegmenter.Step;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StepSegmenterTest {

  private static final StepSegmenter RAW = StepSegmenter.create(new Config("\n\n", false, 0));
  private static final StepSegmenter MERGING = StepSegmenter.create();

  private static List<String> texts(List<Step> steps) {
    return steps.stream().map(Step::text).toList();
  }

  @Test
  void split_blankLineSeparated_givesStepsWithOffsets() {
    String text = "7+5=12\n\n12-3=9\n\n\\boxed{9}";

    List<Step> steps = RAW.split(text);

    assertEquals(List.of(new Step(0, 6, "7+5=12", 1), new Step(8, 14, "12-3=9", 1), new Step(16, 25, "\\boxed{9}", 1)), steps);
  }

  @Test
  void split_leadingBlankLinesAndTrailingSeparator_dropped() {
    String text = "\n\n  7+5=12\n\n\n12-3=9\r\n\r\n";

    List<Step> steps = RAW.split(text);

    assertEquals(List.of(new Step(4, 10, "7+5=12", 1), new Step(13, 19, "12-3=9", 1)), steps);
  }

  @Test
  void split_runOfManyNewlines_isOneCut() {
    assertEquals(List.of("a=1", "b=2"), texts(RAW.split("a=1\n\n\n\n\n\nb=2")));
    assertEquals(List.of("a=1", "b=2"), texts(RAW.split("a=1\n\n\nb=2")));
  }

  @Test
  void split_blankLineHoldingSpacesAndTabs_separates() {
    assertEquals(List.of("x=1", "x=2"), texts(RAW.split("x=1\n \t\nx=2")));
  }

  @Test
  void split_crlfBlankLine_separatesButSingleCrlfDoesNot() {
    assertEquals(List.of("1+1=2", "\\boxed{2}"), texts(RAW.split("1+1=2\r\n\r\n\\boxed{2}\r\n")));
    assertEquals(List.of("a=1\r\nb=2"), texts(RAW.split("a=1\r\nb=2")));
    assertEquals(List.of("a=1", "b=2"), texts(RAW.split("a=1\r\rb=2")));
  }

  @Test
  void split_unicodeLineSeparators_countAsLineBreaks() {
    assertEquals(List.of("a=1", "b=2"), texts(RAW.split("a=1\u2028\u2028b=2")));
  }

  @Test
  void split_singleNewlineSeparator_cutsEveryLine() {
    StepSegmenter lines = StepSegmenter.create(new Config("\n", false, 0));

    assertEquals(List.of("a=1", "b=2", "c=3"), texts(lines.split("a=1\r\nb=2\n\nc=3\n")));
  }

  @Test
  void split_literalSeparator_matchedVerbatim() {
    StepSegmenter tagged = StepSegmenter.create(new Config("<step>", false, 0));

    List<Step> steps = tagged.split("x=1<step> x=2 <step>");

    assertEquals(List.of(new Step(0, 3, "x=1", 1), new Step(10, 13, "x=2", 1)), steps);
  }

  @Test
  void split_separatorWithLineBreak_matchesAnyLineBreak() {
    StepSegmenter shepherd = StepSegmenter.create(new Config(" ки\n", false, 0));

    assertEquals(List.of("x=1", "x=2"), texts(shepherd.split("x=1 ки\r\nx=2 ки\n")));
  }

  @Test
  void split_crlfInSeparator_sameAsLf() {
    StepSegmenter crlf = StepSegmenter.create(new Config("\r\n\r\n", false, 0));

    assertEquals(List.of("a=1", "b=2"), texts(crlf.split("a=1\n\nb=2")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\n\n", " \r\n\r\n\t", "\u3000\u00A0"})
  void segment_blank_noSteps(String text) {
    assertEquals(List.of(), MERGING.segment(text));
    assertEquals(List.of(), RAW.segment(text));
  }

  @Test
  void segment_rewardHackingEmptySteps_mergedIntoOneStep() {
    String text = "So,\n\nSo,\n\nSo,\n\n\\boxed{5}";

    List<Step> steps = MERGING.segment(text);

    assertEquals(List.of(new Step(0, text.length(), text, 4)), steps);
    assertEquals(4, RAW.segment(text).size());
  }

  @Test
  void segment_trivialRun_mergedIntoFollowingStep() {
    String text = "Let's think.\n\nSo,\n\n3+4=7\n\nTherefore,\n\n\\boxed{7}";

    List<Step> steps = MERGING.segment(text);

    assertEquals(List.of("Let's think.\n\nSo,\n\n3+4=7", "Therefore,\n\n\\boxed{7}"), texts(steps));
    assertEquals(List.of(3, 2), steps.stream().map(Step::parts).toList());
    assertEquals(0, steps.get(0).start());
    assertEquals(text.length(), steps.get(1).end());
  }

  @Test
  void segment_trailingTrivialSteps_mergedIntoPrevious() {
    String text = "3+4=7\n\n2*3=6\n\nDone.\n\nええと。\n";

    List<Step> steps = MERGING.segment(text);

    assertEquals(List.of("3+4=7", "2*3=6\n\nDone.\n\nええと。"), texts(steps));
    assertEquals(List.of(1, 3), steps.stream().map(Step::parts).toList());
  }

  @Test
  void segment_allStepsTrivial_oneStep() {
    String text = "Hmm.\n\nええと。\n\nOK";

    assertEquals(List.of(new Step(0, text.length(), text, 3)), MERGING.segment(text));
  }

  @Test
  void segment_shortStep_trivialByLength() {
    StepSegmenter four = StepSegmenter.create(new Config("\n\n", true, 4));

    List<Step> steps = four.segment("x=1\n\n2x=2\n\n\\boxed{1}");

    assertEquals(List.of("x=1\n\n2x=2", "\\boxed{1}"), texts(steps));
  }

  @Test
  void segment_mergeOff_keepsTrivialSteps() {
    assertEquals(List.of("So,", "x=1"), texts(RAW.segment("So,\n\nx=1")));
  }

  @Test
  void isTrivial_minCharsCountsCodePoints() {
    StepSegmenter three = StepSegmenter.create(new Config("\n\n", true, 3));

    assertTrue(three.isTrivial("1😀")); // 2 code points, 3 chars
    assertFalse(three.isTrivial("1😀1"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"5", "x = y", "a − b", "\\frac{a}{b}", "$x$", "a^b", "答えは５", "x＝y", "√a", "\\(a\\)", "a ≤ b", "∑ a_i"})
  void hasMathContent_math_true(String text) {
    assertTrue(StepSegmenter.hasMathContent(text), text);
  }

  @ParameterizedTest
  @ValueSource(strings = {"So,", "Therefore,", "Let's think.", "ええと。", "**Answer:**", "step-by-step", "and/or",
      "<think>", "a | b", "Hmm...", "\\", "a\\", "😀", ""})
  void hasMathContent_prose_false(String text) {
    assertFalse(StepSegmenter.hasMathContent(text), text);
  }

  @Test
  void config_emptySeparator_rejectedWithMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Config("", true, 5));
    assertEquals("step separator must not be empty", e.getMessage());
  }

  @Test
  void config_negativeMinChars_rejectedWithMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Config("\n\n", true, -1));
    assertEquals("minChars must be >= 0, got -1", e.getMessage());
  }

  @Test
  void step_textNotMatchingSpan_rejected() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Step(0, 3, "ab", 1));
    assertEquals("step text has 2 chars but its span [0, 3) has 3", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Step(2, 2, "", 1));
  }
}
