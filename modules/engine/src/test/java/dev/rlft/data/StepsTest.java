package dev.rlft.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class StepsTest {

  @Test
  void stepEnds_arithmeticSolution_endsAfterEachStep() {
    String text = "7+5=12\n\n12-3=9\n\n\\boxed{9}";
    assertArrayEquals(new int[] {6, 14, 25}, Steps.stepEnds(text));
    assertEquals(List.of("7+5=12", "12-3=9", "\\boxed{9}"), Steps.split(text));
  }

  @Test
  void stepEnds_emptyOrBlank_noSteps() {
    assertArrayEquals(new int[0], Steps.stepEnds(""));
    assertArrayEquals(new int[0], Steps.stepEnds(" \n\n \n"));
  }

  @Test
  void stepEnds_singleNewline_staysOneStep() {
    assertArrayEquals(new int[] {3}, Steps.stepEnds("a\nb"));
  }

  @Test
  void stepEnds_trailingSpacesAndBlankLines_endAtLastVisibleCharacter() {
    assertArrayEquals(new int[] {1, 5}, Steps.stepEnds("a\n\nbc\n\n"));
    String text = "ab  \n \t \n\n  cd\n\n\n  \\boxed{1} \n";
    assertArrayEquals(new int[] {2, 14, 28}, Steps.stepEnds(text));
    assertEquals(List.of("ab", "cd", "\\boxed{1}"), Steps.split(text));
  }

  @Test
  void split_crlfBlankLine_separatesSteps() {
    assertEquals(List.of("1+1=2", "\\boxed{2}"), Steps.split("1+1=2\r\n\r\n\\boxed{2}\r\n"));
  }
}
