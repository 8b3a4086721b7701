package dev.rlft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class FillerStepsTest {

  @Test
  void insertsOneFillerStepIntoAboutTheGivenShare_keepingAnswersAndOtherSteps() {
    List<Problem> problems = ArithmeticTask.heldOut(ArithmeticTaskConfig.defaults(), 4).load();
    List<Problem> out = FillerSteps.insert(problems, 0.25, 9);
    int changed = 0;
    for (int i = 0; i < problems.size(); i++) {
      Problem a = problems.get(i);
      Problem b = out.get(i);
      assertEquals(a.answer(), b.answer());
      if (!a.solution().equals(b.solution())) {
        changed++;
        String[] before = a.solution().split("\n\n");
        String[] after = b.solution().split("\n\n");
        assertEquals(before.length + 1, after.length);
        assertTrue(java.util.Arrays.stream(after).filter(FillerSteps.FILLERS::contains).count() >= 1, b.solution());
      }
    }
    assertTrue(changed > 0.18 * problems.size() && changed < 0.32 * problems.size(), "changed " + changed);
    assertEquals(out, FillerSteps.insert(problems, 0.25, 9), "seeded");
    assertSame(problems, FillerSteps.insert(problems, 0, 9));
    assertThrows(IllegalArgumentException.class, () -> FillerSteps.insert(problems, 1.5, 9));
  }
}
