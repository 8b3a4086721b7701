package dev.rlft.verify.numeric;

import dev.rlft.verify.expr.Expr;
import dev.rlft.verify.expr.Expr.Add;
import dev.rlft.verify.expr.Expr.Fn;
import dev.rlft.verify.expr.Expr.Mul;
import dev.rlft.verify.expr.Expr.Num;
import dev.rlft.verify.expr.Expr.Percent;
import dev.rlft.verify.expr.Expr.Pow;
import java.math.BigInteger;
import java.util.Optional;

/**
 * Evaluates an expression to an exact rational when it is pure arithmetic on numbers.
 *
 * <p>Handles {@code + * /}, integer powers, square roots and integer roots of perfect powers,
 * |x|, n!, binomials, floor, ceiling and percent. Anything else (variables, π, irrational roots)
 * gives {@link Optional#empty()}, and so does any intermediate result over
 * {@value #MAX_BITS} bits: {@code 10^{10^{10}}} is refused, never computed.
 */
public final class ExactEvaluator {
  /** Largest intermediate value, in bits of numerator plus denominator. */
  public static final int MAX_BITS = 20_000;

  private ExactEvaluator() {}

  public static Optional<BigRational> evaluate(Expr e) {
    try {
      return Optional.ofNullable(eval(e));
    } catch (ArithmeticException ex) {
      return Optional.empty();
    }
  }

  private static BigRational eval(Expr e) {
    if (e instanceof Num n) {
      return checked(n.value());
    }
    if (e instanceof Add a) {
      BigRational sum = BigRational.ZERO;
      for (Expr t : a.terms()) {
        BigRational v = eval(t);
        if (v == null) {
          return null;
        }
        sum = checked(sum.add(v));
      }
      return sum;
    }
    if (e instanceof Mul m) {
      BigRational prod = BigRational.ONE;
      for (Expr f : m.factors()) {
        BigRational v = eval(f);
        if (v == null) {
          return null;
        }
        prod = checked(prod.multiply(v));
      }
      return prod;
    }
    if (e instanceof Percent p) {
      BigRational v = eval(p.inner());
      return v == null ? null : v.divide(BigRational.of(100));
    }
    if (e instanceof Pow p) {
      return power(p);
    }
    if (e instanceof Fn f) {
      return function(f);
    }
    return null;
  }

  private static BigRational power(Pow p) {
    BigRational base = eval(p.base());
    BigRational exp = eval(p.exponent());
    if (base == null || exp == null) {
      return null;
    }
    if (exp.isInteger()) {
      BigInteger k = exp.numerator();
      if (base.signum() == 0) {
        return k.signum() > 0 ? BigRational.ZERO : null;
      }
      if (base.abs().equals(BigRational.ONE)) {
        return k.testBit(0) ? base : BigRational.ONE;
      }
      if (k.abs().bitLength() > 31 || (long) k.abs().intValue() * base.bitLength() > MAX_BITS) {
        return null;
      }
      return checked(base.pow(k.intValue()));
    }
    // Rational exponent p/q: exact only when base is a perfect q-th power.
    BigInteger q = exp.denominator();
    if (q.bitLength() > 5 || base.signum() < 0) {
      return null;
    }
    int qi = q.intValue();
    BigInteger rn = exactRoot(base.numerator(), qi);
    BigInteger rd = exactRoot(base.denominator(), qi);
    if (rn == null || rd == null) {
      return null;
    }
    return power(new Pow(new Num(BigRational.of(rn, rd), false), new Num(BigRational.of(exp.numerator()), false)));
  }

  private static BigRational function(Fn f) {
    switch (f.name()) {
      case "sqrt": {
        BigRational v = eval(f.args().get(0));
        if (v == null || v.signum() < 0) {
          return null;
        }
        BigInteger n = exactRoot(v.numerator(), 2);
        BigInteger d = exactRoot(v.denominator(), 2);
        return n == null || d == null ? null : BigRational.of(n, d);
      }
      case "abs": {
        BigRational v = eval(f.args().get(0));
        return v == null ? null : v.abs();
      }
      case "floor":
      case "ceil": {
        BigRational v = eval(f.args().get(0));
        if (v == null) {
          return null;
        }
        BigInteger[] qr = v.numerator().divideAndRemainder(v.denominator());
        BigInteger fl = qr[1].signum() < 0 ? qr[0].subtract(BigInteger.ONE) : qr[0];
        if (f.name().equals("ceil") && !v.isInteger()) {
          fl = fl.add(BigInteger.ONE);
        }
        return BigRational.of(fl);
      }
      case "factorial": {
        BigRational v = eval(f.args().get(0));
        if (v == null || !v.isInteger() || v.signum() < 0 || v.numerator().compareTo(BigInteger.valueOf(1000)) > 0) {
          return null;
        }
        BigInteger r = BigInteger.ONE;
        for (int i = 2; i <= v.numerator().intValue(); i++) {
          r = r.multiply(BigInteger.valueOf(i));
        }
        return checked(BigRational.of(r));
      }
      case "binomial": {
        BigRational n = eval(f.args().get(0));
        BigRational k = eval(f.args().get(1));
        if (n == null || k == null || !n.isInteger() || !k.isInteger() || n.signum() < 0
            || n.numerator().compareTo(BigInteger.valueOf(5000)) > 0) {
          return null;
        }
        int ni = n.numerator().intValue();
        int ki = k.numerator().intValue();
        if (ki < 0 || ki > ni) {
          return BigRational.ZERO;
        }
        BigInteger r = BigInteger.ONE;
        for (int i = 0; i < Math.min(ki, ni - ki); i++) {
          r = r.multiply(BigInteger.valueOf(ni - i)).divide(BigInteger.valueOf(i + 1));
        }
        return checked(BigRational.of(r));
      }
      default:
        return null;
    }
  }

  /** The exact integer k-th root of a non-negative n, or null. */
  static BigInteger exactRoot(BigInteger n, int k) {
    if (n.signum() < 0 || n.bitLength() > MAX_BITS) {
      return null;
    }
    if (n.signum() == 0 || n.equals(BigInteger.ONE)) {
      return n;
    }
    if (k == 2) {
      BigInteger r = n.sqrt();
      return r.multiply(r).equals(n) ? r : null;
    }
    BigInteger lo = BigInteger.ONE;
    BigInteger hi = BigInteger.ONE.shiftLeft(n.bitLength() / k + 1);
    while (lo.compareTo(hi) <= 0) {
      BigInteger mid = lo.add(hi).shiftRight(1);
      int c = mid.pow(k).compareTo(n);
      if (c == 0) {
        return mid;
      }
      if (c < 0) {
        lo = mid.add(BigInteger.ONE);
      } else {
        hi = mid.subtract(BigInteger.ONE);
      }
    }
    return null;
  }

  private static BigRational checked(BigRational v) {
    if (v.bitLength() > MAX_BITS) {
      throw new ArithmeticException("value too large");
    }
    return v;
  }
}
