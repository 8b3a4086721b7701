package dev.rlft.data;

/**
 * One math problem with its reference solution and ground-truth answer.
 *
 * @param id unique within its data set, e.g. {@code arith-train-000123} or {@code
 *     test/algebra/2584.json}
 * @param problem the question shown to the model
 * @param solution reference chain of thought: steps separated by a blank line ({@code "\n\n"}),
 *     the last holding {@code \boxed{...}}; empty for evaluation-only data. It may be flawed (see
 *     {@link ArithmeticTask}); {@code answer} is the truth.
 * @param answer the ground-truth final answer, as text (e.g. {@code "72"}, {@code "\frac{14}{3}"})
 */
public record Problem(String id, String problem, String solution, String answer) {

  public Problem {
    requireNonBlank("id", id);
    requireNonBlank("problem", problem);
    if (solution == null) {
      throw new IllegalArgumentException("solution must not be null (use \"\") for problem " + id);
    }
    requireNonBlank("answer", answer);
  }

  private static void requireNonBlank(String field, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(
          field + " must not be blank, got " + (value == null ? "null" : "'" + value + "'"));
    }
  }
}
