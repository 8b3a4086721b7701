package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Warm-up, cosine decay and the constant schedule. */
class LrScheduleTest {

  private static final float TOL = 1e-7f;

  @Test
  void at_duringWarmup_risesLinearlyToPeak() {
    LrSchedule s = new LrSchedule(1e-3f, 4, 20, 0.1f);

    assertEquals(0.25e-3f, s.at(1), TOL);
    assertEquals(0.5e-3f, s.at(2), TOL);
    assertEquals(0.75e-3f, s.at(3), TOL);
    assertEquals(1e-3f, s.at(4), TOL);
  }

  @Test
  void at_cosine_halfwayIsMidpointAndEndIsPeakTimesMinRatio() {
    // warm-up 4, decay over steps 4..24: progress 0.5 at step 14, cosine factor 0.5.
    LrSchedule s = new LrSchedule(1e-3f, 4, 24, 0.1f);

    assertEquals(1e-3f * (0.1f + 0.9f * 0.5f), s.at(14), TOL);
    assertEquals(1e-4f, s.at(24), TOL);
    assertEquals(1e-4f, s.at(25), TOL, "constant after the last step");
    assertEquals(1e-4f, s.at(1_000), TOL);
    assertTrue(s.at(10) > s.at(11) && s.at(11) > s.at(12), "decreasing during the decay");
  }

  @Test
  void at_noWarmup_startsAtPeak() {
    LrSchedule s = new LrSchedule(2e-3f, 0, 10, 0f);

    assertEquals(2e-3f * (float) (0.5 * (1 + Math.cos(Math.PI * 0.1))), s.at(1), TOL);
    assertEquals(0f, s.at(10), TOL);
  }

  @Test
  void constant_anyStep_isPeak() {
    LrSchedule s = LrSchedule.constant(5e-5f);

    assertEquals(5e-5f, s.at(1));
    assertEquals(5e-5f, s.at(100));
    assertEquals(5e-5f, s.at(1_000_000));
  }

  @Test
  void at_totalStepsNotBeyondWarmup_constantPeakAfterWarmup() {
    LrSchedule s = new LrSchedule(1e-3f, 5, 0, 0.1f);

    assertEquals(0.2e-3f, s.at(1), TOL);
    assertEquals(1e-3f, s.at(6));
    assertEquals(1e-3f, s.at(500));
  }

  @Test
  void constructor_badValues_rejectedNamingValue() {
    assertMessage(() -> new LrSchedule(-1f, 0, 0, 1f), "-1.0");
    assertMessage(() -> new LrSchedule(Float.NaN, 0, 0, 1f), "NaN");
    assertMessage(() -> new LrSchedule(Float.POSITIVE_INFINITY, 0, 0, 1f), "Infinity");
    assertMessage(() -> new LrSchedule(1f, -3, 0, 1f), "-3");
    assertMessage(() -> new LrSchedule(1f, 0, -7, 1f), "-7");
    assertMessage(() -> new LrSchedule(1f, 0, 10, 1.5f), "1.5");
  }

  private static void assertMessage(Runnable r, String part) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    assertTrue(e.getMessage().contains(part), "'" + part + "' in: " + e.getMessage());
  }
}
