package dev.rlft.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AnswerCheckerTest {
  private static AnswerChecker checker;

  @BeforeAll
  static void create() {
    checker = AnswerChecker.create();
  }

  @AfterAll
  static void close() {
    checker.close();
  }

  static Stream<Arguments> equalPairs() {
    return Stream.of(
        // numbers: integers, decimals, fractions, percentages, scientific notation
        Arguments.of("18", "#### 18"),
        Arguments.of("1000", "The total is 1,000 dollars."),
        Arguments.of("1.5", "The answer is 1.50"),
        Arguments.of("\\frac{1}{2}", "\\boxed{0.5}"),
        Arguments.of("0.5", "\\boxed{\\dfrac12}"),
        Arguments.of("\\frac{3}{4}", "\\boxed{\\tfrac{6}{8}}"),
        Arguments.of("-\\frac{10}{9}", "$-\\frac{10}{9}$"),
        Arguments.of("2\\frac{1}{2}", "\\boxed{2.5}"),
        Arguments.of("137 \\frac{1}{2}", "\\boxed{275/2}"),
        Arguments.of("1500", "\\boxed{1.5\\times 10^{3}}"),
        Arguments.of("1500", "Answer: 1.5e3"),
        Arguments.of("20\\%", "\\boxed{20\\%}"),
        Arguments.of("20\\%", "\\boxed{0.2}"),
        Arguments.of("20\\%", "\\boxed{20}"),
        Arguments.of("\\$32,\\!348", "so she has \\boxed{\\$32,\\!348}"),
        Arguments.of("10,080", "\\boxed{10080}"),
        Arguments.of(".35625", "\\boxed{0.35625}"),
        Arguments.of("3", "\\boxed{3.0}"),
        // LaTeX normalisation
        Arguments.of("\\sqrt{2}", "\\boxed{\\sqrt 2}"),
        Arguments.of("3\\sqrt{13}", "\\boxed{\\sqrt{117}}"),
        Arguments.of("\\frac{\\sqrt{3}}{2}", "\\boxed{\\frac{1}{2}\\sqrt{3}}"),
        Arguments.of("90^\\circ", "\\boxed{90}"),
        Arguments.of("90", "\\boxed{90^{\\circ}}"),
        Arguments.of("12", "$\\boxed{12\\text{ cm}}$"),
        Arguments.of("864 \\mbox{ inches}^2", "\\boxed{864}"),
        Arguments.of("\\pi", "\\boxed{3.14159265}"),
        Arguments.of("2\\pi", "\\boxed{\\frac{4\\pi}{2}}"),
        Arguments.of("\\text{(C)}", "\\boxed{C}"),
        Arguments.of("\\text{Evelyn}", "The winner is $\\boxed{\\text{Evelyn}}$."),
        // symbolic expressions and equations
        Arguments.of("x^2+2x+1", "\\boxed{(x+1)^2}"),
        Arguments.of("\\tan^2(y)+1", "$\\sec^2(y)$"),
        Arguments.of("y = 2x + 3", "\\boxed{2x - y + 3 = 0}"),
        Arguments.of("x=5", "\\boxed{5}"),
        Arguments.of("6 - 5i", "\\boxed{-5i+6}"),
        Arguments.of("1 \\pm \\sqrt{19}", "\\boxed{1-\\sqrt{19}, 1+\\sqrt{19}}"),
        // tuples, intervals, sets, matrices
        Arguments.of("\\left( 3, \\frac{\\pi}{2} \\right)", "polar coordinates are $\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}.$"),
        Arguments.of("(-\\infty, 2) \\cup (3, \\infty)", "\\boxed{(3,\\infty)\\cup(-\\infty,2)}"),
        Arguments.of("[-2, 7]", "we need $-2 \\le x \\le 7$, i.e. $x \\in [-2, 7]$"),
        Arguments.of("\\{1,2,3\\}", "\\boxed{3,2,1}"),
        Arguments.of("\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}",
            "\\boxed{\\begin{pmatrix} -\\frac{1}{3} \\\\ \\frac{2}{3} \\\\ \\frac{5}{3} \\end{pmatrix}}"),
        // extraction rules
        Arguments.of("5", "Final Answer: The final answer is $5$. I hope it is correct."),
        Arguments.of("7", "Answer: 7"),
        Arguments.of("18", "答えは18個です。"),
        Arguments.of("18", "答え：１８"),
        Arguments.of("18", "よって、りんごは１８個です。"),
        Arguments.of("18", "合計は１８個"),
        Arguments.of("\\frac{1}{2}", "first \\boxed{3} then, after checking, the result is \\boxed{\\frac{1}{2}}")
    );
  }

  @ParameterizedTest
  @MethodSource("equalPairs")
  void check_equivalentAnswer_isEqual(String gold, String prediction) {
    Verdict v = checker.check(gold, prediction);
    assertTrue(v.equal(), v::toString);
  }

  static Stream<Arguments> differentPairs() {
    return Stream.of(
        Arguments.of("5", "\\boxed{6}"),
        Arguments.of("\\frac{1}{3}", "\\boxed{0.33}"),
        Arguments.of("1000000000", "\\boxed{1000000000.5}"),
        Arguments.of("(1,2)", "\\boxed{(2,1)}"),
        Arguments.of("[0,1)", "\\boxed{(0,1)}"),
        Arguments.of("x^2+1", "\\boxed{x^2-1}"),
        Arguments.of("x > 5", "$x < 5$"),
        Arguments.of("\\pm 2021", "$2021$"),
        Arguments.of("2", "AZYUK2A"),
        Arguments.of("1 - \\frac{1}{e}", "$1 + \\frac{1}{e}$"),
        Arguments.of("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}", "$\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}$"),
        Arguments.of("3", "I do not know."));
  }

  @ParameterizedTest
  @MethodSource("differentPairs")
  void check_differentAnswer_isNotEqual(String gold, String prediction) {
    Verdict v = checker.check(gold, prediction);
    assertFalse(v.equal(), v::toString);
  }

  @Test
  void check_boxedAnswer_reportsRuleAndExtraction() {
    Verdict v = checker.check("\\frac{14}{3}", "so the sum is $\\boxed{\\frac{14}{3}}$");
    assertTrue(v.equal());
    assertEquals("boxed", v.rule());
    assertEquals("$\\boxed{\\frac{14}{3}}$", v.extracted());
    assertEquals("\\frac{14}{3}", v.goldNormalized());
  }

  @Test
  void extract_nestedBoxes_lastBoxWins() {
    Extraction e = checker.extract("try \\boxed{\\frac{1}{2}} ... much later we find that the right value is \\boxed{\\frac{\\sqrt{3}}{4}}");
    assertEquals("boxed", e.rule());
    assertEquals("\\frac{\\sqrt{3}}{4}", e.normalized());
  }

  @Test
  void extract_fullWidthDigits_areNormalised() {
    Extraction e = checker.extract("答え：１２３．５");
    assertEquals("japanese_answer", e.rule());
    assertEquals("123.5", e.normalized());
  }

  @Test
  void extract_noAnswer_ruleIsNone() {
    Extraction e = checker.extract("I cannot solve this.");
    assertFalse(e.found());
    assertEquals("none", e.rule());
  }

  @Test
  void check_megabyteOutput_notEqualWithReason() {
    String huge = "1".repeat(1_000_000);
    Verdict v = checker.check("1", huge);
    assertFalse(v.equal());
    assertTrue(v.reason().startsWith("input too large"), v.reason());
  }

  @Test
  void check_deeplyNestedLatex_notEqualWithoutException() {
    String nested = "\\frac{".repeat(5000) + "1" + "}{2}".repeat(5000);
    Verdict v = checker.check("1", "\\boxed{" + nested + "}");
    assertFalse(v.equal());
  }

  @Test
  void check_powerTower_notEqualQuickly() {
    long start = System.nanoTime();
    Verdict v = checker.check("1", "\\boxed{10^{10^{10}}}");
    assertFalse(v.equal());
    assertTrue(System.nanoTime() - start < Duration.ofSeconds(3).toNanos());
  }

  @Test
  void check_nullInput_notEqual() {
    assertFalse(checker.check(null, "1").equal());
    assertFalse(checker.check("1", null).equal());
  }

  @Test
  void check_manyThreads_sameVerdictsAsOneThread() throws Exception {
    List<Arguments> pairs = equalPairs().toList();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int round = 0; round < 4; round++) {
        for (Arguments a : pairs) {
          Object[] args = a.get();
          results.add(pool.submit(() -> checker.check((String) args[0], (String) args[1]).equal()));
        }
      }
      for (Future<Boolean> f : results) {
        assertTrue(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void check_nonStrictMode_matchesVariablesByPosition() {
    try (AnswerChecker lenient = AnswerChecker.create(CheckerConfig.defaults().withStrict(false))) {
      assertTrue(lenient.check("$f(x) = x^2$", "$f(y) = y^2$").equal());
    }
    assertFalse(checker.check("$x^2$", "$y^2$").equal());
  }

  @Test
  void check_relativeTolerance_acceptsCloseDecimals() {
    try (AnswerChecker tolerant = AnswerChecker.create(CheckerConfig.defaults().withRelativeTolerance(1e-3))) {
      assertTrue(tolerant.check("16386.17", "\\boxed{16386.169}").equal());
    }
    assertFalse(checker.check("16386.17", "\\boxed{16386.169}").equal());
  }
}
