package dev.rlft.algo;

import static dev.rlft.algo.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class LossAggregationTest {

  // Row sums over unmasked tokens: 1+2+3 = 6, 10, and nothing (row 2 is fully masked);
  // unmasked counts 3, 1, 0. Row 0's masked 4 and row 2's 5s must not count.
  private static final float[][] PER_TOKEN = {{1, 2, 3, 4}, {10, 20, 30, 40}, {5, 5, 5, 5}};
  private static final float[][] RAGGED_MASK = {{1, 1, 1, 0}, {1, 0, 0, 0}, {0, 0, 0, 0}};

  @ParameterizedTest
  @CsvSource({
    "TOKEN_MEAN, 4", //          (6 + 10) / (3 + 1)
    "SEQ_MEAN_TOKEN_MEAN, 6", // (6/3 + 10/1) / 2 sequences; the empty row is not counted
    "SEQ_MEAN_TOKEN_SUM, 8" //   (6 + 10) / 2 sequences
  })
  void aggregate_raggedMask_matchesHandValue(LossAggregation aggregation, float expected) {
    assertEquals(expected, aggregation.aggregate(PER_TOKEN, RAGGED_MASK), 1e-6f);
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray actual =
          aggregation.aggregate(manager.create(PER_TOKEN), manager.create(RAGGED_MASK));

      assertEquals(0, actual.getShape().dimension());
      assertEquals(expected, actual.toFloatArray()[0], 1e-6f);
    }
  }

  @ParameterizedTest
  @EnumSource(LossAggregation.class)
  void aggregate_allMasked_givesZero(LossAggregation aggregation) {
    float[][] mask = new float[3][4];

    assertEquals(0f, aggregation.aggregate(PER_TOKEN, mask));
    try (NDManager manager = NDManager.newBaseManager()) {
      assertEquals(
          0f,
          aggregation.aggregate(manager.create(PER_TOKEN), manager.create(mask)).toFloatArray()[0]);
    }
  }

  @ParameterizedTest
  @EnumSource(LossAggregation.class)
  void aggregateDjl_seededInputs_matchesPlain(LossAggregation aggregation) {
    Random random = new Random(11);
    float[][] perToken = Fixtures.perturb(random, new float[7][13], 3.0);
    float[][] mask = Fixtures.raggedMask(random, 7, 13, 2, 5);
    try (NDManager manager = NDManager.newBaseManager()) {
      float actual =
          aggregation.aggregate(manager.create(perToken), manager.create(mask)).toFloatArray()[0];

      assertClose(aggregation.aggregate(perToken, mask), actual, aggregation.name());
    }
  }

  @Test
  void aggregate_nonBinaryMask_throwsNamingEntry() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LossAggregation.TOKEN_MEAN.aggregate(new float[][] {{1, 2}}, new float[][] {{1, 0.5f}}));

    assertTrue(e.getMessage().contains("mask[0][1]"), e.getMessage());
  }

  @Test
  void aggregateDjl_shapeMismatch_throws() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray perToken = manager.create(new float[][] {{1, 2}});
      NDArray mask = manager.create(new float[][] {{1, 1, 1}});

      assertThrows(
          IllegalArgumentException.class,
          () -> LossAggregation.TOKEN_MEAN.aggregate(perToken, mask));
    }
  }

  @Test
  void parse_spellingVariants_findConstant() {
    assertEquals(LossAggregation.TOKEN_MEAN, LossAggregation.parse("token-mean"));
    assertEquals(LossAggregation.SEQ_MEAN_TOKEN_MEAN, LossAggregation.parse("seq-mean-token-mean"));
    assertEquals(LossAggregation.SEQ_MEAN_TOKEN_SUM, LossAggregation.parse("Seq_Mean_Token_Sum"));
  }

  @Test
  void parse_unknownName_listsValidNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LossAggregation.parse("seq-mean"));

    assertTrue(
        e.getMessage().contains("token_mean, seq_mean_token_mean, seq_mean_token_sum"),
        e.getMessage());
  }
}
