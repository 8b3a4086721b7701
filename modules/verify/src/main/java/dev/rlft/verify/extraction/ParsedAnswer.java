package dev.rlft.verify.extraction;

import dev.rlft.verify.expr.Expr;
import java.util.Objects;

/**
 * An extracted answer: its text, its normalised text and, when it parsed, its value.
 *
 * @param value parsed value, or null when the text is not an expression (then only {@code
 *     normalized} is compared, as a string)
 * @param normalized normalised answer text used for the string fallback; empty when nothing found
 * @param raw the snippet as it appeared in the input
 * @param rule which extraction rule found it
 * @param note why parsing failed, or empty
 */
public record ParsedAnswer(Expr value, String normalized, String raw, ExtractionRule rule, String note) {
  public ParsedAnswer {
    Objects.requireNonNull(normalized, "normalized");
    Objects.requireNonNull(raw, "raw");
    Objects.requireNonNull(rule, "rule");
    Objects.requireNonNull(note, "note");
  }

  public static ParsedAnswer none(String note) {
    return new ParsedAnswer(null, "", "", ExtractionRule.NONE, note);
  }

  public boolean found() {
    return rule != ExtractionRule.NONE;
  }
}
