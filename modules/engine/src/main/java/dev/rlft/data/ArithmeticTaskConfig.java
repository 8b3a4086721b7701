package dev.rlft.data;

import com.typesafe.config.Config;

/**
 * Settings of the embedded {@link ArithmeticTask}: how many operations a problem has, how large its
 * numbers are, how often training references are flawed, and how many problems each split holds.
 *
 * @param minOps fewest operations per problem, at least 1 (default 2)
 * @param maxOps most operations per problem, {@code minOps..20} (default 3)
 * @param maxOperand largest starting amount, at least 1 (default 20)
 * @param maxStep largest amount added or subtracted by one operation, at least 1 (default 9)
 * @param maxValue largest value any true intermediate result may take, {@code maxOperand..1e6}
 *     (default 99)
 * @param flawRate probability, per step of a training reference solution, that the step's result
 *     is written wrong; in [0, 1] (default 0.2, as in rlft reference.conf)
 * @param trainSize problems in the training split, at least 1 (default 20000)
 * @param heldOutSize problems in the held-out split, at least 1 (default 500)
 */
public record ArithmeticTaskConfig(
    int minOps,
    int maxOps,
    int maxOperand,
    int maxStep,
    int maxValue,
    double flawRate,
    int trainSize,
    int heldOutSize) {

  /** Upper bound of {@code maxOps}: longer problems no longer fit the task's short texts. */
  public static final int OPS_LIMIT = 20;

  /** Upper bound of {@code maxValue}: keeps every product, flawed or not, far from int overflow. */
  public static final int VALUE_LIMIT = 1_000_000;

  public ArithmeticTaskConfig {
    if (minOps < 1) {
      throw new IllegalArgumentException("minOps must be >= 1, got " + minOps);
    }
    if (maxOps < minOps) {
      throw new IllegalArgumentException(
          "maxOps must be >= minOps (" + minOps + "), got " + maxOps);
    }
    if (maxOps > OPS_LIMIT) {
      throw new IllegalArgumentException("maxOps must be <= " + OPS_LIMIT + ", got " + maxOps);
    }
    if (maxOperand < 1) {
      throw new IllegalArgumentException("maxOperand must be >= 1, got " + maxOperand);
    }
    if (maxStep < 1) {
      throw new IllegalArgumentException("maxStep must be >= 1, got " + maxStep);
    }
    if (maxValue < maxOperand) {
      throw new IllegalArgumentException(
          "maxValue must be >= maxOperand (" + maxOperand + "), got " + maxValue);
    }
    if (maxValue > VALUE_LIMIT) {
      throw new IllegalArgumentException(
          "maxValue must be <= " + VALUE_LIMIT + ", got " + maxValue);
    }
    if (!(flawRate >= 0 && flawRate <= 1)) {
      throw new IllegalArgumentException("flawRate must be in [0, 1], got " + flawRate);
    }
    if (trainSize < 1) {
      throw new IllegalArgumentException("trainSize must be >= 1, got " + trainSize);
    }
    if (heldOutSize < 1) {
      throw new IllegalArgumentException("heldOutSize must be >= 1, got " + heldOutSize);
    }
  }

  /** The product's default task: 2 to 3 operations on numbers up to 99, 30% flawed steps. */
  public static ArithmeticTaskConfig defaults() {
    return new ArithmeticTaskConfig(2, 3, 20, 9, 99, 0.2, 20_000, 500);
  }

  /**
   * Reads the settings from {@code config}, already at the task's path, with keys {@code min-ops,
   * max-ops, max-operand, max-step, max-value, flaw-rate, train-size, held-out-size}; a missing key
   * takes its value from {@link #defaults()}.
   *
   * @throws com.typesafe.config.ConfigException.WrongType if a key holds no number
   * @throws IllegalArgumentException if the values are out of range
   */
  public static ArithmeticTaskConfig fromConfig(Config config) {
    ArithmeticTaskConfig d = defaults();
    return new ArithmeticTaskConfig(
        intOr(config, "min-ops", d.minOps()),
        intOr(config, "max-ops", d.maxOps()),
        intOr(config, "max-operand", d.maxOperand()),
        intOr(config, "max-step", d.maxStep()),
        intOr(config, "max-value", d.maxValue()),
        config.hasPath("flaw-rate") ? config.getDouble("flaw-rate") : d.flawRate(),
        intOr(config, "train-size", d.trainSize()),
        intOr(config, "held-out-size", d.heldOutSize()));
  }

  /** This configuration with another {@code flawRate}. */
  public ArithmeticTaskConfig withFlawRate(double newFlawRate) {
    return new ArithmeticTaskConfig(
        minOps, maxOps, maxOperand, maxStep, maxValue, newFlawRate, trainSize, heldOutSize);
  }

  private static int intOr(Config config, String key, int fallback) {
    return config.hasPath(key) ? config.getInt(key) : fallback;
  }
}
