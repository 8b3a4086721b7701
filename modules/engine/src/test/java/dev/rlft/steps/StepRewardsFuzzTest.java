package dev.rlft.steps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rlft.algo.AdvantageEstimator;
import dev.rlft.model.Tokenizer;
import dev.rlft.steps.StepSegmenter.Config;
import dev.rlft.steps.StepSegmenter.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Arbitrary model output through every piece: nothing throws, every invariant holds. */
class StepRewardsFuzzTest {

  private static final String[] UNITS = {
    "\n", "\n\n", "\n\n\n", "\r\n", "\r", "\r\n\r\n", " \n \n", "\t", " ", "\u2028", "\u0085", "\u000B", "\f",
    "So,", "Therefore,", "ええと。", "x", "=", "+", "12", "５", "\\boxed{", "}", "$", "\\", "^", "*", "<|im_end|>",
    "<step>", " ки", "😀", "👍🏽", "🇯🇵", "\uD800", "\uDC00", "\u0000", "\u200B", "\u200F", "\u0301", "é",
    "中", "\uFFFD", "\u00A0", "\u3000", "a", "Hello", "....", "\\frac", "(", "[", "−", "≤",
  };

  private static final List<StepSegmenter> SEGMENTERS = List.of(
      StepSegmenter.create(),
      StepSegmenter.create(new Config("\n\n", false, 0)),
      StepSegmenter.create(new Config("\n", true, 3)),
      StepSegmenter.create(new Config("<step>", true, 1)),
      StepSegmenter.create(new Config(" ки\n", true, 100)));

  static List<String> fuzz(long seed, int count) {
    Random r = new Random(seed);
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      StringBuilder sb = new StringBuilder();
      int n = r.nextInt(25);
      for (int u = 0; u < n; u++) {
        if (r.nextInt(10) == 0) {
          sb.append((char) r.nextInt(0x10000)); // any UTF-16 unit, surrogates included
        } else {
          sb.append(UNITS[r.nextInt(UNITS.length)]);
        }
      }
      out.add(sb.toString());
    }
    return out;
  }

  @Test
  void segment_fuzz_stepsAreOrderedTrimmedSubstrings() {
    for (String text : fuzz(21, 400)) {
      for (StepSegmenter segmenter : SEGMENTERS) {
        List<Step> raw = segmenter.split(text);
        List<Step> steps = segmenter.segment(text);

        checkSteps(text, raw);
        checkSteps(text, steps);
        assertEquals(raw.size(), steps.stream().mapToInt(Step::parts).sum());
        if (segmenter.config().mergeTrivial() && steps.size() > 1) {
          for (Step s : steps) {
            assertFalse(segmenter.isTrivial(s.text()), () -> "trivial step left in " + text);
          }
        }
        for (Step r : raw) {
          assertTrue(steps.stream().anyMatch(s -> s.start() <= r.start() && r.end() <= s.end()));
        }
      }
    }
  }

  @Test
  void wholePipeline_fuzz_neverThrowsAndStaysConsistent() {
    Random random = new Random(22);
    List<Tokenizer> policies = List.of(TokenizerFixtures.qwen(), TokenizerFixtures.stories(), TokenizerFixtures.chars());
    List<Tokenizer> prms = List.of(TokenizerFixtures.chars(), TokenizerFixtures.qwen(), TokenizerFixtures.stories());
    StepSegmenter segmenter = StepSegmenter.create();
    List<String> texts = fuzz(23, 300);
    for (int p = 0; p < policies.size(); p++) {
      Tokenizer policy = policies.get(p);
      Tokenizer prm = prms.get(p);
      List<ProcessAdvantages.Completion> group = new ArrayList<>();
      for (String text : texts) {
        int[] ids = policy.encode(text);
        TokenAlignment alignment = TokenAlignment.of(policy, ids);
        if (ids.length <= 60) {
          assertArrayEquals(TokenAlignment.ofByPrefixes(policy, ids).tokenEnds(), alignment.tokenEnds(), text);
        }
        List<Step> steps = segmenter.segment(alignment.text());
        int[] stepEnds = alignment.stepEndTokens(steps);
        PrmInput input = PrmInput.build(prm, PrmInput.Format.tagged("Q:\n", "\n"), steps.stream().map(Step::text).toList());
        assertEquals(steps.size(), input.scorePositions().length);

        float[] scores = new float[steps.size()];
        for (int j = 0; j < scores.length; j++) {
          scores[j] = random.nextFloat();
        }
        for (CreditAssignment rule : CreditAssignment.values()) {
          for (OutcomeGate gate : OutcomeGate.values()) {
            float[] rewards = rule.stepRewards(scores, random.nextBoolean(), new CreditAssignment.Params(0.5, 0.1, gate));
            assertEquals(steps.size(), rewards.length);
          }
        }
        float[] rewards = CreditAssignment.MIN.stepRewards(scores, random.nextBoolean(), CreditAssignment.Params.DEFAULT);
        group.add(new ProcessAdvantages.Completion(rewards, stepEnds, ids.length));
      }
      float[] outcome = new float[group.size()];
      for (int i = 0; i < outcome.length; i++) {
        outcome[i] = random.nextInt(2);
      }
      for (ProcessAdvantages.Normalisation norm : ProcessAdvantages.Normalisation.values()) {
        float[][] advantages = ProcessAdvantages.compute(
            AdvantageEstimator.GRPO, norm, group, outcome, new ProcessAdvantages.Weights(1, 1));
        for (int i = 0; i < group.size(); i++) {
          assertEquals(group.get(i).length(), advantages[i].length);
          for (float a : advantages[i]) {
            assertTrue(Float.isFinite(a));
          }
        }
      }
    }
  }

  private static void checkSteps(String text, List<Step> steps) {
    int previousEnd = 0;
    for (Step s : steps) {
      assertTrue(s.start() >= previousEnd, () -> "overlapping steps in " + text);
      assertEquals(text.substring(s.start(), s.end()), s.text());
      assertFalse(Character.isWhitespace(s.text().charAt(0)) || Character.isSpaceChar(s.text().charAt(0)));
      char last = s.text().charAt(s.text().length() - 1);
      assertFalse(Character.isWhitespace(last) || Character.isSpaceChar(last));
      previousEnd = s.end();
    }
  }
}
