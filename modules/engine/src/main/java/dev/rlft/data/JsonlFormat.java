package dev.rlft.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The shape of the JSON objects in a JSONL problem file; see {@link JsonlProblemSource}. */
public enum JsonlFormat {
  /** Decided per line: {@code question} means GSM8K, {@code unique_id} means MATH, else RLFT. */
  AUTO,
  /** Ours: {@code {"id"?, "problem", "solution"?, "answer"}}. */
  RLFT,
  /** GSM8K: {@code {"question", "answer": "...reasoning...\n#### 72"}}. */
  GSM8K,
  /** MATH / MATH-500: {@code {"problem", "solution", "answer", "unique_id"?, ...}}. */
  MATH;

  /**
   * Returns the format named {@code name}, ignoring case and surrounding blanks.
   *
   * @throws IllegalArgumentException if no format has that name; the message lists the valid ones
   */
  public static JsonlFormat parse(String name) {
    String key = name == null ? "" : name.trim().toUpperCase(Locale.ROOT);
    for (JsonlFormat format : values()) {
      if (format.name().equals(key)) {
        return format;
      }
    }
    throw new IllegalArgumentException(
        "unknown JSONL format '"
            + name
            + "'; valid names: "
            + Arrays.stream(values())
                .map(f -> f.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", ")));
  }
}
