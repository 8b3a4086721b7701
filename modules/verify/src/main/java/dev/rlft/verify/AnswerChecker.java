package dev.rlft.verify;

import dev.rlft.verify.expr.Exprs;
import dev.rlft.verify.extraction.AnswerExtractor;
import dev.rlft.verify.extraction.ParsedAnswer;
import dev.rlft.verify.extraction.TextNormalizer;
import dev.rlft.verify.runtime.CheckAbortedException;
import dev.rlft.verify.runtime.CheckRunner;
import dev.rlft.verify.symbolic.Equivalence;
import dev.rlft.verify.symbolic.SymjaRuntime;
import dev.rlft.verify.symbolic.SymjaSession;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Decides whether a model's output contains the gold answer: the reward function of math RL.
 *
 * <p>{@link #check} extracts the final answer from the prediction ({@code \boxed{}} first, then
 * "final answer is", "answer:", GSM8K {@code ####}, Japanese "答えは", …, the last number), parses
 * it and the gold into expressions, and compares them exactly, numerically or symbolically (Symja).
 * Every check runs on a worker thread under {@link CheckerConfig#timeout()}; it never throws and
 * never hangs: timeouts, oversized or unparsable input give {@code equal = false} with a reason.
 *
 * <p>Thread-safe; one instance serves many threads. Close it to stop its worker threads. The first
 * instance in a JVM initialises Symja (one to three seconds).
 */
public final class AnswerChecker implements AutoCloseable {
  private static final int MAX_TOKENS = 4_000;

  private final CheckerConfig config;
  private final AnswerExtractor extractor;
  private final Equivalence.Options options;
  private final CheckRunner runner;

  private AnswerChecker(CheckerConfig config) {
    this.config = config;
    this.extractor = new AnswerExtractor(new AnswerExtractor.Settings(config.latexExtraction(),
        config.exprExtraction(), config.boxedPriority(), config.maxNestingDepth(), MAX_TOKENS,
        config.maxAnswerChars()));
    this.options = new Equivalence.Options(config.floatRounding(), config.relativeTolerance(),
        config.strict(), config.allowSetRelation(), config.percentLenient());
    this.runner = new CheckRunner(config.maxWorkerThreads(), config.maxStuckThreads());
  }

  /** A checker with the given settings; initialises Symja on first use in the JVM. */
  public static AnswerChecker create(CheckerConfig config) {
    Objects.requireNonNull(config, "config");
    SymjaRuntime.warmUp();
    return new AnswerChecker(config);
  }

  /** A checker with {@link CheckerConfig#defaults()}. */
  public static AnswerChecker create() {
    return create(CheckerConfig.defaults());
  }

  public CheckerConfig config() {
    return config;
  }

  /**
   * Compares a prediction with a gold answer.
   *
   * @param gold the reference answer: a bare expression ({@code \frac{1}{2}}, "18",
   *     {@code \left( 3, \frac{\pi}{2} \right)}) or a text containing it ({@code $…$}, a boxed
   *     solution, "#### 18")
   * @param prediction a whole model output
   */
  public Verdict check(String gold, String prediction) {
    if (gold == null || prediction == null) {
      return Verdict.notEqual("gold or prediction is null");
    }
    if (gold.length() > config.maxInputChars() || prediction.length() > config.maxInputChars()) {
      return Verdict.notEqual("input too large: gold " + gold.length() + " chars, prediction "
          + prediction.length() + " chars, limit " + config.maxInputChars());
    }
    CheckRunner.Outcome<Verdict> outcome = runner.run(() -> compare(gold, prediction), config.timeout());
    return unwrap(outcome, Verdict::notEqual);
  }

  /** The final answer found in {@code text}, by the same rules {@link #check} uses. */
  public Extraction extract(String text) {
    if (text == null || text.length() > config.maxInputChars()) {
      return Extraction.none();
    }
    CheckRunner.Outcome<Extraction> outcome = runner.run(() -> {
      long deadline = System.nanoTime() + config.timeout().toNanos();
      ParsedAnswer p = extractor.extract(TextNormalizer.normalize(text), deadline);
      if (!p.found()) {
        return Extraction.none();
      }
      return new Extraction(p.raw(), p.normalized(), p.rule().label(), p.value() != null,
          p.value() == null ? "" : Exprs.toText(p.value()));
    }, config.timeout());
    return unwrap(outcome, reason -> Extraction.none());
  }

  private static <T> T unwrap(CheckRunner.Outcome<T> outcome, java.util.function.Function<String, T> failure) {
    if (outcome instanceof CheckRunner.Completed<T> c) {
      return c.value();
    }
    if (outcome instanceof CheckRunner.TimedOut<T> t) {
      return failure.apply("timeout after " + t.limit().toMillis() + " ms"
          + (t.stuck() ? " (worker did not stop; abandoned)" : ""));
    }
    if (outcome instanceof CheckRunner.Failed<T> f) {
      Throwable e = f.error();
      if (e instanceof CheckAbortedException) {
        return failure.apply("timeout: " + e.getMessage());
      }
      return failure.apply("checker error: " + e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    return failure.apply("not run: " + ((CheckRunner.Rejected<T>) outcome).reason());
  }

  private Verdict compare(String gold, String prediction) {
    long deadline = System.nanoTime() + config.timeout().toNanos() - TimeUnit.MILLISECONDS.toNanos(20);
    ParsedAnswer g = extractor.parseGold(TextNormalizer.normalize(gold), deadline);
    ParsedAnswer p = extractor.extract(TextNormalizer.normalize(prediction), deadline);
    String rule = p.rule().label();
    if (!g.found()) {
      return new Verdict(false, p.raw(), "", "gold: " + g.note(), rule);
    }
    if (!p.found()) {
      return new Verdict(false, "", g.normalized(), "prediction: " + p.note(), rule);
    }
    String why = "values differ";
    if (g.value() != null && p.value() != null) {
      SymjaSession session = new SymjaSession(deadline, config.symbolicCallBudget().toMillis());
      Equivalence.Result r = new Equivalence(session, options, deadline).compare(g.value(), p.value());
      if (r.equal()) {
        return new Verdict(true, p.raw(), g.normalized(), r.reason(), rule);
      }
    } else {
      why = g.value() == null ? "gold did not parse (" + g.note() + ")" : "prediction did not parse (" + p.note() + ")";
    }
    String gs = g.normalized().strip();
    if (!gs.isEmpty() && gs.equals(p.normalized().strip())) {
      return new Verdict(true, p.raw(), g.normalized(), "same normalised text", rule);
    }
    return new Verdict(false, p.raw(), g.normalized(), why, rule);
  }

  @Override
  public void close() {
    runner.close();
  }
}
