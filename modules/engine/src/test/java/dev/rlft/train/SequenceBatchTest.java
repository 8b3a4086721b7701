package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Padding, the target mask (position j predicts token j+1) and per-target alignment. */
class SequenceBatchTest {

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  /**
   * Row 0: tokens [1, 5, 6, 7], targets from index 2 (tokens 6, 7), predicted at positions 1, 2.
   * Row 1: tokens [1, 8, 9], targets from index 1 (tokens 8, 9), predicted at positions 0, 1.
   */
  private static SequenceBatch example() {
    return new SequenceBatch(List.of(new int[] {1, 5, 6, 7}, new int[] {1, 8, 9}), new int[] {2, 1});
  }

  @Test
  void maskArray_handExample_marksPositionsPredictingTargets() {
    SequenceBatch b = example();

    assertEquals(2, b.size());
    assertEquals(4, b.width());
    assertEquals(4, b.targetCount());
    float[][] mask = b.maskArray();
    assertArrayEquals(new float[] {0f, 1f, 1f}, mask[0]);
    assertArrayEquals(new float[] {1f, 1f, 0f}, mask[1]);
  }

  @Test
  void mask_ndarray_equalsMaskArray() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray mask = example().mask(m);

      assertEquals(new Shape(2, 3), mask.getShape());
      assertArrayEquals(new float[] {0f, 1f, 1f, 1f, 1f, 0f}, mask.toFloatArray());
    }
  }

  @Test
  void tokens_ragged_rightPaddedWithPadId() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray tokens = example().tokens(m, 0);

      assertEquals(new Shape(2, 4), tokens.getShape());
      assertArrayEquals(new long[] {1, 5, 6, 7, 1, 8, 9, 0}, tokens.toLongArray());
    }
  }

  @Test
  void alignTargets_perRowValues_landOnMaskedPositions() {
    try (NDManager m = NDManager.newBaseManager()) {
      SequenceBatch b = example();
      NDArray aligned = b.alignTargets(m, List.of(new float[] {-0.6f, -0.7f}, new float[] {-0.8f, -0.9f}));

      assertEquals(new Shape(2, 3), aligned.getShape());
      assertArrayEquals(new float[] {0f, -0.6f, -0.7f, -0.8f, -0.9f, 0f}, aligned.toFloatArray());
    }
  }

  @Test
  void alignTargets_wrongCount_rejectedNamingRow() {
    try (NDManager m = NDManager.newBaseManager()) {
      SequenceBatch b = example();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> b.alignTargets(m, List.of(new float[] {-0.6f, -0.7f}, new float[] {-0.8f})));

      assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("expected 2"), e.getMessage());
    }
  }

  @Test
  void maskArray_targetStartAtEnd_rowHasNoTargets() {
    SequenceBatch b = new SequenceBatch(List.of(new int[] {1, 4, 5}, new int[] {1, 6}), new int[] {3, 1});

    assertEquals(1, b.targetCount());
    assertArrayEquals(new float[] {0f, 0f}, b.maskArray()[0]);
    assertArrayEquals(new float[] {1f, 0f}, b.maskArray()[1]);
  }

  @Test
  void constructor_mismatchedOrEmpty_rejected() {
    assertThrows(IllegalArgumentException.class, () -> new SequenceBatch(List.of(), new int[0]));
    assertThrows(IllegalArgumentException.class,
        () -> new SequenceBatch(List.of(new int[] {1, 2}), new int[] {1, 1}));
  }

  @Test
  void constructor_targetStartOutsideSequence_rejectedNamingValues() {
    IllegalArgumentException zero = assertThrows(IllegalArgumentException.class,
        () -> new SequenceBatch(List.of(new int[] {1, 2, 3}), new int[] {0}));
    IllegalArgumentException past = assertThrows(IllegalArgumentException.class,
        () -> new SequenceBatch(List.of(new int[] {1, 2, 3}), new int[] {4}));

    assertTrue(zero.getMessage().contains("target start 0") && zero.getMessage().contains("length 3"),
        zero.getMessage());
    assertTrue(past.getMessage().contains("target start 4"), past.getMessage());
  }
}
