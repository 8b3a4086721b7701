package dev.rlft.verify.extraction;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds a multiple-choice letter ("A" … "D", or any given labels) in a model output.
 *
 * <p>Priorities as for math answers: "final answer is X. I hope" 0, "final answer … is X" 50,
 * "answer: … X" 100, "answer … X" 200, X at the very start 250, X standing alone anywhere 300;
 * within a priority the match ending last wins. A label counts as standing alone when it is
 * preceded by whitespace (or the start) and followed by ".", ",", ":", whitespace or the end,
 * optionally inside {@code **bold**}.
 */
public final class ChoiceExtractor {
  private final List<String> labels;
  private final boolean lowercase;
  private final List<Pattern> patterns = new ArrayList<>();
  private final List<Integer> priorities = new ArrayList<>();

  /**
   * @param labels the choices, e.g. A, B, C, D
   * @param lowercase report the label lower-cased
   * @param withoutAnchor also accept a label without an "answer" phrase before it
   */
  public ChoiceExtractor(List<String> labels, boolean lowercase, boolean withoutAnchor) {
    if (labels.isEmpty()) {
      throw new IllegalArgumentException("need at least one label");
    }
    this.labels = List.copyOf(labels);
    this.lowercase = lowercase;
    String keys = "(?<key>" + String.join("|", this.labels.stream().map(Pattern::quote).toList()) + ")";
    String suffix = "(?:\\*\\*)?(?:\\.|,|:|\\s|$)";
    String standalone = "(?:^|\\s)(?:\\*\\*)?" + keys + suffix;
    add("(?i:final answer is):?\\s*" + keys + "\\.?\\s?I hope", 0);
    add("(?i:final answer.{0,100}?)\\s+is:?\\s*" + keys, 50);
    add("(?i:answer):.{0,50}?" + standalone, 100);
    add("(?i:answer).{0,50}?" + standalone, 200);
    if (withoutAnchor) {
      add("^(?:\\*\\*)?" + keys + suffix, 250);
      add(standalone, 300);
    }
  }

  private void add(String regex, int priority) {
    patterns.add(Pattern.compile(regex));
    priorities.add(priority);
  }

  /** The chosen label (lower-cased if configured) and the label as written; empty if none. */
  public List<String> extract(String text) {
    Objects.requireNonNull(text, "text");
    TreeMap<Integer, List<int[]>> byPriority = new TreeMap<>();
    List<String> found = new ArrayList<>();
    for (int i = 0; i < patterns.size(); i++) {
      Matcher m = patterns.get(i).matcher(text);
      while (m.find()) {
        byPriority.computeIfAbsent(priorities.get(i), k -> new ArrayList<>())
            .add(new int[] {m.start(), m.end(), found.size()});
        found.add(m.group("key"));
      }
    }
    if (byPriority.isEmpty()) {
      return List.of();
    }
    List<int[]> best = byPriority.firstEntry().getValue();
    best.sort(Comparator.comparingInt((int[] a) -> a[1]).reversed().thenComparingInt(a -> a[0]));
    String label = found.get(best.get(0)[2]);
    return List.of(lowercase ? label.toLowerCase(java.util.Locale.ROOT) : label, label);
  }

  public List<String> labels() {
    return labels;
  }
}
