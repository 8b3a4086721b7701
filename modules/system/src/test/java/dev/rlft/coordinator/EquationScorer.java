package dev.rlft.coordinator;

import dev.rlft.prm.StepScorer;
import dev.rlft.prm.StepSolution;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test PRM: scores a step 0.9 when it holds an equation, else 0.1, after a delay (to make it
 * late); counts the completions it saw.
 */
final class EquationScorer implements StepScorer {

  final AtomicInteger solutions = new AtomicInteger();
  private final long delayMillis;

  EquationScorer(long delayMillis) {
    this.delayMillis = delayMillis;
  }

  @Override
  public float[][] score(List<StepSolution> batch) {
    try {
      Thread.sleep(delayMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    solutions.addAndGet(batch.size());
    float[][] out = new float[batch.size()][];
    for (int i = 0; i < out.length; i++) {
      List<String> steps = batch.get(i).steps();
      out[i] = new float[steps.size()];
      for (int j = 0; j < steps.size(); j++) {
        out[i][j] = steps.get(j).contains("=") ? 0.9f : 0.1f;
      }
    }
    return out;
  }
}
