package dev.rlft.steps;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Watches a run's step metrics for signs of reward hacking and decides what to do. Signals, each
 * comparing the mean of the last {@code window} steps with the mean of the first {@code window}
 * (the baseline):
 *
 * <ul>
 *   <li>the PRM reward ({@code prm_score_mean}) rose by at least {@code prmRise} while accuracy
 *       ({@code accuracy}) fell by at least {@code accuracyDrop};
 *   <li>steps got short: {@code step_chars_mean} fell below {@code (1 - stepLengthDrop)} times its
 *       baseline, or the step count ({@code steps_mean}) grew above {@code (1 + stepCountRise)}
 *       times its baseline;
 *   <li>KL ran away: the window's mean {@code kl} exceeds {@code maxKl};
 *   <li>entropy ran away: the window's mean {@code entropy} is above {@code (1 + entropyRise)}
 *       times its baseline.
 * </ul>
 *
 * <p>When a signal fires, the configured action is returned with the reason, and the sentinel
 * stays quiet for {@code window} steps so one episode gives one decision. Missing metrics (a run
 * without process rewards has no PRM or step metrics) simply never fire their signal. Not
 * thread-safe: one owner (the coordinator).
 */
public final class HackingSentinel {

  /** What to do when a signal fires. */
  public enum Action {
    /** Log and report it only. */
    WARN,
    /** Switch process credit assignment to {@link Config#switchTo()} (min-form by default). */
    SWITCH_CREDIT,
    /** Multiply the KL weight beta by {@link Config#betaFactor()}. */
    RAISE_BETA,
    /** Stop training: no more batches are generated and the run ends with the reason. */
    PAUSE,
    /**
     * Switch to the guarded process-reward settings ({@link ProcessRewards.Config#guarded}):
     * credit {@link Config#switchTo()}, trivial steps merged, outcome gate, returns normalised,
     * outcome weight at least 1. Switching the credit rule alone does not undo a hack already
     * learned: min-form still scores a completion of filler steps as high as the PRM scores one
     * filler step (see docs/results.md).
     */
    GUARD;

    public static Action parse(String name) {
      for (Action a : values()) {
        if (a.name().equalsIgnoreCase(name.replace('-', '_'))) {
          return a;
        }
      }
      throw new IllegalArgumentException("unknown sentinel action '" + name + "'; valid: warn, switch-credit, "
          + "raise-beta, pause, guard");
    }
  }

  /** Thresholds and the action; see the class doc. */
  public record Config(int window, double prmRise, double accuracyDrop, double stepLengthDrop, double stepCountRise,
      double maxKl, double entropyRise, Action action, double betaFactor, CreditAssignment switchTo) {
    public Config {
      if (window < 1) {
        throw new IllegalArgumentException("sentinel window must be >= 1, got " + window);
      }
      if (!(betaFactor >= 1) || !Double.isFinite(betaFactor)) {
        throw new IllegalArgumentException("sentinel beta factor must be finite and >= 1, got " + betaFactor);
      }
      Objects.requireNonNull(action, "action");
      Objects.requireNonNull(switchTo, "switchTo");
    }

    public static Config defaults(Action action) {
      return new Config(5, 0.05, 0.05, 0.4, 0.5, 0.5, 1.0, action, 2.0, CreditAssignment.MIN);
    }
  }

  /** A decision: the step it was taken at, the action and why. */
  public record Decision(int step, Action action, String reason) {}

  /** The metrics the signals read; the sentinel keeps only these. */
  public static final List<String> WATCHED = List.of("prm_score_mean", "accuracy", "step_chars_mean", "steps_mean",
      "kl", "entropy");

  /**
   * What a sentinel has seen, as a resumed run restores it ({@link #state}, {@link #restore}): how
   * many steps it observed, the step before which it stays quiet, and the watched metrics of the
   * first {@code window} steps (the baseline) and of the last {@code window} steps.
   */
  public record State(int observed, int quietUntil, List<Map<String, Double>> base, List<Map<String, Double>> recent) {
    public State {
      if (observed < 0) {
        throw new IllegalArgumentException("observed steps must be >= 0, got " + observed);
      }
      base = base.stream().map(m -> java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m))).toList();
      recent = recent.stream().map(m -> java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m))).toList();
      if (base.size() > observed || recent.size() > observed) {
        throw new IllegalArgumentException("a sentinel state holds more steps (" + base.size() + " + " + recent.size()
            + ") than it observed (" + observed + ")");
      }
    }

    /**
     * One line of text ({@code observed;quietUntil;base;recent}, each step's metrics as {@code
     * {key=value,...}}; values as {@link Double#toString}, so they read back exactly).
     */
    public String encode() {
      return observed + ";" + quietUntil + ";" + encode(base) + ";" + encode(recent);
    }

    /** Reads {@link #encode()}'s text; bad text is an {@link IllegalArgumentException} that quotes it. */
    public static State decode(String text) {
      String[] f = text.split(";", -1);
      if (f.length != 4) {
        throw new IllegalArgumentException("bad sentinel state '" + text + "': expected 4 fields, got " + f.length);
      }
      try {
        return new State(Integer.parseInt(f[0]), Integer.parseInt(f[1]), decodeWindow(f[2]), decodeWindow(f[3]));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad sentinel state '" + text + "': " + e.getMessage(), e);
      }
    }

    private static String encode(List<Map<String, Double>> window) {
      StringBuilder b = new StringBuilder();
      for (Map<String, Double> m : window) {
        b.append('{');
        List<String> parts = new ArrayList<>();
        m.forEach((k, v) -> parts.add(k + "=" + v));
        b.append(String.join(",", parts)).append('}');
      }
      return b.toString();
    }

    private static List<Map<String, Double>> decodeWindow(String text) {
      List<Map<String, Double>> out = new ArrayList<>();
      int i = 0;
      while (i < text.length()) {
        int end = text.indexOf('}', i);
        if (text.charAt(i) != '{' || end < 0) {
          throw new IllegalArgumentException("bad sentinel window '" + text + "'");
        }
        Map<String, Double> m = new LinkedHashMap<>();
        String body = text.substring(i + 1, end);
        if (!body.isEmpty()) {
          for (String kv : body.split(",")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
              throw new IllegalArgumentException("bad sentinel metric '" + kv + "'");
            }
            m.put(kv.substring(0, eq), Double.parseDouble(kv.substring(eq + 1)));
          }
        }
        out.add(m);
        i = end + 1;
      }
      return out;
    }
  }

  private final Config config;
  /** The first {@code window} steps' watched metrics: the baseline. */
  private final List<Map<String, Double>> base = new ArrayList<>();
  /** The last {@code window} steps' watched metrics. */
  private final java.util.ArrayDeque<Map<String, Double>> recent = new java.util.ArrayDeque<>();
  private int observed;
  private int quietUntil;

  public HackingSentinel(Config config) {
    this.config = Objects.requireNonNull(config, "config");
  }

  /** Where this sentinel stands, for a checkpoint. */
  public State state() {
    return new State(observed, quietUntil, base, new ArrayList<>(recent));
  }

  /**
   * Continues from {@code state} (a resumed run): the same baseline, window and quiet period, so
   * the sentinel decides as it would have without the interruption.
   */
  public void restore(State state) {
    int w = config.window();
    if (state.base().size() != Math.min(w, state.observed())
        || state.recent().size() != Math.min(w, state.observed())) {
      throw new IllegalArgumentException("the saved sentinel state holds windows of " + state.base().size() + " and "
          + state.recent().size() + " steps after " + state.observed() + " steps; this sentinel's window is " + w);
    }
    base.clear();
    base.addAll(state.base());
    recent.clear();
    recent.addAll(state.recent());
    observed = state.observed();
    quietUntil = state.quietUntil();
  }

  public Config config() {
    return config;
  }

  /** Records step {@code step}'s metrics and returns a decision when a signal fires. */
  public Optional<Decision> observe(int step, Map<String, Double> metrics) {
    Map<String, Double> watched = new LinkedHashMap<>();
    for (String key : WATCHED) {
      Double v = metrics.get(key);
      if (v != null) {
        watched.put(key, v);
      }
    }
    int w = config.window();
    observed++;
    if (base.size() < w) {
      base.add(watched);
    }
    recent.addLast(watched);
    if (recent.size() > w) {
      recent.removeFirst();
    }
    if (observed < 2 * w || step < quietUntil) {
      return Optional.empty();
    }
    String reason = check(base, new ArrayList<>(recent));
    if (reason == null) {
      return Optional.empty();
    }
    quietUntil = step + w;
    return Optional.of(new Decision(step, config.action(), reason));
  }

  private String check(List<Map<String, Double>> base, List<Map<String, Double>> recent) {
    double prm0 = mean(base, "prm_score_mean");
    double prm1 = mean(recent, "prm_score_mean");
    double acc0 = mean(base, "accuracy");
    double acc1 = mean(recent, "accuracy");
    if (prm1 - prm0 >= config.prmRise() && acc0 - acc1 >= config.accuracyDrop()) {
      return String.format(Locale.ROOT, "PRM reward rose %.3f -> %.3f while accuracy fell %.3f -> %.3f", prm0, prm1,
          acc0, acc1);
    }
    double len0 = mean(base, "step_chars_mean");
    double len1 = mean(recent, "step_chars_mean");
    if (len0 > 0 && len1 < (1 - config.stepLengthDrop()) * len0) {
      return String.format(Locale.ROOT, "steps got short: %.1f -> %.1f characters", len0, len1);
    }
    double n0 = mean(base, "steps_mean");
    double n1 = mean(recent, "steps_mean");
    if (n0 > 0 && n1 > (1 + config.stepCountRise()) * n0) {
      return String.format(Locale.ROOT, "step count grew: %.2f -> %.2f per completion", n0, n1);
    }
    double kl = mean(recent, "kl");
    if (kl > config.maxKl()) {
      return String.format(Locale.ROOT, "KL ran away: %.3f > %.3f", kl, config.maxKl());
    }
    double h0 = mean(base, "entropy");
    double h1 = mean(recent, "entropy");
    if (h0 > 0 && h1 > (1 + config.entropyRise()) * h0) {
      return String.format(Locale.ROOT, "entropy ran away: %.3f -> %.3f", h0, h1);
    }
    return null;
  }

  /** Mean of a metric over steps that have it; NaN when none does (then no signal fires on it). */
  private static double mean(List<Map<String, Double>> steps, String key) {
    double sum = 0;
    int n = 0;
    for (Map<String, Double> m : steps) {
      Double v = m.get(key);
      if (v != null && Double.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : sum / n;
  }
}
