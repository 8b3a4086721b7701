package dev.rlft.reward;

import java.util.List;

/**
 * A weighted sum of reward components, such as accuracy plus a small format bonus. The first
 * component decides {@code correct} and {@code extracted}; the reason lists every component.
 * Closing it closes the components that hold resources.
 */
public final class WeightedReward implements RewardFunction, AutoCloseable {

  /** One component and its weight. */
  public record Component(RewardFunction function, double weight) {
    public Component {
      if (!Double.isFinite(weight)) {
        throw new IllegalArgumentException("reward weight must be finite, got " + weight);
      }
    }
  }

  private final List<Component> components;

  public WeightedReward(List<Component> components) {
    if (components.isEmpty()) {
      throw new IllegalArgumentException("a weighted reward needs at least one component");
    }
    this.components = List.copyOf(components);
  }

  @Override
  public RewardResult score(String completion, String answer) {
    double total = 0;
    StringBuilder reason = new StringBuilder();
    RewardResult first = null;
    for (Component c : components) {
      RewardResult r = c.function().score(completion, answer);
      if (first == null) {
        first = r;
      }
      total += c.weight() * r.reward();
      reason.append(reason.length() == 0 ? "" : "; ").append(c.function().name()).append(": ").append(r.reason());
    }
    return new RewardResult(total, first.correct(), first.extracted(), reason.toString());
  }

  @Override
  public String name() {
    StringBuilder b = new StringBuilder();
    for (Component c : components) {
      b.append(b.length() == 0 ? "" : "+").append(c.weight()).append('*').append(c.function().name());
    }
    return b.toString();
  }

  @Override
  public void close() throws Exception {
    for (Component c : components) {
      if (c.function() instanceof AutoCloseable a) {
        a.close();
      }
    }
  }
}
