package dev.rlft.verify.normalization;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds {@code \boxed{...}} and {@code \fbox{...}} contents by brace matching, scanning from the
 * right.
 *
 * <p>In {@link Mode#LAST} the last box wins, but earlier boxes are kept when they are close to it
 * (under 10 characters apart) or joined to it by the word "and" or "or" (or ";") within 70
 * characters, so "\boxed{1} and \boxed{2}" gives "1,2" while "\boxed{1} ... later ... \boxed{2}"
 * gives "2". Math-Verify also accepts a comma there; a model that revises its answer ("\boxed{3}
 * then, after checking, \boxed{4}") would then be read as giving both, so a comma joins boxes
 * only when they are close.
 * In {@link Mode#ALL} every box is kept. Consecutive identical contents are merged. A box whose
 * closing brace is missing yields the rest of the text, when it is the only (last) box.
 */
public final class BoxedContent {
  /** Which boxes to keep. */
  public enum Mode { ALL, LAST }

  private static final Pattern SEPARATOR = Pattern.compile("\\b(?:and|or)\\b|;");

  private BoxedContent() {}

  /** True when the text contains a box command. */
  public static boolean hasBox(String text) {
    return text.contains("\\boxed") || text.contains("\\fbox");
  }

  /** Box contents joined by ","; the text unchanged when it has no box. */
  public static String extract(String text, Mode mode) {
    List<String> results = new ArrayList<>();
    int searchEnd = text.length();
    int limit = text.length();
    int previousStart = -1;
    while (true) {
      int boxed = text.lastIndexOf("\\boxed", searchEnd - 1);
      int fbox = text.lastIndexOf("\\fbox", searchEnd - 1);
      if (boxed < 0 && fbox < 0) {
        break;
      }
      int start = Math.max(boxed, fbox);
      int commandEnd = start + (boxed > fbox ? 6 : 5);
      int brace = commandEnd;
      while (brace < limit && Character.isWhitespace(text.charAt(brace))) {
        brace++;
      }
      if (brace >= limit) {
        break;
      }
      if (text.charAt(brace) != '{') {
        if (results.isEmpty()) {
          results.add(text.substring(brace, limit));
        }
        break;
      }
      int close = matchingBrace(text, brace, limit);
      if (close < 0) {
        if (results.isEmpty()) {
          results.add(text.substring(brace, limit));
        }
        break;
      }
      String content = text.substring(brace + 1, close).strip();
      if (mode == Mode.LAST && previousStart >= 0) {
        String between = text.substring(close + 1, previousStart);
        String later = results.isEmpty() ? "" : results.get(results.size() - 1);
        boolean near = between.length() < 10;
        boolean separated = !content.equals(later) && between.length() < 70
            && SEPARATOR.matcher(between).find();
        if (!near && !separated) {
          break;
        }
      }
      if (results.isEmpty() || !results.get(results.size() - 1).equals(content)) {
        results.add(content);
      }
      previousStart = start;
      limit = start;
      searchEnd = start;
    }
    if (results.isEmpty()) {
      return text;
    }
    Collections.reverse(results);
    return String.join(",", results);
  }

  /** Index of the brace closing the one at {@code open}, searching below {@code limit}; -1 if none. */
  static int matchingBrace(String text, int open, int limit) {
    int level = 0;
    for (int i = open; i < limit; i++) {
      char c = text.charAt(i);
      if (c == '{') {
        level++;
      } else if (c == '}') {
        level--;
        if (level == 0) {
          return i;
        }
      }
    }
    return -1;
  }
}
