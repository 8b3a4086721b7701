package dev.rlft.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Low-rank adapters (Hu et al., arXiv 2106.09685): each targeted projection {@code W} becomes
 * {@code W + (alpha / rank) B A} with {@code A: [rank, in]}, {@code B: [out, rank]}, {@code B = 0}
 * at the start, and only {@code A} and {@code B} trained.
 *
 * @param rank adapter rank r
 * @param alpha scale numerator; the update is multiplied by {@code alpha / rank}
 * @param dropout dropout on the adapter input while training, in [0, 1)
 * @param targets projection names among {@link #MODULES}
 */
public record LoraConfig(int rank, float alpha, float dropout, Set<String> targets) {

  /** Projections that can carry an adapter (Hugging Face / PEFT module names). */
  public static final List<String> MODULES =
      List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj");

  public LoraConfig {
    if (rank < 1) {
      throw new IllegalArgumentException("lora.rank must be >= 1, got " + rank);
    }
    if (!(alpha > 0)) {
      throw new IllegalArgumentException("lora.alpha must be > 0, got " + alpha);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("lora.dropout must be in [0, 1), got " + dropout);
    }
    if (targets == null || targets.isEmpty()) {
      throw new IllegalArgumentException("lora.targets must name at least one of " + MODULES);
    }
    List<String> unknown = new ArrayList<>();
    for (String t : targets) {
      if (!MODULES.contains(t)) {
        unknown.add(t);
      }
    }
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("unknown lora.targets " + unknown + " (known: " + MODULES + ")");
    }
    targets = Set.copyOf(new TreeSet<>(targets));
  }

  public float scale() {
    return alpha / rank;
  }

  /** Whether the projection named by a weight such as {@code model.layers.3.self_attn.q_proj.weight} is adapted. */
  public boolean targets(String weightName) {
    String[] parts = weightName.split("\\.");
    return parts.length >= 2 && parts[parts.length - 1].equals("weight") && targets.contains(parts[parts.length - 2]);
  }

  /** PEFT's name of the A matrix of a base weight: {@code ...q_proj.weight} becomes {@code ...q_proj.lora_A.weight}. */
  public static String aName(String baseWeight) {
    return baseWeight.substring(0, baseWeight.length() - ".weight".length()) + ".lora_A.weight";
  }

  public static String bName(String baseWeight) {
    return baseWeight.substring(0, baseWeight.length() - ".weight".length()) + ".lora_B.weight";
  }
}
