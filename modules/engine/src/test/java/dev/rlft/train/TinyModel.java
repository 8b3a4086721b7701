package dev.rlft.train;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import dev.rlft.model.CharTokenizer;
import dev.rlft.model.ModelConfig;

/** The one-layer model of the training tests and the process-wide PyTorch setting they run with. */
final class TinyModel {

  static final CharTokenizer TOKENIZER = CharTokenizer.ascii();

  static final ModelConfig CONFIG =
      new ModelConfig(TOKENIZER.vocabSize(), 16, 1, 2, 2, 32, 192, 10000f, 1e-5f, true);

  /** AdamW without weight decay, so a parameter moves only when its gradient does. */
  static final AdamW.Config NO_DECAY = new AdamW.Config(0.9f, 0.95f, 1e-8f, 0f, 1f);

  private TinyModel() {}

  /**
   * One intra-op thread. The tensors here are tiny, and on a small machine that is busy with other
   * work PyTorch's spinning worker threads make a step about 100 times slower (0.5 s instead of 5 ms).
   */
  static void useOneTorchThread() {
    Engine.getInstance();
    JniUtils.setNumThreads(1);
  }
}
