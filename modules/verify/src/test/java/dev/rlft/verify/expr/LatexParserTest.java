package dev.rlft.verify.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.rlft.verify.expr.Expr.And;
import dev.rlft.verify.expr.Expr.FiniteSet;
import dev.rlft.verify.expr.Expr.Interval;
import dev.rlft.verify.expr.Expr.Matrix;
import dev.rlft.verify.expr.Expr.Num;
import dev.rlft.verify.expr.Expr.Tuple;
import dev.rlft.verify.numeric.BigRational;
import org.junit.jupiter.api.Test;

class LatexParserTest {
  private static Expr parse(String s) {
    return LatexParser.parse(s, 60, 4000);
  }

  @Test
  void parse_openPair_isInterval() {
    Interval i = assertInstanceOf(Interval.class, parse("(0, 1)"));
    assertEquals(true, i.loOpen());
    assertEquals(true, i.hiOpen());
  }

  @Test
  void parse_decreasingPair_isTuple() {
    assertInstanceOf(Tuple.class, parse("(3, 1)"));
  }

  @Test
  void parse_halfOpen_isInterval() {
    Interval i = assertInstanceOf(Interval.class, parse("[0, 1)"));
    assertEquals(false, i.loOpen());
    assertEquals(true, i.hiOpen());
  }

  @Test
  void parse_bareList_isSet() {
    assertEquals(3, assertInstanceOf(FiniteSet.class, parse("1, 2, 3")).items().size());
  }

  @Test
  void parse_plusMinus_expandsToTwoValues() {
    assertEquals(2, assertInstanceOf(FiniteSet.class, parse("1 \\pm \\sqrt{19}")).items().size());
  }

  @Test
  void parse_thousandsCommas_isOneNumber() {
    assertEquals(new Num(BigRational.of(14916), false), parse("14,916"));
  }

  @Test
  void parse_mixedNumber_addsFraction() {
    assertEquals(new Num(BigRational.of(5).divide(BigRational.of(2)), false), parse("2\\frac{1}{2}"));
  }

  @Test
  void parse_relationChain_keepsLinks() {
    assertEquals(2, assertInstanceOf(And.class, parse("-2 \\le x \\le 7")).links().size());
  }

  @Test
  void parse_matrix_hasRowsAndColumns() {
    Matrix m = assertInstanceOf(Matrix.class, parse("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}"));
    assertEquals(2, m.height());
    assertEquals(2, m.width());
  }

  @Test
  void parse_approximation_keepsExactValue() {
    assertEquals(new Num(BigRational.of(11), false), parse("x \\approx 11"));
  }

  @Test
  void parse_unknownCommand_throws() {
    assertThrows(ParseException.class, () -> parse("1 = \\zzz"));
  }

  @Test
  void parse_tooDeep_throws() {
    assertThrows(ParseException.class, () -> parse("(".repeat(500) + "1" + ")".repeat(500)));
  }

  @Test
  void parse_sentence_throws() {
    assertThrows(ParseException.class, () -> parse("the answer is? yes!"));
  }
}
