package dev.rlft.data;

import java.nio.file.Path;

/**
 * A data set that cannot be read because of the user's input: a missing file, malformed JSON, a
 * missing or mistyped field. The message is one line that names the file (and line, when there is
 * one), e.g. {@code data/x.jsonl:17: malformed JSON at column 5: ...}, so a command-line tool can
 * print it as it is, without a stack trace.
 */
public final class DatasetException extends RuntimeException {

  private DatasetException(String message, Throwable cause) {
    super(message, cause);
  }

  /** An error about line {@code line} (1-based) of {@code file}: {@code "<file>:<line>: <detail>"}. */
  public static DatasetException atLine(Path file, long line, String detail) {
    return new DatasetException(file + ":" + line + ": " + oneLine(detail), null);
  }

  /** As {@link #atLine(Path, long, String)}, keeping the underlying cause. */
  public static DatasetException atLine(Path file, long line, String detail, Throwable cause) {
    return new DatasetException(file + ":" + line + ": " + oneLine(detail), cause);
  }

  /** An error about {@code file} as a whole: {@code "<file>: <detail>"}. */
  public static DatasetException inFile(Path file, String detail, Throwable cause) {
    return new DatasetException(file + ": " + oneLine(detail), cause);
  }

  private static String oneLine(String detail) {
    return String.valueOf(detail).replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
