package dev.rlft.algo;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/** Name lookup shared by the algorithm registries: one rule for every enum, one error format. */
final class Names {

  private Names() {}

  /**
   * Returns the constant of {@code type} named {@code name}, ignoring case and surrounding blanks,
   * with {@code '-'} and {@code '_'} equivalent.
   *
   * @param kind what the enum names, for the error message (e.g. "KL estimator")
   * @throws IllegalArgumentException if no constant matches; the message lists the valid names
   * @throws NullPointerException if {@code name} is null
   */
  static <E extends Enum<E>> E parse(Class<E> type, String kind, String name) {
    Objects.requireNonNull(name, () -> kind + " name must not be null");
    String key = name.trim().replace('-', '_').toUpperCase(Locale.ROOT);
    for (E constant : type.getEnumConstants()) {
      if (constant.name().equals(key)) {
        return constant;
      }
    }
    throw new IllegalArgumentException(
        "unknown " + kind + " '" + name + "'; valid names: " + validNames(type));
  }

  /** The constants of {@code type} in their configuration spelling, e.g. {@code "grpo, dr_grpo"}. */
  static <E extends Enum<E>> String validNames(Class<E> type) {
    return Arrays.stream(type.getEnumConstants())
        .map(c -> c.name().toLowerCase(Locale.ROOT))
        .collect(Collectors.joining(", "));
  }
}
