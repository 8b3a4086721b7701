package dev.rlft.reward;

import dev.rlft.verify.AnswerChecker;
import dev.rlft.verify.CheckerConfig;
import dev.rlft.verify.Verdict;

/**
 * The accuracy reward with Math-Verify's semantics: 1 when {@link AnswerChecker} finds the
 * completion's final answer (boxed, "final answer is", GSM8K {@code ####}, Japanese phrasings, …)
 * equivalent to the ground truth, exactly, numerically or symbolically; else 0. Every check is
 * bounded by the checker's timeout, so a pathological completion costs at most that and scores 0
 * with its reason.
 *
 * <p>Thread-safe; holds the checker's worker threads until {@link #close()}.
 */
public final class MathVerifyReward implements RewardFunction, AutoCloseable {

  public static final String NAME = "math-verify";

  private final AnswerChecker checker;

  public MathVerifyReward(CheckerConfig config) {
    this.checker = AnswerChecker.create(config);
  }

  public MathVerifyReward() {
    this(CheckerConfig.defaults());
  }

  @Override
  public RewardResult score(String completion, String answer) {
    if (answer == null || answer.isBlank()) {
      return new RewardResult(0.0, false, null, "no reference answer");
    }
    Verdict v = checker.check(answer, completion);
    String reason = v.reason() == null || v.reason().isBlank() ? (v.equal() ? "correct" : "wrong answer") : v.reason();
    return new RewardResult(v.equal() ? 1.0 : 0.0, v.equal(), v.extracted(), reason);
  }

  @Override
  public String name() {
    return NAME;
  }

  public AnswerChecker checker() {
    return checker;
  }

  @Override
  public void close() {
    checker.close();
  }
}
