package dev.rlft.verify.symbolic;

import org.matheclipse.core.basic.Config;
import org.matheclipse.core.eval.EvalEngine;
import org.matheclipse.core.expression.F;
import org.matheclipse.core.interfaces.IExpr;

/**
 * One-time, JVM-wide Symja set-up.
 *
 * <p>Symja keeps its limits in static fields, so they are set here once: no file system access,
 * no helper threads (JAS, TimeConstrained), integers capped at {@value #MAX_BIT_LENGTH} bits,
 * polynomial degree at {@value #MAX_POLYNOMIAL_DEGREE}, expression size at {@value #MAX_AST_SIZE}
 * nodes. Loading Symja's function tables takes a second or two, so {@link #warmUp()} runs a small
 * simplification once; later calls return at once.
 */
public final class SymjaRuntime {
  static final int MAX_BIT_LENGTH = 100_000;
  static final int MAX_POLYNOMIAL_DEGREE = 200;
  static final int MAX_AST_SIZE = 20_000;
  private static final int RECURSION_LIMIT = 512;
  private static final int ITERATION_LIMIT = 50_000;

  private static volatile boolean ready;

  private SymjaRuntime() {}

  /** Initialises Symja (once per JVM) and evaluates a small expression to load its classes. */
  public static void warmUp() {
    if (ready) {
      return;
    }
    synchronized (SymjaRuntime.class) {
      if (ready) {
        return;
      }
      // Symja logs through log4j-api; without an implementation it prints a warning once.
      System.setProperty("log4j2.statusLoggerLevel", "OFF");
      System.setProperty("org.apache.logging.log4j.simplelog.StatusLogger.level", "OFF");
      Config.FILESYSTEM_ENABLED = false;
      Config.JAS_NO_THREADS = true;
      Config.TIMECONSTRAINED_NO_THREAD = true;
      Config.MAX_BIT_LENGTH = MAX_BIT_LENGTH;
      Config.MAX_POLYNOMIAL_DEGREE = MAX_POLYNOMIAL_DEGREE;
      Config.MAX_AST_SIZE = MAX_AST_SIZE;
      Config.MAX_OUTPUT_SIZE = 100_000;
      EvalEngine engine = newEngine();
      EvalEngine previous = EvalEngine.get();
      try {
        EvalEngine.set(engine);
        IExpr x = F.Dummy("x");
        engine.evaluate(F.Simplify(F.Plus(F.Sqr(F.Sin(x)), F.Sqr(F.Cos(x)))));
        engine.evaluate(F.N(F.Sqrt(F.C2), F.ZZ(30)));
      } finally {
        EvalEngine.set(previous);
      }
      ready = true;
    }
  }

  /** A fresh, quiet evaluation engine with bounded recursion and iteration. */
  static EvalEngine newEngine() {
    EvalEngine engine = new EvalEngine(true);
    engine.setQuietMode(true);
    engine.setRecursionLimit(RECURSION_LIMIT);
    engine.setIterationLimit(ITERATION_LIMIT);
    return engine;
  }
}
