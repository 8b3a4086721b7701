package dev.rlft.algo;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * How a per-token loss {@code [B, T]} and its 0/1 mask become one scalar.
 *
 * <p>Shared rules: a masked-out token contributes nothing; a sequence whose mask is all zero counts
 * as 0 and is left out of the sequence count; an empty batch (no unmasked token at all) gives 0.
 * The choice matters: averaging per sequence first gives every token of a short completion more
 * weight than a token of a long one, which DAPO and Dr. GRPO identify as a length bias.
 *
 * <p>The plain form skips masked entries; the DJL form multiplies by the mask, so there masked
 * entries of {@code perToken} must be finite (NaN times 0 is NaN).
 */
public enum LossAggregation {

  /**
   * Sum over all unmasked tokens divided by their number in the batch, so every token weighs the
   * same (DAPO, arXiv 2503.14476, token-level policy gradient loss). The default.
   */
  TOKEN_MEAN {
    @Override
    double combine(double[] rowSums, int[] rowCounts) {
      double sum = 0;
      long tokens = 0;
      for (int i = 0; i < rowSums.length; i++) {
        sum += rowSums[i];
        tokens += rowCounts[i];
      }
      return tokens == 0 ? 0 : sum / tokens;
    }

    @Override
    NDArray combine(NDArray rowSums, NDArray rowCounts) {
      return rowSums.sum().div(rowCounts.sum().maximum(1f));
    }
  },

  /**
   * Mean over sequences of each sequence's token mean, as in the original GRPO objective (arXiv
   * 2402.03300, eq. 3).
   */
  SEQ_MEAN_TOKEN_MEAN {
    @Override
    double combine(double[] rowSums, int[] rowCounts) {
      double sum = 0;
      int sequences = 0;
      for (int i = 0; i < rowSums.length; i++) {
        if (rowCounts[i] > 0) {
          sum += rowSums[i] / rowCounts[i];
          sequences++;
        }
      }
      return sequences == 0 ? 0 : sum / sequences;
    }

    @Override
    NDArray combine(NDArray rowSums, NDArray rowCounts) {
      return rowSums.div(rowCounts.maximum(1f)).sum().div(sequenceCount(rowCounts));
    }
  },

  /**
   * Mean over sequences of each sequence's token sum: no division by the sequence's length, which
   * is the length-unbiased direction of Dr. GRPO (arXiv 2503.20783; that paper divides by a
   * constant instead, which only rescales this).
   */
  SEQ_MEAN_TOKEN_SUM {
    @Override
    double combine(double[] rowSums, int[] rowCounts) {
      double sum = 0;
      int sequences = 0;
      for (int i = 0; i < rowSums.length; i++) {
        if (rowCounts[i] > 0) {
          sum += rowSums[i];
          sequences++;
        }
      }
      return sequences == 0 ? 0 : sum / sequences;
    }

    @Override
    NDArray combine(NDArray rowSums, NDArray rowCounts) {
      return rowSums.sum().div(sequenceCount(rowCounts));
    }
  };

  /** The scalar from per-sequence masked sums and unmasked-token counts, both {@code [B]}. */
  abstract double combine(double[] rowSums, int[] rowCounts);

  /** DJL form: {@code rowSums} and {@code rowCounts} are {@code [B]}; returns a scalar. */
  abstract NDArray combine(NDArray rowSums, NDArray rowCounts);

  /**
   * Plain reference.
   *
   * @param perToken {@code [B][T]} per-token values; rows are sequences; rows may differ in length
   *     as long as each matches its mask row; masked entries are ignored
   * @param mask same shape, each entry exactly 0 or 1
   * @return the aggregate, computed in double precision and rounded once
   * @throws IllegalArgumentException if the shapes differ or a mask entry is not 0 or 1
   */
  public float aggregate(float[][] perToken, float[][] mask) {
    Objects.requireNonNull(perToken, "perToken");
    Objects.requireNonNull(mask, "mask");
    if (perToken.length != mask.length) {
      throw new IllegalArgumentException(
          "perToken has " + perToken.length + " rows but mask has " + mask.length);
    }
    double[] rowSums = new double[perToken.length];
    int[] rowCounts = new int[perToken.length];
    for (int i = 0; i < perToken.length; i++) {
      if (perToken[i].length != mask[i].length) {
        throw new IllegalArgumentException(
            "row " + i + ": perToken has " + perToken[i].length + " entries but mask has "
                + mask[i].length);
      }
      for (int j = 0; j < perToken[i].length; j++) {
        float w = mask[i][j];
        if (w != 0f && w != 1f) {
          throw new IllegalArgumentException("mask[" + i + "][" + j + "] is " + w + ", must be 0 or 1");
        }
        if (w == 1f) {
          rowSums[i] += perToken[i][j];
          rowCounts[i]++;
        }
      }
    }
    return (float) combine(rowSums, rowCounts);
  }

  /**
   * DJL version.
   *
   * @param perToken {@code [B, T]}, finite everywhere (masked entries are multiplied by 0)
   * @param mask {@code [B, T]} of 0/1, same data type as {@code perToken} (float32 in practice)
   * @return a new scalar (shape {@code ()}) in {@code perToken}'s manager; intermediates derived
   *     from the mask alone land in {@code mask}'s manager. Gradient flows into {@code perToken}.
   * @throws IllegalArgumentException if the arrays are not 2-D of one shape and data type
   */
  public NDArray aggregate(NDArray perToken, NDArray mask) {
    Objects.requireNonNull(perToken, "perToken");
    Objects.requireNonNull(mask, "mask");
    if (perToken.getShape().dimension() != 2 || !perToken.getShape().equals(mask.getShape())) {
      throw new IllegalArgumentException(
          "perToken and mask must both be [B, T]; got " + perToken.getShape() + " and "
              + mask.getShape());
    }
    if (perToken.getDataType() != mask.getDataType()) {
      throw new IllegalArgumentException(
          "perToken is " + perToken.getDataType() + " but mask is " + mask.getDataType());
    }
    int[] tokens = {1};
    return combine(perToken.mul(mask).sum(tokens), mask.sum(tokens));
  }

  /**
   * Returns the aggregation with this name, ignoring case, {@code '-'} and {@code '_'} equivalent
   * (so {@code "seq-mean-token-mean"} is {@link #SEQ_MEAN_TOKEN_MEAN}).
   *
   * @throws IllegalArgumentException for an unknown name; the message lists the valid names
   */
  public static LossAggregation parse(String name) {
    return Names.parse(LossAggregation.class, "loss aggregation", name);
  }

  /** Number of sequences with at least one unmasked token, at least 1 (to keep 0 / 0 at 0). */
  private static NDArray sequenceCount(NDArray rowCounts) {
    return rowCounts.gt(0).toType(rowCounts.getDataType(), false).sum().maximum(1f);
  }
}
