package dev.rlft.verify.numeric;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Exact rational number {@code num/den} in lowest terms with {@code den > 0}.
 *
 * <p>Used for exact comparison of integer, decimal, fraction and percentage answers without
 * floating point: {@code 0.1 + 0.2} is exactly {@code 3/10}.
 */
public final class BigRational implements Comparable<BigRational> {
  public static final BigRational ZERO = new BigRational(BigInteger.ZERO, BigInteger.ONE);
  public static final BigRational ONE = new BigRational(BigInteger.ONE, BigInteger.ONE);

  private final BigInteger num;
  private final BigInteger den;

  private BigRational(BigInteger num, BigInteger den) {
    this.num = num;
    this.den = den;
  }

  /** {@code num/den} reduced; throws {@link ArithmeticException} when {@code den == 0}. */
  public static BigRational of(BigInteger num, BigInteger den) {
    if (den.signum() == 0) {
      throw new ArithmeticException("division by zero");
    }
    if (den.signum() < 0) {
      num = num.negate();
      den = den.negate();
    }
    BigInteger g = num.gcd(den);
    if (!g.equals(BigInteger.ONE) && g.signum() != 0) {
      num = num.divide(g);
      den = den.divide(g);
    }
    if (num.signum() == 0) {
      den = BigInteger.ONE;
    }
    return new BigRational(num, den);
  }

  public static BigRational of(long v) {
    return new BigRational(BigInteger.valueOf(v), BigInteger.ONE);
  }

  public static BigRational of(BigInteger v) {
    return new BigRational(v, BigInteger.ONE);
  }

  /** Exact value of a finite decimal such as {@code -12.50} or {@code 1.5e-3}. */
  public static BigRational of(BigDecimal d) {
    BigInteger unscaled = d.unscaledValue();
    int scale = d.scale();
    if (scale <= 0) {
      return of(unscaled.multiply(BigInteger.TEN.pow(-scale)));
    }
    return of(unscaled, BigInteger.TEN.pow(scale));
  }

  public BigInteger numerator() {
    return num;
  }

  public BigInteger denominator() {
    return den;
  }

  public boolean isInteger() {
    return den.equals(BigInteger.ONE);
  }

  public int signum() {
    return num.signum();
  }

  public BigRational add(BigRational o) {
    return of(num.multiply(o.den).add(o.num.multiply(den)), den.multiply(o.den));
  }

  public BigRational subtract(BigRational o) {
    return add(o.negate());
  }

  public BigRational multiply(BigRational o) {
    return of(num.multiply(o.num), den.multiply(o.den));
  }

  public BigRational divide(BigRational o) {
    return of(num.multiply(o.den), den.multiply(o.num));
  }

  public BigRational negate() {
    return new BigRational(num.negate(), den);
  }

  public BigRational abs() {
    return num.signum() < 0 ? negate() : this;
  }

  /** Integer power; the caller bounds {@code |exponent|} so the result stays small. */
  public BigRational pow(int exponent) {
    if (exponent >= 0) {
      return new BigRational(num.pow(exponent), den.pow(exponent));
    }
    return of(den.pow(-exponent), num.pow(-exponent));
  }

  /** Rough size in bits, used to refuse computations that would blow up. */
  public long bitLength() {
    return (long) num.bitLength() + den.bitLength();
  }

  public BigDecimal toBigDecimal(MathContext mc) {
    return new BigDecimal(num).divide(new BigDecimal(den), mc);
  }

  /** Value rounded half-up to {@code places} digits after the decimal point. */
  public BigDecimal round(int places) {
    return new BigDecimal(num).divide(new BigDecimal(den), places, RoundingMode.HALF_UP);
  }

  @Override
  public int compareTo(BigRational o) {
    return num.multiply(o.den).compareTo(o.num.multiply(den));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BigRational r && num.equals(r.num) && den.equals(r.den);
  }

  @Override
  public int hashCode() {
    return 31 * num.hashCode() + den.hashCode();
  }

  @Override
  public String toString() {
    return isInteger() ? num.toString() : num + "/" + den;
  }
}
