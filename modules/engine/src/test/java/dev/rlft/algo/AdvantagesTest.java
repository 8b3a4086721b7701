package dev.rlft.algo;

import static dev.rlft.algo.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AdvantagesTest {

  @Test
  void compute_grpoBinaryGroup_matchesHandValues() {
    // rewards 1, 0, 0, 0: mean = 0.25; deviations 0.75, -0.25, -0.25, -0.25;
    // Bessel variance = (0.5625 + 3 * 0.0625) / 3 = 0.75 / 3 = 0.25, std = 0.5;
    // A = 0.75 / (0.5 + 1e-6) = 1.499997, -0.25 / (0.5 + 1e-6) = -0.499999.
    float[] advantages = Advantages.compute(AdvantageEstimator.GRPO, new float[] {1, 0, 0, 0}, 4);

    assertArrayEquals(new float[] {1.499997f, -0.499999f, -0.499999f, -0.499999f}, advantages, 1e-6f);
  }

  @Test
  void compute_grpoTwoGroups_normalisesEachGroupSeparately() {
    // group 1 as above; group 2: 1, 2, 3, 6: mean 3, deviations -2, -1, 0, 3,
    // variance (4 + 1 + 0 + 9) / 3 = 14/3, std = 2.1602469; A = dev / (std + 1e-6).
    float[] advantages =
        Advantages.compute(AdvantageEstimator.GRPO, new float[] {1, 0, 0, 0, 1, 2, 3, 6}, 4);

    assertArrayEquals(
        new float[] {
          1.499997f, -0.499999f, -0.499999f, -0.499999f, -0.9258197f, -0.4629098f, 0f, 1.3887295f
        },
        advantages,
        1e-6f);
  }

  @Test
  void compute_drGrpo_onlyCentres() {
    // mean of 1, 2, 3, 6 is 3; no division by the std.
    float[] advantages = Advantages.compute(AdvantageEstimator.DR_GRPO, new float[] {1, 2, 3, 6}, 4);

    assertArrayEquals(new float[] {-2f, -1f, 0f, 3f}, advantages, 0f);
  }

  @ParameterizedTest
  @EnumSource(AdvantageEstimator.class)
  void compute_groupOfOne_givesZero(AdvantageEstimator est) {
    float[] advantages = Advantages.compute(est, new float[] {0.7f, -3f, 1f}, 1);

    assertArrayEquals(new float[] {0f, 0f, 0f}, advantages, 0f);
  }

  @ParameterizedTest
  @EnumSource(AdvantageEstimator.class)
  void compute_allEqualGroup_givesExactZero(AdvantageEstimator est) {
    // 0.1 is not representable, so a float32 mean need not equal the members: the rule, not the
    // rounding, must decide.
    float[] advantages =
        Advantages.compute(est, new float[] {0.1f, 0.1f, 0.1f, 1f, 0f, 0f}, 3);

    assertEquals(0f, advantages[0]);
    assertEquals(0f, advantages[1]);
    assertEquals(0f, advantages[2]);
    assertTrue(advantages[3] > 0f);
  }

  @ParameterizedTest
  @EnumSource(AdvantageEstimator.class)
  void computeDjl_allEqualGroup_givesExactZero(AdvantageEstimator est) {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray rewards = manager.create(new float[] {0.1f, 0.1f, 0.1f, 0.3f, 0.3f, 0.3f});

      float[] advantages = Advantages.compute(est, rewards, 3).toFloatArray();

      assertArrayEquals(new float[6], advantages, 0f);
    }
  }

  @ParameterizedTest
  @EnumSource(AdvantageEstimator.class)
  void computeDjl_seededRewards_matchesPlain(AdvantageEstimator est) {
    Random random = new Random(7);
    for (int groupSize : new int[] {1, 2, 5, 8}) {
      float[] rewards = new float[groupSize * 6];
      for (int i = 0; i < rewards.length; i++) {
        rewards[i] = i < groupSize ? 1f : (i % 3 == 0 ? (float) random.nextGaussian() : random.nextInt(2));
      }
      float[] expected = Advantages.compute(est, rewards, groupSize);
      try (NDManager manager = NDManager.newBaseManager()) {
        float[] actual = Advantages.compute(est, manager.create(rewards), groupSize).toFloatArray();

        assertClose(expected, actual, est + " groupSize " + groupSize);
      }
    }
  }

  @Test
  void compute_lengthNotMultipleOfGroup_throwsNamingBoth() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Advantages.compute(AdvantageEstimator.GRPO, new float[7], 4));

    assertTrue(e.getMessage().contains("7") && e.getMessage().contains("4"), e.getMessage());
  }

  @Test
  void compute_nonPositiveGroupSize_throws() {
    assertThrows(
        IllegalArgumentException.class,
        () -> Advantages.compute(AdvantageEstimator.GRPO, new float[4], 0));
  }

  @Test
  void compute_nanReward_throwsNamingIndex() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Advantages.compute(AdvantageEstimator.GRPO, new float[] {0, Float.NaN}, 2));

    assertTrue(e.getMessage().contains("rewards[1]"), e.getMessage());
  }

  @Test
  void parse_spellingVariants_findConstant() {
    assertEquals(AdvantageEstimator.GRPO, AdvantageEstimator.parse("grpo"));
    assertEquals(AdvantageEstimator.DR_GRPO, AdvantageEstimator.parse("dr-grpo"));
    assertEquals(AdvantageEstimator.DR_GRPO, AdvantageEstimator.parse(" Dr_GRPO "));
  }

  @Test
  void parse_unknownName_listsValidNames() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> AdvantageEstimator.parse("rloo"));

    assertTrue(e.getMessage().contains("'rloo'"), e.getMessage());
    assertTrue(e.getMessage().contains("grpo, dr_grpo"), e.getMessage());
  }
}
