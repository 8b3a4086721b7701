package dev.rlft.verify.extraction;

import dev.rlft.verify.expr.Expr;
import dev.rlft.verify.expr.Expr.FiniteSet;
import dev.rlft.verify.expr.Expr.Num;
import dev.rlft.verify.expr.Expr.Percent;
import dev.rlft.verify.expr.LatexParser;
import dev.rlft.verify.expr.ParseException;
import dev.rlft.verify.normalization.BoxedContent;
import dev.rlft.verify.normalization.LatexNormalizer;
import dev.rlft.verify.numeric.BigRational;
import dev.rlft.verify.runtime.Interruptible;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the final answer in a model output (or a gold string) and parses it.
 *
 * <p>Rules carry priorities, lower first; within one priority every match of every rule is tried
 * from the one ending last in the text, and the first that parses wins (Math-Verify's scheme,
 * with its priorities). Default priorities: {@code \boxed} 0 (configurable), "final answer is …
 * I hope" 0, "final answer … is" 50, "answer:" 100, GSM8K {@code ####} 150, Japanese "答え" 160,
 * "よって" 170, "answer" 200, any math environment or bare number 300, last number anywhere 400.
 * The first matched text, parsed or not, is kept for string comparison.
 */
public final class AnswerExtractor {
  /** How answers are looked for and parsed. */
  public record Settings(boolean latex, boolean expr, int boxedPriority, int maxDepth, int maxTokens, int maxAnswerChars) {
    public Settings {
      if (!latex && !expr) {
        throw new IllegalArgumentException("enable at least one of latex and expr extraction");
      }
      if (maxDepth < 1 || maxTokens < 1 || maxAnswerChars < 1) {
        throw new IllegalArgumentException("limits must be positive: depth=" + maxDepth
            + " tokens=" + maxTokens + " chars=" + maxAnswerChars);
      }
    }
  }

  // Plain-number and plain-expression patterns (Math-Verify's expression target).
  private static final String NUMBER = "(?<!\\d)(?:(?<i1>-?[1-9]\\d{0,2}(?:[ ,]\\d{3})+)(?<d1>\\.\\d+)?"
      + "|(?<i2>-?\\d+)(?<d2>[.,]\\d+)|(?<d3>\\.\\d+)|(?<i3>-?\\d+))"
      + "(?<exp>[eE][+-]?\\d{1,4}(?![\\d.]))?"
      + "(?<pct>\\s*(?:%|[Pp]ercent|\\s*[Pp]ercentage|\\s*[Pp]ct))?";
  private static final String OPERATORS = "+\\-*×/^()÷";
  private static final String EXPR_CHARS = "[\\d.\\s" + OPERATORS + "]";
  private static final String EXPR = "(?<expr>-?\\(?-?\\d" + EXPR_CHARS + "*[" + OPERATORS + "]" + EXPR_CHARS + "+\\)?)";
  private static final String PREFIX = "(?:^|\\s|=)(?:\\*\\*)?";
  private static final String SUFFIX = "(?:\\*\\*)?(?:\\.|,|:|\\s|\\)|\\$|$)";
  private static final String CURRENCY = "[$€£¥₹₽₪₩₫฿₡₢₣₤₥₦₧₨₭₮₯₰₱₲₳₴₵₶₷₸₺₻₼₾₿]";
  private static final String EXPR_WITH_ANCHORS = "(?:" + PREFIX + EXPR + SUFFIX + ")";
  private static final String NUMBER_WITH_ANCHORS = "(?:" + PREFIX + CURRENCY + "?" + NUMBER + ")";
  private static final String EXPR_OR_NUMBER = "(?:" + EXPR_WITH_ANCHORS + "|" + NUMBER_WITH_ANCHORS + ")";

  private static final Pattern EXPR_FINAL_HOPE = Pattern.compile("(?i:final answer is):?\\s*" + EXPR_OR_NUMBER + "\\.?\\s?I hope");
  private static final Pattern EXPR_FINAL_IS = Pattern.compile("(?i:final answer.{0,100}?)\\s+is:?" + EXPR_OR_NUMBER);
  private static final Pattern EXPR_ANSWER_COLON = Pattern.compile("(?i:answer):(?:.{0,100}=\\s*|.{0,50}?)" + EXPR_OR_NUMBER + "(?!\\s*=)");
  private static final Pattern EXPR_ANSWER = Pattern.compile("(?i:answer)(?:.{0,100}=\\s*|.{0,50}?)" + EXPR_OR_NUMBER + "(?!\\s*=)");
  private static final Pattern EXPR_PLAIN = Pattern.compile(EXPR_WITH_ANCHORS);
  private static final Pattern NUMBER_PLAIN = Pattern.compile(NUMBER_WITH_ANCHORS);
  private static final Pattern GSM8K = Pattern.compile("####\\s*" + CURRENCY + "?\\s*" + NUMBER);
  private static final Pattern LAST_NUMBER = Pattern.compile("(?<![A-Za-z_\\\\^.])" + CURRENCY + "?" + NUMBER);
  private static final Pattern NUMBER_ANYWHERE = Pattern.compile(CURRENCY + "?" + NUMBER);
  private static final Pattern WHOLE_NUMBER = Pattern.compile("\\s*" + CURRENCY + "?" + NUMBER + "\\s*\\.?\\s*");

  private static final Pattern LATEX_FINAL_HOPE = Pattern.compile("(?i:final answer is)");
  private static final Pattern LATEX_FINAL = Pattern.compile("(?i:final answer)");
  private static final Pattern ANSWER_WORD = Pattern.compile("(?i:answer)");
  private static final Pattern I_HOPE = Pattern.compile("\\.?\\s?I hope");
  private static final Pattern JA_ANSWER = Pattern.compile("(?:答え|解答|正解)(?:は|が)?\\s*[:]?\\s*");
  private static final Pattern JA_THEREFORE = Pattern.compile("(?:よって|したがって|従って|ゆえに)\\s*[,]?\\s*");
  private static final Pattern EQUATION_SPLIT = Pattern.compile("(?<![\\\\<!>])=");
  private static final Pattern MARKERS = Pattern.compile("(?<!\\\\)\\$|\\\\\\(|\\\\\\[|\\\\boxed|\\\\fbox|####");
  private static final Pattern PROSE = Pattern.compile("(?<![\\\\a-zA-Z])[a-zA-Z]{2,}\\s+[a-zA-Z]{2,}(?![a-zA-Z])");

  private final Settings settings;

  public AnswerExtractor(Settings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** One candidate match: where it is, which rule found it, how to turn it into a value. */
  private sealed interface Candidate {
    int start();

    int end();

    ExtractionRule rule();
  }

  private record LatexCandidate(int start, int end, ExtractionRule rule, List<LatexEnvScanner.Env> envs,
      BoxedContent.Mode boxes) implements Candidate {}

  private record ExprCandidate(int start, int end, ExtractionRule rule, String exprText, String integer,
      String decimal, String exponent, boolean percent, int valueStart, int valueEnd, String raw) implements Candidate {}

  private record Group(int priority, List<Candidate> candidates) {}

  /** Finds and parses the answer in a model output. */
  public ParsedAnswer extract(String text, long deadlineNanos) {
    Objects.requireNonNull(text, "text");
    TreeMap<Integer, List<Candidate>> byPriority = new TreeMap<>();
    Scan scan = new Scan(text, deadlineNanos);
    collectLatex(scan, byPriority);
    collectExpr(scan, byPriority);
    collectOwnRules(scan, byPriority);
    return choose(text, byPriority, deadlineNanos);
  }

  /**
   * Parses a gold answer: a bare expression such as {@code \frac{1}{2}} or {@code (3, \frac{\pi}{2})}
   * is parsed whole; text with math delimiters, boxes or sentences goes through {@link #extract}.
   */
  public ParsedAnswer parseGold(String gold, long deadlineNanos) {
    String g = gold.strip();
    if (!g.isEmpty() && !MARKERS.matcher(g).find() && !PROSE.matcher(g).find()) {
      ParsedAnswer whole = parseWhole(g);
      if (whole.value() != null) {
        return whole;
      }
      ParsedAnswer extracted = extract(gold, deadlineNanos);
      return extracted.value() != null ? extracted : whole;
    }
    return extract(gold, deadlineNanos);
  }

  private ParsedAnswer parseWhole(String g) {
    Matcher m = WHOLE_NUMBER.matcher(g);
    boolean isNumber = m.matches();
    if (isNumber && (!settings.latex() || !g.contains(","))) {
      // Plain numbers follow the expression rules (decimal comma "1,22" = 1.22) unless LaTeX
      // parsing is on and a comma could be a list separator ("-2,1" is two roots).
      ParsedAnswer number = numberAnswer(m, g, ExtractionRule.WHOLE_ANSWER);
      if (number.value() != null) {
        return number;
      }
    }
    if (settings.latex()) {
      String normalized = LatexNormalizer.normalize(g, BoxedContent.Mode.LAST);
      try {
        return new ParsedAnswer(parseLatex(normalized), normalized, g, ExtractionRule.WHOLE_ANSWER, "");
      } catch (ParseException e) {
        return new ParsedAnswer(null, normalized, g, ExtractionRule.WHOLE_ANSWER, e.getMessage());
      }
    }
    if (isNumber) {
      return numberAnswer(m, g, ExtractionRule.WHOLE_ANSWER);
    }
    try {
      return new ParsedAnswer(LatexParser.parse(g, settings.maxDepth(), settings.maxTokens()), g, g,
          ExtractionRule.WHOLE_ANSWER, "");
    } catch (ParseException e) {
      return new ParsedAnswer(null, g, g, ExtractionRule.WHOLE_ANSWER, e.getMessage());
    }
  }

  private ParsedAnswer numberAnswer(Matcher m, String raw, ExtractionRule rule) {
    Expr v = numberValue(first(m, "i1", "i2", "i3"), first(m, "d1", "d2", "d3"), m.group("exp"), m.group("pct") != null);
    return new ParsedAnswer(v, numberText(first(m, "i1", "i2", "i3"), first(m, "d1", "d2", "d3")), raw, rule, "");
  }

  // ---------------------------------------------------------------- candidate collection

  /** The text plus its interruptible view for regexes. */
  private record Scan(String text, CharSequence view, long deadline) {
    Scan(String text, long deadline) {
      this(text, Interruptible.of(text, deadline), deadline);
    }
  }

  private void collectLatex(Scan scan, TreeMap<Integer, List<Candidate>> out) {
    if (!settings.latex()) {
      return;
    }
    String text = scan.text();
    LatexEnvScanner envs = new LatexEnvScanner(text);
    // "final answer is $X$. I hope"
    forEachAnchor(scan, LATEX_FINAL_HOPE, (a, b) -> {
      int q = b;
      if (q < text.length() && text.charAt(q) == ':') {
        q++;
      }
      List<LatexEnvScanner.Env> list = envs.listAfterSpaces(q, false);
      if (list.isEmpty()) {
        return -1;
      }
      int e = list.get(list.size() - 1).end();
      Matcher hope = I_HOPE.matcher(scan.view());
      hope.region(e, text.length());
      if (!hope.lookingAt()) {
        return -1;
      }
      add(out, 0, new LatexCandidate(a, hope.end(), ExtractionRule.FINAL_ANSWER, list, BoxedContent.Mode.ALL));
      return hope.end();
    });
    // "final answer ... is $X$"
    forEachAnchor(scan, LATEX_FINAL, (a, b) -> {
      for (int k = b; k <= Math.min(b + 100, text.length() - 1); k++) {
        if (!Character.isWhitespace(text.charAt(k))) {
          continue;
        }
        int j = k;
        while (j < text.length() && Character.isWhitespace(text.charAt(j))) {
          j++;
        }
        if (!text.startsWith("is", j)) {
          continue;
        }
        int q = j + 2;
        if (q < text.length() && text.charAt(q) == ':') {
          q++;
        }
        List<LatexEnvScanner.Env> list = envs.listAfterSpaces(q, false);
        if (!list.isEmpty()) {
          int e = list.get(list.size() - 1).end();
          add(out, 50, new LatexCandidate(a, e, ExtractionRule.FINAL_ANSWER, list, BoxedContent.Mode.ALL));
          return e;
        }
      }
      return -1;
    });
    // "answer: ... $X$" and "answer ... $X$"
    forEachAnchor(scan, ANSWER_WORD, (a, b) -> {
      boolean colon = b < text.length() && text.charAt(b) == ':';
      int from = colon ? b + 1 : b;
      for (int k = from; k <= Math.min(from + 50, text.length() - 1); k++) {
        List<LatexEnvScanner.Env> list = envs.listAt(k, false);
        if (!list.isEmpty()) {
          int e = list.get(list.size() - 1).end();
          add(out, colon ? 100 : 200, new LatexCandidate(a, e, colon ? ExtractionRule.ANSWER_COLON : ExtractionRule.ANSWER, list, BoxedContent.Mode.ALL));
          if (colon) {
            // The colon form is also an instance of the plain "answer" form.
            add(out, 200, new LatexCandidate(a, e, ExtractionRule.ANSWER, list, BoxedContent.Mode.ALL));
          }
          return e;
        }
      }
      return -1;
    });
    // Any environment, and environments holding a box.
    scanEnvironments(scan, envs, false, 300, ExtractionRule.LATEX, out);
    if (settings.boxedPriority() >= 0) {
      scanEnvironments(scan, envs, true, settings.boxedPriority(), ExtractionRule.BOXED, out);
      int first = firstBox(text);
      int last = text.lastIndexOf('}');
      if (first >= 0 && last > first + 6) {
        LatexEnvScanner.Env env = new LatexEnvScanner.Env(first, last + 1, text.substring(first, last + 1), false);
        add(out, settings.boxedPriority(), new LatexCandidate(first, last + 1, ExtractionRule.BOXED, List.of(env), BoxedContent.Mode.LAST));
      }
    }
  }

  private static int firstBox(String text) {
    int b = text.indexOf("\\boxed{");
    int f = text.indexOf("\\fbox{");
    if (b < 0) {
      return f;
    }
    return f < 0 ? b : Math.min(b, f);
  }

  private static void scanEnvironments(Scan scan, LatexEnvScanner envs, boolean boxedOnly, int priority,
      ExtractionRule rule, TreeMap<Integer, List<Candidate>> out) {
    String text = scan.text();
    int p = 0;
    int n = text.length();
    while (p < n) {
      if ((p & 1023) == 0) {
        Interruptible.checkpoint(scan.deadline());
      }
      char c = text.charAt(p);
      if (c != '$' && c != '\\' && c != '-' && !Character.isWhitespace(c)) {
        p++;
        continue;
      }
      List<LatexEnvScanner.Env> list = envs.listAt(p, boxedOnly);
      if (list.isEmpty()) {
        p++;
        continue;
      }
      int e = list.get(list.size() - 1).end();
      add(out, priority, new LatexCandidate(p, e, rule, list, BoxedContent.Mode.ALL));
      p = Math.max(e, p + 1);
    }
  }

  private void collectExpr(Scan scan, TreeMap<Integer, List<Candidate>> out) {
    if (!settings.expr()) {
      return;
    }
    findAll(scan, EXPR_FINAL_HOPE, 0, ExtractionRule.FINAL_ANSWER, out);
    findAll(scan, EXPR_FINAL_IS, 50, ExtractionRule.FINAL_ANSWER, out);
    findAll(scan, EXPR_ANSWER_COLON, 100, ExtractionRule.ANSWER_COLON, out);
    findAll(scan, EXPR_ANSWER, 200, ExtractionRule.ANSWER, out);
    findAll(scan, EXPR_PLAIN, 300, ExtractionRule.EXPRESSION, out);
    findAll(scan, NUMBER_PLAIN, 300, ExtractionRule.EXPRESSION, out);
    findAll(scan, LAST_NUMBER, 400, ExtractionRule.LAST_NUMBER, out);
  }

  /** GSM8K's "#### N" and Japanese answer phrases; always on. */
  private void collectOwnRules(Scan scan, TreeMap<Integer, List<Candidate>> out) {
    findAll(scan, GSM8K, 150, ExtractionRule.GSM8K, out);
    String text = scan.text();
    LatexEnvScanner envs = new LatexEnvScanner(text);
    for (Object[] rule : new Object[][] {{JA_ANSWER, 160, ExtractionRule.JAPANESE_ANSWER},
        {JA_THEREFORE, 170, ExtractionRule.JAPANESE_THEREFORE}}) {
      Pattern anchor = (Pattern) rule[0];
      int priority = (Integer) rule[1];
      ExtractionRule r = (ExtractionRule) rule[2];
      forEachAnchor(scan, anchor, (a, b) -> {
        Matcher num = NUMBER_ANYWHERE.matcher(scan.view());
        for (int k = b; k <= Math.min(b + 40, text.length() - 1) && text.charAt(k) != '\n'; k++) {
          if (settings.latex()) {
            List<LatexEnvScanner.Env> list = envs.listAt(k, false);
            if (!list.isEmpty()) {
              int e = list.get(list.size() - 1).end();
              add(out, priority, new LatexCandidate(a, e, r, list, BoxedContent.Mode.ALL));
              return e;
            }
          }
          if (k > 0 && Character.isDigit(text.charAt(k - 1))) {
            continue;
          }
          num.region(k, text.length());
          if (num.lookingAt()) {
            add(out, priority, exprCandidate(num, a, r));
            return num.end();
          }
        }
        return -1;
      });
    }
  }

  private void findAll(Scan scan, Pattern p, int priority, ExtractionRule rule, TreeMap<Integer, List<Candidate>> out) {
    Matcher m = p.matcher(scan.view());
    try {
      while (m.find()) {
        add(out, priority, exprCandidate(m, m.start(), rule));
      }
    } catch (StackOverflowError e) {
      // A pathological run of digit groups; treat the rule as not matching.
    }
  }

  private static ExprCandidate exprCandidate(Matcher m, int start, ExtractionRule rule) {
    String integer = first(m, "i1", "i2", "i3");
    String decimal = first(m, "d1", "d2", "d3");
    boolean isNumber = integer != null || decimal != null;
    String expr = hasGroup(m, "expr") ? m.group("expr") : null;
    int vs;
    int ve;
    if (isNumber) {
      vs = Integer.MAX_VALUE;
      ve = -1;
      for (String g : new String[] {"i1", "i2", "i3", "d1", "d2", "d3"}) {
        if (m.group(g) != null) {
          vs = Math.min(vs, m.start(g));
          ve = Math.max(ve, m.end(g));
        }
      }
    } else {
      vs = expr == null ? m.start() : m.start("expr");
      ve = expr == null ? m.end() : m.end("expr");
    }
    boolean percent = hasGroup(m, "pct") && m.group("pct") != null;
    String exponent = hasGroup(m, "exp") ? m.group("exp") : null;
    int rawEnd = Math.max(ve, percent ? m.end("pct") : ve);
    if (exponent != null) {
      rawEnd = Math.max(rawEnd, m.end("exp"));
    }
    String raw = m.group().substring(vs - m.start(), rawEnd - m.start());
    return new ExprCandidate(start, m.end(), rule, expr, integer, decimal, exponent, percent, vs, ve, raw);
  }

  private static boolean hasGroup(Matcher m, String name) {
    try {
      m.start(name);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String first(Matcher m, String... groups) {
    for (String g : groups) {
      if (hasGroup(m, g) && m.group(g) != null) {
        return m.group(g);
      }
    }
    return null;
  }

  /** Callback for an anchor found at [a, b): returns the end of the match it made, or -1. */
  private interface AnchorHandler {
    int handle(int anchorStart, int anchorEnd);
  }

  private static void forEachAnchor(Scan scan, Pattern anchor, AnchorHandler handler) {
    Matcher m = anchor.matcher(scan.view());
    int from = 0;
    while (from < scan.text().length() && m.find(from)) {
      Interruptible.checkpoint(scan.deadline());
      int end = handler.handle(m.start(), m.end());
      from = end > m.start() ? end : m.start() + 1;
    }
  }

  private static void add(TreeMap<Integer, List<Candidate>> out, int priority, Candidate c) {
    out.computeIfAbsent(priority, k -> new ArrayList<>()).add(c);
  }

  // ---------------------------------------------------------------- choosing and parsing

  private ParsedAnswer choose(String text, TreeMap<Integer, List<Candidate>> byPriority, long deadline) {
    String fallback = null;
    String fallbackRaw = null;
    ExtractionRule fallbackRule = null;
    String firstError = "";
    List<int[]> failedLatexSpans = new ArrayList<>();
    for (List<Candidate> group : byPriority.values()) {
      List<Candidate> ordered = new ArrayList<>(group);
      ordered.sort(Comparator.comparingInt(Candidate::end).reversed().thenComparingInt(Candidate::start));
      for (Candidate c : ordered) {
        Interruptible.checkpoint(deadline);
        if (c instanceof ExprCandidate ec && overlaps(ec, failedLatexSpans)) {
          continue;
        }
        ParsedAnswer parsed = c instanceof LatexCandidate lc ? parseLatexCandidate(lc, text) : parseExprCandidate((ExprCandidate) c);
        if (parsed.value() == null && c instanceof LatexCandidate lc) {
          failedLatexSpans.add(new int[] {lc.envs().get(0).start(), lc.envs().get(0).end()});
          if (firstError.isEmpty()) {
            firstError = parsed.note();
          }
        }
        if (fallback == null && !parsed.normalized().isEmpty()) {
          fallback = parsed.normalized();
          fallbackRaw = parsed.raw();
          fallbackRule = parsed.rule();
        }
        if (parsed.value() != null) {
          return new ParsedAnswer(parsed.value(), fallback, parsed.raw(), parsed.rule(), "");
        }
      }
    }
    if (fallback != null) {
      return new ParsedAnswer(null, fallback, fallbackRaw, fallbackRule, firstError);
    }
    return ParsedAnswer.none(firstError.isEmpty() ? "no answer found" : "no usable answer: " + firstError);
  }

  private static boolean overlaps(ExprCandidate c, List<int[]> spans) {
    for (int[] s : spans) {
      if (c.valueStart() < s[1] && c.valueEnd() > s[0]) {
        return true;
      }
    }
    return false;
  }

  private ParsedAnswer parseLatexCandidate(LatexCandidate c, String text) {
    List<Expr> values = new ArrayList<>();
    List<String> strings = new ArrayList<>();
    String firstError = "";
    for (LatexEnvScanner.Env env : c.envs()) {
      String content = env.content();
      if (content.length() > settings.maxAnswerChars()) {
        values.add(null);
        strings.add("");
        firstError = "answer longer than " + settings.maxAnswerChars() + " characters";
        continue;
      }
      String normalized = LatexNormalizer.normalize(content, c.boxes());
      strings.add(normalized);
      try {
        Expr v = parseLatex(normalized);
        values.add(env.percent() ? new Percent(v) : v);
      } catch (ParseException e) {
        values.add(null);
        if (firstError.isEmpty()) {
          firstError = e.getMessage();
        }
      }
    }
    LatexEnvScanner.Env last = c.envs().get(c.envs().size() - 1);
    String raw = text.substring(c.envs().get(0).start(), Math.min(last.end(), text.length())).strip();
    if (values.size() > 1 && values.stream().allMatch(Objects::nonNull)) {
      List<Expr> items = new ArrayList<>();
      for (Expr v : values) {
        if (v instanceof FiniteSet fs) {
          items.addAll(fs.items());
        } else {
          items.add(v);
        }
      }
      return new ParsedAnswer(new FiniteSet(items), String.join(" and ", strings), raw, c.rule(), "");
    }
    return new ParsedAnswer(values.get(0), strings.get(0), raw, c.rule(), firstError);
  }

  /** Parses normalised LaTeX; on failure retries with the part after the last "=" of a chain. */
  Expr parseLatex(String normalized) {
    try {
      return LatexParser.parse(normalized, settings.maxDepth(), settings.maxTokens());
    } catch (ParseException e) {
      if (!normalized.contains(",") && !normalized.contains(";")) {
        String[] parts = EQUATION_SPLIT.split(normalized, -1);
        if (parts.length > 2) {
          return LatexParser.parse(parts[parts.length - 1], settings.maxDepth(), settings.maxTokens());
        }
      }
      throw e;
    }
  }

  private ParsedAnswer parseExprCandidate(ExprCandidate c) {
    if (c.integer() != null || c.decimal() != null) {
      Expr v = numberValue(c.integer(), c.decimal(), c.exponent(), c.percent());
      return new ParsedAnswer(v, numberText(c.integer(), c.decimal()) + (c.exponent() == null ? "" : c.exponent()), c.raw().strip(), c.rule(), v == null ? "bad number" : "");
    }
    String expr = c.exprText() == null ? "" : c.exprText();
    try {
      Expr v = LatexParser.parse(expr.replace('\n', ' '), settings.maxDepth(), settings.maxTokens());
      return new ParsedAnswer(v, expr, expr, c.rule(), "");
    } catch (ParseException e) {
      return new ParsedAnswer(null, expr, expr, c.rule(), e.getMessage());
    }
  }

  private static String numberText(String integer, String decimal) {
    String i = integer == null ? "" : integer.replace(",", "").replace(" ", "");
    boolean negative = i.startsWith("-");
    String digits = negative ? i.substring(1) : i;
    digits = digits.replaceFirst("^0+", "");
    if (digits.isEmpty()) {
      digits = "0";
    }
    String d = decimal == null ? "" : decimal.replace(',', '.');
    return (negative ? "-" : "") + digits + d;
  }

  private static Expr numberValue(String integer, String decimal, String exponent, boolean percent) {
    String s = numberText(integer, decimal);
    if (s.length() > 400) {
      return null;
    }
    BigDecimal d = new BigDecimal(exponent == null ? s : s + exponent);
    Num n = new Num(BigRational.of(d), decimal != null || exponent != null);
    return percent ? new Percent(n) : n;
  }
}
