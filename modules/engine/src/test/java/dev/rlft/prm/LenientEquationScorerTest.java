package dev.rlft.prm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class LenientEquationScorerTest {

  private final LenientEquationScorer scorer = new LenientEquationScorer(0.9f);

  @Test
  void rightEquationsScoreOne_wrongZero_andStepsWithoutEquationsTheLenientScore() {
    assertEquals(1f, scorer.scoreStep("16*2=32"));
    assertEquals(1f, scorer.scoreStep("32 + 2 = 34, then 34-4=30"));
    assertEquals(0f, scorer.scoreStep("32+2=35"));
    assertEquals(0f, scorer.scoreStep("9/2=4"));
    assertEquals(0.9f, scorer.scoreStep("So,"));
    assertEquals(0.9f, scorer.scoreStep("\\boxed{34}"));
    float[][] s = scorer.score(List.of(new StepSolution("Eve has 16 toys.", List.of("16*2=32", "So,", "32+2=35"))));
    assertArrayEquals(new float[] {1f, 0.9f, 0f}, s[0]);
    assertThrows(IllegalArgumentException.class, () -> new LenientEquationScorer(1.5f));
  }
}
