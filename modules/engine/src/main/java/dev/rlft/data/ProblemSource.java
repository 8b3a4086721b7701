package dev.rlft.data;

import java.util.List;

/** The one interface through which every data set of math problems is read. */
public interface ProblemSource {

  /** A short name for logs and metrics, e.g. the file path or {@code arith-train}. */
  String name();

  /**
   * Reads the whole data set, in a stable order.
   *
   * @return an immutable list; calling again returns an equal list
   * @throws DatasetException if the data is missing or malformed
   */
  List<Problem> load();
}
