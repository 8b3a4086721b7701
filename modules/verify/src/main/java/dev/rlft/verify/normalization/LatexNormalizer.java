package dev.rlft.verify.normalization;

import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * String-level clean-up of an extracted LaTeX answer before parsing.
 *
 * <p>The steps follow the normalisation Math-Verify applies (via latex2sympy2_extended) so that
 * the same answers compare equal: take the box content; drop {@code \left}/{@code \right},
 * {@code $}, {@code \!}, {@code \displaystyle}; map {@code \dfrac}/{@code \tfrac}/{@code \cfrac}
 * to {@code \frac} and {@code \mathrm}/{@code \textbf}/{@code \mbox} to {@code \text}; turn
 * "and"/"or" into commas, {@code 14{,}916} into {@code 14,916}, "percent" into {@code %};
 * remove a trailing unit ({@code \text{ cm}^2}, "miles"); fix {@code \frac12}, {@code \sqrt3},
 * {@code .5}; rewrite a plain {@code a/b} of integers as a fraction.
 */
public final class LatexNormalizer {
  private static final Pattern LEFT = Pattern.compile(
      "\\\\m?left(\\\\\\{|\\{|\\\\\\||\\||\\[|\\(|\\.|\\\\lbrace|\\\\lbrack|\\\\vert|\\\\lvert|\\\\lceil|\\\\lfloor|\\\\langle|\\\\lgroup)");
  private static final Pattern RIGHT = Pattern.compile(
      "\\\\m?right(\\\\\\}|\\}|\\\\\\||\\||\\]|\\)|\\.|\\\\rbrace|\\\\rbrack|\\\\vert|\\\\rvert|\\\\rceil|\\\\rfloor|\\\\rangle|\\\\rgroup)");
  private static final Pattern SIZED_DELIMITER = Pattern.compile("\\\\(?:big|Big|bigg|Bigg)[lr]?(?=[(\\[|.)\\]\\\\])");
  private static final Pattern PERMUTATION = Pattern.compile(
      "\\(([a-zA-Z0-9+\\-*/\\\\ ]+?)\\)_\\{([a-zA-Z0-9+\\-*/\\\\ ]+?)\\}");
  private static final Pattern TO_REMOVE = Pattern.compile(
      "\\\\mathrm\\{th\\}|\\\\!\\s*|\\\\text\\s*\\{\\s*\\}|\\\\\\$|\\$|(?<!\\\\)[\"']|\\\\displaystyle");

  /** One pass of replacements; the first alternative that matches at a position wins. */
  private static final List<String[]> REPLACEMENTS = List.of(
      new String[] {"\\\\math(?:rm|it|bf)(?![a-zA-Z])", "\\\\text"},
      new String[] {"\\\\text(?:normal|bf|it|rm)", "\\\\text"},
      new String[] {"\\\\mbox(?![a-zA-Z])", "\\\\text"},
      new String[] {"\\\\(?:d|t|c)frac", "\\\\frac"},
      new String[] {"\\s\\.(?=\\d)", " 0."},
      new String[] {"\\{\\.(?=\\d)", "{0."},
      new String[] {"~=", "\\\\approx"},
      new String[] {"\\s*\\{\\s*,\\s*\\}", ","},
      new String[] {"(?<![a-zA-Z\\\\])(?:,?\\s*(?:and|or))(?![a-zA-Z])", ","},
      new String[] {",?\\s*\\\\text\\{\\s*(?:and|or)\\s*\\}", ","},
      new String[] {"(?<!\\\\)\\\\\\s", " "},
      new String[] {"infinity", "\\\\infty"},
      new String[] {",?\\\\(?:ldots|dots|cdots)", " "},
      new String[] {"\\s*\\bpercentage\\b", "%"},
      new String[] {"\\s*\\bpercent\\b", "%"},
      new String[] {"\\s*\\bpct\\b", "%"},
      new String[] {"\\\\text\\{\\s*(?:percent|pct|percentage)\\s*\\}", "%"},
      new String[] {"(?<![\\\\a-zA-Z])inf(?![a-zA-Z])", "\\\\infty"},
      new String[] {"(?<![\\\\a-zA-Z])sqrt(?=[\\s{(\\d])", "\\\\sqrt"},
      new String[] {"\\\\degree(?![a-zA-Z])|\\^\\s*\\{\\s*\\\\circ\\s*\\}|\\^\\s*\\\\circ(?![a-zA-Z])|\\\\circ(?![a-zA-Z])|°", ""});

  private static final Pattern REPLACE_ALL;
  private static final Map<Integer, String> REPLACEMENT_BY_GROUP;

  static {
    StringBuilder sb = new StringBuilder();
    java.util.HashMap<Integer, String> byGroup = new java.util.HashMap<>();
    for (int i = 0; i < REPLACEMENTS.size(); i++) {
      if (i > 0) {
        sb.append('|');
      }
      sb.append('(').append(REPLACEMENTS.get(i)[0]).append(')');
      byGroup.put(i + 1, REPLACEMENTS.get(i)[1]);
    }
    REPLACE_ALL = Pattern.compile(sb.toString());
    REPLACEMENT_BY_GROUP = Map.copyOf(byGroup);
  }

  /** "1\\,000" and "1\\ 000": a thin space between digit groups, as LaTeX typesets thousands. */
  private static final Pattern SPACED_THOUSANDS = Pattern.compile("(?<=\\d)(?:\\\\,|\\\\ |~|\\\\;)(?=\\d{3}(?!\\d))");
  private static final Pattern DOUBLE_BACKSLASH_COMMAND = Pattern.compile("\\\\\\\\(?=[a-zA-Z])");
  private static final Pattern TRAILING_TEXT_UNIT = Pattern.compile(
      "\\\\text\\s*\\{[^{}]*\\}(?:\\s*\\^\\s*\\d|\\s*\\^\\s*\\{\\s*\\d\\s*\\})?\\s*$");

  /** Unit words removed from the end of an answer ("12 cm", "5 dollars"). Single letters are never units here. */
  private static final String UNIT_WORDS = String.join("|", List.of(
      "centimeters?", "centimetres?", "millimeters?", "kilometers?", "meters?", "metres?",
      "inch(?:es)?", "feet", "foot", "ft", "yards?", "miles?", "mph", "km/h", "kmh", "cm", "mm",
      "km", "kg", "grams?", "g/mol", "pounds?", "lbs?", "ounces?", "oz", "liters?", "litres?",
      "ml", "gallons?", "hours?", "hrs?", "minutes?", "mins?", "seconds?", "secs?", "days?",
      "weeks?", "months?", "years?", "yrs?", "degrees?", "deg", "dollars?", "cents?", "units?",
      "square units", "sq(?:uare)? (?:units|feet|inches|meters|cm|m|ft|in)", "cubic (?:units|feet|inches|meters|cm|m|ft)",
      "points?", "students?", "people", "persons?", "ways", "apples?", "marbles?", "books?",
      "cookies?", "coins?", "eggs?", "steps?", "times", "rupees?", "yuan", "euros?"));
  private static final Pattern TRAILING_UNIT_WORD = Pattern.compile(
      "(?<=[\\d}\\s])\\s*(?:" + UNIT_WORDS + ")\\s*$");

  private static final Pattern CARET_PAREN = Pattern.compile("\\^\\s?\\(([^()]*?)\\)");
  private static final Pattern SQRT_PAREN = Pattern.compile("\\\\sqrt\\s?\\(([^()]*?)\\)");
  private static final Pattern FRAC_DIGITS = Pattern.compile("\\\\frac\\s?(\\d)\\s?(\\d+)");
  private static final Pattern LOG_DIGITS = Pattern.compile("\\\\log_\\s?(\\d)\\s?(\\d+)");
  private static final Pattern FRAC_GROUP_DIGIT = Pattern.compile("\\\\frac\\s?\\{([^{}]*?)\\}\\s?(\\d)");
  private static final Pattern FRAC_DIGIT_GROUP = Pattern.compile("\\\\frac\\s?(\\d)\\s?\\{([^{}]*?)\\}");
  private static final Pattern SQRT_DIGIT = Pattern.compile("\\\\sqrt\\s?(\\d)");
  private static final Pattern INTEGER_SLASH = Pattern.compile("(-?\\d+)/(-?\\d+)");

  private LatexNormalizer() {}

  /**
   * Normalises one extracted answer.
   *
   * @param text the raw LaTeX snippet (content of an environment or a box)
   * @param boxes which boxes to keep when the snippet contains {@code \boxed}
   */
  public static String normalize(String text, BoxedContent.Mode boxes) {
    String s = BoxedContent.hasBox(text) ? BoxedContent.extract(text, boxes) : text;
    s = basicLatex(s);
    s = removeUnits(s);
    s = nits(s);
    s = fixMalformedOperators(s);
    return s.strip();
  }

  private static String basicLatex(String s) {
    // Doubled backslashes before commands ("\\frac" from JSON-escaped output) come first, so
    // that "\\left(" becomes "(" and not "\\(".
    if (!s.contains("matrix") && !s.contains("array")) {
      s = DOUBLE_BACKSLASH_COMMAND.matcher(s).replaceAll("\\\\");
    }
    s = SPACED_THOUSANDS.matcher(s).replaceAll("");
    s = s.replace("\\mathrm{T}", "T").replace("\\mathrm{d}", "d").replace("{\\rm d}", "d");
    s = s.replace("\\left[\\begin{matrix}", "\\begin{bmatrix}").replace("\\end{matrix}\\right]", "\\end{bmatrix}");
    s = LEFT.matcher(s).replaceAll(m -> m.group(1).equals(".") ? "" : Matcher.quoteReplacement(m.group(1)));
    s = RIGHT.matcher(s).replaceAll(m -> m.group(1).equals(".") ? "" : Matcher.quoteReplacement(m.group(1)));
    s = SIZED_DELIMITER.matcher(s).replaceAll("");
    s = PERMUTATION.matcher(s).replaceAll(m -> Matcher.quoteReplacement(
        "\\frac{(" + m.group(1) + ")!}{((" + m.group(1) + ")-(" + m.group(2) + "))!}"));
    s = TO_REMOVE.matcher(s).replaceAll("");
    s = REPLACE_ALL.matcher(s).replaceAll(m -> {
      for (int g = 1; g <= REPLACEMENTS.size(); g++) {
        if (m.group(g) != null) {
          return REPLACEMENT_BY_GROUP.get(g);
        }
      }
      return Matcher.quoteReplacement(m.group());
    });
    s = s.replace('\n', ' ').replace('\t', ' ').replace('\f', ' ').replace('\r', ' ');
    if (!s.contains("matrix") && !s.contains("array")) {
      s = DOUBLE_BACKSLASH_COMMAND.matcher(s).replaceAll("\\\\");
    }
    return s;
  }

  private static String removeUnits(String s) {
    String t = TRAILING_TEXT_UNIT.matcher(s).replaceAll("").strip();
    if (!t.isEmpty() && !t.equals(s.strip()) && endsLikeValue(t)) {
      s = t;
    }
    for (int i = 0; i < 2; i++) {
      t = TRAILING_UNIT_WORD.matcher(s).replaceAll("").strip();
      if (!t.isEmpty() && !t.equals(s.strip())) {
        s = t;
      }
    }
    return s;
  }

  /** A unit can only follow a value: "15\text{ cm}" loses the unit, "\frac{1}{\text{e}}" keeps its e. */
  private static boolean endsLikeValue(String t) {
    char c = t.charAt(t.length() - 1);
    if (c == '{' || c == '\\' || c == '^' || c == '_') {
      return false;
    }
    int open = 0;
    for (int i = 0; i < t.length(); i++) {
      if (t.charAt(i) == '{') {
        open++;
      } else if (t.charAt(i) == '}') {
        open--;
      }
    }
    return open == 0;
  }

  private static String nits(String s) {
    s = s.strip();
    if (s.startsWith(".")) {
      s = "0" + s;
    }
    if (s.equals("0.5")) {
      s = "\\frac{1}{2}";
    }
    return s;
  }

  private static String fixMalformedOperators(String s) {
    s = CARET_PAREN.matcher(s).replaceAll("^{$1}");
    s = SQRT_PAREN.matcher(s).replaceAll("\\\\sqrt{$1}");
    s = FRAC_DIGITS.matcher(s).replaceAll("\\\\frac{$1}{$2}");
    s = LOG_DIGITS.matcher(s).replaceAll("\\\\log_{$1}{$2}");
    s = FRAC_GROUP_DIGIT.matcher(s).replaceAll("\\\\frac{$1}{$2}");
    s = FRAC_DIGIT_GROUP.matcher(s).replaceAll("\\\\frac{$1}{$2}");
    s = SQRT_DIGIT.matcher(s).replaceAll("\\\\sqrt{$1}");
    s = fixSqrt(s);
    s = fixFracs(s);
    s = fixSlash(s);
    return s;
  }

  /** {@code \sqrt3} and {@code \sqrt x} get braces around their one-character argument. */
  private static String fixSqrt(String s) {
    if (!s.contains("\\sqrt")) {
      return s;
    }
    String[] parts = s.split("\\\\sqrt", -1);
    StringBuilder sb = new StringBuilder(parts[0]);
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].stripLeading();
      if (!p.isEmpty() && p.charAt(0) != '{' && p.charAt(0) != '[' && p.charAt(0) != '\\') {
        sb.append("\\sqrt{").append(p.charAt(0)).append('}').append(p.substring(1));
      } else {
        sb.append("\\sqrt").append(parts[i]);
      }
    }
    return sb.toString();
  }

  /** {@code \frac12}, {@code \frac1{2}}, {@code \frac{1}2}: one-character arguments get braces. */
  private static String fixFracs(String s) {
    if (!s.contains("\\frac")) {
      return s;
    }
    String[] parts = s.split("\\\\frac", -1);
    StringBuilder sb = new StringBuilder(parts[0]);
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].stripLeading();
      sb.append("\\frac");
      if (p.isEmpty() || p.charAt(0) == '{' || p.charAt(0) == '\\') {
        sb.append(p.isEmpty() ? parts[i] : p);
        continue;
      }
      if (p.length() < 2) {
        return s;
      }
      char a = p.charAt(0);
      char b = p.charAt(1);
      if (b != '{') {
        sb.append('{').append(a).append("}{").append(b).append('}').append(p.substring(2));
      } else {
        sb.append('{').append(a).append('}').append(p.substring(1));
      }
    }
    return sb.toString();
  }

  /** A whole answer "2/3" (integers) becomes {@code \frac{2}{3}}. */
  private static String fixSlash(String s) {
    Matcher m = INTEGER_SLASH.matcher(s.strip());
    if (m.matches()) {
      return "\\frac{" + m.group(1) + "}{" + m.group(2) + "}";
    }
    return s;
  }
}
