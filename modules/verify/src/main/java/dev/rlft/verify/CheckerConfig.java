package dev.rlft.verify;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of an {@link AnswerChecker}; {@link #defaults()} mirrors Math-Verify's defaults.
 *
 * @param timeout limit for one whole check (extraction, parsing, comparison); default 2 s
 * @param floatRounding when either side is written as a decimal, both are rounded to this many
 *     places before comparing (Math-Verify's {@code float_rounding}); default 6
 * @param relativeTolerance extra tolerance for decimal answers, {@code |a-b| <= tol * max(|a|,|b|)};
 *     0 (off) by default, so 1000000000 and 1000000000.5 stay different
 * @param strict variables must match by name ({@code f(x)} is not {@code f(y)}); default true
 * @param allowSetRelation a predicted inequality may match a gold interval ({@code -2 \le x \le 7}
 *     vs {@code [-2,7]}); the reverse is always allowed; default false
 * @param percentLenient "20\%" also matches "20" (and "0.2"); default true
 * @param latexExtraction look for LaTeX answers ({@code $…$}, {@code \boxed{}}, …); default true
 * @param exprExtraction look for plain numbers and expressions ("1,000.5", "2/3"); default true
 * @param boxedPriority priority of {@code \boxed{}} among the rules (0: before "final answer";
 *     50: right after it; -1: never); default 0
 * @param maxInputChars longer gold or prediction texts are rejected unread; default 200 000
 * @param maxAnswerChars longer extracted answers are not parsed; default 2 000
 * @param maxNestingDepth deeper LaTeX nesting is not parsed; default 60
 * @param symbolicCallBudget limit for any single Symja evaluation inside a check; default 1 s
 * @param maxWorkerThreads checks running at once; default 64
 * @param maxStuckThreads workers that ignored interruption and are tolerated before checks are
 *     refused; default 4
 */
public record CheckerConfig(
    Duration timeout,
    int floatRounding,
    double relativeTolerance,
    boolean strict,
    boolean allowSetRelation,
    boolean percentLenient,
    boolean latexExtraction,
    boolean exprExtraction,
    int boxedPriority,
    int maxInputChars,
    int maxAnswerChars,
    int maxNestingDepth,
    Duration symbolicCallBudget,
    int maxWorkerThreads,
    int maxStuckThreads) {

  public CheckerConfig {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(symbolicCallBudget, "symbolicCallBudget");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + timeout);
    }
    if (symbolicCallBudget.isNegative() || symbolicCallBudget.isZero()) {
      throw new IllegalArgumentException("symbolicCallBudget must be positive, got " + symbolicCallBudget);
    }
    if (floatRounding < 0 || floatRounding > 30) {
      throw new IllegalArgumentException("floatRounding must be in [0, 30], got " + floatRounding);
    }
    if (!(relativeTolerance >= 0 && relativeTolerance < 1)) {
      throw new IllegalArgumentException("relativeTolerance must be in [0, 1), got " + relativeTolerance);
    }
    if (!latexExtraction && !exprExtraction) {
      throw new IllegalArgumentException("enable latexExtraction or exprExtraction");
    }
    if (boxedPriority < -1) {
      throw new IllegalArgumentException("boxedPriority must be >= -1, got " + boxedPriority);
    }
    if (maxInputChars < 1 || maxAnswerChars < 1 || maxNestingDepth < 1) {
      throw new IllegalArgumentException("size limits must be positive: maxInputChars=" + maxInputChars
          + " maxAnswerChars=" + maxAnswerChars + " maxNestingDepth=" + maxNestingDepth);
    }
    if (maxWorkerThreads < 1 || maxStuckThreads < 0) {
      throw new IllegalArgumentException("maxWorkerThreads must be >= 1 and maxStuckThreads >= 0, got "
          + maxWorkerThreads + ", " + maxStuckThreads);
    }
  }

  /** Defaults: 2 s timeout, 6 places, strict, LaTeX and plain extraction, boxed first. */
  public static CheckerConfig defaults() {
    return new CheckerConfig(Duration.ofSeconds(2), 6, 0.0, true, false, true, true, true, 0,
        200_000, 2_000, 60, Duration.ofSeconds(1), 64, 4);
  }

  public CheckerConfig withTimeout(Duration value) {
    return new CheckerConfig(value, floatRounding, relativeTolerance, strict, allowSetRelation, percentLenient,
        latexExtraction, exprExtraction, boxedPriority, maxInputChars, maxAnswerChars, maxNestingDepth,
        symbolicCallBudget, maxWorkerThreads, maxStuckThreads);
  }

  public CheckerConfig withFloatRounding(int value) {
    return new CheckerConfig(timeout, value, relativeTolerance, strict, allowSetRelation, percentLenient,
        latexExtraction, exprExtraction, boxedPriority, maxInputChars, maxAnswerChars, maxNestingDepth,
        symbolicCallBudget, maxWorkerThreads, maxStuckThreads);
  }

  public CheckerConfig withRelativeTolerance(double value) {
    return new CheckerConfig(timeout, floatRounding, value, strict, allowSetRelation, percentLenient,
        latexExtraction, exprExtraction, boxedPriority, maxInputChars, maxAnswerChars, maxNestingDepth,
        symbolicCallBudget, maxWorkerThreads, maxStuckThreads);
  }

  public CheckerConfig withStrict(boolean value) {
    return new CheckerConfig(timeout, floatRounding, relativeTolerance, value, allowSetRelation, percentLenient,
        latexExtraction, exprExtraction, boxedPriority, maxInputChars, maxAnswerChars, maxNestingDepth,
        symbolicCallBudget, maxWorkerThreads, maxStuckThreads);
  }

  public CheckerConfig withAllowSetRelation(boolean value) {
    return new CheckerConfig(timeout, floatRounding, relativeTolerance, strict, value, percentLenient,
        latexExtraction, exprExtraction, boxedPriority, maxInputChars, maxAnswerChars, maxNestingDepth,
        symbolicCallBudget, maxWorkerThreads, maxStuckThreads);
  }

  public CheckerConfig withPercentLenient(boolean value) {
    return new CheckerConfig(timeout, floatRounding, relativeTolerance, strict, allowSetRelation, value,
        latexExtraction, exprExtraction, boxedPriority, maxInputChars, maxAnswerChars, maxNestingDepth,
        symbolicCallBudget, maxWorkerThreads, maxStuckThreads);
  }

  /** Which kinds of answers to look for. */
  public CheckerConfig withExtraction(boolean latex, boolean expr) {
    return new CheckerConfig(timeout, floatRounding, relativeTolerance, strict, allowSetRelation, percentLenient,
        latex, expr, boxedPriority, maxInputChars, maxAnswerChars, maxNestingDepth,
        symbolicCallBudget, maxWorkerThreads, maxStuckThreads);
  }

  public CheckerConfig withBoxedPriority(int value) {
    return new CheckerConfig(timeout, floatRounding, relativeTolerance, strict, allowSetRelation, percentLenient,
        latexExtraction, exprExtraction, value, maxInputChars, maxAnswerChars, maxNestingDepth,
        symbolicCallBudget, maxWorkerThreads, maxStuckThreads);
  }

  public CheckerConfig withMaxInputChars(int value) {
    return new CheckerConfig(timeout, floatRounding, relativeTolerance, strict, allowSetRelation, percentLenient,
        latexExtraction, exprExtraction, boxedPriority, value, maxAnswerChars, maxNestingDepth,
        symbolicCallBudget, maxWorkerThreads, maxStuckThreads);
  }

  public CheckerConfig withThreads(int maxWorkers, int maxStuck) {
    return new CheckerConfig(timeout, floatRounding, relativeTolerance, strict, allowSetRelation, percentLenient,
        latexExtraction, exprExtraction, boxedPriority, maxInputChars, maxAnswerChars, maxNestingDepth,
        symbolicCallBudget, maxWorkers, maxStuck);
  }
}
