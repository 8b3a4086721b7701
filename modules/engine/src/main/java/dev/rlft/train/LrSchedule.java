package dev.rlft.train;

/**
 * Learning rate as a function of the optimizer step: linear warm-up to {@code peak}, then cosine
 * decay to {@code peak * minRatio} at {@code totalSteps}, constant afterwards. A schedule with
 * {@code totalSteps = 0} is constant at {@code peak} after warm-up.
 */
public record LrSchedule(float peak, int warmupSteps, int totalSteps, float minRatio) {

  public LrSchedule {
    if (!(peak >= 0) || Float.isInfinite(peak)) {
      throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + peak);
    }
    if (warmupSteps < 0 || totalSteps < 0) {
      throw new IllegalArgumentException("warm-up and total steps must be >= 0, got " + warmupSteps + ", " + totalSteps);
    }
    if (!(minRatio >= 0 && minRatio <= 1)) {
      throw new IllegalArgumentException("min lr ratio must be in [0, 1], got " + minRatio);
    }
  }

  public static LrSchedule constant(float lr) {
    return new LrSchedule(lr, 0, 0, 1f);
  }

  /** Learning rate for the 1-based optimizer step {@code step}. */
  public float at(long step) {
    if (warmupSteps > 0 && step <= warmupSteps) {
      return peak * step / warmupSteps;
    }
    if (totalSteps <= warmupSteps) {
      return peak;
    }
    double progress = Math.min(1.0, (step - warmupSteps) / (double) (totalSteps - warmupSteps));
    double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
    return (float) (peak * (minRatio + (1 - minRatio) * cosine));
  }
}
