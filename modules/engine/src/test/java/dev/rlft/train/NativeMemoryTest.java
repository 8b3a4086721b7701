package dev.rlft.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.algo.KlEstimator;
import dev.rlft.algo.LossAggregation;
import dev.rlft.data.Problem;
import dev.rlft.model.Generation;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.PromptTemplate;
import dev.rlft.model.Sampler;
import dev.rlft.model.SamplingParams;
import dev.rlft.reward.BoxedAnswerReward;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Native memory stays flat: after a warm-up step, further SFT steps, GRPO updates, sampling and
 * evaluation leave exactly as many live NDArrays under the root manager as before.
 */
class NativeMemoryTest {

  @BeforeAll
  static void oneThread() {
    TinyModel.useOneTorchThread();
  }

  private static final List<Problem> PROBLEMS = List.of(
      new Problem("a", "Ann has 3 pens. She buys 4 more. How many pens now?", "3+4=7\n\n\\boxed{7}", "7"),
      new Problem("b", "Bo has 9 figs. He eats 2. How many figs now?", "9-2=7\n\n\\boxed{7}", "7"));

  @Test
  void sftSteps_afterWarmUp_leaveNoArraysBehind() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel model = LlamaModel.initialize(TinyModel.CONFIG, 1, root, true);
        AdamW opt = new AdamW(model.parameters(), AdamW.Config.defaults(), root)) {
      SftTrainer sft = new SftTrainer(model, opt, TinyModel.TOKENIZER, PromptTemplate.PLAIN, LrSchedule.constant(1e-3f));
      sft.step(PROBLEMS);
      int live = root.getManagedArrays().size();
      for (int i = 0; i < 5; i++) {
        sft.step(PROBLEMS);
      }
      assertEquals(live, root.getManagedArrays().size());
    }
  }

  @Test
  void grpoUpdatesSamplingAndEval_afterWarmUp_leaveNoArraysBehind() {
    try (NDManager root = NDManager.newBaseManager();
        LlamaModel policy = LlamaModel.initialize(TinyModel.CONFIG, 1, root, true);
        LlamaModel reference = LlamaModel.fromWeights(TinyModel.CONFIG, policy.exportWeights(), root, false);
        AdamW opt = new AdamW(policy.parameters(), AdamW.Config.defaults(), root)) {
      GrpoUpdate update = new GrpoUpdate(policy, reference, opt, new GrpoUpdate.Config(AdvantageEstimator.GRPO, 0.2f,
          0.2f, 0.04f, KlEstimator.K3, LossAggregation.TOKEN_MEAN, 1f, LrSchedule.constant(1e-3f)),
          TinyModel.TOKENIZER.padId());
      update.step(batch(policy, root), 2);
      int live = root.getManagedArrays().size();
      for (int i = 0; i < 3; i++) {
        update.step(batch(policy, root), 2);
      }
      Evaluator.run(reference, TinyModel.TOKENIZER, PromptTemplate.PLAIN, new BoxedAnswerReward(), PROBLEMS,
          new Evaluator.Config(2, 1f, true, 8, 4, 1), root, null);
      assertEquals(live, root.getManagedArrays().size());
    }
  }

  private static List<Trajectory> batch(LlamaModel policy, NDManager root) {
    List<int[]> prompts = new ArrayList<>();
    for (Problem p : PROBLEMS) {
      prompts.add(PromptTemplate.PLAIN.encode(TinyModel.TOKENIZER, p.problem()));
      prompts.add(PromptTemplate.PLAIN.encode(TinyModel.TOKENIZER, p.problem()));
    }
    List<Generation> gens = Sampler.generate(policy, prompts, new SamplingParams(1f, 1f, 0, 8, 3),
        TinyModel.TOKENIZER.eosId(), root);
    List<Trajectory> out = new ArrayList<>();
    for (int i = 0; i < gens.size(); i++) {
      out.add(new Trajectory(i / 2, prompts.get(i), gens.get(i).tokens(), gens.get(i).logprobs(), 0, i % 2, i % 2 == 1));
    }
    return out;
  }
}
