package dev.rlft.prm;

import java.util.List;

/**
 * A solution whose steps carry process labels: one line of a PRM training file.
 *
 * @param id unique within its data set, not blank
 * @param problem the problem statement
 * @param steps the solution's steps, at least one, none blank
 * @param soft per step, the estimated probability in [0, 1] that the solution can still reach the
 *     right answer after it (Math-Shepherd's soft estimate: the share of correct completions)
 * @param hard per step, the binary label (Math-Shepherd's hard estimate: some completion was correct)
 */
public record PrmExample(String id, String problem, List<String> steps, float[] soft, boolean[] hard) {

  public PrmExample {
    if (id == null || id.isBlank()) {
      throw new IllegalArgumentException(
          "PRM example id must not be blank, got " + (id == null ? "null" : "'" + id + "'"));
    }
    StepSolution checked = new StepSolution(problem, steps);
    steps = checked.steps();
    if (steps.isEmpty()) {
      throw new IllegalArgumentException("PRM example " + id + " has no steps");
    }
    if (soft.length != steps.size() || hard.length != steps.size()) {
      throw new IllegalArgumentException("PRM example " + id + " has " + steps.size() + " steps but " + soft.length
          + " soft and " + hard.length + " hard labels");
    }
    soft = soft.clone();
    hard = hard.clone();
    for (int i = 0; i < soft.length; i++) {
      if (!(soft[i] >= 0 && soft[i] <= 1)) {
        throw new IllegalArgumentException(
            "PRM example " + id + " soft label " + i + " must be in [0, 1], got " + soft[i]);
      }
    }
  }

  @Override
  public float[] soft() {
    return soft.clone();
  }

  @Override
  public boolean[] hard() {
    return hard.clone();
  }

  /** The problem and steps, as a PRM scores them. */
  public StepSolution solution() {
    return new StepSolution(problem, steps);
  }

  /** The labels as training targets: the soft ones, or the hard ones as 0 and 1. */
  public float[] targets(PrmTrainer.Target target) {
    if (target == PrmTrainer.Target.SOFT) {
      return soft.clone();
    }
    float[] t = new float[hard.length];
    for (int i = 0; i < t.length; i++) {
      t[i] = hard[i] ? 1f : 0f;
    }
    return t;
  }
}
