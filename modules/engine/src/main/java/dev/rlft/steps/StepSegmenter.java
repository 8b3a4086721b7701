package dev.rlft.steps;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a decoded chain-of-thought completion into reasoning steps, each with its character
 * span {@code [start, end)} in the completion, optionally merging trivial steps before a process
 * reward model scores them.
 *
 * <p><b>Splitting.</b> The completion is cut at every match of the separator ({@link
 * Config#separator()}, by default {@code "\n\n"}). Each line break in the separator matches any
 * line break ({@code \R}: {@code "\r\n"}, {@code "\n"}, {@code "\r"}, U+2028, ...). A separator made
 * only of line breaks ({@code k} of them) matches {@code k} or more line breaks with nothing but
 * spaces and tabs between them, so a blank line holding a space still separates and a run of three
 * or more newlines is one cut. Any other separator is matched literally. Each piece between cuts is
 * stripped of surrounding whitespace (including U+00A0 and U+3000); pieces left empty are dropped,
 * which takes care of leading blank lines and trailing separators. So {@code
 * "\n\n7+5=12\n\n\n12-3=9\r\n\r\n"} has the steps {@code "7+5=12"} and {@code "12-3=9"}.
 *
 * <p><b>Trivial steps.</b> A step is trivial when it has fewer than {@link Config#minChars()} code
 * points or has no mathematical content ({@link #hasMathContent}); {@code "So,"}, {@code
 * "Therefore,"}, {@code "Let's think."} and {@code "ええと。"} are trivial. With {@link
 * Config#mergeTrivial()}, each maximal run of trivial steps is merged into the step that follows it
 * (the merged span runs from the run's first start to that step's end, separators included); a run
 * at the very end, having no step after it, is merged into the step before it; a completion whose
 * steps are all trivial becomes one step. A merged step is never trivial unless every step is. So
 * {@code "So,\n\nSo,\n\nSo,\n\n\\boxed{5}"} is one step and an imperfect PRM cannot be farmed with
 * empty steps: each scored step contains real work.
 *
 * <p>Never throws on any completion string. Immutable and thread-safe.
 */
public final class StepSegmenter {

  /**
   * How to split and whether to merge trivial steps.
   *
   * @param separator text between steps, non-empty; line breaks in it match any line break
   * @param mergeTrivial whether {@link #segment} merges trivial steps (see the class doc)
   * @param minChars steps with fewer code points than this are trivial, {@code >= 0}
   */
  public record Config(String separator, boolean mergeTrivial, int minChars) {

    /** Blank-line separated steps, trivial steps merged, steps under 5 code points trivial. */
    public static final Config DEFAULT = new Config("\n\n", true, 5);

    public Config {
      Objects.requireNonNull(separator, "separator");
      if (separator.isEmpty()) {
        throw new IllegalArgumentException("step separator must not be empty");
      }
      if (minChars < 0) {
        throw new IllegalArgumentException("minChars must be >= 0, got " + minChars);
      }
    }
  }

  /**
   * One step: {@code text} is {@code completion.substring(start, end)}, with no surrounding
   * whitespace; {@code parts} is how many raw steps it merges ({@code 1} when none were merged).
   */
  public record Step(int start, int end, String text, int parts) {

    public Step {
      Objects.requireNonNull(text, "text");
      if (start < 0 || end <= start) {
        throw new IllegalArgumentException("step span [" + start + ", " + end + ") is empty or negative");
      }
      if (text.length() != end - start) {
        throw new IllegalArgumentException(
            "step text has " + text.length() + " chars but its span [" + start + ", " + end + ") has " + (end - start));
      }
      if (parts < 1) {
        throw new IllegalArgumentException("parts must be >= 1, got " + parts);
      }
    }
  }

  /** One line break, {@code \R} made atomic. */
  private static final String LINE_BREAK = "(?>\\r\\n|[\\n\\u000B\\f\\r\\u0085\\u2028\\u2029])";

  private final Config config;
  private final Pattern separator;

  private StepSegmenter(Config config) {
    this.config = config;
    this.separator = compile(config.separator());
  }

  /** A segmenter with {@code config}. */
  public static StepSegmenter create(Config config) {
    return new StepSegmenter(Objects.requireNonNull(config, "config"));
  }

  /** A segmenter with {@link Config#DEFAULT}. */
  public static StepSegmenter create() {
    return new StepSegmenter(Config.DEFAULT);
  }

  public Config config() {
    return config;
  }

  /**
   * The steps of {@code completion}, trivial ones merged when {@link Config#mergeTrivial()}; in
   * order, non-overlapping, each non-empty. An empty or all-whitespace completion has none.
   */
  public List<Step> segment(String completion) {
    List<Step> raw = split(completion);
    return config.mergeTrivial() ? mergeTrivial(completion, raw) : raw;
  }

  /** The steps of {@code completion} as cut by the separator, none merged. */
  public List<Step> split(String completion) {
    Objects.requireNonNull(completion, "completion");
    List<Step> steps = new ArrayList<>();
    Matcher m = separator.matcher(completion);
    int from = 0;
    while (true) {
      boolean found = m.find();
      int to = found ? m.start() : completion.length();
      int start = from;
      int end = to;
      while (start < end && isBlank(completion.charAt(start))) {
        start++;
      }
      while (end > start && isBlank(completion.charAt(end - 1))) {
        end--;
      }
      if (start < end) {
        steps.add(new Step(start, end, completion.substring(start, end), 1));
      }
      if (!found) {
        return List.copyOf(steps);
      }
      from = m.end();
    }
  }

  /** Whether {@code stepText} is trivial under this segmenter's {@link Config#minChars()}. */
  public boolean isTrivial(String stepText) {
    return stepText.codePointCount(0, stepText.length()) < config.minChars() || !hasMathContent(stepText);
  }

  /**
   * Whether {@code text} holds anything mathematical: a decimal digit of any script ({@link
   * Character#isDigit(int)}, so {@code "５"} counts); a math symbol (Unicode category Sm: {@code +
   * = − × ÷ ± ≤ ≠ √ ∑ ＝}, ...) other than {@code < > | ~}, which prose and markup use; {@code ^};
   * or LaTeX: {@code $}, or a backslash followed by an ASCII letter, {@code (} or {@code [}. Words,
   * punctuation, {@code *} (markdown bold), {@code /} and {@code -} (prose) do not count.
   */
  public static boolean hasMathContent(String text) {
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      if (Character.isDigit(cp) || cp == '^' || cp == '$') {
        return true;
      }
      if (Character.getType(cp) == Character.MATH_SYMBOL
          && cp != '<' && cp != '>' && cp != '|' && cp != '~') {
        return true;
      }
      if (cp == '\\' && i + 1 < text.length()) {
        char next = text.charAt(i + 1);
        if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') || next == '(' || next == '[') {
          return true;
        }
      }
      i += Character.charCount(cp);
    }
    return false;
  }

  private List<Step> mergeTrivial(String completion, List<Step> raw) {
    List<Step> out = new ArrayList<>();
    int runStart = -1; // start of the pending run of trivial steps, or -1
    int runParts = 0;
    for (Step s : raw) {
      if (isTrivial(s.text())) {
        if (runStart < 0) {
          runStart = s.start();
        }
        runParts++;
        continue;
      }
      int start = runStart < 0 ? s.start() : runStart;
      out.add(span(completion, start, s.end(), runParts + 1));
      runStart = -1;
      runParts = 0;
    }
    if (runStart >= 0) {
      Step last = raw.get(raw.size() - 1);
      if (out.isEmpty()) {
        out.add(span(completion, runStart, last.end(), runParts));
      } else {
        Step previous = out.remove(out.size() - 1);
        out.add(span(completion, previous.start(), last.end(), previous.parts() + runParts));
      }
    }
    return List.copyOf(out);
  }

  private static Step span(String completion, int start, int end, int parts) {
    return new Step(start, end, completion.substring(start, end), parts);
  }

  private static boolean isBlank(char c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c);
  }

  /**
   * The separator as a pattern; see the class doc for the line-break rules. A line break is
   * matched atomically so that {@code "\r\n"} never counts as two.
   */
  private static Pattern compile(String separator) {
    separator = separator.replace("\r\n", "\n");
    if (separator.chars().allMatch(c -> c == '\n')) {
      int k = separator.length();
      return Pattern.compile(k == 1 ? LINE_BREAK : LINE_BREAK + "(?:[ \\t]*" + LINE_BREAK + "){" + (k - 1) + ",}");
    }
    StringBuilder regex = new StringBuilder();
    int literalStart = 0;
    for (int i = 0; i < separator.length(); i++) {
      if (separator.charAt(i) == '\n') {
        if (i > literalStart) {
          regex.append(Pattern.quote(separator.substring(literalStart, i)));
        }
        regex.append(LINE_BREAK);
        literalStart = i + 1;
      }
    }
    if (literalStart < separator.length()) {
      regex.append(Pattern.quote(separator.substring(literalStart)));
    }
    return Pattern.compile(regex.toString());
  }
}
