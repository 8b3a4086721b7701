package dev.rlft.prm;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.rlft.model.LlamaModel;
import dev.rlft.model.NativeCompute;
import dev.rlft.train.AdamW;
import dev.rlft.train.LrSchedule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Fits a {@link ProcessRewardModel} to step labels: binary cross-entropy ({@link StepBce}) between
 * the PRM's step logits and the soft or hard labels, every labelled step counted once, optimised
 * with {@link AdamW}. Padding never enters the loss: only the step end positions are read.
 *
 * <p>Head-only training updates {@code score.*} alone, with gradients stopped at the backbone's
 * hidden states (the backbone may be frozen); full training updates the head and every trainable
 * backbone tensor (its LoRA adapters, when it has them). Not thread-safe.
 */
public final class PrmTrainer implements AutoCloseable {

  /** Which labels are the targets. */
  public enum Target {
    /** Soft labels in [0, 1]. */
    SOFT,
    /** Hard labels as 0 and 1. */
    HARD
  }

  /**
   * Training settings.
   *
   * @param target which labels to fit
   * @param headOnly train the scalar head alone (SCALAR PRMs only)
   * @param schedule learning rate per optimizer step
   * @param adam optimizer settings
   */
  public record Config(Target target, boolean headOnly, LrSchedule schedule, AdamW.Config adam) {
    public Config {
      Objects.requireNonNull(target, "target");
      Objects.requireNonNull(schedule, "schedule");
      Objects.requireNonNull(adam, "adam");
    }
  }

  /** What one optimizer step did: the loss before it, the gradient norm, how many steps were labelled. */
  public record StepResult(long step, float loss, float lr, float gradNorm, int labelledSteps) {}

  /**
   * Held-out quality.
   *
   * @param loss mean BCE against the configured target
   * @param accuracy share of steps whose score (threshold 0.5) matches the hard label
   * @param auc ROC AUC of the scores against the hard labels; NaN when one class is absent
   */
  public record Evaluation(int examples, int steps, double loss, double accuracy, double auc) {}

  /**
   * Examples divided into a training and a held-out part by a stable hash of their id, so one id
   * always lands on the same side whatever the order or the other examples.
   */
  public record Split(List<PrmExample> train, List<PrmExample> heldOut) {
    public Split {
      train = List.copyOf(train);
      heldOut = List.copyOf(heldOut);
    }

    /** Holds out about {@code fraction} of the ids (FNV-1a 64, finalised with SplitMix64's mixer). */
    public static Split byId(List<PrmExample> examples, double fraction) {
      if (!(fraction >= 0 && fraction <= 1)) {
        throw new IllegalArgumentException("held-out fraction must be in [0, 1], got " + fraction);
      }
      List<PrmExample> train = new ArrayList<>();
      List<PrmExample> held = new ArrayList<>();
      for (PrmExample e : examples) {
        (unit(e.id()) < fraction ? held : train).add(e);
      }
      return new Split(train, held);
    }

    private static double unit(String id) {
      long h = 0xcbf29ce484222325L;
      for (int i = 0; i < id.length(); i++) {
        h ^= id.charAt(i);
        h *= 0x100000001b3L;
      }
      h = (h ^ (h >>> 30)) * 0xbf58476d1ce4e5b9L;
      h = (h ^ (h >>> 27)) * 0x94d049bb133111ebL;
      h ^= h >>> 31;
      return (h >>> 11) * 0x1.0p-53;
    }
  }

  private final ProcessRewardModel prm;
  private final Config config;
  private final AdamW optimizer;
  private final NDManager manager;

  public PrmTrainer(ProcessRewardModel prm, Config config, NDManager parent) {
    this.prm = prm;
    this.config = config;
    Map<String, NDArray> params = new LinkedHashMap<>();
    if (config.headOnly()) {
      if (prm.config().head() != PrmConfig.HeadKind.SCALAR) {
        throw new IllegalArgumentException(
            "head-only training needs a SCALAR PRM; an LM_TOKENS one has no separate head");
      }
    } else {
      if (!prm.backbone().trainable()) {
        throw new IllegalArgumentException("full PRM training needs a trainable backbone; load it trainable or "
            + "train the head only");
      }
      params.putAll(prm.backbone().trainableParameters());
    }
    params.putAll(prm.headParameters());
    this.manager = NativeCompute.run(() -> parent.newSubManager());
    this.optimizer = NativeCompute.run(() -> new AdamW(params, config.adam(), manager));
  }

  /** One optimizer step on {@code batch}; every intermediate array is freed before return. */
  public StepResult step(List<PrmExample> batch) {
    return NativeCompute.run(() -> stepLocked(batch));
  }

  private StepResult stepLocked(List<PrmExample> batch) {
    if (batch.isEmpty()) {
      throw new IllegalArgumentException("empty PRM training batch");
    }
    int[][] rows = new int[batch.size()][];
    int[][] ends = new int[batch.size()][];
    List<float[]> targets = new ArrayList<>();
    int width = 0;
    int n = 0;
    for (int i = 0; i < batch.size(); i++) {
      StepEncoder.Encoded e = prm.encodeChecked(batch.get(i).solution(), i);
      rows[i] = e.tokens();
      ends[i] = e.stepEnds();
      width = Math.max(width, rows[i].length);
      float[] t = batch.get(i).targets(config.target());
      targets.add(t);
      n += t.length;
    }
    float[] y = new float[n];
    int k = 0;
    for (float[] t : targets) {
      System.arraycopy(t, 0, y, k, t.length);
      k += t.length;
    }
    float lr = config.schedule().at(optimizer.steps() + 1);
    float lossValue;
    LlamaModel backbone = prm.backbone();
    try (NDManager step = manager.newSubManager();
        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray tokens = LlamaModel.tokenArray(step, rows, width, prm.padId());
      NDArray logits;
      backbone.setTraining(!config.headOnly());
      try {
        logits = prm.stepLogits(tokens, ends, !config.headOnly());
      } finally {
        backbone.setTraining(false);
      }
      NDArray loss = StepBce.of(logits, step.create(y, new Shape(n)));
      gc.backward(loss);
      lossValue = loss.getFloat();
    }
    float norm = optimizer.step(lr);
    return new StepResult(optimizer.steps(), lossValue, lr, norm, n);
  }

  /** Loss, accuracy and AUC of the PRM's current scores on {@code examples} (no gradients). */
  public Evaluation evaluate(List<PrmExample> examples) {
    return evaluate(prm, examples, config.target());
  }

  /** As {@link #evaluate(List)} for any PRM and target. */
  public static Evaluation evaluate(ProcessRewardModel prm, List<PrmExample> examples, Target target) {
    List<StepSolution> solutions = new ArrayList<>(examples.size());
    examples.forEach(e -> solutions.add(e.solution()));
    float[][] logits = prm.stepLogits(solutions, ProcessRewardModel.DEFAULT_BATCH_TOKENS);
    int n = 0;
    for (float[] l : logits) {
      n += l.length;
    }
    float[] x = new float[n];
    float[] y = new float[n];
    float[] scores = new float[n];
    boolean[] hard = new boolean[n];
    int k = 0;
    for (int i = 0; i < examples.size(); i++) {
      float[] t = examples.get(i).targets(target);
      boolean[] h = examples.get(i).hard();
      for (int j = 0; j < t.length; j++) {
        x[k] = logits[i][j];
        y[k] = t[j];
        scores[k] = ProcessRewardModel.sigmoid(logits[i][j]);
        hard[k] = h[j];
        k++;
      }
    }
    double loss = n == 0 ? Double.NaN : StepBce.reference(x, y);
    return new Evaluation(examples.size(), n, loss, StepMetrics.accuracy(scores, hard, 0.5f),
        StepMetrics.auc(scores, hard));
  }

  public long optimizerSteps() {
    return optimizer.steps();
  }

  /** AdamW moments ("m/NAME", "v/NAME"), for a checkpoint. */
  public Map<String, float[]> optimizerState() {
    return NativeCompute.run(optimizer::exportState);
  }

  /** Saves the PRM with this trainer's optimizer state and step count. */
  public void save(Path dir) throws IOException {
    prm.toCheckpoint(optimizerState(), optimizer.steps()).save(dir);
  }

  @Override
  public void close() {
    NativeCompute.run(() -> {
      optimizer.close();
      manager.close();
    });
  }
}
