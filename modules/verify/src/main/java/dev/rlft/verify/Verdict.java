package dev.rlft.verify;

import java.util.Objects;

/**
 * Result of comparing a prediction with a gold answer.
 *
 * @param equal whether the prediction's final answer equals the gold answer
 * @param extracted the answer text found in the prediction ("" when none)
 * @param goldNormalized the gold answer after normalisation
 * @param reason how equality was established, or why not ("timeout after 2000 ms", …)
 * @param rule the extraction rule that found the prediction's answer ({@code boxed},
 *     {@code final_answer}, {@code gsm8k}, …, {@code none})
 */
public record Verdict(boolean equal, String extracted, String goldNormalized, String reason, String rule) {
  public Verdict {
    Objects.requireNonNull(extracted, "extracted");
    Objects.requireNonNull(goldNormalized, "goldNormalized");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(rule, "rule");
  }

  /** A "not equal" verdict for a check that could not run to completion. */
  static Verdict notEqual(String reason) {
    return new Verdict(false, "", "", reason, "none");
  }
}
