package dev.rlft.verify.symbolic;

import dev.rlft.verify.expr.Expr;
import dev.rlft.verify.expr.Expr.And;
import dev.rlft.verify.expr.Expr.Const;
import dev.rlft.verify.expr.Expr.ConstKind;
import dev.rlft.verify.expr.Expr.FiniteSet;
import dev.rlft.verify.expr.Expr.Interval;
import dev.rlft.verify.expr.Expr.Mul;
import dev.rlft.verify.expr.Expr.Num;
import dev.rlft.verify.expr.Expr.Rel;
import dev.rlft.verify.expr.Expr.SetOp;
import dev.rlft.verify.expr.Expr.SetOpKind;
import dev.rlft.verify.expr.Expr.SpecialSet;
import dev.rlft.verify.expr.Expr.SpecialSetKind;
import dev.rlft.verify.expr.Expr.Sym;
import dev.rlft.verify.expr.Exprs;
import dev.rlft.verify.numeric.BigRational;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * Subsets of the real line written as unions of intervals and points, compared after putting
 * them in a canonical form (sorted, overlapping pieces merged); and the solution set of a
 * one-variable relation such as {@code 1 \le |z| \le 3/2}.
 */
final class SetAlgebra {
  /** An interval end: a value with its expression, or ±∞. */
  record End(Expr expr, BigDecimal value, int infinity) {
    static End of(Expr expr, BigDecimal value) {
      return new End(expr, value, 0);
    }

    static final End MINUS_INFINITY = new End(null, null, -1);
    static final End PLUS_INFINITY = new End(null, null, 1);
  }

  /** One connected piece; a point is a closed piece with equal ends. */
  record Piece(End lo, End hi, boolean loOpen, boolean hiOpen) {}

  private final SymjaSession session;

  SetAlgebra(SymjaSession session) {
    this.session = session;
  }

  /** Canonical pieces of a set expression, or empty when it is not a numeric subset of the reals. */
  Optional<List<Piece>> canonical(Expr set) {
    List<Piece> raw = new ArrayList<>();
    if (!collect(set, raw)) {
      return Optional.empty();
    }
    raw.sort(Comparator.comparing((Piece p) -> p.lo(), SetAlgebra::compareEnds)
        .thenComparing(p -> p.loOpen()));
    List<Piece> merged = new ArrayList<>();
    for (Piece p : raw) {
      if (merged.isEmpty()) {
        merged.add(p);
        continue;
      }
      Piece last = merged.get(merged.size() - 1);
      int c = compareEnds(p.lo(), last.hi());
      boolean touches = c < 0 || (c == 0 && (!last.hiOpen() || !p.loOpen()));
      if (!touches) {
        merged.add(p);
        continue;
      }
      int h = compareEnds(p.hi(), last.hi());
      End hi = h > 0 ? p.hi() : last.hi();
      boolean hiOpen = h > 0 ? p.hiOpen() : h < 0 ? last.hiOpen() : last.hiOpen() && p.hiOpen();
      merged.set(merged.size() - 1, new Piece(last.lo(), hi, last.loOpen(), hiOpen));
    }
    return Optional.of(merged);
  }

  private boolean collect(Expr e, List<Piece> out) {
    if (e instanceof Interval i) {
      Optional<End> lo = end(i.lo());
      Optional<End> hi = end(i.hi());
      if (lo.isEmpty() || hi.isEmpty()) {
        return false;
      }
      int c = compareEnds(lo.get(), hi.get());
      if (c > 0 || (c == 0 && (i.loOpen() || i.hiOpen()))) {
        return true;
      }
      out.add(new Piece(lo.get(), hi.get(), i.loOpen() || lo.get().infinity() != 0, i.hiOpen() || hi.get().infinity() != 0));
      return true;
    }
    if (e instanceof FiniteSet s) {
      for (Expr item : s.items()) {
        Optional<End> v = end(item);
        if (v.isEmpty() || v.get().infinity() != 0) {
          return false;
        }
        out.add(new Piece(v.get(), v.get(), false, false));
      }
      return true;
    }
    if (e instanceof SetOp op && op.kind() == SetOpKind.UNION) {
      return collect(op.left(), out) && collect(op.right(), out);
    }
    if (e instanceof SpecialSet s) {
      if (s.kind() == SpecialSetKind.EMPTY) {
        return true;
      }
      if (s.kind() == SpecialSetKind.REALS) {
        out.add(new Piece(End.MINUS_INFINITY, End.PLUS_INFINITY, true, true));
        return true;
      }
    }
    return false;
  }

  private Optional<End> end(Expr e) {
    if (e instanceof Const c && c.kind() == ConstKind.INFINITY) {
      return Optional.of(End.PLUS_INFINITY);
    }
    if (e instanceof Mul m && m.factors().size() == 2 && m.factors().get(0) instanceof Num n
        && n.value().signum() < 0 && m.factors().get(1) instanceof Const c && c.kind() == ConstKind.INFINITY) {
      return Optional.of(End.MINUS_INFINITY);
    }
    return session.realValue(e).map(v -> End.of(e, v));
  }

  static int compareEnds(End a, End b) {
    if (a.infinity() != 0 || b.infinity() != 0) {
      return Integer.compare(a.infinity(), b.infinity());
    }
    if (numericallyEqual(a.value(), b.value())) {
      return 0;
    }
    return a.value().compareTo(b.value());
  }

  static boolean numericallyEqual(BigDecimal a, BigDecimal b) {
    BigDecimal scale = a.abs().max(b.abs()).max(BigDecimal.ONE);
    return a.subtract(b).abs().compareTo(scale.multiply(SymjaSession.NUMERIC_EPSILON)) <= 0;
  }

  /** Equal canonical forms; ends are equal numerically or by {@code endsEqual} (which knows float rounding). */
  static boolean samePieces(List<Piece> a, List<Piece> b, BiPredicate<Expr, Expr> endsEqual) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      Piece p = a.get(i);
      Piece q = b.get(i);
      if (p.loOpen() != q.loOpen() || p.hiOpen() != q.hiOpen()
          || !sameEnd(p.lo(), q.lo(), endsEqual) || !sameEnd(p.hi(), q.hi(), endsEqual)) {
        return false;
      }
    }
    return true;
  }

  private static boolean sameEnd(End a, End b, BiPredicate<Expr, Expr> endsEqual) {
    if (a.infinity() != 0 || b.infinity() != 0) {
      return a.infinity() == b.infinity();
    }
    return compareEnds(a, b) == 0 || endsEqual.test(a.expr(), b.expr());
  }

  // ---------------------------------------------------------------- relations as sets

  /**
   * The solution set of a relation or chain in one variable ({@code x > 5}, {@code -2 \le x \le 7},
   * {@code 1 \le |z| \le 3/2}) as intervals and points; empty when it has several variables or
   * its boundary points cannot be found.
   */
  Optional<Expr> relationAsSet(Expr relation) {
    Expr rel = Exprs.unwrapFunctions(relation);
    List<Rel> links = rel instanceof And a ? a.links() : rel instanceof Rel r ? List.of(r) : List.of();
    if (links.isEmpty()) {
      return Optional.empty();
    }
    Set<String> vars = Exprs.freeSymbols(rel);
    if (vars.size() != 1) {
      return Optional.empty();
    }
    String v = vars.iterator().next();
    List<Expr> differences = new ArrayList<>();
    List<Expr> rootExprs = new ArrayList<>();
    for (Rel link : links) {
      if (isContainer(link.lhs()) || isContainer(link.rhs())) {
        return Optional.empty();
      }
      Expr h = Exprs.subtract(link.lhs(), link.rhs());
      differences.add(h);
      for (Expr variant : withoutAbsoluteValues(h, 3)) {
        Optional<List<Expr>> roots = session.realRoots(variant, v);
        if (roots.isEmpty()) {
          return Optional.empty();
        }
        rootExprs.addAll(roots.get());
      }
    }
    List<End> roots = new ArrayList<>();
    for (Expr r : rootExprs) {
      Optional<BigDecimal> value = session.realValue(r);
      if (value.isEmpty()) {
        return Optional.empty();
      }
      End candidate = End.of(r, value.get());
      if (roots.stream().noneMatch(x -> compareEnds(x, candidate) == 0)) {
        roots.add(candidate);
      }
    }
    roots.sort(SetAlgebra::compareEnds);
    // The line splits into gap 0, root 0, gap 1, ..., root k-1, gap k; test one point of each.
    int k = roots.size();
    int n = 2 * k + 1;
    boolean[] holds = new boolean[n];
    for (int i = 0; i <= k; i++) {
      BigDecimal probe;
      if (k == 0) {
        probe = BigDecimal.ZERO;
      } else if (i == 0) {
        probe = roots.get(0).value().subtract(BigDecimal.ONE);
      } else if (i == k) {
        probe = roots.get(k - 1).value().add(BigDecimal.ONE);
      } else {
        probe = roots.get(i - 1).value().add(roots.get(i).value())
            .divide(BigDecimal.valueOf(2), MathContext.DECIMAL128);
      }
      holds[2 * i] = holds(links, differences, v, new Num(BigRational.of(probe), false));
      if (i < k) {
        holds[2 * i + 1] = holds(links, differences, v, roots.get(i).expr());
      }
    }
    List<Expr> parts = new ArrayList<>();
    int a = 0;
    while (a < n) {
      if (!holds[a]) {
        a++;
        continue;
      }
      int b = a;
      while (b + 1 < n && holds[b + 1]) {
        b++;
      }
      if (a == b && a % 2 == 1) {
        parts.add(new FiniteSet(List.of(roots.get(a / 2).expr())));
      } else {
        Expr lo = a % 2 == 1 ? roots.get(a / 2).expr()
            : a == 0 ? Exprs.negate(new Const(ConstKind.INFINITY)) : roots.get(a / 2 - 1).expr();
        Expr hi = b % 2 == 1 ? roots.get(b / 2).expr()
            : b == n - 1 ? new Const(ConstKind.INFINITY) : roots.get(b / 2).expr();
        parts.add(new Interval(lo, hi, a % 2 == 0, b % 2 == 0));
      }
      a = b + 1;
    }
    if (parts.isEmpty()) {
      return Optional.of(new SpecialSet(SpecialSetKind.EMPTY));
    }
    Expr result = parts.get(0);
    for (int i = 1; i < parts.size(); i++) {
      result = new SetOp(SetOpKind.UNION, result, parts.get(i));
    }
    return Optional.of(result);
  }

  /**
   * {@code h} with each {@code |u|} replaced by {@code u} and by {@code -u}: the boundary points
   * of {@code h} are among the roots of these variants. (Symja's Solve misses some roots of
   * equations with absolute values, e.g. one of {@code |z| = 3/2}.) Extra points are harmless:
   * every point and gap is tested against the original relation.
   */
  private static List<Expr> withoutAbsoluteValues(Expr h, int budget) {
    Optional<Expr> abs = firstAbs(h);
    if (abs.isEmpty() || budget == 0) {
      return List.of(h);
    }
    Expr target = abs.get();
    Expr inner = ((Expr.Fn) target).args().get(0);
    List<Expr> out = new ArrayList<>();
    out.add(h);
    for (Expr replacement : List.of(inner, Exprs.negate(inner))) {
      Expr replaced = Exprs.transform(h, x -> x.equals(target) ? replacement : x);
      out.addAll(withoutAbsoluteValues(replaced, budget - 1));
    }
    return out;
  }

  private static Optional<Expr> firstAbs(Expr e) {
    if (e instanceof Expr.Fn f && f.name().equals("abs")) {
      return Optional.of(e);
    }
    for (Expr k : Exprs.children(e)) {
      Optional<Expr> found = firstAbs(k);
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }

  private static boolean isContainer(Expr e) {
    return e instanceof Interval || e instanceof FiniteSet || e instanceof SetOp
        || e instanceof SpecialSet || e instanceof Expr.Tuple || e instanceof Expr.Matrix;
  }

  private boolean holds(List<Rel> links, List<Expr> differences, String v, Expr at) {
    for (int i = 0; i < links.size(); i++) {
      Expr h = Exprs.transform(differences.get(i), x -> x instanceof Sym s && s.name().equals(v) ? at : x);
      Optional<BigDecimal> value = session.realValue(h);
      if (value.isEmpty()) {
        return false;
      }
      BigDecimal d = value.get();
      int sign = numericallyEqual(d, BigDecimal.ZERO) ? 0 : d.signum();
      boolean ok = switch (links.get(i).kind()) {
        case EQ -> sign == 0;
        case NE -> sign != 0;
        case LT -> sign < 0;
        case LE -> sign <= 0;
        case GT -> sign > 0;
        case GE -> sign >= 0;
      };
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
