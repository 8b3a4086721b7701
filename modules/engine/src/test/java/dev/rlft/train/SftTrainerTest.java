package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.rlft.data.Problem;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.ModelConfig;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.TokenLogProbs;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SFT on a one-layer model: the loss covers solution and EOS only, moves every weight, and can overfit. */
class SftTrainerTest {

  private static final CharTokenizer TOK = TinyModel.TOKENIZER;
  private static final ModelConfig TINY = TinyModel.CONFIG;
  private static final AdamW.Config NO_DECAY = TinyModel.NO_DECAY;

  private static final List<Problem> BATCH = List.of(
      new Problem("p1", "Start with 3. Add 4.", "3+4=7\n\n\\boxed{7}", "7"),
      new Problem("p2", "Start with 12. Take away 5. Add 1.", "12-5=7\n\n7+1=8\n\n\\boxed{8}", "8"),
      new Problem("p3", "Start with 9.", "\\boxed{9}", "9"),
      new Problem("p4", "Start with 6. Add 6.", "6+6=12\n\n\\boxed{12}", "12"));

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  @Test
  void encode_problems_targetsStartAtSolutionAndEndWithEos() {
    SequenceBatch b = SftTrainer.encode(BATCH, TOK, PromptTemplate.PLAIN, TINY.maxSeqLen());

    float[][] mask = b.maskArray();
    int expectedTargets = 0;
    try (NDManager m = NDManager.newBaseManager()) {
      long[] tokens = b.tokens(m, TOK.padId()).toLongArray();
      for (int i = 0; i < BATCH.size(); i++) {
        Problem p = BATCH.get(i);
        int promptLen = PromptTemplate.PLAIN.encode(TOK, p.problem()).length;
        int solutionLen = TOK.encode(p.solution()).length;
        int len = promptLen + solutionLen + 1;
        expectedTargets += solutionLen + 1;
        float[] expected = new float[b.width() - 1];
        // position j predicts token j+1: the first solution token (index promptLen) is predicted at promptLen-1
        Arrays.fill(expected, promptLen - 1, len - 1, 1f);
        assertArrayEquals(expected, mask[i], "mask of " + p.id());
        assertEquals(TOK.eosId(), tokens[i * b.width() + len - 1], "last target of " + p.id() + " is EOS");
        assertEquals(TOK.bosId(), tokens[i * b.width()], "row starts with BOS");
      }
    }
    assertEquals(expectedTargets, b.targetCount());
  }

  @Test
  void encode_overMaxLength_rejectedNamingProblemAndLimit() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SftTrainer.encode(BATCH.subList(1, 2), TOK, PromptTemplate.PLAIN, 20));

    assertTrue(e.getMessage().contains("p2") && e.getMessage().contains("20"), e.getMessage());
  }

  @Test
  void step_tinyModel_lossFiniteAndEveryParameterMoved() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel model = LlamaModel.initialize(TINY, 3, root, true);
        AdamW opt = new AdamW(model.parameters(), NO_DECAY, root)) {
      Map<String, float[]> before = model.exportWeights();
      SftTrainer trainer = new SftTrainer(model, opt, TOK, PromptTemplate.PLAIN, LrSchedule.constant(1e-2f));

      SftTrainer.StepResult r = trainer.step(BATCH);

      assertTrue(Float.isFinite(r.loss()) && r.loss() > 0, "loss " + r.loss());
      assertTrue(Float.isFinite(r.gradNorm()) && r.gradNorm() > 0, "grad norm " + r.gradNorm());
      assertEquals(1, r.step());
      assertEquals(1e-2f, r.lr());
      Map<String, float[]> after = model.exportWeights();
      for (String name : before.keySet()) {
        assertFalse(Arrays.equals(before.get(name), after.get(name)), name + " did not move");
      }
    }
  }

  @Test
  void step_loss_isMeanNllOverSolutionAndEosTokensOnly() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel model = LlamaModel.initialize(TINY, 5, root, true);
        AdamW opt = new AdamW(model.parameters(), NO_DECAY, root)) {
      // the reference sum, one sequence at a time and without padding
      double nll = 0;
      int count = 0;
      try (NDManager scope = root.newSubManager()) {
        for (Problem p : BATCH) {
          int[] prompt = PromptTemplate.PLAIN.encode(TOK, p.problem());
          int[] solution = TOK.encode(p.solution());
          int[] seq = new int[prompt.length + solution.length + 1];
          System.arraycopy(prompt, 0, seq, 0, prompt.length);
          System.arraycopy(solution, 0, seq, prompt.length, solution.length);
          seq[seq.length - 1] = TOK.eosId();
          NDArray tokens = LlamaModel.tokenArray(scope, new int[][] {seq}, seq.length, TOK.padId());
          float[] logp = TokenLogProbs.of(model, tokens, 1f, false).logp().toFloatArray();
          for (int j = prompt.length - 1; j < seq.length - 1; j++) {
            nll -= logp[j];
            count++;
          }
        }
      }
      SftTrainer trainer = new SftTrainer(model, opt, TOK, PromptTemplate.PLAIN, LrSchedule.constant(1e-3f));

      SftTrainer.StepResult r = trainer.step(BATCH);

      assertEquals(count, r.tokens());
      assertEquals(nll / count, r.loss(), 1e-4);
    }
  }

  @Test
  void step_thirtyStepsOnFixedBatch_lossDecreases() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel model = LlamaModel.initialize(TINY, 11, root, true);
        AdamW opt = new AdamW(model.parameters(), NO_DECAY, root)) {
      SftTrainer trainer = new SftTrainer(model, opt, TOK, PromptTemplate.PLAIN, LrSchedule.constant(1e-2f));
      float first = trainer.step(BATCH).loss();
      float last = first;
      for (int i = 1; i < 30; i++) {
        last = trainer.step(BATCH).loss();
      }

      assertTrue(last < 0.6f * first, "loss " + first + " -> " + last);
    }
  }

  @Test
  void constructor_frozenModel_rejected() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel frozen = LlamaModel.initialize(TINY, 1, root, false);
        AdamW opt = new AdamW(frozen.parameters(), NO_DECAY, root)) {
      assertThrows(IllegalArgumentException.class,
          () -> new SftTrainer(frozen, opt, TOK, PromptTemplate.PLAIN, LrSchedule.constant(1e-3f)));
    }
  }
}
