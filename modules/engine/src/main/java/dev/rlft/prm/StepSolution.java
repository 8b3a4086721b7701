package dev.rlft.prm;

import dev.rlft.data.Problem;
import dev.rlft.data.Steps;
import java.util.List;

/**
 * A problem and the steps of one solution to it: what a process reward model scores.
 *
 * @param problem the problem statement, not blank
 * @param steps the solution's steps in order, none blank; may be empty (nothing to score)
 */
public record StepSolution(String problem, List<String> steps) {

  public StepSolution {
    if (problem == null || problem.isBlank()) {
      throw new IllegalArgumentException(
          "problem must not be blank, got " + (problem == null ? "null" : "'" + problem + "'"));
    }
    steps = List.copyOf(steps);
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).isBlank()) {
        throw new IllegalArgumentException("step " + i + " is blank");
      }
    }
  }

  /** {@code problem} with {@code solution} split into steps at blank lines ({@link Steps#split}). */
  public static StepSolution of(String problem, String solution) {
    return new StepSolution(problem, Steps.split(solution));
  }

  /** A problem with its reference solution. */
  public static StepSolution of(Problem p) {
    return of(p.problem(), p.solution());
  }
}
