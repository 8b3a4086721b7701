package dev.rlft.verify.expr;

import dev.rlft.verify.numeric.BigRational;
import java.util.List;
import java.util.Objects;

/**
 * Parsed mathematical answer: a small immutable tree that the comparison code walks.
 *
 * <p>Scalars ({@link Num}, {@link Sym}, {@link Const}, {@link Add}, {@link Mul}, {@link Pow},
 * {@link Fn}, {@link Apply}, {@link Percent}, {@link PlusMinus}) become Symja expressions for
 * symbolic work; containers ({@link Tuple}, {@link FiniteSet}, {@link Interval}, {@link SetOp},
 * {@link SpecialSet}, {@link Matrix}) and relations ({@link Rel}, {@link And}) are compared
 * structurally in Java, element by element.
 */
public sealed interface Expr {

  /** A number literal; {@code isFloat} records that it was written with a decimal point or exponent. */
  record Num(BigRational value, boolean isFloat) implements Expr {
    public Num {
      Objects.requireNonNull(value, "value");
    }

    public static Num of(long v) {
      return new Num(BigRational.of(v), false);
    }
  }

  /** A variable; {@code text} marks a name that came from {@code \text{...}}. */
  record Sym(String name, boolean text) implements Expr {
    public Sym {
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("symbol name must be non-empty, got " + name);
      }
    }
  }

  /** Mathematical constants. */
  enum ConstKind { PI, E, I, INFINITY }

  /** A constant such as {@code \pi} or {@code \infty}. */
  record Const(ConstKind kind) implements Expr {}

  /** Sum of two or more terms. */
  record Add(List<Expr> terms) implements Expr {
    public Add {
      terms = List.copyOf(terms);
    }
  }

  /** Product of two or more factors (a quotient is a product with a {@code Pow(x, -1)} factor). */
  record Mul(List<Expr> factors) implements Expr {
    public Mul {
      factors = List.copyOf(factors);
    }
  }

  /** {@code base ^ exponent}. */
  record Pow(Expr base, Expr exponent) implements Expr {}

  /**
   * A known function: sin, cos, tan, cot, sec, csc, arcsin, arccos, arctan, sinh, cosh, tanh,
   * ln, log (1 or 2 args: value, base), exp, sqrt, abs, floor, ceil, factorial, binomial, max,
   * min, gcd, lcm, det, mod.
   */
  record Fn(String name, List<Expr> args) implements Expr {
    public Fn {
      args = List.copyOf(args);
    }
  }

  /** Application of an undefined function, e.g. {@code f(x)}. */
  record Apply(String name, List<Expr> args) implements Expr {
    public Apply {
      args = List.copyOf(args);
    }
  }

  /** {@code \sum} or {@code \prod} with an index variable and bounds. */
  record BigOp(boolean product, Expr body, Sym index, Expr from, Expr to) implements Expr {}

  /** {@code x%}, kept apart from {@code x/100} so that "20%" can also match "20". */
  record Percent(Expr inner) implements Expr {}

  /** {@code left ± right}, or {@code ±right} when left is null; expanded into two values. */
  record PlusMinus(Expr left, Expr right) implements Expr {}

  /** Ordered tuple (also a vector written with parentheses). */
  record Tuple(List<Expr> items) implements Expr {
    public Tuple {
      items = List.copyOf(items);
    }
  }

  /** Finite set; items keep their written order (needed for tuple-versus-set comparison). */
  record FiniteSet(List<Expr> items) implements Expr {
    public FiniteSet {
      items = List.copyOf(items);
    }
  }

  /** Real interval with open or closed ends. */
  record Interval(Expr lo, Expr hi, boolean loOpen, boolean hiOpen) implements Expr {}

  /** Set operations. */
  enum SetOpKind { UNION, INTERSECTION, MINUS }

  /** Binary set operation. */
  record SetOp(SetOpKind kind, Expr left, Expr right) implements Expr {}

  /** Well-known sets. */
  enum SpecialSetKind { EMPTY, REALS, INTEGERS, NATURALS, RATIONALS, COMPLEXES }

  /** A well-known set such as the empty set or the reals. */
  record SpecialSet(SpecialSetKind kind) implements Expr {}

  /** Matrix given row by row; all rows have the same length. */
  record Matrix(List<List<Expr>> rows) implements Expr {
    public Matrix {
      if (rows.isEmpty()) {
        throw new IllegalArgumentException("matrix needs at least one row");
      }
      int width = rows.get(0).size();
      for (List<Expr> row : rows) {
        if (row.size() != width || width == 0) {
          throw new IllegalArgumentException("ragged or empty matrix row: " + row.size() + " vs " + width);
        }
      }
      rows = rows.stream().map(List::copyOf).toList();
    }

    public int height() {
      return rows.size();
    }

    public int width() {
      return rows.get(0).size();
    }
  }

  /** Relation operators. */
  enum RelKind {
    EQ, NE, LT, LE, GT, GE;

    /** The operator with the sides swapped: {@code a < b} is {@code b > a}. */
    public RelKind flipped() {
      return switch (this) {
        case EQ -> EQ;
        case NE -> NE;
        case LT -> GT;
        case LE -> GE;
        case GT -> LT;
        case GE -> LE;
      };
    }
  }

  /** {@code lhs op rhs}. */
  record Rel(RelKind kind, Expr lhs, Expr rhs) implements Expr {}

  /** A chain such as {@code a < b < c}, stored as its links {@code a < b}, {@code b < c}. */
  record And(List<Rel> links) implements Expr {
    public And {
      if (links.size() < 2) {
        throw new IllegalArgumentException("a chain needs at least two links, got " + links.size());
      }
      links = List.copyOf(links);
    }
  }
}
