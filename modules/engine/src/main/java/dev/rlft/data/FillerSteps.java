package dev.rlft.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Adds content-free steps ("So,", "Next,", …) to a share of reference solutions, as real
 * chain-of-thought data has them; used to study whether a policy learns to game a PRM that scores
 * such steps well. The answer and every other step are unchanged.
 */
public final class FillerSteps {

  /** The filler steps drawn from. */
  public static final List<String> FILLERS = List.of("So,", "Next,", "Then,", "Let's see.", "Now,");

  private FillerSteps() {}

  /**
   * Returns {@code problems} with, in each solution chosen with probability {@code rate}, one
   * filler step inserted before a random step (blank-line separated). Seeded, so repeatable.
   */
  public static List<Problem> insert(List<Problem> problems, double rate, long seed) {
    if (!(rate >= 0 && rate <= 1)) {
      throw new IllegalArgumentException("filler rate must be in [0, 1], got " + rate);
    }
    if (rate == 0) {
      return problems;
    }
    Random random = new Random(seed);
    List<Problem> out = new ArrayList<>(problems.size());
    for (Problem p : problems) {
      if (random.nextDouble() >= rate) {
        out.add(p);
        continue;
      }
      List<String> steps = new ArrayList<>(Arrays.asList(p.solution().split("\n\n", -1)));
      int at = random.nextInt(steps.size());
      steps.add(at, FILLERS.get(random.nextInt(FILLERS.size())));
      out.add(new Problem(p.id(), p.problem(), String.join("\n\n", steps), p.answer()));
    }
    return out;
  }
}
