package dev.rlft.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rlft.health.HealthMonitor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Step records and health rows become the Prometheus metrics the docs and the Grafana dashboard name. */
class TrainingMetricsTest {

  private static Map<String, Object> grpoStep(int step) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", step);
    m.put("weight_version", (long) step);
    m.put("staleness", 1L);
    m.put("reward", 0.75);
    m.put("accuracy", 0.5);
    m.put("prm_score_mean", 0.8);
    m.put("steps_mean", 3.5);
    m.put("step_chars_mean", 12.0);
    m.put("prm_fallback", 1.0);
    m.put("loss", -0.1);
    m.put("pg_loss", -0.2);
    m.put("kl", 0.01);
    m.put("clip_frac", 0.05);
    m.put("entropy", 1.25);
    m.put("skipped", 0.0);
    m.put("grad_norm", 2.0);
    m.put("tokens", 300.0);
    m.put("train_seconds", 1.5);
    m.put("gen_tokens", 320.0);
    m.put("gen_tokens_per_s", 640.0);
    m.put("weight_sync_bytes", 4096.0);
    m.put("sentinel_action", 1.0);
    return m;
  }

  private static HealthMonitor.HealthReport health() {
    LinkedHashMap<String, Double> rollout = new LinkedHashMap<>();
    rollout.put("weight_sync_seconds", 0.125);
    rollout.put("weight_load_seconds", 0.05);
    LinkedHashMap<String, Double> reward = new LinkedHashMap<>();
    reward.put("checker_timeouts", 2.0);
    ArrayList<HealthMonitor.ActorHealth> rows = new ArrayList<>(List.of(
        new HealthMonitor.ActorHealth("n", "rollout-0", "rollout", "ok", "idle", "running", 0.2, 1, 0, 0.5, 1, 7, 40,
            1, rollout, null),
        new HealthMonitor.ActorHealth("n", "reward/$a", "reward", "down", "stopped", "stopped", 0.2, 0, 0, 3, 0, -1,
            12, 0, reward, null)));
    return new HealthMonitor.HealthReport(0, "r", true, true, "down", "", rows);
  }

  @Test
  void record_grpoSteps_setGaugesAndAddCounters() {
    TrainingMetrics t = new TrainingMetrics();
    t.record("sft", Map.of("step", 1, "loss", 2.5));
    t.record("grpo", grpoStep(1));
    t.record("grpo", grpoStep(2));
    t.health(health());

    String text = t.scrape();

    for (String line : List.of("rlft_kl 0.01", "rlft_accuracy 0.5", "rlft_reward{component=\"total\"} 0.75",
        "rlft_reward{component=\"process\"} 0.8", "rlft_trained_tokens_per_second 200.0",
        "rlft_generated_tokens_total 640.0", "rlft_trained_tokens_total 600.0", "rlft_grpo_steps_total 2.0",
        "rlft_prm_fallbacks_total 2.0", "rlft_sentinel_actions_total{action=\"warn\"} 2.0", "rlft_weight_version 2.0",
        "rlft_sft_loss 2.5", "rlft_phase{phase=\"grpo\"} 1.0", "rlft_phase{phase=\"sft\"} 0.0",
        "rlft_actor_up{actor=\"reward/$a\",node=\"n\",role=\"reward\"} 0.0",
        "rlft_actor_up{actor=\"rollout-0\",node=\"n\",role=\"rollout\"} 1.0",
        "rlft_actor_restarts{actor=\"rollout-0\",node=\"n\",role=\"rollout\"} 1.0",
        "rlft_weight_sync_seconds{actor=\"rollout-0\",node=\"n\",role=\"rollout\"} 0.125",
        "rlft_checker_timeouts{actor=\"reward/$a\",node=\"n\",role=\"reward\"} 2.0", "rlft_ready 1.0")) {
      assertTrue(text.contains(line + "\n"), "missing '" + line + "' in\n" + text);
    }
  }

  @Test
  void health_actorGone_itsSeriesIsDropped() {
    TrainingMetrics t = new TrainingMetrics();
    t.health(health());
    t.health(new HealthMonitor.HealthReport(0, "r", true, true, "ok", "", new ArrayList<>()));

    assertFalse(t.scrape().contains("rollout-0"), "no series for an actor the monitor no longer lists");
  }

  @Test
  void record_withoutProcessRewards_exposesNoProcessComponent() {
    TrainingMetrics t = new TrainingMetrics();
    Map<String, Object> step = grpoStep(1);
    step.remove("prm_score_mean");
    t.record("grpo", step);

    assertFalse(t.scrape().contains("component=\"process\""));
  }

  @Test
  void grafanaDashboard_namesOnlyMetricsThatExist() throws Exception {
    TrainingMetrics t = new TrainingMetrics();
    t.record("sft", Map.of("step", 1, "loss", 2.5));
    t.record("grpo", grpoStep(1));
    t.health(health());
    Set<String> exposed = new TreeSet<>();
    Matcher help = Pattern.compile("^# HELP (\\w+)", Pattern.MULTILINE).matcher(t.scrape());
    while (help.find()) {
      exposed.add(help.group(1));
    }

    JsonNode dash = new ObjectMapper().readTree(Files.readString(Path.of("../../deploy/grafana/rlft.json")));
    Set<String> used = new TreeSet<>();
    for (JsonNode panel : dash.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        Matcher m = Pattern.compile("rlft_\\w+").matcher(target.get("expr").asText());
        while (m.find()) {
          used.add(m.group());
        }
      }
    }
    Set<String> unknown = new TreeSet<>(used);
    unknown.removeAll(exposed);

    assertTrue(used.size() >= 25, "the dashboard charts most metrics: " + used);
    assertTrue(unknown.isEmpty(), "Grafana queries metrics that /metrics does not expose: " + unknown);
    Set<String> uncharted = new TreeSet<>(exposed);
    uncharted.removeAll(used);
    assertEquals(Set.of(), uncharted, "every exposed metric has a panel");
  }
}
