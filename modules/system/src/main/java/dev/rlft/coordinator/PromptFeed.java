package dev.rlft.coordinator;

import dev.rlft.data.Problem;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Endless seeded stream of training problems: each epoch is a fresh shuffle of the data set. Its
 * position (epoch, index) is the data cursor a resumed run continues from.
 */
public final class PromptFeed {

  private final List<Problem> problems;
  private final long seed;
  private List<Problem> order;
  private int epoch;
  private int index;

  public PromptFeed(List<Problem> problems, long seed) {
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("training set is empty");
    }
    this.problems = List.copyOf(problems);
    this.seed = seed;
    shuffle();
  }

  private void shuffle() {
    order = new ArrayList<>(problems);
    Collections.shuffle(order, new Random(seed * 31 + epoch));
  }

  public Problem next() {
    if (index == order.size()) {
      epoch++;
      index = 0;
      shuffle();
    }
    return order.get(index++);
  }

  /** The cursor as one number: problems handed out since the first epoch began. */
  public long position() {
    return (long) epoch * order.size() + index;
  }

  /** Moves the cursor to {@code position} (a resumed run continues where its checkpoint stood). */
  public void seek(long position) {
    if (position < 0) {
      throw new IllegalArgumentException("feed position must be >= 0, got " + position);
    }
    epoch = Math.toIntExact(position / problems.size());
    index = (int) (position % problems.size());
    shuffle();
  }

  /** The problem at {@code position}, without moving the cursor. */
  public Problem at(long position) {
    if (position < 0) {
      throw new IllegalArgumentException("feed position must be >= 0, got " + position);
    }
    int e = Math.toIntExact(position / problems.size());
    int i = (int) (position % problems.size());
    if (e == epoch) {
      return order.get(i);
    }
    List<Problem> other = new ArrayList<>(problems);
    Collections.shuffle(other, new Random(seed * 31 + e));
    return other.get(i);
  }

  public int epoch() {
    return epoch;
  }

  public int index() {
    return index;
  }
}
