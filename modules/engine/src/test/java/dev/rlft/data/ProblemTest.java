package dev.rlft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProblemTest {

  @Test
  void constructor_emptySolution_isAllowed() {
    Problem p = new Problem("p1", "What is 1+1?", "", "2");
    assertEquals("", p.solution());
  }

  @Test
  void constructor_blankId_throwsNamingField() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Problem(" ", "q", "", "2"));
    assertTrue(e.getMessage().startsWith("id must not be blank"), e.getMessage());
  }

  @Test
  void constructor_nullProblem_throwsNamingField() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Problem("p1", null, "", "2"));
    assertEquals("problem must not be blank, got null", e.getMessage());
  }

  @Test
  void constructor_blankAnswer_throwsNamingField() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Problem("p1", "q", "", ""));
    assertEquals("answer must not be blank, got ''", e.getMessage());
  }

  @Test
  void constructor_nullSolution_throwsNamingField() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Problem("p1", "q", null, "2"));
    assertTrue(e.getMessage().startsWith("solution must not be null"), e.getMessage());
  }
}
