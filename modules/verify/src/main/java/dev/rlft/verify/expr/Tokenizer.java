package dev.rlft.verify.expr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Splits normalised LaTeX into {@link Token}s, dropping spacing and sizing commands. */
final class Tokenizer {
  /** Commands that only change spacing or delimiter size; they carry no meaning for a value. */
  private static final Set<String> IGNORED = Set.of(
      ",", ";", ":", "!", " ", ">", "quad", "qquad", "enspace", "thinspace", "medspace",
      "thickspace", "negthinspace", "displaystyle", "textstyle", "scriptstyle", "limits",
      "nolimits", "left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl",
      "Bigr", "biggl", "biggr", "Biggl", "Biggr", "hline", "mleft", "mright", "nonumber",
      "notag", "allowbreak", "cr");

  /** Spacing commands that people glue to the next letter ({@code \quadx}). */
  private static final List<String> GLUED_PREFIXES = List.of("qquad", "quad");

  private static final Map<Character, String> UNICODE_COMMANDS = Map.ofEntries(
      Map.entry('×', "times"), Map.entry('÷', "div"), Map.entry('·', "cdot"),
      Map.entry('⋅', "cdot"), Map.entry('≤', "le"), Map.entry('≥', "ge"), Map.entry('≠', "ne"),
      Map.entry('±', "pm"), Map.entry('∓', "mp"), Map.entry('∞', "infty"), Map.entry('π', "pi"),
      Map.entry('√', "sqrt"), Map.entry('∈', "in"), Map.entry('∪', "cup"), Map.entry('∩', "cap"),
      Map.entry('≈', "approx"), Map.entry('∅', "emptyset"), Map.entry('⩽', "le"),
      Map.entry('⩾', "ge"));

  private Tokenizer() {}

  static List<Token> tokenize(String s, int maxTokens) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    int n = s.length();
    while (i < n) {
      if (out.size() > maxTokens) {
        throw new ParseException("expression too long (more than " + maxTokens + " tokens)");
      }
      char c = s.charAt(i);
      if (Character.isWhitespace(c) || c == '~') {
        i++;
      } else if (isDigit(c) || (c == '.' && i + 1 < n && isDigit(s.charAt(i + 1)))) {
        i = readNumber(s, i, out);
      } else if (isAsciiLetter(c)) {
        out.add(new Token(Token.Type.LETTER, String.valueOf(c)));
        i++;
      } else if (c == '\\') {
        i = readCommand(s, i, out);
      } else if (UNICODE_COMMANDS.containsKey(c)) {
        out.add(new Token(Token.Type.COMMAND, UNICODE_COMMANDS.get(c)));
        i++;
      } else if (c == '−' || c == '–') {
        out.add(new Token(Token.Type.OP, "-"));
        i++;
      } else if (c == '°') {
        out.add(new Token(Token.Type.COMMAND, "circ"));
        i++;
      } else if ((c == '<' || c == '>' || c == '!') && i + 1 < n && s.charAt(i + 1) == '=') {
        out.add(new Token(Token.Type.COMMAND, c == '<' ? "le" : c == '>' ? "ge" : "ne"));
        i += 2;
      } else if (c == ':' && i + 1 < n && s.charAt(i + 1) == '=') {
        out.add(new Token(Token.Type.OP, "="));
        i += 2;
      } else {
        out.add(new Token(Token.Type.OP, String.valueOf(c)));
        i++;
      }
    }
    out.add(new Token(Token.Type.EOF, ""));
    return out;
  }

  private static int readNumber(String s, int i, List<Token> out) {
    int n = s.length();
    int j = i;
    while (j < n && isDigit(s.charAt(j))) {
      j++;
    }
    if (j + 1 < n && s.charAt(j) == '.' && isDigit(s.charAt(j + 1))) {
      j++;
      while (j < n && isDigit(s.charAt(j))) {
        j++;
      }
    }
    // Scientific notation only when digits follow the e: "2e^{x}" is 2 times e.
    if (j < n && (s.charAt(j) == 'e' || s.charAt(j) == 'E')) {
      int k = j + 1;
      if (k < n && (s.charAt(k) == '+' || s.charAt(k) == '-')) {
        k++;
      }
      if (k < n && isDigit(s.charAt(k))) {
        while (k < n && isDigit(s.charAt(k))) {
          k++;
        }
        j = k;
      }
    }
    out.add(new Token(Token.Type.NUMBER, s.substring(i, j)));
    return j;
  }

  private static int readCommand(String s, int i, List<Token> out) {
    int n = s.length();
    if (i + 1 >= n) {
      throw new ParseException("dangling backslash");
    }
    char next = s.charAt(i + 1);
    if (next == '(' || next == ')') {
      // "\(" and "\)" left inside an answer act as plain parentheses.
      out.add(new Token(Token.Type.OP, String.valueOf(next)));
      return i + 2;
    }
    if (!isAsciiLetter(next)) {
      String name = String.valueOf(next);
      if (!IGNORED.contains(name)) {
        out.add(new Token(Token.Type.COMMAND, name));
      }
      return i + 2;
    }
    int j = i + 1;
    while (j < n && isAsciiLetter(s.charAt(j))) {
      j++;
    }
    String name = s.substring(i + 1, j);
    if (!IGNORED.contains(name) && !LatexParser.isKnownCommand(name)) {
      for (String prefix : GLUED_PREFIXES) {
        if (name.startsWith(prefix) && name.length() > prefix.length()) {
          return i + 1 + prefix.length();
        }
      }
    }
    if (!IGNORED.contains(name)) {
      out.add(new Token(Token.Type.COMMAND, name));
    }
    return j;
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  static boolean isAsciiLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }
}
