package dev.rlft.verify;

import java.util.Objects;

/**
 * The final answer found in a text.
 *
 * @param answer the answer as written (e.g. {@code \boxed{\frac{1}{2}}}'s content, "18"); "" if none
 * @param normalized the normalised answer text (e.g. {@code \frac{1}{2}}); "" if none
 * @param rule the rule that found it ({@code boxed}, {@code final_answer}, {@code answer_colon},
 *     {@code gsm8k}, {@code japanese_answer}, {@code japanese_therefore}, {@code answer},
 *     {@code latex}, {@code expression}, {@code last_number}) or {@code none}
 * @param parsed whether the answer parsed as a mathematical expression
 * @param value the parsed value in a plain text form, or "" (for logs)
 */
public record Extraction(String answer, String normalized, String rule, boolean parsed, String value) {
  public Extraction {
    Objects.requireNonNull(answer, "answer");
    Objects.requireNonNull(normalized, "normalized");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(value, "value");
  }

  public boolean found() {
    return !rule.equals("none");
  }

  static Extraction none() {
    return new Extraction("", "", "none", false, "");
  }
}
