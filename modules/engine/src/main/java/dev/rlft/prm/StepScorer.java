package dev.rlft.prm;

import java.util.List;

/** Scores the steps of solutions: one value in [0, 1] per step. Implementations are thread-confined or thread-safe as documented. */
public interface StepScorer {

  /** Per solution, one score per step, in the order given. */
  float[][] score(List<StepSolution> solutions);
}
