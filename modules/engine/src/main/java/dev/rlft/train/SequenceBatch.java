package dev.rlft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.rlft.model.LlamaModel;
import java.util.List;

/**
 * Right-padded token sequences with a mask over the positions that are trained on.
 *
 * <p>Position j of {@link #mask} refers to predicting token j+1, matching {@link
 * dev.rlft.model.TokenLogProbs}: mask[b][j] = 1 when {@code targetStart[b] <= j+1 < length[b]}.
 */
public final class SequenceBatch {

  private final int[][] rows;
  private final int[] targetStart;
  private final int width;

  public SequenceBatch(List<int[]> sequences, int[] targetStart) {
    if (sequences.size() != targetStart.length || sequences.isEmpty()) {
      throw new IllegalArgumentException("need one target start per sequence and at least one sequence");
    }
    this.rows = sequences.toArray(new int[0][]);
    this.targetStart = targetStart.clone();
    int w = 0;
    for (int i = 0; i < rows.length; i++) {
      if (targetStart[i] < 1 || targetStart[i] > rows[i].length) {
        throw new IllegalArgumentException("target start " + targetStart[i] + " outside sequence of length " + rows[i].length);
      }
      w = Math.max(w, rows[i].length);
    }
    this.width = w;
  }

  public int size() {
    return rows.length;
  }

  /**
   * The rows {@code indices}, in that order, as a batch of their own (its width is the longest of
   * them, so it may be narrower than this one).
   *
   * @throws IllegalArgumentException for no index or one out of range
   */
  public SequenceBatch rows(int[] indices) {
    List<int[]> picked = new java.util.ArrayList<>(indices.length);
    int[] starts = new int[indices.length];
    for (int i = 0; i < indices.length; i++) {
      if (indices[i] < 0 || indices[i] >= rows.length) {
        throw new IllegalArgumentException("row " + indices[i] + " outside a batch of " + rows.length);
      }
      picked.add(rows[indices[i]]);
      starts[i] = targetStart[indices[i]];
    }
    return new SequenceBatch(picked, starts);
  }

  public int width() {
    return width;
  }

  /** Number of trained positions. */
  public int targetCount() {
    int n = 0;
    for (int i = 0; i < rows.length; i++) {
      n += rows[i].length - targetStart[i];
    }
    return n;
  }

  public NDArray tokens(NDManager m, int pad) {
    return LlamaModel.tokenArray(m, rows, width, pad);
  }

  /** [B, width-1] float mask. */
  public float[][] maskArray() {
    float[][] mask = new float[rows.length][width - 1];
    for (int b = 0; b < rows.length; b++) {
      for (int j = targetStart[b] - 1; j < rows[b].length - 1; j++) {
        mask[b][j] = 1f;
      }
    }
    return mask;
  }

  public NDArray mask(NDManager m) {
    float[] flat = new float[rows.length * (width - 1)];
    float[][] mask = maskArray();
    for (int b = 0; b < rows.length; b++) {
      System.arraycopy(mask[b], 0, flat, b * (width - 1), width - 1);
    }
    return m.create(flat, new Shape(rows.length, width - 1));
  }

  /** Spreads per-target values (one array per row, aligned with its targets) onto [B, width-1]. */
  public NDArray alignTargets(NDManager m, List<float[]> perRow) {
    float[] flat = new float[rows.length * (width - 1)];
    for (int b = 0; b < rows.length; b++) {
      float[] v = perRow.get(b);
      int expected = rows[b].length - targetStart[b];
      if (v.length != expected) {
        throw new IllegalArgumentException("row " + b + " has " + v.length + " target values, expected " + expected);
      }
      System.arraycopy(v, 0, flat, b * (width - 1) + targetStart[b] - 1, v.length);
    }
    return m.create(flat, new Shape(rows.length, width - 1));
  }
}
