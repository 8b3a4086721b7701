package dev.rlft.steps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HackingSentinelTest {

  private static List<HackingSentinel.Decision> feed(HackingSentinel s, int steps,
      java.util.function.IntFunction<Map<String, Double>> metrics) {
    List<HackingSentinel.Decision> out = new ArrayList<>();
    for (int i = 1; i <= steps; i++) {
      s.observe(i, metrics.apply(i)).ifPresent(out::add);
    }
    return out;
  }

  @Test
  void prmRisingWhileAccuracyFalls_fires_once_perWindow() {
    HackingSentinel s = new HackingSentinel(HackingSentinel.Config.defaults(HackingSentinel.Action.SWITCH_CREDIT));
    List<HackingSentinel.Decision> d = feed(s, 12, i -> Map.of("prm_score_mean", 0.5 + 0.03 * i,
        "accuracy", 0.6 - 0.02 * i, "step_chars_mean", 8.0, "steps_mean", 3.0, "kl", 0.01, "entropy", 0.08));
    assertEquals(1, d.size(), d::toString);
    assertEquals(HackingSentinel.Action.SWITCH_CREDIT, d.get(0).action());
    assertTrue(d.get(0).reason().contains("PRM reward rose"), d.get(0).reason());
    assertEquals(10, d.get(0).step());
  }

  @Test
  void collapsingStepsAndRunawayKl_fire_steadyRunDoesNot() {
    HackingSentinel steady = new HackingSentinel(HackingSentinel.Config.defaults(HackingSentinel.Action.WARN));
    assertTrue(feed(steady, 30, i -> Map.of("prm_score_mean", 0.6, "accuracy", 0.6, "step_chars_mean", 8.0,
        "steps_mean", 3.0, "kl", 0.01, "entropy", 0.08)).isEmpty());
    HackingSentinel shortSteps = new HackingSentinel(HackingSentinel.Config.defaults(HackingSentinel.Action.PAUSE));
    List<HackingSentinel.Decision> d = feed(shortSteps, 10, i -> Map.of("step_chars_mean", i <= 5 ? 8.0 : 3.0,
        "steps_mean", 3.0, "accuracy", 0.6));
    assertTrue(d.get(0).reason().contains("steps got short"), d.toString());
    HackingSentinel kl = new HackingSentinel(HackingSentinel.Config.defaults(HackingSentinel.Action.RAISE_BETA));
    assertTrue(feed(kl, 10, i -> Map.of("kl", i <= 5 ? 0.01 : 2.0)).get(0).reason().contains("KL ran away"));
    HackingSentinel noMetrics = new HackingSentinel(HackingSentinel.Config.defaults(HackingSentinel.Action.WARN));
    assertEquals(Optional.empty(), noMetrics.observe(20, Map.of()));
  }

  @Test
  void state_encodedAndRestoredMidRun_givesTheDecisionsOfAnUninterruptedSentinel() {
    java.util.function.IntFunction<Map<String, Double>> drift = i -> Map.of("prm_score_mean", 0.5 + 0.03 * i,
        "accuracy", 0.6 - 0.02 * i, "step_chars_mean", 8.0 - 0.1 * i, "steps_mean", 3.0, "kl", 0.01 * i,
        "entropy", 0.08, "loss", 1.0 / 3);
    HackingSentinel.Config config = HackingSentinel.Config.defaults(HackingSentinel.Action.GUARD);
    HackingSentinel straight = new HackingSentinel(config);
    List<HackingSentinel.Decision> all = feed(straight, 24, drift);
    assertTrue(all.size() >= 2, "the drift must fire more than once for this test to see the quiet period: " + all);

    HackingSentinel first = new HackingSentinel(config);
    List<HackingSentinel.Decision> before = new ArrayList<>();
    for (int i = 1; i <= 11; i++) {
      first.observe(i, drift.apply(i)).ifPresent(before::add);
    }
    String saved = first.state().encode();
    HackingSentinel resumed = new HackingSentinel(config);
    resumed.restore(HackingSentinel.State.decode(saved));
    List<HackingSentinel.Decision> after = new ArrayList<>();
    for (int i = 12; i <= 24; i++) {
      resumed.observe(i, drift.apply(i)).ifPresent(after::add);
    }

    before.addAll(after);
    assertEquals(all, before);
    assertEquals(first.state(), HackingSentinel.State.decode(saved), "the text reads back exactly");
    assertTrue(!saved.contains("loss"), "only the watched metrics are kept: " + saved);
  }

  @Test
  void state_badTextOrAnotherWindow_isRejected() {
    assertThrows(IllegalArgumentException.class, () -> HackingSentinel.State.decode("3;0;{accuracy=x}"));
    assertThrows(IllegalArgumentException.class, () -> HackingSentinel.State.decode("1;0;{accuracy=0.5;"));
    HackingSentinel.State twoSteps = new HackingSentinel.State(2, 0, List.of(Map.of("kl", 0.1), Map.of("kl", 0.2)),
        List.of(Map.of("kl", 0.1), Map.of("kl", 0.2)));
    HackingSentinel windowOfFive = new HackingSentinel(HackingSentinel.Config.defaults(HackingSentinel.Action.WARN));
    windowOfFive.restore(twoSteps);
    HackingSentinel windowOfOne = new HackingSentinel(new HackingSentinel.Config(1, 0.05, 0.05, 0.4, 0.5, 0.5, 1,
        HackingSentinel.Action.WARN, 2, CreditAssignment.MIN));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> windowOfOne.restore(twoSteps));
    assertTrue(e.getMessage().contains("window is 1"), e.getMessage());
  }

  @Test
  void badSettings_areRejected() {
    assertThrows(IllegalArgumentException.class, () -> HackingSentinel.Action.parse("explode"));
    assertEquals(HackingSentinel.Action.RAISE_BETA, HackingSentinel.Action.parse("raise-beta"));
    assertThrows(IllegalArgumentException.class, () -> new HackingSentinel.Config(0, 0.05, 0.05, 0.4, 0.5, 0.5, 1,
        HackingSentinel.Action.WARN, 2, CreditAssignment.MIN));
  }
}
