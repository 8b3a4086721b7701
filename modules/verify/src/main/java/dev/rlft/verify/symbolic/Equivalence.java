package dev.rlft.verify.symbolic;

import dev.rlft.verify.expr.Expr;
import dev.rlft.verify.expr.Expr.And;
import dev.rlft.verify.expr.Expr.Const;
import dev.rlft.verify.expr.Expr.ConstKind;
import dev.rlft.verify.expr.Expr.FiniteSet;
import dev.rlft.verify.expr.Expr.Interval;
import dev.rlft.verify.expr.Expr.Matrix;
import dev.rlft.verify.expr.Expr.Mul;
import dev.rlft.verify.expr.Expr.Num;
import dev.rlft.verify.expr.Expr.Percent;
import dev.rlft.verify.expr.Expr.PlusMinus;
import dev.rlft.verify.expr.Expr.Rel;
import dev.rlft.verify.expr.Expr.RelKind;
import dev.rlft.verify.expr.Expr.SetOp;
import dev.rlft.verify.expr.Expr.SpecialSet;
import dev.rlft.verify.expr.Expr.Sym;
import dev.rlft.verify.expr.Expr.Tuple;
import dev.rlft.verify.expr.Exprs;
import dev.rlft.verify.numeric.BigRational;
import dev.rlft.verify.numeric.ExactEvaluator;
import dev.rlft.verify.runtime.Interruptible;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides whether a predicted value equals the gold value; the comparison Math-Verify's
 * {@code sympy_expr_eq} makes, on {@link Expr} trees with Symja for the algebra.
 *
 * <p>Order of tests, gold first (the comparison is not symmetric):
 * <ol>
 *   <li>Assignments are reduced: {@code x = 5+5+1 = 11} is {@code x = 11}; a prediction
 *       {@code k = 1/3} against gold {@code 1/3} is {@code 1/3}; gold {@code k = 1/3} against
 *       prediction {@code 1/3} likewise.
 *   <li>A relation against a set is turned into its solution set ({@code -2 \le x \le 7} vs
 *       {@code [-2, 7]}); the other way only with {@code allowSetRelation}.
 *   <li>Identical trees are equal.
 *   <li>Relations: same operator and equal {@code lhs - rhs}, or mirrored operator and opposite
 *       difference, or differences in a constant ratio (positive for inequalities keeping their
 *       direction, negative for flipped ones).
 *   <li>Sets, tuples, intervals: element-wise; sets ignore order; a set of two matches an open
 *       interval written the same way; unions of intervals are compared in canonical form.
 *   <li>A bare name ({@code \text{Evelyn}}, {@code E}) matches the same letters written as a
 *       product of variables, case-insensitively.
 *   <li>Numbers: exact rational comparison; when either side was written as a decimal, both are
 *       rounded to {@code floatRounding} places (and, if set, a relative tolerance applies).
 *       Other constant expressions: equal to 30 significant digits. Then symbolic:
 *       Symja proves {@code gold - pred == 0}.
 * </ol>
 * A percentage may also match its number without the percent sign ({@code 20\%} vs {@code 20})
 * when {@code percentLenient} is on.
 */
public final class Equivalence {
  /** Comparison options, mirroring Math-Verify's {@code verify} arguments. */
  public record Options(int floatRounding, double relativeTolerance, boolean strict,
      boolean allowSetRelation, boolean percentLenient) {
    public Options {
      if (floatRounding < 0 || floatRounding > 30) {
        throw new IllegalArgumentException("floatRounding must be in [0, 30], got " + floatRounding);
      }
      if (!(relativeTolerance >= 0 && relativeTolerance < 1)) {
        throw new IllegalArgumentException("relativeTolerance must be in [0, 1), got " + relativeTolerance);
      }
    }
  }

  /** Outcome with a short reason. */
  public record Result(boolean equal, String reason) {}

  private static final int MAX_SET_SIZE = 64;

  private final SymjaSession session;
  private final Options options;
  private final SetAlgebra sets;
  private final long deadlineNanos;
  private String how = "";

  public Equivalence(SymjaSession session, Options options, long deadlineNanos) {
    this.session = Objects.requireNonNull(session, "session");
    this.options = Objects.requireNonNull(options, "options");
    this.sets = new SetAlgebra(session);
    this.deadlineNanos = deadlineNanos;
  }

  /** Compares a gold value with a predicted value. */
  public Result compare(Expr gold, Expr pred) {
    how = "";
    Expr p = pred;
    if (!options.strict()) {
      p = renameByPosition(gold, pred);
    }
    boolean eq = equal(gold, p, true);
    return new Result(eq, eq ? how : "values differ");
  }

  /** Non-strict mode: the prediction's variables are renamed to the gold's, in sorted order. */
  private static Expr renameByPosition(Expr gold, Expr pred) {
    List<String> g = new ArrayList<>(Exprs.freeSymbols(gold));
    List<String> p = new ArrayList<>(Exprs.freeSymbols(pred));
    if (g.size() != p.size() || g.isEmpty()) {
      return pred;
    }
    g.sort(null);
    p.sort(null);
    Map<String, String> renames = new HashMap<>();
    for (int i = 0; i < g.size(); i++) {
      renames.put(p.get(i), g.get(i));
    }
    return Exprs.renameSymbols(pred, renames);
  }

  private boolean equal(Expr gold, Expr pred, boolean topLevel) {
    Interruptible.checkpoint(deadlineNanos);
    if (options.percentLenient() && (gold instanceof Percent) != (pred instanceof Percent)) {
      if (core(gold, pred, topLevel)) {
        return true;
      }
      Expr g = gold instanceof Percent pg ? pg.inner() : gold;
      Expr p = pred instanceof Percent pp ? pp.inner() : pred;
      if (core(g, p, topLevel)) {
        how = how + " (ignoring the percent sign)";
        return true;
      }
      return false;
    }
    return core(gold, pred, topLevel);
  }

  private boolean core(Expr gold, Expr pred, boolean topLevel) {
    boolean goldAssignment = isAssignment(gold);
    boolean predAssignment = isAssignment(pred);
    boolean goldEquation = isEquation(gold);
    boolean predEquation = isEquation(pred);
    if (goldAssignment) {
      gold = new Rel(RelKind.EQ, firstLink(gold).lhs(), lastLink(gold).rhs());
    }
    if (predAssignment) {
      pred = new Rel(RelKind.EQ, firstLink(pred).lhs(), lastLink(pred).rhs());
    }
    if (predEquation && !goldEquation) {
      pred = lastLink(pred).rhs();
    } else if (goldAssignment && !predEquation) {
      gold = lastLink(gold).rhs();
    }
    if (isRelation(gold) && isSet(pred)) {
      gold = sets.relationAsSet(gold).orElse(gold);
    }
    if (options.allowSetRelation() && topLevel && isRelation(pred) && isSet(gold)) {
      pred = sets.relationAsSet(pred).orElse(pred);
    }
    if (sameTree(gold, pred)) {
      how = "identical";
      return true;
    }
    if (isRelation(gold) && isRelation(pred)) {
      return relations(gold, pred);
    }
    if (isSetOrTuple(gold) || isSetOrTuple(pred)) {
      return setsOrTuples(gold, pred);
    }
    if (gold instanceof Sym || pred instanceof Sym) {
      return symbols(gold, pred);
    }
    if (isRelation(gold) || isRelation(pred)) {
      return false;
    }
    if (Exprs.contains(gold, Matrix.class) || Exprs.contains(pred, Matrix.class)) {
      return matrices(gold, pred);
    }
    if (Exprs.contains(gold, PlusMinus.class) || Exprs.contains(pred, PlusMinus.class)) {
      return false;
    }
    return numeric(gold, pred) || symbolic(gold, pred);
  }

  // ---------------------------------------------------------------- relations

  private boolean relations(Expr gold, Expr pred) {
    if (gold instanceof And g && pred instanceof And p) {
      if (g.links().size() != p.links().size()) {
        return false;
      }
      for (int i = 0; i < g.links().size(); i++) {
        if (!relations(g.links().get(i), p.links().get(i))) {
          return false;
        }
      }
      how = "same relation chain";
      return true;
    }
    if (!(gold instanceof Rel g) || !(pred instanceof Rel p)) {
      return false;
    }
    if (isContainerLike(g.lhs()) || isContainerLike(g.rhs()) || isContainerLike(p.lhs()) || isContainerLike(p.rhs())) {
      if (g.kind() == p.kind() && equal(g.lhs(), p.lhs(), false) && equal(g.rhs(), p.rhs(), false)) {
        return true;
      }
      return g.kind() == p.kind().flipped() && equal(g.lhs(), p.rhs(), false) && equal(g.rhs(), p.lhs(), false);
    }
    Expr dg = Exprs.subtract(g.lhs(), g.rhs());
    Expr dp = Exprs.subtract(p.lhs(), p.rhs());
    if (g.kind() == p.kind() && equal(dg, dp, false)) {
      how = "same relation (" + how + ")";
      return true;
    }
    if (g.kind() == p.kind().flipped() && equal(dg, Exprs.negate(dp), false)) {
      how = "same relation, sides swapped (" + how + ")";
      return true;
    }
    if (Exprs.freeSymbols(dg).isEmpty() || Exprs.freeSymbols(dp).isEmpty()) {
      return false;
    }
    Optional<BigDecimal> ratio = session.constantRatio(dg, dp);
    if (ratio.isEmpty()) {
      return false;
    }
    int sign = ratio.get().signum();
    boolean ok = switch (g.kind()) {
      case EQ, NE -> g.kind() == p.kind();
      default -> sign > 0 ? g.kind() == p.kind() : g.kind() == p.kind().flipped();
    };
    if (ok) {
      how = "equivalent relation (sides differ by a constant factor)";
    }
    return ok;
  }

  // ---------------------------------------------------------------- sets, tuples, intervals

  private boolean setsOrTuples(Expr gold, Expr pred) {
    Expr a = isSetOrTuple(gold) ? gold : new FiniteSet(List.of(gold));
    Expr b = isSetOrTuple(pred) ? pred : new FiniteSet(List.of(pred));
    if (a instanceof Interval x && b instanceof Interval y) {
      boolean eq = x.loOpen() == y.loOpen() && x.hiOpen() == y.hiOpen()
          && equal(x.lo(), y.lo(), false) && equal(x.hi(), y.hi(), false);
      if (eq) {
        how = "same interval";
      }
      return eq;
    }
    if (sameTree(a, b)) {
      how = "identical";
      return true;
    }
    if (isSet(a) && isSet(b) && (a instanceof SetOp || b instanceof SetOp || a instanceof SpecialSet
        || b instanceof SpecialSet || a instanceof Interval || b instanceof Interval)) {
      Optional<List<SetAlgebra.Piece>> pa = sets.canonical(a);
      Optional<List<SetAlgebra.Piece>> pb = sets.canonical(b);
      if (pa.isPresent() && pb.isPresent()
          && SetAlgebra.samePieces(pa.get(), pb.get(), (x, y) -> x != null && y != null && equal(x, y, false))) {
        how = "same set";
        return true;
      }
    }
    if (isListLike(a) && isListLike(b)) {
      return elements(a, b);
    }
    if (a instanceof Interval i && isListLike(b) && i.loOpen() && i.hiOpen() && items(b).size() == 2) {
      return elements(new Tuple(List.of(i.lo(), i.hi())), b);
    }
    if (b instanceof Interval i && isListLike(a) && i.loOpen() && i.hiOpen() && items(a).size() == 2) {
      return elements(a, new Tuple(List.of(i.lo(), i.hi())));
    }
    return false;
  }

  /** Element-wise: a gold set ignores order; a gold tuple keeps it. */
  private boolean elements(Expr a, Expr b) {
    List<Expr> x = items(a);
    List<Expr> y = items(b);
    if (x.size() != y.size() || x.size() > MAX_SET_SIZE) {
      return false;
    }
    boolean ordered = a instanceof Tuple;
    if (ordered) {
      for (int i = 0; i < x.size(); i++) {
        if (!equal(x.get(i), y.get(i), false)) {
          return false;
        }
      }
      how = "same tuple";
      return true;
    }
    if (!perfectMatching(x, y)) {
      return false;
    }
    how = "same elements";
    return true;
  }

  /** A one-to-one pairing of equal elements (augmenting paths; sets are small). */
  private boolean perfectMatching(List<Expr> x, List<Expr> y) {
    int n = x.size();
    Boolean[][] eq = new Boolean[n][n];
    int[] matchOfY = new int[n];
    java.util.Arrays.fill(matchOfY, -1);
    for (int i = 0; i < n; i++) {
      if (!augment(i, x, y, eq, matchOfY, new boolean[n])) {
        return false;
      }
    }
    return true;
  }

  private boolean augment(int i, List<Expr> x, List<Expr> y, Boolean[][] eq, int[] matchOfY, boolean[] seen) {
    for (int j = 0; j < y.size(); j++) {
      if (seen[j]) {
        continue;
      }
      if (eq[i][j] == null) {
        eq[i][j] = equal(x.get(i), y.get(j), false);
      }
      if (!eq[i][j]) {
        continue;
      }
      seen[j] = true;
      if (matchOfY[j] < 0 || augment(matchOfY[j], x, y, eq, matchOfY, seen)) {
        matchOfY[j] = i;
        return true;
      }
    }
    return false;
  }

  private static List<Expr> items(Expr e) {
    List<Expr> raw = e instanceof Tuple t ? t.items() : ((FiniteSet) e).items();
    if (e instanceof Tuple) {
      return raw;
    }
    List<Expr> distinct = new ArrayList<>();
    for (Expr item : raw) {
      if (distinct.stream().noneMatch(d -> sameTree(d, item))) {
        distinct.add(item);
      }
    }
    return distinct;
  }

  // ---------------------------------------------------------------- names

  /** {@code \text{Evelyn}} against {@code Evelyn} (E·v·e·l·y·n), {@code \text{e}} against e, etc. */
  private boolean symbols(Expr gold, Expr pred) {
    if (isNamedE(gold) && isEulerE(pred) || isNamedE(pred) && isEulerE(gold)) {
      how = "same name";
      return true;
    }
    if (gold instanceof Sym g && pred instanceof Mul m && lettersOnly(m)) {
      return sameName(g.name(), concatenate(m), true);
    }
    if (pred instanceof Sym p && gold instanceof Mul m && lettersOnly(m)) {
      return sameName(p.name(), concatenate(m), true);
    }
    if (gold instanceof Sym g && pred instanceof Sym p) {
      String a = g.name().length() > 1 ? g.name().toLowerCase(java.util.Locale.ROOT) : g.name();
      String b = p.name().length() > 1 ? p.name().toLowerCase(java.util.Locale.ROOT) : p.name();
      return sameName(a, b, false);
    }
    return false;
  }

  private boolean sameName(String a, String b, boolean ignoreCase) {
    boolean eq = ignoreCase ? a.equalsIgnoreCase(b) : a.equals(b);
    if (eq) {
      how = "same name";
    }
    return eq;
  }

  private static boolean isNamedE(Expr e) {
    return e instanceof Sym s && s.name().equalsIgnoreCase("e");
  }

  private static boolean isEulerE(Expr e) {
    return e instanceof Const c && c.kind() == ConstKind.E;
  }

  private static boolean lettersOnly(Mul m) {
    return m.factors().stream().allMatch(f -> f instanceof Sym || isEulerE(f));
  }

  private static String concatenate(Mul m) {
    StringBuilder sb = new StringBuilder();
    for (Expr f : m.factors()) {
      sb.append(f instanceof Sym s ? s.name() : "e");
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------- matrices and scalars

  private boolean matrices(Expr gold, Expr pred) {
    Optional<Matrix> a = MatrixAlgebra.reduce(gold);
    Optional<Matrix> b = MatrixAlgebra.reduce(pred);
    if (a.isEmpty() || b.isEmpty()) {
      return false;
    }
    Matrix x = a.get();
    Matrix y = b.get();
    if (x.height() != y.height() || x.width() != y.width()) {
      return false;
    }
    for (int r = 0; r < x.height(); r++) {
      for (int c = 0; c < x.width(); c++) {
        if (!equal(x.rows().get(r).get(c), y.rows().get(r).get(c), false)) {
          return false;
        }
      }
    }
    how = "same matrix";
    return true;
  }

  private boolean numeric(Expr gold, Expr pred) {
    boolean atomic = isAtomicNumber(gold) || isAtomicNumber(pred);
    if (atomic && (isFloatNumber(gold) || isFloatNumber(pred))) {
      Optional<BigDecimal> a = session.realValue(gold);
      Optional<BigDecimal> b = session.realValue(pred);
      if (a.isEmpty() || b.isEmpty()) {
        return false;
      }
      BigDecimal ra = a.get().setScale(options.floatRounding(), RoundingMode.HALF_UP);
      BigDecimal rb = b.get().setScale(options.floatRounding(), RoundingMode.HALF_UP);
      if (ra.compareTo(rb) == 0) {
        how = "equal after rounding to " + options.floatRounding() + " decimal places";
        return true;
      }
      if (options.relativeTolerance() > 0) {
        BigDecimal scale = a.get().abs().max(b.get().abs());
        BigDecimal diff = a.get().subtract(b.get()).abs();
        if (diff.compareTo(scale.multiply(BigDecimal.valueOf(options.relativeTolerance()))) <= 0) {
          how = "equal within relative tolerance " + options.relativeTolerance();
          return true;
        }
      }
      return false;
    }
    Optional<BigRational> ea = ExactEvaluator.evaluate(gold);
    Optional<BigRational> eb = ExactEvaluator.evaluate(pred);
    if (ea.isPresent() && eb.isPresent()) {
      boolean eq = ea.get().equals(eb.get());
      if (eq) {
        how = "exact rational equality";
      }
      return eq;
    }
    if (atomic) {
      return false;
    }
    Optional<BigDecimal> a = session.realValue(gold);
    if (a.isEmpty()) {
      return false;
    }
    Optional<BigDecimal> b = session.realValue(pred);
    if (b.isPresent() && SetAlgebra.numericallyEqual(a.get(), b.get())) {
      how = "numerically equal to " + SymjaSession.DIGITS + " digits";
      return true;
    }
    return false;
  }

  private boolean symbolic(Expr gold, Expr pred) {
    if (session.isZero(Exprs.subtract(gold, pred))) {
      how = "symbolically equal (Symja)";
      return true;
    }
    return false;
  }

  // ---------------------------------------------------------------- shape predicates

  private static boolean isAtomicNumber(Expr e) {
    return e instanceof Num || e instanceof Percent p && p.inner() instanceof Num;
  }

  private static boolean isFloatNumber(Expr e) {
    return e instanceof Num n && n.isFloat() || e instanceof Percent p && p.inner() instanceof Num n2 && n2.isFloat();
  }

  static boolean isRelation(Expr e) {
    return e instanceof Rel || e instanceof And;
  }

  static boolean isEquation(Expr e) {
    return e instanceof Rel r && r.kind() == RelKind.EQ
        || e instanceof And a && a.links().stream().allMatch(l -> l.kind() == RelKind.EQ);
  }

  static boolean isAssignment(Expr e) {
    if (e instanceof Rel r) {
      return r.kind() == RelKind.EQ && Exprs.onlySymbols(r.lhs());
    }
    return e instanceof And a && isEquation(a) && Exprs.onlySymbols(a.links().get(0).lhs());
  }

  private static Rel firstLink(Expr e) {
    return e instanceof And a ? a.links().get(0) : (Rel) e;
  }

  private static Rel lastLink(Expr e) {
    return e instanceof And a ? a.links().get(a.links().size() - 1) : (Rel) e;
  }

  private static boolean isSet(Expr e) {
    return e instanceof Interval || e instanceof FiniteSet || e instanceof SetOp || e instanceof SpecialSet;
  }

  private static boolean isSetOrTuple(Expr e) {
    return isSet(e) || e instanceof Tuple;
  }

  private static boolean isListLike(Expr e) {
    return e instanceof FiniteSet || e instanceof Tuple;
  }

  private static boolean isContainerLike(Expr e) {
    return isSetOrTuple(e) || e instanceof Matrix;
  }

  /** Structural equality; numbers compare by value, so 1000 and 1000.0 are the same leaf. */
  static boolean sameTree(Expr a, Expr b) {
    if (a instanceof Num x && b instanceof Num y) {
      return x.value().equals(y.value());
    }
    if (a.getClass() != b.getClass()) {
      return false;
    }
    List<Expr> ka = Exprs.children(a);
    List<Expr> kb = Exprs.children(b);
    if (ka.isEmpty() && kb.isEmpty()) {
      return a.equals(b);
    }
    if (ka.size() != kb.size() || !sameLabel(a, b)) {
      return false;
    }
    for (int i = 0; i < ka.size(); i++) {
      if (!sameTree(ka.get(i), kb.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean sameLabel(Expr a, Expr b) {
    if (a instanceof Expr.Fn x) {
      return x.name().equals(((Expr.Fn) b).name());
    }
    if (a instanceof Expr.Apply x) {
      return x.name().equals(((Expr.Apply) b).name());
    }
    if (a instanceof Rel x) {
      return x.kind() == ((Rel) b).kind();
    }
    if (a instanceof Interval x) {
      return x.loOpen() == ((Interval) b).loOpen() && x.hiOpen() == ((Interval) b).hiOpen();
    }
    if (a instanceof SetOp x) {
      return x.kind() == ((SetOp) b).kind();
    }
    if (a instanceof Expr.BigOp x) {
      return x.product() == ((Expr.BigOp) b).product();
    }
    if (a instanceof Matrix x) {
      return x.height() == ((Matrix) b).height() && x.width() == ((Matrix) b).width();
    }
    if (a instanceof PlusMinus x) {
      return (x.left() == null) == (((PlusMinus) b).left() == null);
    }
    return true;
  }
}
