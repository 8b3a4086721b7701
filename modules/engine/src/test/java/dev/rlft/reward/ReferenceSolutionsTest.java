package dev.rlft.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rlft.data.ArithmeticTask;
import dev.rlft.data.ArithmeticTaskConfig;
import dev.rlft.data.JsonlProblemSource;
import dev.rlft.data.Problem;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rewards against reference solutions of real data sets, as our readers convert them. */
class ReferenceSolutionsTest {

  private final BoxedAnswerReward accuracy = new BoxedAnswerReward();
  private final FormatReward format = new FormatReward();

  private static Path resource(String name) {
    try {
      return Path.of(ReferenceSolutionsTest.class.getResource("/data/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code shared/data} of the development checkout, found above the working directory, or null. */
  private static Path sharedData() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path data = dir.resolve("shared/data");
      if (Files.isDirectory(data.resolve("gsm8k")) && Files.isDirectory(data.resolve("math"))) {
        return data;
      }
    }
    return null;
  }

  private List<String> rejected(List<Problem> problems, boolean checkFormat) {
    List<String> rejected = new ArrayList<>();
    for (Problem p : problems) {
      RewardResult r = accuracy.score(p.solution(), p.answer());
      if (!r.correct() || checkFormat && !format.score(p.solution(), p.answer()).correct()) {
        rejected.add(p.id() + ": " + r);
      }
    }
    return rejected;
  }

  @Test
  void gsm8kExcerpt_everyConvertedReference_correctAndFormatted() {
    List<Problem> problems = new JsonlProblemSource(resource("gsm8k/test_head20.jsonl")).load();
    assertEquals(20, problems.size());
    assertEquals(List.of(), rejected(problems, true));
  }

  @Test
  void mathExcerpt_numericAnswers_referenceCorrect() {
    List<Problem> problems =
        new JsonlProblemSource(resource("math/math500_test_head20.jsonl")).load();
    List<Problem> numeric =
        problems.stream().filter(p -> BoxedAnswers.rational(BoxedAnswers.normalize(p.answer())) != null).toList();
    // 9, 42, 27, 4, 2220, 284, 5, -50, 28, 3, 14/3 and 3/56.
    assertEquals(12, numeric.size());
    assertEquals(List.of(), rejected(numeric, false));
    // The symbolic ones are spelled exactly as their last box, so they pass as strings.
    assertEquals(List.of(), rejected(problems, false));
  }

  @Test
  void arithmeticHeldOut_everyReference_correctAndFormatted() {
    List<Problem> problems = ArithmeticTask.heldOut(ArithmeticTaskConfig.defaults(), 1).load();
    assertEquals(List.of(), rejected(problems, true));
  }

  @Test
  void arithmeticTrain_rewardSeesExactlyTheFlawedReferences() {
    ArithmeticTaskConfig config = new ArithmeticTaskConfig(2, 3, 20, 9, 99, 0.3, 2000, 100);
    for (Problem p : ArithmeticTask.train(config, 1).load()) {
      String boxed = p.solution().substring(p.solution().lastIndexOf("\\boxed{") + 7, p.solution().length() - 1);
      assertEquals(boxed.equals(p.answer()), accuracy.score(p.solution(), p.answer()).correct());
      assertTrue(format.score(p.solution(), p.answer()).correct());
    }
  }

  /** All of GSM8K (train and test) when the development checkout's shared data is present. */
  @Test
  void gsm8kFull_everyConvertedReference_correctAndFormatted() {
    Path data = sharedData();
    assumeTrue(data != null, "no shared/data above the working directory");
    for (String file : List.of("gsm8k/train.jsonl", "gsm8k/test.jsonl")) {
      List<Problem> problems = new JsonlProblemSource(data.resolve(file)).load();
      assertTrue(problems.size() > 1000, file);
      assertEquals(List.of(), rejected(problems, true), file);
    }
  }

  /** All of MATH-500 and the full MATH test split, whose answers are their solutions' last box. */
  @Test
  void mathFull_everyReference_correct() {
    Path data = sharedData();
    assumeTrue(data != null, "no shared/data above the working directory");
    for (String file : List.of("math/math500_test.jsonl", "math/math_test5000.jsonl")) {
      List<Problem> problems = new JsonlProblemSource(data.resolve(file)).load();
      assertTrue(problems.size() >= 500, file);
      assertEquals(List.of(), rejected(problems, false), file);
    }
  }
}
