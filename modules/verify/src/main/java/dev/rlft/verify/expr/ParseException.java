package dev.rlft.verify.expr;

/** The text is not a mathematical expression this parser understands. */
public final class ParseException extends RuntimeException {
  public ParseException(String message) {
    super(message, null, false, false);
  }
}
