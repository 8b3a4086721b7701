package dev.rlft.reward;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Finding {@code \boxed{...}} answers and comparing them with a ground truth. */
final class BoxedAnswers {

  private static final String[] BOX_COMMANDS = {"\\boxed", "\\fbox"};

  /** Answers longer than this after normalisation are compared as strings only. */
  private static final int MAX_NUMERIC_CHARS = 1_000;

  private static final String DECIMAL = "[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)";
  private static final Pattern THOUSANDS = Pattern.compile("[-+]?\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?");
  private static final Pattern NUMBER = Pattern.compile(DECIMAL);
  private static final Pattern SLASH = Pattern.compile("(" + DECIMAL + ")/(" + DECIMAL + ")");
  private static final Pattern FRAC =
      Pattern.compile("([-+]?)\\\\frac\\{(" + DECIMAL + ")\\}\\{(" + DECIMAL + ")\\}");
  private static final Pattern FRAC_DIGITS = Pattern.compile("([-+]?)\\\\frac(\\d)(\\d)");

  private BoxedAnswers() {}

  /** One box: its command starts at {@code start}; {@code end} is just past its closing brace. */
  record Box(int start, int end, String content) {}

  /**
   * The last {@code \boxed{...}} or {@code \fbox{...}} in {@code text} (spaces allowed before the
   * brace, nested and escaped braces handled), or null when there is none or the last one is never
   * closed.
   */
  static Box lastBox(String text) {
    int start = lastOpening(text);
    if (start < 0) {
      return null;
    }
    int brace = text.indexOf('{', start);
    int depth = 1;
    for (int i = brace + 1; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\') {
        i++; // an escaped character, e.g. \{ or \}, never opens or closes
      } else if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        return new Box(start, i + 1, text.substring(brace + 1, i));
      }
    }
    return null;
  }

  /** Start of the last box command followed (after optional blanks) by {@code '{'}, or -1. */
  private static int lastOpening(String text) {
    int best = -1;
    for (String command : BOX_COMMANDS) {
      int from = text.length();
      while (from >= 0) {
        int at = text.lastIndexOf(command, from);
        if (at <= best) {
          break;
        }
        int next = at + command.length();
        while (next < text.length() && (text.charAt(next) == ' ' || text.charAt(next) == '\t')) {
          next++;
        }
        if (next < text.length() && text.charAt(next) == '{') {
          best = at;
          break;
        }
        from = at - 1;
      }
    }
    return best;
  }

  /**
   * The canonical spelling of an answer: trimmed; {@code $} and {@code \$} removed; spacing commands
   * ({@code \! \, \; \:}) and all whitespace removed; {@code \dfrac} and {@code \tfrac} read as
   * {@code \frac}; trailing periods dropped; thousands separators ({@code 1,000} or {@code 1{,}000})
   * removed from a plain number.
   */
  static String normalize(String answer) {
    String s =
        answer
            .replace('\u2212', '-')
            .replace("\\$", "")
            .replace("$", "")
            .replace("\\!", "")
            .replace("\\,", "")
            .replace("\\;", "")
            .replace("\\:", "")
            .replace("\\dfrac", "\\frac")
            .replace("\\tfrac", "\\frac")
            .replace("{,}", ",");
    StringBuilder compact = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      if (!Character.isWhitespace(s.charAt(i))) {
        compact.append(s.charAt(i));
      }
    }
    int end = compact.length();
    while (end > 0 && compact.charAt(end - 1) == '.') {
      end--;
    }
    String result = compact.substring(0, end);
    return THOUSANDS.matcher(result).matches() ? result.replace(",", "") : result;
  }

  /**
   * Whether two answers agree: as exact rationals when both normalised forms are numbers
   * (integers, decimals, {@code a/b}, {@code \frac{a}{b}}), else as equal normalised strings.
   */
  static boolean equivalent(String predicted, String truth) {
    String a = normalize(predicted);
    String b = normalize(truth);
    BigInteger[] x = rational(a);
    BigInteger[] y = rational(b);
    if (x != null && y != null) {
      return x[0].multiply(y[1]).equals(y[0].multiply(x[1]));
    }
    return a.equals(b);
  }

  /**
   * {numerator, denominator > 0} of a normalised numeric answer, not reduced, or null if it is not
   * one: {@code 12}, {@code -0.5}, {@code 3/4}, {@code \frac{-1}{2}}, {@code -\frac{3}{4}}, {@code
   * \frac12}. A zero denominator is not a number.
   */
  static BigInteger[] rational(String s) {
    if (s.isEmpty() || s.length() > MAX_NUMERIC_CHARS) {
      return null;
    }
    Matcher m = NUMBER.matcher(s);
    if (m.matches()) {
      return quotient("", s, "1");
    }
    m = SLASH.matcher(s);
    if (m.matches()) {
      return quotient("", m.group(1), m.group(2));
    }
    m = FRAC.matcher(s);
    if (m.matches()) {
      return quotient(m.group(1), m.group(2), m.group(3));
    }
    m = FRAC_DIGITS.matcher(s);
    if (m.matches()) {
      return quotient(m.group(1), m.group(2), m.group(3));
    }
    return null;
  }

  /** {@code sign * numerator / denominator} as an exact rational, or null when dividing by 0. */
  private static BigInteger[] quotient(String sign, String numerator, String denominator) {
    BigDecimal n = new BigDecimal(numerator);
    BigDecimal d = new BigDecimal(denominator);
    if (d.signum() == 0) {
      return null;
    }
    // n / d = (n.unscaled * 10^d.scale) / (d.unscaled * 10^n.scale); plain digit strings have
    // scale >= 0.
    BigInteger top = n.unscaledValue().multiply(BigInteger.TEN.pow(d.scale()));
    BigInteger bottom = d.unscaledValue().multiply(BigInteger.TEN.pow(n.scale()));
    if ("-".equals(sign)) {
      top = top.negate();
    }
    return bottom.signum() < 0 ? new BigInteger[] {top.negate(), bottom.negate()}
        : new BigInteger[] {top, bottom};
  }
}
