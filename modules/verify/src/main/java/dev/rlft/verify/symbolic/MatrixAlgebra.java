package dev.rlft.verify.symbolic;

import dev.rlft.verify.expr.Expr;
import dev.rlft.verify.expr.Expr.Add;
import dev.rlft.verify.expr.Expr.Matrix;
import dev.rlft.verify.expr.Expr.Mul;
import dev.rlft.verify.expr.Expr.Num;
import dev.rlft.verify.expr.Expr.Pow;
import dev.rlft.verify.expr.Exprs;
import dev.rlft.verify.numeric.BigRational;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Carries out sums, scalar multiples, products and small integer powers of matrices written in
 * an answer ({@code A + B}, {@code 2A}, {@code AB}), leaving the entries as unevaluated
 * expressions; the entries are compared one by one afterwards.
 */
final class MatrixAlgebra {
  private static final int MAX_POWER = 8;

  private MatrixAlgebra() {}

  /** The matrix {@code e} denotes, or empty when {@code e} is not (only) matrix arithmetic. */
  static Optional<Matrix> reduce(Expr e) {
    if (e instanceof Matrix m) {
      return Optional.of(m);
    }
    if (!Exprs.contains(e, Matrix.class)) {
      return Optional.empty();
    }
    if (e instanceof Add a) {
      Matrix sum = null;
      for (Expr t : a.terms()) {
        Optional<Matrix> m = reduce(t);
        if (m.isEmpty()) {
          return Optional.empty();
        }
        sum = sum == null ? m.get() : add(sum, m.get());
        if (sum == null) {
          return Optional.empty();
        }
      }
      return Optional.ofNullable(sum);
    }
    if (e instanceof Mul m) {
      Expr scalar = null;
      Matrix product = null;
      for (Expr f : m.factors()) {
        if (!Exprs.contains(f, Matrix.class)) {
          scalar = scalar == null ? f : Exprs.mul(List.of(scalar, f));
          continue;
        }
        Optional<Matrix> r = reduce(f);
        if (r.isEmpty()) {
          return Optional.empty();
        }
        product = product == null ? r.get() : multiply(product, r.get());
        if (product == null) {
          return Optional.empty();
        }
      }
      if (product == null) {
        return Optional.empty();
      }
      return Optional.of(scalar == null ? product : scale(scalar, product));
    }
    if (e instanceof Pow p && p.exponent() instanceof Num n && !n.isFloat() && n.value().isInteger()
        && n.value().signum() > 0 && n.value().compareTo(BigRational.of(MAX_POWER)) <= 0) {
      Optional<Matrix> base = reduce(p.base());
      if (base.isEmpty()) {
        return Optional.empty();
      }
      Matrix r = base.get();
      for (int i = 1; i < n.value().numerator().intValue(); i++) {
        r = multiply(r, base.get());
        if (r == null) {
          return Optional.empty();
        }
      }
      return Optional.of(r);
    }
    return Optional.empty();
  }

  private static Matrix add(Matrix a, Matrix b) {
    if (a.height() != b.height() || a.width() != b.width()) {
      return null;
    }
    List<List<Expr>> rows = new ArrayList<>();
    for (int r = 0; r < a.height(); r++) {
      List<Expr> row = new ArrayList<>();
      for (int c = 0; c < a.width(); c++) {
        row.add(new Add(List.of(a.rows().get(r).get(c), b.rows().get(r).get(c))));
      }
      rows.add(row);
    }
    return new Matrix(rows);
  }

  private static Matrix multiply(Matrix a, Matrix b) {
    if (a.width() != b.height()) {
      return null;
    }
    List<List<Expr>> rows = new ArrayList<>();
    for (int r = 0; r < a.height(); r++) {
      List<Expr> row = new ArrayList<>();
      for (int c = 0; c < b.width(); c++) {
        List<Expr> terms = new ArrayList<>();
        for (int k = 0; k < a.width(); k++) {
          terms.add(Exprs.mul(List.of(a.rows().get(r).get(k), b.rows().get(k).get(c))));
        }
        row.add(Exprs.add(terms));
      }
      rows.add(row);
    }
    return new Matrix(rows);
  }

  private static Matrix scale(Expr s, Matrix m) {
    List<List<Expr>> rows = new ArrayList<>();
    for (List<Expr> row : m.rows()) {
      rows.add(row.stream().map(x -> Exprs.mul(List.of(s, x))).toList());
    }
    return new Matrix(rows);
  }
}
