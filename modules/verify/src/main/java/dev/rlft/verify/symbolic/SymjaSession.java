package dev.rlft.verify.symbolic;

import dev.rlft.verify.expr.Expr;
import dev.rlft.verify.expr.Expr.Add;
import dev.rlft.verify.expr.Expr.Apply;
import dev.rlft.verify.expr.Expr.BigOp;
import dev.rlft.verify.expr.Expr.Const;
import dev.rlft.verify.expr.Expr.ConstKind;
import dev.rlft.verify.expr.Expr.Fn;
import dev.rlft.verify.expr.Expr.Matrix;
import dev.rlft.verify.expr.Expr.Mul;
import dev.rlft.verify.expr.Expr.Num;
import dev.rlft.verify.expr.Expr.Percent;
import dev.rlft.verify.expr.Expr.Pow;
import dev.rlft.verify.expr.Expr.Sym;
import dev.rlft.verify.expr.Exprs;
import dev.rlft.verify.numeric.BigRational;
import dev.rlft.verify.numeric.ExactEvaluator;
import dev.rlft.verify.runtime.CheckAbortedException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.matheclipse.core.eval.EvalEngine;
import org.matheclipse.core.expression.F;
import org.matheclipse.core.expression.S;
import org.matheclipse.core.interfaces.IAST;
import org.matheclipse.core.interfaces.IExpr;
import org.matheclipse.core.interfaces.INum;
import org.matheclipse.core.interfaces.IRational;
import org.matheclipse.core.interfaces.ISymbol;

/**
 * Symja work for one check, on the calling (worker) thread.
 *
 * <p>Variables become Symja dummy symbols (never global ones, so nothing accumulates in Symja's
 * symbol table and threads do not share state). Every Symja call runs under a budget: a
 * watchdog calls {@link EvalEngine#stopRequest()} when it expires, and the worker's interrupt flag
 * stops it too. Expressions Symja could not finish in time (a power tower like {@code
 * 10^{10^{10}}}, a huge factorial) are refused before they reach it.
 */
public final class SymjaSession {
  /** Digits used for numeric evaluation. */
  static final int DIGITS = 50;
  /** Two numeric values are equal when they differ by less than this, relative to their size. */
  static final BigDecimal NUMERIC_EPSILON = new BigDecimal("1e-30");
  private static final int MAX_NODES = 3_000;
  private static final int MAX_EXACT_EXPONENT = 10_000;

  private static final ScheduledExecutorService WATCHDOG = createWatchdog();

  private final EvalEngine engine;
  private final long deadlineNanos;
  private final long callBudgetNanos;
  private final Map<String, ISymbol> symbols = new HashMap<>();
  private final Map<String, ISymbol> functions = new HashMap<>();

  /** The input cannot be given to Symja (sets, relations, or too big to be safe). */
  static final class Unsupported extends Exception {
    Unsupported(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * @param deadlineNanos end of the whole check ({@link System#nanoTime()} scale)
   * @param callBudgetMillis upper bound for any single Symja evaluation
   */
  public SymjaSession(long deadlineNanos, long callBudgetMillis) {
    SymjaRuntime.warmUp();
    this.engine = SymjaRuntime.newEngine();
    this.deadlineNanos = deadlineNanos;
    this.callBudgetNanos = TimeUnit.MILLISECONDS.toNanos(callBudgetMillis);
  }

  private static ScheduledExecutorService createWatchdog() {
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "rlft-verify-symja-watchdog");
      t.setDaemon(true);
      return t;
    });
    s.setRemoveOnCancelPolicy(true);
    return Executors.unconfigurableScheduledExecutorService(s);
  }

  // ---------------------------------------------------------------- queries

  /** Real value to {@value #DIGITS} digits, when the expression has no variables and is real. */
  public Optional<BigDecimal> realValue(Expr e) {
    Optional<BigRational> exact = ExactEvaluator.evaluate(e);
    if (exact.isPresent()) {
      return Optional.of(exact.get().toBigDecimal(new MathContext(DIGITS)));
    }
    if (!Exprs.freeSymbols(e).isEmpty() || Exprs.contains(e, Apply.class)) {
      return Optional.empty();
    }
    IExpr r;
    try {
      r = evaluate(F.N(convert(e), F.ZZ(DIGITS)));
    } catch (Unsupported u) {
      return Optional.empty();
    }
    return r == null ? Optional.empty() : toBigDecimal(r);
  }

  private static Optional<BigDecimal> toBigDecimal(IExpr r) {
    try {
      if (r instanceof INum n) {
        return Optional.of(new BigDecimal(n.apfloatValue().toString(true)));
      }
      if (r.isRational()) {
        IRational q = (IRational) r;
        return Optional.of(BigRational.of(q.toBigNumerator(), q.toBigDenominator()).toBigDecimal(new MathContext(DIGITS)));
      }
    } catch (NumberFormatException | ArithmeticException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** True when Symja proves {@code e == 0}: evaluation, expansion, cancellation or simplification. */
  public boolean isZero(Expr e) {
    IExpr x;
    try {
      x = convert(e);
    } catch (Unsupported u) {
      return false;
    }
    List<Function<IExpr, IExpr>> steps = List.of(
        a -> a, F::Expand, a -> F.Together(F.Expand(a)), F::Simplify,
        a -> F.Simplify(F.TrigExpand(a)), a -> F.Simplify(F.TrigToExp(a)));
    for (Function<IExpr, IExpr> step : steps) {
      IExpr r = evaluate(step.apply(x));
      if (r != null && r.isZero()) {
        return true;
      }
      if (r != null && (r.isNumber() || r.isIndeterminate() || r.isComplexInfinity())) {
        return false;
      }
    }
    return false;
  }

  /**
   * The constant {@code a / b}, when it simplifies to a real number (used to see that
   * {@code 2x + 4y - 3 = 0} and {@code y = -x/2 + 3/4} are the same line).
   */
  public Optional<BigDecimal> constantRatio(Expr a, Expr b) {
    IExpr ratio;
    try {
      ratio = F.Times(convert(a), F.Power(convert(b), F.CN1));
    } catch (Unsupported u) {
      return Optional.empty();
    }
    for (IExpr candidate : new IExpr[] {F.Together(ratio), F.Simplify(ratio)}) {
      IExpr r = evaluate(candidate);
      if (r == null) {
        continue;
      }
      IExpr n = evaluate(F.N(r, F.ZZ(DIGITS)));
      if (n != null) {
        Optional<BigDecimal> v = toBigDecimal(n);
        if (v.isPresent() && v.get().signum() != 0) {
          return v;
        }
      }
    }
    return Optional.empty();
  }

  /** Real solutions of {@code h == 0} in {@code variable}, as expressions; empty when unknown. */
  public Optional<List<Expr>> realRoots(Expr h, String variable) {
    IExpr eq;
    ISymbol v = symbol(variable);
    try {
      eq = F.Equal(convert(h), F.C0);
    } catch (Unsupported u) {
      return Optional.empty();
    }
    IExpr r = evaluate(F.Solve(eq, v));
    if (r == null || !r.isList()) {
      return Optional.empty();
    }
    List<Expr> roots = new ArrayList<>();
    IAST solutions = (IAST) r;
    for (int i = 1; i <= solutions.argSize(); i++) {
      IExpr sol = solutions.get(i);
      if (!sol.isList() || ((IAST) sol).argSize() != 1 || !((IAST) sol).get(1).isRuleAST()) {
        return Optional.empty();
      }
      IExpr value = ((IAST) ((IAST) sol).get(1)).get(2);
      IExpr numeric = evaluate(F.N(value, F.ZZ(DIGITS)));
      if (numeric == null) {
        return Optional.empty();
      }
      if (!(numeric instanceof INum) && !numeric.isRational()) {
        continue;
      }
      Optional<Expr> back = fromSymja(value);
      if (back.isPresent()) {
        roots.add(back.get());
      } else {
        Optional<BigDecimal> d = toBigDecimal(numeric);
        if (d.isEmpty()) {
          return Optional.empty();
        }
        roots.add(new Num(BigRational.of(d.get()), true));
      }
    }
    return Optional.of(roots);
  }

  // ---------------------------------------------------------------- evaluation with a budget

  private IExpr evaluate(IExpr input) {
    long now = System.nanoTime();
    long remaining = deadlineNanos - now;
    if (Thread.currentThread().isInterrupted() || remaining <= 0) {
      throw new CheckAbortedException("time budget used up");
    }
    long budget = Math.min(remaining, callBudgetNanos);
    EvalEngine previous = EvalEngine.get();
    EvalEngine.set(engine);
    engine.setStopRequested(false);
    ScheduledFuture<?> stop = WATCHDOG.schedule(engine::stopRequest, budget, TimeUnit.NANOSECONDS);
    try {
      return engine.evaluate(input);
    } catch (RuntimeException | StackOverflowError | LinkageError e) {
      // Symja signals timeouts, limits and unsupported cases with exceptions: "not decided".
      // LinkageError: a code path into a dependency excluded in the pom (choco-solver).
      return null;
    } finally {
      stop.cancel(false);
      engine.setStopRequested(false);
      EvalEngine.set(previous);
      if (Thread.currentThread().isInterrupted()) {
        throw new CheckAbortedException("interrupted");
      }
    }
  }

  // ---------------------------------------------------------------- conversion

  private ISymbol symbol(String name) {
    return symbols.computeIfAbsent(name, n -> F.Dummy("v" + symbols.size()));
  }

  /** Symja form of a scalar expression. */
  IExpr convert(Expr e) throws Unsupported {
    if (Exprs.size(e) > MAX_NODES) {
      throw new Unsupported("expression too large");
    }
    return toSymja(e);
  }

  private IExpr toSymja(Expr e) throws Unsupported {
    if (e instanceof Num n) {
      BigRational v = n.value();
      return v.isInteger() ? F.ZZ(v.numerator()) : F.QQ(F.ZZ(v.numerator()), F.ZZ(v.denominator()));
    }
    if (e instanceof Sym s) {
      return symbol(s.name());
    }
    if (e instanceof Const c) {
      switch (c.kind()) {
        case PI:
          return S.Pi;
        case E:
          return S.E;
        case I:
          return F.CI;
        default:
          return F.CInfinity;
      }
    }
    if (e instanceof Add a) {
      return F.Plus(all(a.terms()));
    }
    if (e instanceof Mul m) {
      return F.Times(all(m.factors()));
    }
    if (e instanceof Pow p) {
      guardPower(p);
      return F.Power(toSymja(p.base()), toSymja(p.exponent()));
    }
    if (e instanceof Percent p) {
      return F.Times(toSymja(p.inner()), F.QQ(1, 100));
    }
    if (e instanceof Fn f) {
      return function(f);
    }
    if (e instanceof Apply a) {
      ISymbol head = functions.computeIfAbsent(a.name(), n -> F.Dummy("f" + functions.size()));
      return F.function(head, all(a.args()));
    }
    if (e instanceof BigOp b) {
      ISymbol index = symbol(b.index().name());
      IExpr range = F.List(index, toSymja(b.from()), toSymja(b.to()));
      return b.product() ? F.Product(toSymja(b.body()), range) : F.Sum(toSymja(b.body()), range);
    }
    if (e instanceof Matrix m) {
      IExpr[] rows = new IExpr[m.height()];
      for (int r = 0; r < m.height(); r++) {
        rows[r] = F.List(all(m.rows().get(r)));
      }
      return F.List(rows);
    }
    throw new Unsupported("not a scalar: " + e.getClass().getSimpleName());
  }

  private IExpr[] all(List<Expr> items) throws Unsupported {
    IExpr[] out = new IExpr[items.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = toSymja(items.get(i));
    }
    return out;
  }

  /** Refuses exponents that would make Symja build enormous integers. */
  private static void guardPower(Pow p) throws Unsupported {
    Optional<BigRational> exp = ExactEvaluator.evaluate(p.exponent());
    if (exp.isEmpty()) {
      if (Exprs.freeSymbols(p.exponent()).isEmpty() && Exprs.contains(p.exponent(), Pow.class)) {
        Optional<BigRational> base = ExactEvaluator.evaluate(p.base());
        if (base.isPresent() && base.get().abs().compareTo(BigRational.ONE) > 0) {
          // A numeric tower whose exponent could not even be computed exactly.
          throw new Unsupported("power tower too large");
        }
      }
      return;
    }
    BigRational x = exp.get();
    if (x.abs().compareTo(BigRational.of(SymjaRuntime.MAX_POLYNOMIAL_DEGREE)) > 0
        && ExactEvaluator.evaluate(p.base()).isEmpty()) {
      // (1+\sqrt{2})^{5000} or (x+1)^{300}: expanding it would take longer than any check may.
      throw new Unsupported("power of a non-rational base with exponent above "
          + SymjaRuntime.MAX_POLYNOMIAL_DEGREE);
    }
    if (x.abs().compareTo(BigRational.of(MAX_EXACT_EXPONENT)) > 0) {
      Optional<BigRational> base = ExactEvaluator.evaluate(p.base());
      boolean trivialBase = base.isPresent() && (base.get().signum() == 0 || base.get().abs().equals(BigRational.ONE));
      if (!trivialBase) {
        throw new Unsupported("exponent too large");
      }
    }
  }

  private IExpr function(Fn f) throws Unsupported {
    IExpr[] a = all(f.args());
    ISymbol head;
    switch (f.name()) {
      case "sin": head = S.Sin; break;
      case "cos": head = S.Cos; break;
      case "tan": head = S.Tan; break;
      case "cot": head = S.Cot; break;
      case "sec": head = S.Sec; break;
      case "csc": head = S.Csc; break;
      case "arcsin": head = S.ArcSin; break;
      case "arccos": head = S.ArcCos; break;
      case "arctan": head = S.ArcTan; break;
      case "arccot": head = S.ArcCot; break;
      case "arcsec": head = S.ArcSec; break;
      case "arccsc": head = S.ArcCsc; break;
      case "sinh": head = S.Sinh; break;
      case "cosh": head = S.Cosh; break;
      case "tanh": head = S.Tanh; break;
      case "coth": head = S.Coth; break;
      case "sech": head = S.Sech; break;
      case "csch": head = S.Csch; break;
      case "arcsinh": head = S.ArcSinh; break;
      case "arccosh": head = S.ArcCosh; break;
      case "arctanh": head = S.ArcTanh; break;
      case "exp": head = S.Exp; break;
      case "sqrt": head = S.Sqrt; break;
      case "abs": head = S.Abs; break;
      case "floor": head = S.Floor; break;
      case "ceil": head = S.Ceiling; break;
      case "max": head = S.Max; break;
      case "min": head = S.Min; break;
      case "gcd": head = S.GCD; break;
      case "lcm": head = S.LCM; break;
      case "det": head = S.Det; break;
      case "mod": head = S.Mod; break;
      case "ln":
        return F.Log(a[0]);
      case "log":
        // One argument: natural logarithm, as in sympy; two: (value, base).
        return a.length == 1 ? F.Log(a[0]) : F.Log(a[1], a[0]);
      case "log10":
        return F.Log(F.ZZ(10), a[0]);
      case "factorial":
      case "binomial": {
        for (Expr arg : f.args()) {
          Optional<BigRational> v = ExactEvaluator.evaluate(arg);
          if (v.isPresent() && v.get().abs().compareTo(BigRational.of(5_000)) > 0) {
            throw new Unsupported(f.name() + " argument too large");
          }
        }
        head = f.name().equals("factorial") ? S.Factorial : S.Binomial;
        break;
      }
      default:
        throw new Unsupported("unknown function " + f.name());
    }
    return F.function(head, a);
  }

  /** Back-conversion of simple Symja results (roots of equations) to {@link Expr}. */
  static Optional<Expr> fromSymja(IExpr e) {
    if (e.isRational()) {
      IRational q = (IRational) e;
      return Optional.of(new Num(BigRational.of(q.toBigNumerator(), q.toBigDenominator()), false));
    }
    if (e.isPi()) {
      return Optional.of(new Const(ConstKind.PI));
    }
    if (e.isE()) {
      return Optional.of(new Const(ConstKind.E));
    }
    if (e.isInfinity()) {
      return Optional.of(new Const(ConstKind.INFINITY));
    }
    if (e.isNegativeInfinity()) {
      return Optional.of(Exprs.negate(new Const(ConstKind.INFINITY)));
    }
    if (e.isAST() && (e.isPlus() || e.isTimes() || e.isPower())) {
      IAST ast = (IAST) e;
      List<Expr> args = new ArrayList<>();
      for (int i = 1; i <= ast.argSize(); i++) {
        Optional<Expr> a = fromSymja(ast.get(i));
        if (a.isEmpty()) {
          return Optional.empty();
        }
        args.add(a.get());
      }
      if (e.isPlus()) {
        return Optional.of(new Add(args));
      }
      if (e.isTimes()) {
        return Optional.of(new Mul(args));
      }
      return args.size() == 2 ? Optional.of(new Pow(args.get(0), args.get(1))) : Optional.empty();
    }
    return Optional.empty();
  }
}
