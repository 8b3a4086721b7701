package dev.rlft.prm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.rlft.data.ArithmeticTask;
import dev.rlft.data.ArithmeticTaskConfig;
import dev.rlft.data.DatasetException;
import dev.rlft.data.Problem;
import dev.rlft.data.Steps;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.SamplingParams;
import dev.rlft.reward.BoxedAnswerReward;
import dev.rlft.train.AdamW;
import dev.rlft.train.LrSchedule;
import dev.rlft.train.SftTrainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Monte-Carlo step labels: exact with an oracle completer, structurally sound with a tiny sampled model, JSONL. */
class PrmLabelerTest {

  private static final ArithmeticTaskConfig TASK = new ArithmeticTaskConfig(3, 3, 9, 9, 30, 0.0, 64, 16);
  private static final List<Problem> PROBLEMS = ArithmeticTask.heldOut(TASK, 1).load();
  private static final Pattern STEP = Pattern.compile("(\\d+)([-+*])(\\d+)=(\\d+)");

  @BeforeAll
  static void oneThread() {
    PrmFixtures.useOneTorchThread();
  }

  @Test
  void label_oracleCompleter_correctStepsOneAndStepsFromTheFlawOnZero() {
    List<PrmLabeler.Request> requests = new ArrayList<>();
    for (Problem p : PROBLEMS.subList(0, 4)) {
      requests.add(PrmLabeler.Request.of(p));
      requests.add(PrmLabeler.Request.of(p.id() + "-flaw1", p, corrupt(p.solution(), 1)));
      requests.add(PrmLabeler.Request.of(p.id() + "-flaw2", p, corrupt(p.solution(), 2)));
    }
    List<Integer> callSizes = new ArrayList<>();
    Set<Long> seeds = new HashSet<>();
    PrmLabeler.Completer oracle = (prefixes, samplesEach, seed) -> {
      callSizes.add(prefixes.size());
      seeds.add(seed);
      List<String> out = new ArrayList<>();
      for (PrmLabeler.Prefix p : prefixes) {
        for (int j = 0; j < samplesEach; j++) {
          out.add(continueHonestly(p));
        }
      }
      return out;
    };

    List<PrmExample> labels = new PrmLabeler(oracle, new BoxedAnswerReward(), PrmLabeler.Config.of(3, 5, 42))
        .label(requests);

    for (int i = 0; i < labels.size(); i += 3) {
      assertArrayEquals(new float[] {1, 1, 1, 1}, labels.get(i).soft(), labels.get(i).id());
      assertArrayEquals(new float[] {0, 0, 0, 0}, labels.get(i + 1).soft(), labels.get(i + 1).id());
      assertArrayEquals(new float[] {1, 0, 0, 0}, labels.get(i + 2).soft(), labels.get(i + 2).id());
      assertArrayEquals(new boolean[] {true, false, false, false}, labels.get(i + 2).hard());
    }
    // 12 solutions of 4 steps: 3 rolled-out prefixes each, 36 in groups of 5, each group one call
    assertEquals(List.of(5, 5, 5, 5, 5, 5, 5, 1), callSizes);
    assertEquals(8, seeds.size());
  }

  @Test
  void label_sftTrainedTinyCompleter_labelsAreSoundAndReproducible() {
    List<PrmLabeler.Request> requests = new ArrayList<>();
    for (Problem p : PROBLEMS.subList(0, 3)) {
      requests.add(PrmLabeler.Request.of(p));
      requests.add(PrmLabeler.Request.of(p.id() + "-flaw1", p, corrupt(p.solution(), 1)));
    }
    int samples = 4;
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(PrmFixtures.TINY, 3, root, true);
        AdamW opt = new AdamW(policy.parameters(), AdamW.Config.defaults(), root)) {
      SftTrainer sft = new SftTrainer(policy, opt, PrmFixtures.CHARS, PromptTemplate.PLAIN, LrSchedule.constant(1e-2f));
      List<Problem> train = ArithmeticTask.train(TASK, 2).load();
      for (int i = 0; i < 10; i++) {
        sft.step(train.subList(8 * i % 64, 8 * i % 64 + 8));
      }
      List<Integer> rows = new ArrayList<>();
      PrmLabeler.Completer sampler = PrmLabeler.samplerCompleter(policy, PrmFixtures.CHARS, PromptTemplate.PLAIN,
          new SamplingParams(1f, 1f, 0, 24, 0));
      PrmLabeler.Completer counted = (prefixes, n, seed) -> {
        List<String> out = sampler.complete(prefixes, n, seed);
        rows.add(out.size());
        return out;
      };
      PrmLabeler labeler = new PrmLabeler(counted, new BoxedAnswerReward(), PrmLabeler.Config.of(samples, 8, 7));
      int live = root.getManagedArrays().size();

      List<PrmExample> labels = labeler.label(requests);
      List<PrmExample> again = labeler.label(requests);

      assertEquals(live, root.getManagedArrays().size(), "sampling left arrays behind");
      assertEquals(List.of(32, 32, 8, 32, 32, 8), rows,
          "labelled twice: 6 solutions x 3 rolled-out prefixes in groups of 8, 4 samples each, one call a group");
      for (int i = 0; i < labels.size(); i++) {
        PrmExample e = labels.get(i);
        float[] soft = e.soft();
        boolean[] hard = e.hard();
        assertEquals(4, soft.length);
        for (int k = 0; k < soft.length; k++) {
          assertTrue(soft[k] >= 0 && soft[k] <= 1, e.id() + " soft " + soft[k]);
          assertEquals(0, soft[k] * samples % 1, 0.0, e.id() + ": a multiple of 1/" + samples);
          assertEquals(soft[k] > 0, hard[k], e.id() + " step " + k);
        }
        // the last step is the written answer: right for a reference, wrong after a flaw
        assertEquals(i % 2 == 0 ? 1f : 0f, soft[3], e.id());
        assertArrayEquals(soft, again.get(i).soft(), "same seed, same labels");
      }
      System.out.println("tiny SFT completer soft labels: " + labels.stream()
          .map(e -> e.id() + java.util.Arrays.toString(e.soft())).toList());
    }
  }

  @Test
  void jsonl_writeThenRead_sameExamplesBitForBit(@TempDir Path tmp) {
    List<PrmExample> examples = List.of(
        new PrmExample("a", "Ann has 3 pens.", List.of("3+4=7", "\\boxed{7}"), new float[] {1f / 3, 1f},
            new boolean[] {true, true}),
        new PrmExample("b", "Say \"hi\"\n twice.", List.of("ü\tstep"), new float[] {0f}, new boolean[] {false}));
    Path file = tmp.resolve("labels/prm.jsonl");

    try {
      PrmJsonl.write(file, examples);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    List<PrmExample> read = PrmJsonl.read(file);

    assertEquals(examples.size(), read.size());
    for (int i = 0; i < examples.size(); i++) {
      PrmExample x = examples.get(i);
      PrmExample y = read.get(i);
      assertEquals(x.id(), y.id());
      assertEquals(x.problem(), y.problem());
      assertEquals(x.steps(), y.steps());
      assertArrayEquals(x.soft(), y.soft());
      assertArrayEquals(x.hard(), y.hard());
    }
  }

  @Test
  void jsonl_badLine_namesFileAndLine(@TempDir Path tmp) throws IOException {
    Path file = tmp.resolve("bad.jsonl");
    String good = PrmJsonl.toLine(new PrmExample("a", "p", List.of("s"), new float[] {1f}, new boolean[] {true}));
    String outOfRange = "{\"id\":\"b\",\"problem\":\"p\",\"steps\":[\"s\"],\"soft\":[1.5],\"hard\":[true]}";
    Files.writeString(file, good + "\n\n" + outOfRange + "\n");

    DatasetException e = assertThrows(DatasetException.class, () -> PrmJsonl.read(file));
    assertTrue(e.getMessage().startsWith(file + ":3:") && e.getMessage().contains("[0, 1]"), e.getMessage());
  }

  /** The reference solution with step {@code k}'s result one too high and later steps continuing from it. */
  private static String corrupt(String solution, int k) {
    List<String> steps = Steps.split(solution);
    List<String> out = new ArrayList<>();
    Integer carried = null;
    for (int i = 0; i < steps.size(); i++) {
      Matcher m = STEP.matcher(steps.get(i));
      if (!m.matches()) {
        out.add("\\boxed{" + carried + "}");
        continue;
      }
      int a = carried != null ? carried : Integer.parseInt(m.group(1));
      int result = apply(a, m.group(2).charAt(0), Integer.parseInt(m.group(3))) + (i == k - 1 ? 1 : 0);
      out.add(a + m.group(2) + m.group(3) + "=" + result);
      carried = result;
    }
    return String.join("\n\n", out);
  }

  /** Finishes a prefix by applying the problem's remaining operations, correctly, to its last written value. */
  private static String continueHonestly(PrmLabeler.Prefix prefix) {
    Problem p = PROBLEMS.stream().filter(q -> q.problem().equals(prefix.problem())).findFirst().orElseThrow();
    List<String> reference = Steps.split(p.solution());
    List<String> written = Steps.split(prefix.solutionPrefix());
    Matcher last = STEP.matcher(written.get(written.size() - 1));
    assertTrue(last.matches());
    int value = Integer.parseInt(last.group(4));
    StringBuilder sb = new StringBuilder();
    for (int i = written.size(); i < reference.size() - 1; i++) {
      Matcher m = STEP.matcher(reference.get(i));
      assertTrue(m.matches());
      int next = apply(value, m.group(2).charAt(0), Integer.parseInt(m.group(3)));
      sb.append(value).append(m.group(2)).append(m.group(3)).append('=').append(next).append("\n\n");
      value = next;
    }
    return sb.append("\\boxed{").append(value).append('}').toString();
  }

  private static int apply(int a, char op, int b) {
    return switch (op) {
      case '+' -> a + b;
      case '-' -> a - b;
      default -> a * b;
    };
  }
}
