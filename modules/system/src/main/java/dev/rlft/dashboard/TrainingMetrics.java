package dev.rlft.dashboard;

import dev.rlft.health.HealthMonitor;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Prometheus metrics of a run: training gauges and counters fed from each step's metrics
 * record, and actor health gauges taken from the health monitor at each scrape. Every name, unit
 * and meaning is listed in docs/operations.md; {@code deploy/grafana/rlft.json} charts them.
 */
public final class TrainingMetrics {

  /** Metrics of a GRPO step record: name in the record, Prometheus name, help. */
  private record StepGauge(String key, String name, String help) {}

  private static final StepGauge[] STEP_GAUGES = {
      new StepGauge("accuracy", "rlft_accuracy", "Share of the last batch's completions whose final answer is right"),
      new StepGauge("kl", "rlft_kl", "KL estimate to the reference policy at the last update (nats per token)"),
      new StepGauge("entropy", "rlft_entropy", "Mean policy entropy over completion tokens at the last update (nats)"),
      new StepGauge("clip_frac", "rlft_clip_fraction", "Share of tokens whose importance ratio was clipped"),
      new StepGauge("grad_norm", "rlft_grad_norm", "Global gradient norm before clipping at the last update"),
      new StepGauge("loss", "rlft_loss", "Total loss of the last update (policy loss plus beta times KL)"),
      new StepGauge("pg_loss", "rlft_policy_loss", "Clipped policy-gradient loss of the last update"),
      new StepGauge("staleness", "rlft_staleness", "Weight versions between the batch's generation and its update"),
      new StepGauge("weight_version", "rlft_weight_version", "Policy weight version after the last update"),
      new StepGauge("weight_sync_bytes", "rlft_weight_sync_bytes", "Bytes of weights the last batch's rollout worker received"),
      new StepGauge("gen_tokens_per_s", "rlft_generated_tokens_per_second", "Tokens generated per second by the last batch's rollout worker"),
      new StepGauge("train_seconds", "rlft_train_step_seconds", "Wall time of the last update in seconds"),
      new StepGauge("steps_mean", "rlft_reasoning_steps_per_completion", "Mean reasoning steps per completion (process mode)"),
      new StepGauge("step_chars_mean", "rlft_reasoning_step_chars", "Mean characters per reasoning step (process mode)"),
  };

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final Map<String, Gauge> stepGauges = new LinkedHashMap<>();
  private final Gauge reward;
  private final Gauge trainedTokensPerSecond;
  private final Gauge sftLoss;
  private final Gauge phase;
  private final Counter grpoSteps;
  private final Counter sftSteps;
  private final Counter generatedTokens;
  private final Counter trainedTokens;
  private final Counter skippedUpdates;
  private final Counter prmFallbacks;
  private final Counter sentinelActions;
  private final Gauge ready;
  private final Gauge actorUp;
  private final Gauge actorStatus;
  private final Gauge actorQueue;
  private final Gauge actorBusy;
  private final Gauge actorIdle;
  private final Gauge actorRestarts;
  private final Gauge actorVersion;
  private final Gauge actorMessages;
  private final Gauge weightSyncSeconds;
  private final Gauge weightLoadSeconds;
  private final Gauge checkerTimeouts;
  private String lastPhase;

  public TrainingMetrics() {
    for (StepGauge g : STEP_GAUGES) {
      stepGauges.put(g.key(), Gauge.builder().name(g.name()).help(g.help()).register(registry));
    }
    reward = Gauge.builder().name("rlft_reward").help("Mean reward of the last batch by component: total (what "
        + "GRPO normalises), process (mean PRM step score, process mode)").labelNames("component").register(registry);
    trainedTokensPerSecond = Gauge.builder().name("rlft_trained_tokens_per_second")
        .help("Completion tokens per second of the last update (tokens / train_seconds)").register(registry);
    sftLoss = Gauge.builder().name("rlft_sft_loss").help("Next-token loss of the last SFT step").register(registry);
    phase = Gauge.builder().name("rlft_phase").help("1 for the phase the run is in (sft, grpo, sft_control, ...)")
        .labelNames("phase").register(registry);
    grpoSteps = Counter.builder().name("rlft_grpo_steps_total").help("GRPO updates reported").register(registry);
    sftSteps = Counter.builder().name("rlft_sft_steps_total").help("SFT optimizer steps").register(registry);
    generatedTokens = Counter.builder().name("rlft_generated_tokens_total")
        .help("Completion tokens generated in trained batches").register(registry);
    trainedTokens = Counter.builder().name("rlft_trained_tokens_total")
        .help("Completion tokens the learner trained on").register(registry);
    skippedUpdates = Counter.builder().name("rlft_skipped_updates_total")
        .help("Updates skipped for a non-finite loss or gradient").register(registry);
    prmFallbacks = Counter.builder().name("rlft_prm_fallbacks_total")
        .help("Batches that trained on accuracy alone because the PRM was late or failed").register(registry);
    sentinelActions = Counter.builder().name("rlft_sentinel_actions_total")
        .help("Reward-hacking sentinel decisions by action").labelNames("action").register(registry);
    ready = Gauge.builder().name("rlft_ready").help("1 when the run has started and no essential actor is down")
        .register(registry);
    String[] actor = {"node", "role", "actor"};
    actorUp = Gauge.builder().name("rlft_actor_up").help("1 when the actor is ok or late, 0 when down or ended")
        .labelNames(actor).register(registry);
    actorStatus = Gauge.builder().name("rlft_actor_status").help("1 for the actor's status: ok, late, down, ended")
        .labelNames("node", "role", "actor", "status").register(registry);
    actorQueue = Gauge.builder().name("rlft_actor_queue_depth")
        .help("Work waiting at the actor: its own queue (rollout: batches, coordinator: batches in flight), else "
            + "its mailbox").labelNames(actor).register(registry);
    actorBusy = Gauge.builder().name("rlft_actor_busy_seconds").help("How long the message in hand has taken so far")
        .labelNames(actor).register(registry);
    actorIdle = Gauge.builder().name("rlft_actor_idle_seconds").help("Seconds since the actor last finished a message")
        .labelNames(actor).register(registry);
    actorRestarts = Gauge.builder().name("rlft_actor_restarts").help("Supervisor restarts of the actor")
        .labelNames(actor).register(registry);
    actorVersion = Gauge.builder().name("rlft_actor_weight_version")
        .help("Policy weight version the actor holds or produced").labelNames(actor).register(registry);
    actorMessages = Gauge.builder().name("rlft_actor_messages").help("Messages the actor has handled")
        .labelNames(actor).register(registry);
    weightSyncSeconds = Gauge.builder().name("rlft_weight_sync_seconds")
        .help("Seconds the rollout worker's last weight sync took, request to weights loaded (includes waiting "
            + "for a version the learner has not published yet)")
        .labelNames(actor).register(registry);
    weightLoadSeconds = Gauge.builder().name("rlft_weight_load_seconds")
        .help("Seconds the rollout worker's last weight load into its model took (part of the sync time)")
        .labelNames(actor).register(registry);
    checkerTimeouts = Gauge.builder().name("rlft_checker_timeouts")
        .help("Answer checks that hit reward.checker.timeout (scored 0), counted per reward worker since it started")
        .labelNames(actor).register(registry);
  }

  /** Takes one metrics record (the run's {@code metrics.jsonl} line) into the gauges and counters. */
  public synchronized void record(String phaseName, Map<String, ?> values) {
    if (!phaseName.equals(lastPhase)) {
      if (lastPhase != null) {
        phase.labelValues(lastPhase).set(0);
      }
      phase.labelValues(phaseName).set(1);
      lastPhase = phaseName;
    }
    if (phaseName.equals("sft")) {
      sftSteps.inc();
      set(sftLoss, values.get("loss"));
      return;
    }
    if (!phaseName.equals("grpo")) {
      return;
    }
    grpoSteps.inc();
    for (StepGauge g : STEP_GAUGES) {
      set(stepGauges.get(g.key()), values.get(g.key()));
    }
    setLabelled(reward, "total", values.get("reward"));
    setLabelled(reward, "process", values.get("prm_score_mean"));
    double tokens = number(values.get("tokens"));
    double seconds = number(values.get("train_seconds"));
    if (seconds > 0 && !Double.isNaN(tokens)) {
      trainedTokensPerSecond.set(tokens / seconds);
    }
    add(trainedTokens, tokens);
    add(generatedTokens, number(values.get("gen_tokens")));
    add(skippedUpdates, number(values.get("skipped")));
    add(prmFallbacks, number(values.get("prm_fallback")));
    double action = number(values.get("sentinel_action"));
    if (!Double.isNaN(action)) {
      String[] names = {"warn", "switch_credit", "raise_beta", "pause"};
      int i = (int) action - 1;
      sentinelActions.labelValues(i >= 0 && i < names.length ? names[i] : "unknown").inc();
    }
  }

  /** Replaces the actor health gauges with {@code health}'s rows. */
  public synchronized void health(HealthMonitor.HealthReport health) {
    for (Gauge g : new Gauge[] {actorUp, actorStatus, actorQueue, actorBusy, actorIdle, actorRestarts, actorVersion,
        actorMessages, weightSyncSeconds, weightLoadSeconds, checkerTimeouts}) {
      g.clear();
    }
    ready.set(health.ready() ? 1 : 0);
    for (HealthMonitor.ActorHealth a : health.actors()) {
      String[] l = {a.node(), a.role(), a.actor()};
      boolean up = a.status().equals(HealthMonitor.OK) || a.status().equals(HealthMonitor.LATE);
      actorUp.labelValues(l).set(up ? 1 : 0);
      actorStatus.labelValues(a.node(), a.role(), a.actor(), a.status()).set(1);
      if (a.queue() >= 0) {
        actorQueue.labelValues(l).set(a.queue());
      }
      actorBusy.labelValues(l).set(a.busySeconds());
      if (a.idleSeconds() >= 0) {
        actorIdle.labelValues(l).set(a.idleSeconds());
      }
      actorRestarts.labelValues(l).set(a.restarts());
      if (a.weightVersion() >= 0) {
        actorVersion.labelValues(l).set(a.weightVersion());
      }
      actorMessages.labelValues(l).set(a.processed());
      Double sync = a.gauges().get("weight_sync_seconds");
      if (sync != null) {
        weightSyncSeconds.labelValues(l).set(sync);
      }
      Double load = a.gauges().get("weight_load_seconds");
      if (load != null) {
        weightLoadSeconds.labelValues(l).set(load);
      }
      Double timeouts = a.gauges().get("checker_timeouts");
      if (timeouts != null || a.role().equals("reward")) {
        checkerTimeouts.labelValues(l).set(timeouts == null ? 0 : timeouts);
      }
    }
  }

  /** The Prometheus text exposition (format 0.0.4) of every metric. */
  public synchronized String scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Content type of {@link #scrape()}. */
  public static String contentType() {
    return PrometheusTextFormatWriter.CONTENT_TYPE;
  }

  private static double number(Object v) {
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static void set(io.prometheus.metrics.core.datapoints.GaugeDataPoint g, Object v) {
    double d = number(v);
    if (!Double.isNaN(d)) {
      g.set(d);
    }
  }

  private static void setLabelled(Gauge g, String label, Object v) {
    double d = number(v);
    if (!Double.isNaN(d)) {
      g.labelValues(label).set(d);
    }
  }

  private static void add(Counter c, double d) {
    if (!Double.isNaN(d) && d > 0) {
      c.inc(d);
    }
  }
}
