package dev.rlft.data;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a chain of thought into its steps: runs of text separated by one or more blank lines
 * (lines empty or holding only spaces and tabs). {@code "7+5=12\n\n12-3=9\n\n\boxed{9}"} has three.
 */
public final class Steps {

  /** A line break followed by at least one blank line. */
  private static final Pattern SEPARATOR = Pattern.compile("\\R(?:[ \\t]*\\R)+");

  private Steps() {}

  /**
   * Character offsets (exclusive, into {@code text}) where each step ends: just after its last
   * non-whitespace character. Whitespace-only stretches are not steps, so {@code ""} gives {@code
   * []} and {@code "a\n\nbc\n\n"} gives {@code [1, 5]}.
   */
  public static int[] stepEnds(String text) {
    List<int[]> spans = spans(text);
    int[] ends = new int[spans.size()];
    for (int i = 0; i < ends.length; i++) {
      ends[i] = spans.get(i)[1];
    }
    return ends;
  }

  /** The steps of {@code text}, each stripped of surrounding whitespace, in order. */
  public static List<String> split(String text) {
    List<String> steps = new ArrayList<>();
    for (int[] span : spans(text)) {
      steps.add(text.substring(span[0], span[1]));
    }
    return List.copyOf(steps);
  }

  /** [start, end) of each step with surrounding whitespace excluded. */
  private static List<int[]> spans(String text) {
    List<int[]> spans = new ArrayList<>();
    Matcher separator = SEPARATOR.matcher(text);
    int from = 0;
    while (from <= text.length()) {
      int to = separator.find() ? separator.start() : text.length();
      int start = from;
      int end = to;
      while (start < end && Character.isWhitespace(text.charAt(start))) {
        start++;
      }
      while (end > start && Character.isWhitespace(text.charAt(end - 1))) {
        end--;
      }
      if (start < end) {
        spans.add(new int[] {start, end});
      }
      if (to == text.length()) {
        break;
      }
      from = separator.end();
    }
    return spans;
  }
}
