package dev.rlft.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.steps.CreditAssignment.Params;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class CreditAssignmentTest {

  private static final float[] SCORES = {0.9f, 0.2f, 0.6f};
  private static final Params NO_GATE = new Params(0.5, 0.0, OutcomeGate.NONE);
  private static final float EPS = 1e-6f;

  private static float[] rewards(CreditAssignment rule, float[] scores, boolean correct, Params params) {
    return rule.stepRewards(scores, correct, params);
  }

  @Test
  void sum_rewardIsScore_returnSumsLaterSteps() {
    float[] r = rewards(CreditAssignment.SUM, SCORES, true, NO_GATE);

    assertArrayEquals(new float[] {0.9f, 0.2f, 0.6f}, r, EPS);
    assertArrayEquals(new float[] {1.7f, 0.8f, 0.6f}, CreditAssignment.returns(r), EPS);
  }

  @Test
  void minStrict_onlyTheLowestStepRewarded_firstReturnIsMinimum() {
    float[] r = rewards(CreditAssignment.MIN, SCORES, true, NO_GATE);

    assertArrayEquals(new float[] {0f, 0.2f, 0f}, r, EPS);
    assertArrayEquals(new float[] {0.2f, 0.2f, 0f}, CreditAssignment.returns(r), EPS);
  }

  @Test
  void minStrict_tiedMinima_shareTheWeight() {
    float[] r = rewards(CreditAssignment.MIN, new float[] {0.3f, 0.8f, 0.3f}, true, NO_GATE);

    assertArrayEquals(new float[] {0.15f, 0f, 0.15f}, r, EPS);
    assertEquals(0.3f, CreditAssignment.returns(r)[0], EPS);
  }

  @Test
  void minSoft_temperatureTenth_matchesHandSoftmin() {
    // w ∝ exp(-(s - 0.2) / 0.1) = exp(-7), 1, exp(-4); normalised 0.00089468, 0.98113520, 0.01797012;
    // r = w * s = 0.00080521, 0.19622704, 0.01078207; G_1 = 0.20781432.
    float[] r = rewards(CreditAssignment.MIN, SCORES, true, new Params(0.5, 0.1, OutcomeGate.NONE));

    assertArrayEquals(new float[] {0.00080521f, 0.19622704f, 0.01078207f}, r, EPS);
    assertEquals(0.20781432f, CreditAssignment.returns(r)[0], EPS);
  }

  @Test
  void minSoft_highTemperature_approachesMean() {
    float[] r = rewards(CreditAssignment.MIN, SCORES, true, new Params(0.5, 1e6, OutcomeGate.NONE));

    assertEquals((0.9f + 0.2f + 0.6f) / 3, CreditAssignment.returns(r)[0], 1e-5f);
  }

  @Test
  void clip_onlyStepsBelowThresholdPenalised() {
    float[] r = rewards(CreditAssignment.CLIP, SCORES, true, NO_GATE);

    assertArrayEquals(new float[] {0f, -0.3f, 0f}, r, EPS);
    assertArrayEquals(new float[] {-0.3f, -0.3f, 0f}, CreditAssignment.returns(r), EPS);
  }

  @Test
  void delta_differenceOfConsecutiveScores_returnIsOwnScore() {
    float[] r = rewards(CreditAssignment.DELTA, SCORES, true, NO_GATE);

    assertArrayEquals(new float[] {0.7f, -0.4f, 0.6f}, r, EPS);
    assertArrayEquals(SCORES, CreditAssignment.returns(r), EPS);
  }

  @Test
  void clipDelta_deltaOfClippedScores() {
    // clipped: 0, -0.3, 0; delta: 0 - (-0.3), -0.3 - 0, 0.
    float[] r = rewards(CreditAssignment.CLIP_DELTA, SCORES, true, NO_GATE);

    assertArrayEquals(new float[] {0.3f, -0.3f, 0f}, r, EPS);
    assertArrayEquals(new float[] {0f, -0.3f, 0f}, CreditAssignment.returns(r), EPS);
  }

  @Test
  void repeatedHighScoredSteps_raiseSumButNotMinOrDelta() {
    float[] honest = {0.3f, 0.8f};
    float[] padded = {0.9f, 0.9f, 0.9f, 0.3f, 0.8f};

    float sumGain = CreditAssignment.returns(rewards(CreditAssignment.SUM, padded, true, NO_GATE))[0]
        - CreditAssignment.returns(rewards(CreditAssignment.SUM, honest, true, NO_GATE))[0];
    float minPadded = CreditAssignment.returns(rewards(CreditAssignment.MIN, padded, true, NO_GATE))[0];
    float deltaPadded = CreditAssignment.returns(rewards(CreditAssignment.DELTA, padded, true, NO_GATE))[0];

    assertEquals(2.7f, sumGain, EPS);
    assertEquals(0.3f, minPadded, EPS);
    assertEquals(0.9f, deltaPadded, EPS); // its own first score, bounded by 1 however long
  }

  @Test
  void gateSteps_wrongAnswer_capsEachReward() {
    float[] r = rewards(CreditAssignment.DELTA, SCORES, false, new Params(0.5, 0, OutcomeGate.STEPS));

    assertArrayEquals(new float[] {0f, -0.4f, 0f}, r, EPS);
  }

  @Test
  void gateReturns_wrongAnswer_capsEachReturn() {
    double[] r = {0.5, -0.8, 0.2};

    OutcomeGate.RETURNS.apply(r);

    // returns -0.1, -0.6, 0.2 capped to -0.1, -0.6, 0; rewards are their differences.
    assertArrayEquals(new double[] {0.5, -0.6, 0.0}, r, 1e-12);
  }

  @Test
  void gateReturns_wrongAnswerNonNegativeRewards_allZero() {
    float[] r = rewards(CreditAssignment.SUM, SCORES, false, Params.DEFAULT);

    assertArrayEquals(new float[] {0f, 0f, 0f}, r, 0f);
  }

  @Test
  void gate_correctAnswer_notApplied() {
    float[] r = rewards(CreditAssignment.SUM, SCORES, true, new Params(0.5, 0, OutcomeGate.STEPS));

    assertArrayEquals(SCORES, r, EPS);
  }

  @ParameterizedTest
  @EnumSource(CreditAssignment.class)
  void anyRule_randomScores_wrongAnswerNeverHasPositiveReturn(CreditAssignment rule) {
    Random random = new Random(7);
    for (OutcomeGate gate : new OutcomeGate[] {OutcomeGate.STEPS, OutcomeGate.RETURNS}) {
      for (int trial = 0; trial < 200; trial++) {
        float[] scores = randomScores(random, random.nextInt(8));
        Params params = new Params(random.nextDouble(), random.nextDouble() * 0.5, gate);

        float[] returns = CreditAssignment.returns(rule.stepRewards(scores, false, params));

        for (float g : returns) {
          assertTrue(g <= 1e-6f, rule + " " + gate + " gave return " + g);
        }
      }
    }
  }

  @Test
  void returns_randomScores_matchTheDocumentedForms() {
    Random random = new Random(8);
    for (int trial = 0; trial < 200; trial++) {
      float[] s = randomScores(random, 1 + random.nextInt(8));
      double eta = random.nextDouble();
      Params params = new Params(eta, 0.0, OutcomeGate.NONE);
      float min = Float.MAX_VALUE;
      for (float x : s) {
        min = Math.min(min, x);
      }

      float[] minReturns = CreditAssignment.returns(CreditAssignment.MIN.stepRewards(s, true, params));
      float[] deltaReturns = CreditAssignment.returns(CreditAssignment.DELTA.stepRewards(s, true, params));
      float[] clipDeltaReturns = CreditAssignment.returns(CreditAssignment.CLIP_DELTA.stepRewards(s, true, params));

      assertEquals(min, minReturns[0], 1e-6f);
      for (int i = 0; i < s.length; i++) {
        assertEquals(s[i], deltaReturns[i], 1e-6f);
        assertEquals((float) Math.min(s[i] - eta, 0), clipDeltaReturns[i], 1e-6f);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(CreditAssignment.class)
  void anyRule_noSteps_noRewards(CreditAssignment rule) {
    assertEquals(0, rule.stepRewards(new float[0], false, Params.DEFAULT).length);
  }

  @Test
  void stepRewards_scoreOutsideUnitInterval_rejectedWithMessage() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> CreditAssignment.SUM.stepRewards(new float[] {0.5f, 1.5f}, true, Params.DEFAULT));
    assertEquals("scores[1] is 1.5, must be in [0, 1]", e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> CreditAssignment.MIN.stepRewards(new float[] {Float.NaN}, true, Params.DEFAULT));
    assertThrows(IllegalArgumentException.class,
        () -> CreditAssignment.MIN.stepRewards(new float[] {-0.01f}, true, Params.DEFAULT));
  }

  @Test
  void params_badTemperatureOrThreshold_rejectedWithMessage() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new Params(0.5, -0.1, OutcomeGate.NONE));
    assertEquals("minTemperature must be finite and >= 0, got -0.1", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new Params(0.5, Double.NaN, OutcomeGate.NONE));
    assertThrows(IllegalArgumentException.class, () -> new Params(Double.POSITIVE_INFINITY, 0, OutcomeGate.NONE));
    assertThrows(NullPointerException.class, () -> new Params(0.5, 0, null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"clip-delta", "CLIP_DELTA", " Clip-Delta "})
  void parse_spellings_acceptedLikeTheAlgoRegistries(String name) {
    assertEquals(CreditAssignment.CLIP_DELTA, CreditAssignment.parse(name));
  }

  @Test
  void parse_unknownName_listsValidNames() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CreditAssignment.parse("max"));
    assertEquals("unknown credit assignment 'max'; valid names: sum, min, clip, delta, clip_delta", e.getMessage());
    IllegalArgumentException g = assertThrows(IllegalArgumentException.class, () -> OutcomeGate.parse("x"));
    assertEquals("unknown outcome gate 'x'; valid names: none, steps, returns", g.getMessage());
    assertEquals(OutcomeGate.RETURNS, OutcomeGate.parse("returns"));
  }

  private static float[] randomScores(Random random, int n) {
    float[] s = new float[n];
    for (int i = 0; i < n; i++) {
      s[i] = random.nextInt(4) == 0 ? (float) random.nextInt(2) : random.nextFloat();
    }
    return s;
  }
}
