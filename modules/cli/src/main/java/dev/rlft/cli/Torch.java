package dev.rlft.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/** Process-wide PyTorch settings. */
final class Torch {

  private Torch() {}

  /** Loads the engine (offline) and sets intra-op threads; 0 means one per core. */
  static void configure(int threads) {
    if (threads < 0) {
      throw new IllegalArgumentException("torch-threads must be >= 0, got " + threads);
    }
    Engine.getInstance();
    JniUtils.setNumThreads(threads == 0 ? Runtime.getRuntime().availableProcessors() : threads);
  }
}
