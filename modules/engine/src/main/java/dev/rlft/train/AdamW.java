package dev.rlft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter, arXiv 1711.05101) with global-norm gradient clipping, whose
 * moment estimates can be saved and restored with a checkpoint.
 *
 * <p>Update for each parameter w with gradient g (after clipping), step t:
 * m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + eps)
 * + lr wd w (decoupled decay, skipped for 1-D norm weights).
 */
public final class AdamW implements AutoCloseable {

  /** Optimizer settings. */
  public record Config(float beta1, float beta2, float eps, float weightDecay, float gradClip) {
    public Config {
      if (!(beta1 >= 0 && beta1 < 1)) {
        throw new IllegalArgumentException("adam beta1 must be in [0, 1), got " + beta1);
      }
      if (!(beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException("adam beta2 must be in [0, 1), got " + beta2);
      }
      if (!(eps > 0)) {
        throw new IllegalArgumentException("adam eps must be > 0, got " + eps);
      }
      if (!(weightDecay >= 0)) {
        throw new IllegalArgumentException("weight-decay must be >= 0, got " + weightDecay);
      }
      if (!(gradClip >= 0)) {
        throw new IllegalArgumentException("grad-clip must be >= 0 (0 = off), got " + gradClip);
      }
    }

    public static Config defaults() {
      return new Config(0.9f, 0.95f, 1e-8f, 0.01f, 1.0f);
    }
  }

  /** Thrown when a gradient holds inf or NaN; the gradients are cleared and no weight changes. */
  public static final class NonFiniteGradientException extends IllegalStateException {
    public NonFiniteGradientException(String message) {
      super(message);
    }
  }

  private final Config config;
  private final Map<String, NDArray> params;
  private final NDManager manager;
  private final Map<String, NDArray> m = new LinkedHashMap<>();
  private final Map<String, NDArray> v = new LinkedHashMap<>();
  private long steps;

  public AdamW(Map<String, NDArray> params, Config config, NDManager parent) {
    this.config = config;
    this.params = params;
    this.manager = parent.newSubManager();
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      m.put(e.getKey(), manager.zeros(e.getValue().getShape()));
      v.put(e.getKey(), manager.zeros(e.getValue().getShape()));
    }
  }

  public long steps() {
    return steps;
  }

  /** Clears every parameter's accumulated gradient. */
  public void zeroGrad() {
    for (NDArray p : params.values()) {
      if (p.hasGradient()) {
        JniUtils.zeroGrad((PtNDArray) p);
      }
    }
  }

  /**
   * Applies one update from the gradients accumulated by the last backward pass, then zeroes them.
   *
   * @return the global gradient L2 norm before clipping
   */
  public float step(float lr) {
    if (!(lr >= 0) || Float.isInfinite(lr)) {
      throw new IllegalArgumentException("learning rate must be finite and >= 0, got " + lr);
    }
    float norm;
    try (NDManager scope = manager.newSubManager()) {
      Map<String, NDArray> grads = new LinkedHashMap<>();
      double sq = 0;
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        NDArray g = e.getValue().getGradient();
        g.attach(scope);
        grads.put(e.getKey(), g);
        sq += g.square().sum().getFloat();
      }
      norm = (float) Math.sqrt(sq);
      if (!Float.isFinite(norm)) {
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : grads.entrySet()) {
          if (!Float.isFinite(e.getValue().abs().sum().getFloat())) {
            bad.add(e.getKey());
          }
        }
        zeroGrad();
        throw new NonFiniteGradientException("non-finite gradient norm " + norm + " at optimizer step " + (steps + 1)
            + " in " + bad.size() + " tensor(s), first " + bad.subList(0, Math.min(3, bad.size())));
      }
      steps++;
      float scale = config.gradClip() > 0 && norm > config.gradClip() ? config.gradClip() / norm : 1f;
      float b1 = config.beta1();
      float b2 = config.beta2();
      double bc1 = 1 - Math.pow(b1, steps);
      double bc2 = 1 - Math.pow(b2, steps);
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        NDArray p = e.getValue();
        NDArray g = grads.get(name).mul(scale);
        NDArray mi = m.get(name);
        NDArray vi = v.get(name);
        mi.tempAttach(scope);
        vi.tempAttach(scope);
        p.tempAttach(scope);
        mi.muli(b1).addi(g.mul(1 - b1));
        vi.muli(b2).addi(g.square().mul(1 - b2));
        NDArray update = mi.div(bc1).div(vi.div(bc2).sqrt().add(config.eps())).mul(lr);
        if (config.weightDecay() > 0 && p.getShape().dimension() > 1) {
          update = update.add(p.mul(lr * config.weightDecay()));
        }
        // in-place on the leaf parameter: must not be recorded by autograd
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
          p.subi(update);
        } finally {
          JniUtils.setGradMode(grad);
        }
      }
    }
    zeroGrad();
    return norm;
  }

  /** Moment estimates as Java arrays, keys "m/NAME" and "v/NAME". */
  public Map<String, float[]> exportState() {
    Map<String, float[]> out = new LinkedHashMap<>();
    m.forEach((k, a) -> out.put("m/" + k, a.toFloatArray()));
    v.forEach((k, a) -> out.put("v/" + k, a.toFloatArray()));
    return out;
  }

  /** Restores moments and the step count written by {@link #exportState()}. */
  public void importState(Map<String, float[]> state, long stepCount) {
    for (String k : params.keySet()) {
      float[] mm = state.get("m/" + k);
      float[] vv = state.get("v/" + k);
      if (mm == null || vv == null) {
        throw new IllegalArgumentException("optimizer state lacks moments for '" + k + "'");
      }
      m.get(k).set(mm);
      v.get(k).set(vv);
    }
    this.steps = stepCount;
  }

  @Override
  public void close() {
    manager.close();
  }
}
