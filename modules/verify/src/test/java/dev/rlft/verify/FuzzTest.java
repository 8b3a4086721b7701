package dev.rlft.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * 10,000 random and adversarial inputs: no exception may escape {@link AnswerChecker#check} or
 * {@link AnswerChecker#extract}, and no call may run longer than the timeout plus a small slack.
 */
class FuzzTest {
  private static final int CASES = 10_000;
  private static final Duration TIMEOUT = Duration.ofMillis(500);
  /** Scheduling, hand-over to the worker thread and GC pauses on a busy two-core machine. */
  private static final Duration SLACK = Duration.ofMillis(400);

  private static final String[] TOKENS = {
      "\\frac", "\\dfrac", "{", "}", "{", "}", "\\boxed{", "\\fbox{", "$", "$$", "\\(", "\\)", "\\[",
      "\\]", "\\sqrt", "^", "_", "0", "1", "2", "9", "10", "3.14", "1,000", "x", "y", "e", "i", "\\pi",
      "\\left(", "\\right)", "\\left[", "\\right]", "\\{", "\\}", "(", ")", "[", "]", "|", ",", ";",
      "=", "<", ">", "\\le", "\\ge", "\\neq", "\\approx", "\\in", "\\cup", "\\cap", "\\infty", "\\pm",
      "+", "-", "*", "/", "\\cdot", "\\times", "\\div", ":", "!", "%", "\\%", "\\text{", "\\mathrm{",
      "\\begin{pmatrix}", "\\end{pmatrix}", "&", "\\\\", "\\sin", "\\log_", "\\ln", "\\sum_{k=1}^{n}",
      "\\binom", "\\lfloor", "\\rfloor", " ", " ", "\n", "and", "or", "Answer:", "final answer is",
      "#### ", "答えは", "よって", "１２", "．", "，", "😀", "\u202e", "\u0301", "\ud800", "∞", "π", "√",
      "\\undefinedcommand", "\\quadx", "^{\\circ}", "I hope it is correct.", "\\$", "e3", "E-7"};

  private static final String[] GOLDS = {
      "1", "0", "-5", "\\frac{1}{2}", "x^2+1", "(1,2)", "[0,1)", "\\{1,2\\}", "\\pi", "20\\%",
      "\\begin{pmatrix}1\\\\2\\end{pmatrix}", "y = 2x + 3", "1 \\pm \\sqrt{2}", "1000000", "\\text{C}"};

  @Test
  void checkAndExtract_randomAndAdversarialInputs_neverThrowNorOverrun() {
    Random rnd = new Random(20240611L);
    List<String> overruns = new ArrayList<>();
    int equal = 0;
    long start = System.nanoTime();
    try (AnswerChecker checker = AnswerChecker.create(CheckerConfig.defaults().withTimeout(TIMEOUT))) {
      for (int i = 0; i < CASES; i++) {
        String prediction = generate(rnd, i);
        String gold = rnd.nextInt(10) == 0 ? generate(rnd, rnd.nextInt(CASES)) : GOLDS[rnd.nextInt(GOLDS.length)];
        long t0 = System.nanoTime();
        Verdict v = i % 10 == 9 ? verdictOfExtract(checker, prediction) : checker.check(gold, prediction);
        long took = System.nanoTime() - t0;
        if (took > TIMEOUT.plus(SLACK).toNanos()) {
          overruns.add(String.format("case %d took %d ms: %s", i, took / 1_000_000, v.reason()));
        }
        equal += v.equal() ? 1 : 0;
      }
    }
    System.out.printf("fuzz: %d cases in %.1f s, %d judged equal, %d over %d ms%n", CASES,
        (System.nanoTime() - start) / 1e9, equal, overruns.size(), TIMEOUT.plus(SLACK).toMillis());
    overruns.forEach(System.out::println);
    assertEquals(List.of(), overruns);
    assertTrue(equal < CASES);
  }

  private static Verdict verdictOfExtract(AnswerChecker checker, String text) {
    Extraction e = checker.extract(text);
    return new Verdict(false, e.answer(), "", "extract", e.rule());
  }

  /** One input; the case number picks the family so every family is well represented. */
  static String generate(Random rnd, int i) {
    switch (i % 10) {
      case 0:
        return randomChars(rnd, rnd.nextInt(300));
      case 1:
      case 2:
      case 3:
        return tokenSoup(rnd, 1 + rnd.nextInt(120));
      case 4:
        return "\\boxed{" + tokenSoup(rnd, 1 + rnd.nextInt(40)) + "}";
      case 5:
        return nested(rnd);
      case 6:
        return hugeNumber(rnd);
      case 7:
        return unbalanced(rnd);
      case 8:
        return i % 500 == 8 ? longText(rnd) : "The final answer is $" + tokenSoup(rnd, 1 + rnd.nextInt(20)) + "$. I hope it is correct.";
      default:
        return tokenSoup(rnd, 1 + rnd.nextInt(60));
    }
  }

  private static String randomChars(Random rnd, int n) {
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < n; k++) {
      int kind = rnd.nextInt(4);
      if (kind == 0) {
        sb.append((char) (32 + rnd.nextInt(95)));
      } else if (kind == 1) {
        sb.append((char) rnd.nextInt(0x3000));
      } else if (kind == 2) {
        sb.append("0123456789".charAt(rnd.nextInt(10)));
      } else {
        sb.append((char) (0xD800 + rnd.nextInt(0x800)));
      }
    }
    return sb.toString();
  }

  private static String tokenSoup(Random rnd, int n) {
    StringBuilder sb = new StringBuilder();
    for (int k = 0; k < n; k++) {
      sb.append(TOKENS[rnd.nextInt(TOKENS.length)]);
    }
    return sb.toString();
  }

  private static String nested(Random rnd) {
    // Mostly a few thousand levels; one in twenty goes to 20,000.
    int depth = rnd.nextInt(20) == 0 ? 5_000 + rnd.nextInt(15_000) : 50 + rnd.nextInt(3_000);
    String[][] shapes = {{"{", "}"}, {"(", ")"}, {"\\frac{", "}{2}"}, {"\\sqrt{", "}"}, {"\\boxed{", "}"},
        {"\\left(", "\\right)"}, {"[", "]"}, {"|", "|"}, {"2^{", "}"}};
    String[] s = shapes[rnd.nextInt(shapes.length)];
    return "\\boxed{" + s[0].repeat(depth) + "1" + s[1].repeat(depth) + "}";
  }

  private static String hugeNumber(Random rnd) {
    String[] forms = {"10^{10^{10}}", "10^10^10", "9^{9^{9^{9}}}", "99999!", "1e99999", "2^{2^{2^{2^{2}}}}",
        "(x+y+z+w)^{300}", "x^{100000}", "\\binom{100000}{50000}", "10^{-10^{10}}", "0^{-1}", "\\frac{1}{0}",
        "(1+\\sqrt{2})^{5000}", "\\sum_{k=1}^{10^{9}} k", "e^{e^{e^{10}}}"};
    if (rnd.nextBoolean()) {
      StringBuilder digits = new StringBuilder();
      int n = 100 + rnd.nextInt(20_000);
      for (int k = 0; k < n; k++) {
        digits.append((char) ('0' + rnd.nextInt(10)));
      }
      return "\\boxed{" + digits + "}";
    }
    return "\\boxed{" + forms[rnd.nextInt(forms.length)] + "}";
  }

  private static String unbalanced(Random rnd) {
    String[] forms = {"\\boxed{", "$", "$$", "\\[", "\\(", "\\left(", "\\frac{1}{", "\\begin{pmatrix} 1 & 2",
        "\\sqrt", "{{{{", "}}}}", "\\boxed{\\boxed{\\boxed{", "\\text{", "\\end{pmatrix}", "^^^", "__"};
    StringBuilder sb = new StringBuilder();
    int n = 1 + rnd.nextInt(30);
    for (int k = 0; k < n; k++) {
      sb.append(forms[rnd.nextInt(forms.length)]);
      if (rnd.nextBoolean()) {
        sb.append(rnd.nextInt(100));
      }
    }
    return sb.toString();
  }

  /** Long model-like outputs: near the 200,000-character limit, or a megabyte (rejected unread). */
  private static String longText(Random rnd) {
    String unit = "We compute $x_{k} = \\frac{k}{2}$ for all k, so answer: " + rnd.nextInt(100) + ". ";
    int size = rnd.nextBoolean() ? 190_000 : 1_100_000;
    StringBuilder sb = new StringBuilder(size + unit.length());
    while (sb.length() < size) {
      sb.append(unit);
    }
    return sb.append("\\boxed{").append(rnd.nextInt(10)).append('}').toString();
  }
}
