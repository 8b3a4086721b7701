package dev.rlft.verify.extraction;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Recognises math environments at a given position: {@code $$…$$}, {@code \[…\]}, {@code $…$},
 * {@code \(…\)}, {@code " […] "} and a bare {@code \frac{n}{m}}, each optionally followed by a
 * percent sign or word; and lists of up to six of them joined by ",", "and" or "or".
 *
 * <p>The delimiters behave like Math-Verify's patterns: inline forms may not span lines,
 * {@code \$} inside {@code $…$} is content, a {@code $} right after a digit does not open an
 * environment (so "$5 and $6" is two amounts). It is a hand-written scanner rather than a regex
 * because Java's regex engine recurses per repetition and overflows the stack on long
 * display blocks.
 */
final class LatexEnvScanner {
  /** One environment: the span it covers and its inner LaTeX. */
  record Env(int start, int end, String content, boolean percent) {}

  private static final int MAX_ENVS_IN_LIST = 6;
  private static final Pattern BARE_FRACTION = Pattern.compile(
      "-?\\\\frac\\{-?\\d+(?:[.,]\\d+)?\\}\\{-?\\d+(?:[.,]\\d+)?\\}");
  private static final Pattern PERCENT = Pattern.compile("\\s*(?:\\\\?%|[Pp]ercent|[Pp]ercentage|[Pp]ct)");
  private static final Pattern LIST_SEPARATOR = Pattern.compile("\\s*(?:,?and|,?or|,)\\s*");

  private final String text;

  LatexEnvScanner(String text) {
    this.text = text;
  }

  /**
   * The list of environments starting at {@code p}, or an empty list.
   *
   * @param boxedOnly only environments whose content holds a {@code \boxed{…}}
   */
  List<Env> listAt(int p, boolean boxedOnly) {
    Env first = envAt(p, boxedOnly);
    if (first == null) {
      return List.of();
    }
    List<Env> out = new ArrayList<>();
    out.add(first);
    int end = first.end();
    Matcher sep = LIST_SEPARATOR.matcher(text);
    while (out.size() < MAX_ENVS_IN_LIST) {
      sep.region(end, text.length());
      if (!sep.lookingAt()) {
        break;
      }
      Env next = envAfterSpaces(sep.end(), sep.start(), boxedOnly);
      if (next == null) {
        break;
      }
      out.add(next);
      end = next.end();
    }
    return out;
  }

  /**
   * A list starting after optional whitespace at {@code q}; also tries the last whitespace
   * character itself, where a {@code " […] "} environment begins.
   */
  List<Env> listAfterSpaces(int q, boolean boxedOnly) {
    int j = q;
    while (j < text.length() && Character.isWhitespace(text.charAt(j))) {
      j++;
    }
    List<Env> envs = listAt(j, boxedOnly);
    if (envs.isEmpty() && j > q) {
      envs = listAt(j - 1, boxedOnly);
    }
    return envs;
  }

  private Env envAfterSpaces(int j, int floor, boolean boxedOnly) {
    Env e = envAt(j, boxedOnly);
    if (e == null && j > floor && Character.isWhitespace(text.charAt(j - 1))) {
      e = envAt(j - 1, boxedOnly);
    }
    return e;
  }

  /** The single environment starting exactly at {@code p}, trying the forms in Math-Verify's order. */
  Env envAt(int p, boolean boxedOnly) {
    if (p < 0 || p >= text.length()) {
      return null;
    }
    int[] span = displayDollar(p);
    if (span == null) {
      span = displayBracket(p);
    }
    if (span == null) {
      span = inlineDollar(p);
    }
    if (span == null) {
      span = inlineParenthesis(p);
    }
    if (span == null) {
      span = spacedBracket(p);
    }
    if (span == null && !boxedOnly) {
      Matcher m = BARE_FRACTION.matcher(text);
      m.region(p, text.length());
      if (m.lookingAt()) {
        span = new int[] {p, m.end(), p, m.end()};
      }
    }
    if (span == null) {
      return null;
    }
    String content = text.substring(span[2], span[3]);
    if (boxedOnly && !containsBox(content)) {
      return null;
    }
    int end = span[1];
    boolean percent = false;
    Matcher pm = PERCENT.matcher(text);
    pm.region(end, text.length());
    if (pm.lookingAt()) {
      percent = true;
      end = pm.end();
    }
    return new Env(p, end, content, percent);
  }

  private static boolean containsBox(String content) {
    int k = content.indexOf("\\boxed{");
    return k >= 0 && content.indexOf('}', k + 8) >= 0;
  }

  private boolean escaped(int i) {
    return i > 0 && text.charAt(i - 1) == '\\';
  }

  /** {@code $$ … $$}: may span lines; the content has no {@code $$}. Returns {start, end, contentStart, contentEnd}. */
  private int[] displayDollar(int p) {
    if (!text.startsWith("$$", p) || escaped(p)) {
      return null;
    }
    int r = text.indexOf("$$", p + 2);
    if (r <= p + 2 || escaped(r)) {
      return null;
    }
    return new int[] {p, r + 2, p + 2, r};
  }

  /** {@code \[ … \]}: may span lines. */
  private int[] displayBracket(int p) {
    if (!text.startsWith("\\[", p) || escaped(p)) {
      return null;
    }
    int r = text.indexOf("\\]", p + 2);
    if (r <= p + 2 || escaped(r)) {
      return null;
    }
    return new int[] {p, r + 2, p + 2, r};
  }

  /** {@code $ … $} on one line; {@code \$} inside is content; not opened right after a digit or backslash. */
  private int[] inlineDollar(int p) {
    if (text.charAt(p) != '$' || (p > 0 && (text.charAt(p - 1) == '\\' || Character.isDigit(text.charAt(p - 1))))) {
      return null;
    }
    int i = p + 1;
    int units = 0;
    int n = text.length();
    while (i < n) {
      char c = text.charAt(i);
      if (units > 0 && c == '$' && text.charAt(i - 1) != '\\') {
        return new int[] {p, i + 1, p + 1, i};
      }
      if (c == '\\' && i + 1 < n && text.charAt(i + 1) == '$') {
        i += 2;
        units++;
        continue;
      }
      if (c == '\n' || c == '$') {
        return null;
      }
      i++;
      units++;
    }
    return null;
  }

  /** {@code \( … \)} on one line. */
  private int[] inlineParenthesis(int p) {
    if (!text.startsWith("\\(", p) || escaped(p)) {
      return null;
    }
    int r = text.indexOf("\\)", p + 2);
    if (r <= p + 2 || escaped(r)) {
      return null;
    }
    int nl = text.indexOf('\n', p + 2);
    if (nl >= 0 && nl < r) {
      return null;
    }
    return new int[] {p, r + 2, p + 2, r};
  }

  /** {@code " [ … ] "}: whitespace, bracket, one line without brackets, bracket, whitespace. */
  private int[] spacedBracket(int p) {
    int n = text.length();
    if (!Character.isWhitespace(text.charAt(p)) || p + 1 >= n || text.charAt(p + 1) != '[') {
      return null;
    }
    int i = p + 2;
    while (i < n) {
      char c = text.charAt(i);
      if (c == ']') {
        break;
      }
      if (c == '\n' || c == '[') {
        return null;
      }
      i++;
    }
    if (i >= n || i == p + 2 || i + 1 >= n || !Character.isWhitespace(text.charAt(i + 1))) {
      return null;
    }
    return new int[] {p, i + 2, p + 2, i};
  }
}
