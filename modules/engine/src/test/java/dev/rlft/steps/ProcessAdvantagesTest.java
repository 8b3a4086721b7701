package dev.rlft.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.steps.ProcessAdvantages.Completion;
import dev.rlft.steps.ProcessAdvantages.Normalisation;
import dev.rlft.steps.ProcessAdvantages.Weights;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ProcessAdvantagesTest {

  private static final float EPS = 1e-5f;

  /** c1: 5 tokens, steps ending at tokens 1 and 3; c2: 3 tokens, steps ending at 0 and 2. */
  private static List<Completion> group() {
    return List.of(
        new Completion(new float[] {1f, 0f}, new int[] {1, 3}, 5),
        new Completion(new float[] {0.5f, 1f}, new int[] {0, 2}, 3));
  }

  @Test
  void compute_grpo_matchesHandValues() {
    // pooled 1, 0, 0.5, 1: mean 0.625, Bessel std = sqrt(0.6875 / 3) = 0.47871355;
    // r~ = dev / (std + 1e-6) = 0.78334782, -1.30557969, -0.26111594, 0.78334782.
    // c1: t0, t1 see both steps (-0.52223188), t2, t3 the second (-1.30557969), t4 none (0).
    // c2: t0 sees both (0.52223188), t1, t2 the second (0.78334782).
    float[][] a = ProcessAdvantages.compute(AdvantageEstimator.GRPO, Normalisation.REWARDS, group());

    assertArrayEquals(new float[] {-0.52223188f, -0.52223188f, -1.30557969f, -1.30557969f, 0f}, a[0], EPS);
    assertArrayEquals(new float[] {0.52223188f, 0.78334782f, 0.78334782f}, a[1], EPS);
  }

  @Test
  void compute_drGrpo_onlyCentres() {
    // dev = 0.375, -0.625, -0.125, 0.375.
    float[][] a = ProcessAdvantages.compute(AdvantageEstimator.DR_GRPO, Normalisation.REWARDS, group());

    assertArrayEquals(new float[] {-0.25f, -0.25f, -0.625f, -0.625f, 0f}, a[0], EPS);
    assertArrayEquals(new float[] {0.25f, 0.375f, 0.375f}, a[1], EPS);
  }

  @Test
  void compute_returnsNormalisation_matchesHandValues() {
    // returns: c1 1, 0; c2 1.5, 1. Pooled mean 0.875, Bessel std = sqrt(1.1875 / 3) = 0.62915287;
    // G~ = 0.19867954, -1.39075676, 0.99339769, 0.19867954. A token takes its own step's G~.
    float[][] a = ProcessAdvantages.compute(AdvantageEstimator.GRPO, Normalisation.RETURNS, group());

    assertArrayEquals(new float[] {0.19867954f, 0.19867954f, -1.39075676f, -1.39075676f, 0f}, a[0], EPS);
    assertArrayEquals(new float[] {0.99339769f, 0.19867954f, 0.19867954f}, a[1], EPS);
  }

  @Test
  void normalisation_parse_listsValidNames() {
    assertEquals(Normalisation.RETURNS, Normalisation.parse("Returns"));
    assertEquals("unknown process normalisation 'steps'; valid names: rewards, returns",
        assertThrows(IllegalArgumentException.class, () -> Normalisation.parse("steps")).getMessage());
  }

  @Test
  void compute_outcomeAndProcess_weightedSum() {
    // Outcome 1, 0: A = ±0.5 / (sqrt(0.5) + 1e-6) = ±0.70710578, on every token; process as above, times 0.5.
    float[][] a = ProcessAdvantages.compute(
        AdvantageEstimator.GRPO, Normalisation.REWARDS, group(), new float[] {1f, 0f}, new Weights(1, 0.5));

    assertArrayEquals(new float[] {0.44598984f, 0.44598984f, 0.05431593f, 0.05431593f, 0.70710578f}, a[0], EPS);
    assertArrayEquals(new float[] {-0.44598984f, -0.31543187f, -0.31543187f}, a[1], EPS);
  }

  @ParameterizedTest
  @EnumSource(AdvantageEstimator.class)
  void compute_allStepRewardsEqual_exactZero(AdvantageEstimator est) {
    List<Completion> g = List.of(
        new Completion(new float[] {0.1f, 0.1f}, new int[] {0, 1}, 2),
        new Completion(new float[] {0.1f}, new int[] {0}, 4));

    float[][] a = ProcessAdvantages.compute(est, Normalisation.REWARDS, g);

    assertArrayEquals(new float[] {0f, 0f}, a[0], 0f);
    assertArrayEquals(new float[] {0f, 0f, 0f, 0f}, a[1], 0f);
  }

  @Test
  void compute_allReturnsEqualButRewardsNot_returnsNormalisationGivesZero() {
    // Returns 1, 1 and 1: nothing to prefer, though the rewards 0, 1 and 1 differ.
    List<Completion> g = List.of(
        new Completion(new float[] {0f, 1f}, new int[] {0, 1}, 2),
        new Completion(new float[] {1f}, new int[] {0}, 1));

    float[][] a = ProcessAdvantages.compute(AdvantageEstimator.GRPO, Normalisation.RETURNS, g);

    assertArrayEquals(new float[] {0f, 0f}, a[0], 0f);
    assertArrayEquals(new float[] {0f}, a[1], 0f);
  }

  @ParameterizedTest
  @EnumSource(Normalisation.class)
  void compute_noStepsAnywhere_zeros(Normalisation norm) {
    List<Completion> g = List.of(new Completion(new float[0], new int[0], 3), new Completion(new float[0], new int[0], 0));

    float[][] a = ProcessAdvantages.compute(AdvantageEstimator.GRPO, norm, g);

    assertArrayEquals(new float[] {0f, 0f, 0f}, a[0], 0f);
    assertEquals(0, a[1].length);
  }

  @Test
  void compute_twoStepsOnOneToken_bothCounted() {
    List<Completion> g = List.of(
        new Completion(new float[] {1f, 0f}, new int[] {1, 1}, 2),
        new Completion(new float[] {0f}, new int[] {0}, 1));

    float[][] a = ProcessAdvantages.compute(AdvantageEstimator.DR_GRPO, Normalisation.REWARDS, g);

    // mean 1/3: r~ = 2/3, -1/3, -1/3.
    assertArrayEquals(new float[] {1f / 3, 1f / 3}, a[0], EPS);
    assertArrayEquals(new float[] {-1f / 3}, a[1], EPS);
  }

  @ParameterizedTest
  @EnumSource(AdvantageEstimator.class)
  void compute_randomGroups_matchDirectFormulas(AdvantageEstimator est) {
    Random random = new Random(3);
    for (int trial = 0; trial < 100; trial++) {
      List<Completion> g = new ArrayList<>();
      int size = 1 + random.nextInt(6);
      for (int i = 0; i < size; i++) {
        int length = random.nextInt(12);
        int steps = length == 0 ? 0 : random.nextInt(5);
        int[] ends = random.ints(steps, 0, Math.max(length, 1)).sorted().toArray();
        float[] rewards = new float[steps];
        for (int j = 0; j < steps; j++) {
          rewards[j] = random.nextFloat() * 2 - 1;
        }
        g.add(new Completion(rewards, ends, length));
      }

      float[][] fast = ProcessAdvantages.compute(est, Normalisation.REWARDS, g);
      float[][] byReturns = ProcessAdvantages.compute(est, Normalisation.RETURNS, g);
      float[] normalised = ProcessAdvantages.normalisedPool(est, Normalisation.REWARDS, g);
      float[] normalisedReturns = ProcessAdvantages.normalisedPool(est, Normalisation.RETURNS, g);

      int offset = 0;
      for (int i = 0; i < size; i++) {
        Completion c = g.get(i);
        for (int t = 0; t < c.length(); t++) {
          double direct = 0;
          double ownReturn = 0;
          boolean found = false;
          for (int j = 0; j < c.stepEnds().length; j++) {
            if (c.stepEnds()[j] >= t) {
              direct += normalised[offset + j];
              if (!found) {
                ownReturn = normalisedReturns[offset + j];
                found = true;
              }
            }
          }
          assertEquals((float) direct, fast[i][t], EPS);
          assertEquals((float) ownReturn, byReturns[i][t], EPS);
        }
        offset += c.stepEnds().length;
      }
    }
  }

  @Test
  void completion_invalid_rejectedWithMessages() {
    assertEquals("stepEnds[1] = 5 is outside the completion's 5 tokens",
        assertThrows(IllegalArgumentException.class, () -> new Completion(new float[2], new int[] {0, 5}, 5)).getMessage());
    assertEquals("stepEnds must be non-decreasing, got 3 then 1 at 1",
        assertThrows(IllegalArgumentException.class, () -> new Completion(new float[2], new int[] {3, 1}, 5)).getMessage());
    assertEquals("2 step rewards but 1 step ends",
        assertThrows(IllegalArgumentException.class, () -> new Completion(new float[2], new int[] {0}, 5)).getMessage());
    assertEquals("stepRewards[0] is NaN, must be finite",
        assertThrows(IllegalArgumentException.class, () -> new Completion(new float[] {Float.NaN}, new int[] {0}, 1)).getMessage());
    assertEquals("length must be >= 0, got -1",
        assertThrows(IllegalArgumentException.class, () -> new Completion(new float[0], new int[0], -1)).getMessage());
  }

  @Test
  void compute_badGroupOrOutcome_rejectedWithMessages() {
    AdvantageEstimator grpo = AdvantageEstimator.GRPO;
    Normalisation rewards = Normalisation.REWARDS;
    Weights even = new Weights(1, 1);
    assertEquals("a group needs at least one completion", assertThrows(IllegalArgumentException.class,
        () -> ProcessAdvantages.compute(grpo, rewards, List.of())).getMessage());
    assertEquals("1 outcome rewards for a group of 2 completions", assertThrows(IllegalArgumentException.class,
        () -> ProcessAdvantages.compute(grpo, rewards, group(), new float[] {1f}, even)).getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> ProcessAdvantages.compute(grpo, rewards, group(), new float[] {1f, Float.NaN}, even));
    assertEquals("outcome and process weights are both 0",
        assertThrows(IllegalArgumentException.class, () -> new Weights(0, 0)).getMessage());
  }

  @Test
  void completion_arraysCopied_callerCannotMutate() {
    float[] rewards = {1f};
    Completion c = new Completion(rewards, new int[] {0}, 1);

    rewards[0] = 5f;
    c.stepRewards()[0] = 7f;

    assertEquals(1f, c.stepRewards()[0]);
  }
}
