package dev.rlft.prm;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.ModelConfig;
import dev.rlft.train.AdamW;
import java.util.List;

/** Tiny models, tokenizers and solutions shared by the PRM tests. */
final class PrmFixtures {

  static final CharTokenizer CHARS = CharTokenizer.ascii();

  /** One layer, width 16, tied embeddings: milliseconds per step on one thread. */
  static final ModelConfig TINY = new ModelConfig(CHARS.vocabSize(), 16, 1, 2, 2, 32, 256, 10000f, 1e-5f, true);

  /** AdamW without weight decay, so a parameter moves only when its gradient does. */
  static final AdamW.Config NO_DECAY = new AdamW.Config(0.9f, 0.95f, 1e-8f, 0f, 1f);

  static final List<StepSolution> SOLUTIONS = List.of(
      new StepSolution("Ann has 3 pens. She buys 4 more. How many pens now?", List.of("3+4=7", "\\boxed{7}")),
      new StepSolution("Bo has 9 figs. He eats 2. He buys 5. How many figs now?",
          List.of("9-2=7", "7+5=12", "\\boxed{12}")),
      new StepSolution("Cy has 6 cups. How many cups now?", List.of("\\boxed{6}")),
      new StepSolution("Di has 1 toy.", List.of()));

  private PrmFixtures() {}

  /** One intra-op thread: the tensors are tiny and PyTorch's spinning workers slow a busy machine down. */
  static void useOneTorchThread() {
    Engine.getInstance();
    JniUtils.setNumThreads(1);
  }
}
