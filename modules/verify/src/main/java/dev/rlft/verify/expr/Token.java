package dev.rlft.verify.expr;

/** One lexical unit of normalised LaTeX. */
record Token(Type type, String text) {
  enum Type {
    /** Digits with an optional decimal part and exponent. */
    NUMBER,
    /** A single ASCII letter. */
    LETTER,
    /** A backslash command, without the backslash ({@code frac}, {@code \\}, {@code {}). */
    COMMAND,
    /** Any other character or operator ({@code <=} and friends are mapped to commands). */
    OP,
    EOF
  }

  boolean is(Type t, String s) {
    return type == t && text.equals(s);
  }

  boolean isOp(String s) {
    return is(Type.OP, s);
  }

  boolean isCommand(String s) {
    return is(Type.COMMAND, s);
  }
}
