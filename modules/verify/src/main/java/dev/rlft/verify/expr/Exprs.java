package dev.rlft.verify.expr;

import dev.rlft.verify.expr.Expr.Add;
import dev.rlft.verify.expr.Expr.And;
import dev.rlft.verify.expr.Expr.Apply;
import dev.rlft.verify.expr.Expr.BigOp;
import dev.rlft.verify.expr.Expr.Const;
import dev.rlft.verify.expr.Expr.FiniteSet;
import dev.rlft.verify.expr.Expr.Fn;
import dev.rlft.verify.expr.Expr.Interval;
import dev.rlft.verify.expr.Expr.Matrix;
import dev.rlft.verify.expr.Expr.Mul;
import dev.rlft.verify.expr.Expr.Num;
import dev.rlft.verify.expr.Expr.Percent;
import dev.rlft.verify.expr.Expr.PlusMinus;
import dev.rlft.verify.expr.Expr.Pow;
import dev.rlft.verify.expr.Expr.Rel;
import dev.rlft.verify.expr.Expr.SetOp;
import dev.rlft.verify.expr.Expr.SpecialSet;
import dev.rlft.verify.expr.Expr.Sym;
import dev.rlft.verify.expr.Expr.Tuple;
import dev.rlft.verify.numeric.BigRational;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

/** Helpers for building, walking and rewriting {@link Expr} trees. */
public final class Exprs {
  /** Upper bound on the values one {@code \pm} expression may expand into. */
  private static final int MAX_PLUS_MINUS_VARIANTS = 16;

  private Exprs() {}

  public static Expr negate(Expr e) {
    if (e instanceof Num n) {
      return new Num(n.value().negate(), n.isFloat());
    }
    List<Expr> factors = new ArrayList<>();
    factors.add(Num.of(-1));
    if (e instanceof Mul m) {
      factors.addAll(m.factors());
    } else {
      factors.add(e);
    }
    return new Mul(factors);
  }

  public static Expr reciprocal(Expr e) {
    if (e instanceof Num n && !n.isFloat() && n.value().signum() != 0) {
      return new Num(BigRational.ONE.divide(n.value()), false);
    }
    return new Pow(e, Num.of(-1));
  }

  /** {@code a / b}; two integer literals become one exact rational, as in latex2sympy. */
  public static Expr divide(Expr a, Expr b) {
    if (a instanceof Num x && b instanceof Num y && !x.isFloat() && !y.isFloat()
        && x.value().isInteger() && y.value().isInteger() && y.value().signum() != 0) {
      return new Num(x.value().divide(y.value()), false);
    }
    return mul(List.of(a, reciprocal(b)));
  }

  /** Product with nested products flattened. */
  public static Expr mul(List<Expr> factors) {
    List<Expr> flat = new ArrayList<>();
    for (Expr f : factors) {
      if (f instanceof Mul m) {
        flat.addAll(m.factors());
      } else {
        flat.add(f);
      }
    }
    return flat.size() == 1 ? flat.get(0) : new Mul(flat);
  }

  public static Expr add(List<Expr> terms) {
    return terms.size() == 1 ? terms.get(0) : new Add(terms);
  }

  /** {@code a - b}. */
  public static Expr subtract(Expr a, Expr b) {
    return new Add(List.of(a, negate(b)));
  }

  /** Direct sub-expressions, in order. */
  public static List<Expr> children(Expr e) {
    if (e instanceof Num || e instanceof Sym || e instanceof Const || e instanceof SpecialSet) {
      return List.of();
    }
    if (e instanceof Add a) {
      return a.terms();
    }
    if (e instanceof Mul m) {
      return m.factors();
    }
    if (e instanceof Pow p) {
      return List.of(p.base(), p.exponent());
    }
    if (e instanceof Fn f) {
      return f.args();
    }
    if (e instanceof Apply a) {
      return a.args();
    }
    if (e instanceof BigOp b) {
      return List.of(b.body(), b.index(), b.from(), b.to());
    }
    if (e instanceof Percent p) {
      return List.of(p.inner());
    }
    if (e instanceof PlusMinus pm) {
      return pm.left() == null ? List.of(pm.right()) : List.of(pm.left(), pm.right());
    }
    if (e instanceof Tuple t) {
      return t.items();
    }
    if (e instanceof FiniteSet s) {
      return s.items();
    }
    if (e instanceof Interval i) {
      return List.of(i.lo(), i.hi());
    }
    if (e instanceof SetOp s) {
      return List.of(s.left(), s.right());
    }
    if (e instanceof Matrix m) {
      return m.rows().stream().flatMap(List::stream).toList();
    }
    if (e instanceof Rel r) {
      return List.of(r.lhs(), r.rhs());
    }
    if (e instanceof And a) {
      return List.copyOf(a.links());
    }
    throw new IllegalStateException("unknown node " + e.getClass());
  }

  /** Rebuilds {@code e} with new children, given in the order {@link #children} returns them. */
  public static Expr withChildren(Expr e, List<Expr> c) {
    if (e instanceof Num || e instanceof Sym || e instanceof Const || e instanceof SpecialSet) {
      return e;
    }
    if (e instanceof Add) {
      return new Add(c);
    }
    if (e instanceof Mul) {
      return new Mul(c);
    }
    if (e instanceof Pow) {
      return new Pow(c.get(0), c.get(1));
    }
    if (e instanceof Fn f) {
      return new Fn(f.name(), c);
    }
    if (e instanceof Apply a) {
      return new Apply(a.name(), c);
    }
    if (e instanceof BigOp b) {
      return new BigOp(b.product(), c.get(0), (Sym) c.get(1), c.get(2), c.get(3));
    }
    if (e instanceof Percent) {
      return new Percent(c.get(0));
    }
    if (e instanceof PlusMinus pm) {
      return pm.left() == null ? new PlusMinus(null, c.get(0)) : new PlusMinus(c.get(0), c.get(1));
    }
    if (e instanceof Tuple) {
      return new Tuple(c);
    }
    if (e instanceof FiniteSet) {
      return new FiniteSet(c);
    }
    if (e instanceof Interval i) {
      return new Interval(c.get(0), c.get(1), i.loOpen(), i.hiOpen());
    }
    if (e instanceof SetOp s) {
      return new SetOp(s.kind(), c.get(0), c.get(1));
    }
    if (e instanceof Matrix m) {
      List<List<Expr>> rows = new ArrayList<>();
      Iterator<Expr> it = c.iterator();
      for (int r = 0; r < m.height(); r++) {
        List<Expr> row = new ArrayList<>();
        for (int k = 0; k < m.width(); k++) {
          row.add(it.next());
        }
        rows.add(row);
      }
      return new Matrix(rows);
    }
    if (e instanceof Rel r) {
      return new Rel(r.kind(), c.get(0), c.get(1));
    }
    if (e instanceof And) {
      return new And(c.stream().map(x -> (Rel) x).toList());
    }
    throw new IllegalStateException("unknown node " + e.getClass());
  }

  /** Bottom-up rewrite: children first, then {@code f} on the rebuilt node. */
  public static Expr transform(Expr e, UnaryOperator<Expr> f) {
    List<Expr> kids = children(e);
    if (kids.isEmpty()) {
      return f.apply(e);
    }
    List<Expr> mapped = new ArrayList<>(kids.size());
    boolean changed = false;
    for (Expr k : kids) {
      Expr m = transform(k, f);
      changed |= m != k;
      mapped.add(m);
    }
    return f.apply(changed ? withChildren(e, mapped) : e);
  }

  public static boolean contains(Expr e, Class<? extends Expr> type) {
    if (type.isInstance(e)) {
      return true;
    }
    for (Expr k : children(e)) {
      if (contains(k, type)) {
        return true;
      }
    }
    return false;
  }

  /** Names of free variables (summation indices excluded). */
  public static Set<String> freeSymbols(Expr e) {
    Set<String> out = new LinkedHashSet<>();
    collectSymbols(e, out, Set.of());
    return out;
  }

  private static void collectSymbols(Expr e, Set<String> out, Set<String> bound) {
    if (e instanceof Sym s) {
      if (!bound.contains(s.name())) {
        out.add(s.name());
      }
      return;
    }
    if (e instanceof BigOp b) {
      Set<String> inner = new LinkedHashSet<>(bound);
      inner.add(b.index().name());
      collectSymbols(b.body(), out, inner);
      collectSymbols(b.from(), out, bound);
      collectSymbols(b.to(), out, bound);
      return;
    }
    for (Expr k : children(e)) {
      collectSymbols(k, out, bound);
    }
  }

  /** Renames variables; names missing from {@code renames} stay. */
  public static Expr renameSymbols(Expr e, Map<String, String> renames) {
    return transform(e, x -> x instanceof Sym s && renames.containsKey(s.name())
        ? new Sym(renames.get(s.name()), s.text()) : x);
  }

  /**
   * latex2sympy's {@code is_expr_of_only_symbols}: true for a variable, or a compound whose
   * leaves are all variables (so {@code AB}, {@code A/B}, {@code f(x)}, {@code (p,q)}, but not
   * {@code 2x}).
   */
  public static boolean onlySymbols(Expr e) {
    if (e instanceof Sym) {
      return true;
    }
    if (e instanceof Pow p && p.exponent() instanceof Num n && n.value().equals(BigRational.of(-1))) {
      return onlySymbols(p.base());
    }
    if (e instanceof Num || e instanceof Const || e instanceof SpecialSet) {
      return false;
    }
    List<Expr> kids = children(e);
    if (kids.isEmpty()) {
      return false;
    }
    return kids.stream().allMatch(Exprs::onlySymbols);
  }

  /** Every value a {@code \pm} expression stands for (the expression itself if it has none). */
  public static List<Expr> expandPlusMinus(Expr e) {
    if (!contains(e, PlusMinus.class)) {
      return List.of(e);
    }
    List<Expr> out = expand(e);
    return out.size() > MAX_PLUS_MINUS_VARIANTS ? List.of(e) : out;
  }

  private static List<Expr> expand(Expr e) {
    if (e instanceof PlusMinus pm) {
      List<Expr> out = new ArrayList<>();
      for (Expr r : expand(pm.right())) {
        if (pm.left() == null) {
          out.add(negate(r));
          out.add(r);
        } else {
          for (Expr l : expand(pm.left())) {
            out.add(add(List.of(l, r)));
            out.add(add(List.of(l, negate(r))));
          }
        }
        if (out.size() > MAX_PLUS_MINUS_VARIANTS) {
          return out;
        }
      }
      return out;
    }
    List<Expr> kids = children(e);
    if (kids.isEmpty() || !contains(e, PlusMinus.class)) {
      return List.of(e);
    }
    List<List<Expr>> combos = new ArrayList<>();
    combos.add(new ArrayList<>());
    for (Expr k : kids) {
      List<Expr> variants = expand(k);
      List<List<Expr>> next = new ArrayList<>();
      for (List<Expr> prefix : combos) {
        for (Expr v : variants) {
          List<Expr> p = new ArrayList<>(prefix);
          p.add(v);
          next.add(p);
        }
      }
      combos = next;
      if (combos.size() > MAX_PLUS_MINUS_VARIANTS) {
        // Too many combinations: report "too many" and let the caller keep the unexpanded form.
        return Collections.nCopies(MAX_PLUS_MINUS_VARIANTS + 1, e);
      }
    }
    return combos.stream().map(c -> withChildren(e, c)).toList();
  }

  /** Replaces {@code f(x)} by a variable named {@code f_x}, as Math-Verify does before solving. */
  public static Expr unwrapFunctions(Expr e) {
    return transform(e, x -> x instanceof Apply a
        ? new Sym(a.name() + "_" + a.args().stream().map(Exprs::toText).collect(Collectors.joining("_")), false)
        : x);
  }

  /** Total number of nodes, used to bound work. */
  public static int size(Expr e) {
    int n = 1;
    for (Expr k : children(e)) {
      n += size(k);
    }
    return n;
  }

  /** Compact, unambiguous text form (for messages and derived names; not LaTeX). */
  public static String toText(Expr e) {
    if (e instanceof Num n) {
      return n.isFloat()
          ? n.value().toBigDecimal(MathContext.DECIMAL64).stripTrailingZeros().toPlainString()
          : n.value().toString();
    }
    if (e instanceof Sym s) {
      return s.name();
    }
    if (e instanceof Const c) {
      switch (c.kind()) {
        case PI:
          return "pi";
        case E:
          return "e";
        case I:
          return "i";
        default:
          return "oo";
      }
    }
    if (e instanceof SpecialSet s) {
      return s.kind().name().toLowerCase(Locale.ROOT);
    }
    if (e instanceof Add a) {
      return join("(", a.terms(), " + ", ")");
    }
    if (e instanceof Mul m) {
      return join("(", m.factors(), "*", ")");
    }
    if (e instanceof Pow p) {
      return toText(p.base()) + "^" + toText(p.exponent());
    }
    if (e instanceof Fn f) {
      return join(f.name() + "(", f.args(), ", ", ")");
    }
    if (e instanceof Apply a) {
      return join(a.name() + "(", a.args(), ", ", ")");
    }
    if (e instanceof BigOp b) {
      return join(b.product() ? "prod(" : "sum(", List.of(b.body(), b.index(), b.from(), b.to()), ", ", ")");
    }
    if (e instanceof Percent p) {
      return toText(p.inner()) + "%";
    }
    if (e instanceof PlusMinus pm) {
      return (pm.left() == null ? "" : toText(pm.left())) + " +- " + toText(pm.right());
    }
    if (e instanceof Tuple t) {
      return join("(", t.items(), ", ", ")");
    }
    if (e instanceof FiniteSet s) {
      return join("{", s.items(), ", ", "}");
    }
    if (e instanceof Interval i) {
      return (i.loOpen() ? "(" : "[") + toText(i.lo()) + ", " + toText(i.hi()) + (i.hiOpen() ? ")" : "]");
    }
    if (e instanceof SetOp s) {
      return "(" + toText(s.left()) + " " + s.kind().name().toLowerCase(Locale.ROOT) + " " + toText(s.right()) + ")";
    }
    if (e instanceof Matrix m) {
      return m.rows().stream().map(r -> join("[", r, ", ", "]")).collect(Collectors.joining(", ", "matrix[", "]"));
    }
    if (e instanceof Rel r) {
      return toText(r.lhs()) + " " + relText(r.kind()) + " " + toText(r.rhs());
    }
    if (e instanceof And a) {
      return a.links().stream().map(Exprs::toText).collect(Collectors.joining(" and "));
    }
    throw new IllegalStateException("unknown node " + e.getClass());
  }

  private static String join(String open, List<? extends Expr> items, String sep, String close) {
    return items.stream().map(Exprs::toText).collect(Collectors.joining(sep, open, close));
  }

  private static String relText(Expr.RelKind k) {
    switch (k) {
      case EQ:
        return "=";
      case NE:
        return "!=";
      case LT:
        return "<";
      case LE:
        return "<=";
      case GT:
        return ">";
      default:
        return ">=";
    }
  }
}
