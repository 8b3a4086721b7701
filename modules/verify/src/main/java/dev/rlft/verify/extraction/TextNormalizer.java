package dev.rlft.verify.extraction;

import java.text.Normalizer;

/**
 * Unicode clean-up applied to model output and gold before anything else.
 *
 * <p>NFKC folds full-width digits, letters and punctuation ({@code １２３}, {@code ＝}, {@code （}) to
 * ASCII; on top of that the fraction slash, the Unicode minus and the ideographic comma are mapped
 * to {@code /}, {@code -} and {@code ,}, and non-breaking or ideographic spaces become spaces.
 */
public final class TextNormalizer {
  private TextNormalizer() {}

  public static String normalize(String text) {
    String s = Normalizer.isNormalized(text, Normalizer.Form.NFKC)
        ? text : Normalizer.normalize(text, Normalizer.Form.NFKC);
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      char r = switch (c) {
        case '\u2044', '\u2215' -> '/';
        case '\u2212', '\u2012', '\u2013', '\uFE63' -> '-';
        case '\u3001', '\uFF64' -> ',';
        case '\u3000', '\u00A0', '\u2009', '\u202F' -> ' ';
        default -> c;
      };
      if (r != c) {
        if (sb == null) {
          sb = new StringBuilder(s);
        }
        sb.setCharAt(i, r);
      }
    }
    return sb == null ? s : sb.toString();
  }
}
