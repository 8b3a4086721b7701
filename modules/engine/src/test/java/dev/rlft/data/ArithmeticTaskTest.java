package dev.rlft.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ArithmeticTaskTest {

  private static final ArithmeticTaskConfig CONFIG =
      ArithmeticTaskConfig.defaults();
  private static final ArithmeticTaskConfig TRAIN_5000 =
      new ArithmeticTaskConfig(2, 3, 20, 9, 99, 0.3, 5000, 500);

  private static final Pattern INTRO = Pattern.compile("^[A-Z][a-z]+ has (\\d+) [a-z]+\\.");
  private static final Pattern OP =
      Pattern.compile(
          " (?:She|He) (?:buys (\\d+) more|finds (\\d+)|gets (\\d+)|gives away (\\d+)|eats (\\d+)"
              + "|loses (\\d+)|(doubles) them|(triples) them)\\.");
  private static final Pattern QUESTION = Pattern.compile(" How many [a-z]+s now\\?$");
  private static final Pattern STEP = Pattern.compile("(\\d+)([-+*])(\\d+)=(\\d+)");
  private static final Pattern BOXED = Pattern.compile("\\\\boxed\\{(\\d+)\\}");

  /** A problem text read back: start and operations as (symbol, operand). */
  private record Ops(int start, List<Character> symbols, List<Integer> operands) {
    String canonical() {
      StringBuilder s = new StringBuilder().append(start);
      for (int i = 0; i < symbols.size(); i++) {
        s.append(symbols.get(i)).append(operands.get(i));
      }
      return s.toString();
    }
  }

  /** One written solution step {@code a op b = c}. */
  private record Step(int a, char op, int b, int c) {
    int correct() {
      return op == '+' ? a + b : op == '-' ? a - b : a * b;
    }

    boolean flawed() {
      return correct() != c;
    }
  }

  private static Ops parseProblem(String text) {
    Matcher intro = INTRO.matcher(text);
    assertTrue(intro.find(), text);
    Matcher question = QUESTION.matcher(text);
    assertTrue(question.find(), text);
    List<Character> symbols = new ArrayList<>();
    List<Integer> operands = new ArrayList<>();
    Matcher op = OP.matcher(text).region(intro.end(), question.start());
    int at = intro.end();
    while (op.lookingAt()) {
      if (op.group(7) != null || op.group(8) != null) {
        symbols.add('*');
        operands.add(op.group(7) != null ? 2 : 3);
      } else {
        int group = 1;
        while (op.group(group) == null) {
          group++;
        }
        symbols.add(group <= 3 ? '+' : '-');
        operands.add(Integer.parseInt(op.group(group)));
      }
      at = op.end();
      op.region(at, question.start());
    }
    assertEquals(question.start(), at, "unparsed text in: " + text);
    return new Ops(Integer.parseInt(intro.group(1)), symbols, operands);
  }

  private static List<Step> parseSteps(String solution) {
    List<String> parts = Steps.split(solution);
    assertEquals(String.join("\n\n", parts), solution, "steps separated by exactly one blank line");
    List<Step> steps = new ArrayList<>();
    for (String part : parts.subList(0, parts.size() - 1)) {
      Matcher m = STEP.matcher(part);
      assertTrue(m.matches(), "step '" + part + "' in " + solution);
      steps.add(
          new Step(
              Integer.parseInt(m.group(1)),
              m.group(2).charAt(0),
              Integer.parseInt(m.group(3)),
              Integer.parseInt(m.group(4))));
    }
    return steps;
  }

  private static int boxed(String solution) {
    List<String> parts = Steps.split(solution);
    Matcher m = BOXED.matcher(parts.get(parts.size() - 1));
    assertTrue(m.matches(), solution);
    return Integer.parseInt(m.group(1));
  }

  @Test
  void load_sameSeed_sameProblems() {
    ArithmeticTaskConfig config = new ArithmeticTaskConfig(2, 3, 20, 9, 99, 0.3, 2000, 200);
    assertEquals(ArithmeticTask.train(config, 7).load(), ArithmeticTask.train(config, 7).load());
    assertEquals(ArithmeticTask.heldOut(config, 7).load(), ArithmeticTask.heldOut(config, 7).load());
  }

  @Test
  void load_differentSeed_differentProblems() {
    ArithmeticTaskConfig config = new ArithmeticTaskConfig(2, 3, 20, 9, 99, 0.3, 200, 200);
    assertNotEquals(ArithmeticTask.train(config, 1).load(), ArithmeticTask.train(config, 2).load());
    assertNotEquals(
        ArithmeticTask.heldOut(config, 1).load(), ArithmeticTask.heldOut(config, 2).load());
  }

  @Test
  void load_sizesIdsAndNames_followSplit() {
    ArithmeticTask train = ArithmeticTask.train(TRAIN_5000, 3);
    ArithmeticTask heldOut = ArithmeticTask.heldOut(TRAIN_5000, 3, 45);
    List<Problem> trainProblems = train.load();
    List<Problem> heldOutProblems = heldOut.load();
    assertEquals(5000, trainProblems.size());
    assertEquals(45, heldOutProblems.size());
    assertEquals(500, ArithmeticTask.heldOut(TRAIN_5000, 3).load().size());
    assertEquals("arith-train-000123", trainProblems.get(123).id());
    assertEquals("arith-heldout-000044", heldOutProblems.get(44).id());
    assertEquals("arith-train", train.name());
    assertEquals("arith-heldout", heldOut.name());
    assertEquals(ArithmeticTask.Split.HELD_OUT, heldOut.split());
  }

  @Test
  void trainAndHeldOut_severalThousand_disjointByCanonicalProblemAndText() {
    List<Problem> train = ArithmeticTask.train(TRAIN_5000, 11).load();
    List<Problem> heldOut = new ArrayList<>(ArithmeticTask.heldOut(TRAIN_5000, 11, 2000).load());
    heldOut.addAll(ArithmeticTask.heldOut(TRAIN_5000, 12, 2000).load());
    Set<String> trainCanonical = new HashSet<>();
    Set<String> trainText = new HashSet<>();
    for (Problem p : train) {
      String canonical = parseProblem(p.problem()).canonical();
      assertFalse(ArithmeticTask.isHeldOut(canonical), canonical);
      trainCanonical.add(canonical);
      trainText.add(p.problem());
    }
    for (Problem p : heldOut) {
      String canonical = parseProblem(p.problem()).canonical();
      assertTrue(ArithmeticTask.isHeldOut(canonical), canonical);
      assertFalse(trainCanonical.contains(canonical), canonical);
      assertFalse(trainText.contains(p.problem()), p.problem());
    }
    // The hash bucket is about a tenth of all problems, as designed.
    assertTrue(trainCanonical.size() > 4000, "distinct train problems: " + trainCanonical.size());
  }

  @Test
  void heldOut_problems_distinctAndUnflawed() {
    List<Problem> heldOut = ArithmeticTask.heldOut(CONFIG, 5, 1000).load();
    Set<String> canonical = new HashSet<>();
    for (Problem p : heldOut) {
      assertTrue(canonical.add(parseProblem(p.problem()).canonical()), p.problem());
      for (Step step : parseSteps(p.solution())) {
        assertFalse(step.flawed(), p.toString());
      }
      assertEquals(p.answer(), Integer.toString(boxed(p.solution())), p.toString());
    }
  }

  @Test
  void train_problems_respectConfigAndMatchTheirSolutions() {
    for (Problem p : ArithmeticTask.train(TRAIN_5000, 21).load()) {
      Ops ops = parseProblem(p.problem());
      int n = ops.symbols().size();
      assertTrue(n >= 2 && n <= 3, p.problem());
      assertTrue(ops.start() >= 1 && ops.start() <= 20, p.problem());
      assertTrue(ops.symbols().stream().filter(s -> s == '*').count() <= 1, p.problem());
      List<Step> steps = parseSteps(p.solution());
      assertEquals(n, steps.size(), p.toString());
      int truth = ops.start();
      int written = ops.start();
      boolean flawed = false;
      for (int i = 0; i < n; i++) {
        char symbol = ops.symbols().get(i);
        int operand = ops.operands().get(i);
        if (symbol != '*') {
          assertTrue(operand >= 1 && operand <= 9, p.problem());
        }
        truth = symbol == '+' ? truth + operand : symbol == '-' ? truth - operand : truth * operand;
        assertTrue(truth >= 0 && truth <= 99, "intermediate " + truth + " in " + p.problem());
        Step step = steps.get(i);
        assertEquals(new Step(written, symbol, operand, step.c()), step, "step " + i + " of " + p);
        assertTrue(step.c() >= 0, p.toString());
        flawed |= step.flawed();
        written = step.c();
      }
      assertEquals(Integer.toString(truth), p.answer(), p.toString());
      assertEquals(written, boxed(p.solution()), p.toString());
      // A reference has a flaw exactly when its boxed answer is wrong: flaws never cancel.
      assertEquals(flawed, written != truth, p.toString());
    }
  }

  @Test
  void train_flawRate_observedPerStepWithinTolerance() {
    int steps = 0;
    int flawed = 0;
    for (Problem p : ArithmeticTask.train(TRAIN_5000, 31).load()) {
      for (Step step : parseSteps(p.solution())) {
        steps++;
        if (step.flawed()) {
          flawed++;
          int offset = step.c() - step.correct();
          assertTrue(Set.of(-10, -2, -1, 1, 2, 10).contains(offset), "offset " + offset);
        }
      }
    }
    double rate = flawed / (double) steps;
    // About 12,500 steps: one standard deviation is 0.004.
    assertEquals(0.3, rate, 0.02, "observed flaw rate over " + steps + " steps");
  }

  @Test
  void train_flawRateZero_noFlaws() {
    ArithmeticTaskConfig config = new ArithmeticTaskConfig(2, 3, 20, 9, 99, 0.0, 1000, 100);
    for (Problem p : ArithmeticTask.train(config, 1).load()) {
      assertTrue(parseSteps(p.solution()).stream().noneMatch(Step::flawed), p.toString());
      assertEquals(p.answer(), Integer.toString(boxed(p.solution())));
    }
  }

  @Test
  void train_flawRateOne_everyStepFlawedAndAnswerWrong() {
    ArithmeticTaskConfig config = new ArithmeticTaskConfig(1, 4, 20, 9, 99, 1.0, 1000, 100);
    for (Problem p : ArithmeticTask.train(config, 1).load()) {
      assertTrue(parseSteps(p.solution()).stream().allMatch(Step::flawed), p.toString());
      assertNotEquals(p.answer(), Integer.toString(boxed(p.solution())), p.toString());
    }
  }

  @Test
  void load_defaults_shortAsciiTexts() {
    int longestProblem = 0;
    int longestSolution = 0;
    for (Problem p : ArithmeticTask.train(TRAIN_5000, 41).load()) {
      longestProblem = Math.max(longestProblem, p.problem().length());
      longestSolution = Math.max(longestSolution, p.solution().length());
      assertTrue(p.problem().chars().allMatch(c -> c >= 32 && c < 127), p.problem());
      assertTrue(p.solution().chars().allMatch(c -> c == '\n' || c >= 32 && c < 127));
    }
    // Worst case by construction: "Liz has 18 shells." + 3 x " She gives away 9." + question.
    assertTrue(longestProblem <= 93, "longest problem " + longestProblem);
    assertTrue(longestSolution <= 60, "longest solution " + longestSolution);
  }

  @Test
  void load_startOfOne_usesSingularNoun() {
    boolean seen = false;
    for (Problem p : ArithmeticTask.train(TRAIN_5000, 51).load()) {
      if (p.problem().matches("^[A-Z][a-z]+ has 1 [a-z]+\\..*")) {
        seen = true;
        assertFalse(p.problem().matches("^[A-Z][a-z]+ has 1 [a-z]+s\\..*"), p.problem());
      }
    }
    assertTrue(seen);
  }

  @Test
  void heldOut_configWithTooFewProblems_throwsNamingTheShortfall() {
    // Start 1 and one operation of size 1: only 1+1, 1-1 and 1*2 (and 1*3) exist.
    ArithmeticTaskConfig tiny = new ArithmeticTaskConfig(1, 1, 1, 1, 3, 0.0, 10, 10);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ArithmeticTask.heldOut(tiny, 1).load());
    assertTrue(e.getMessage().contains("too few heldout problems"), e.getMessage());
  }

  @Test
  void heldOut_sizeBelowOne_throws() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ArithmeticTask.heldOut(CONFIG, 1, 0));
    assertEquals("size must be >= 1, got 0", e.getMessage());
  }
}
