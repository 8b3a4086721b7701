package dev.rlft.verify.extraction;

import java.util.Locale;

/** Which rule produced an extracted answer, in the order the rules are tried. */
public enum ExtractionRule {
  /** {@code \boxed{…}} or {@code \fbox{…}} (the last box, or several joined by "and"/","). */
  BOXED,
  /** "The final answer is …" (Minerva style, with or without "I hope it is correct"). */
  FINAL_ANSWER,
  /** "Answer: …". */
  ANSWER_COLON,
  /** GSM8K's {@code #### N}. */
  GSM8K,
  /** Japanese "答えは…" / "答え：…" / "解答…" / "正解…". */
  JAPANESE_ANSWER,
  /** Japanese "よって…" / "したがって…" / "従って…" / "ゆえに…". */
  JAPANESE_THEREFORE,
  /** "answer … X" without a colon. */
  ANSWER,
  /** The last math environment ({@code $…$}, {@code \[…\]}, …) in the text. */
  LATEX,
  /** The last plain number or arithmetic expression set off by spaces. */
  EXPRESSION,
  /** Fallback: the last number anywhere (also inside Japanese text, "18個"). */
  LAST_NUMBER,
  /** A gold answer given as a bare expression, parsed as a whole. */
  WHOLE_ANSWER,
  /** Nothing found. */
  NONE;

  /** Lower-case name used in {@link dev.rlft.verify.Verdict#rule()}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
