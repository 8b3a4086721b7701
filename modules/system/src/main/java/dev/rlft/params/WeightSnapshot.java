package dev.rlft.params;

import dev.rlft.wire.WireMessage;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A versioned copy of policy weights as plain arrays (never NDArrays), the unit the parameter
 * server stores and rollout workers load.
 *
 * @param version monotonically increasing weight version; 0 is the starting policy
 * @param kind {@link Kind#FULL}: every base weight (and, for a LoRA policy, its adapters too);
 *     {@link Kind#ADAPTERS}: only the LoRA adapters, applied on top of the last full snapshot
 */
public record WeightSnapshot(long version, String[] names, float[][] data, Kind kind) implements WireMessage {

  /** What a snapshot holds. */
  public enum Kind {
    FULL,
    ADAPTERS
  }

  public WeightSnapshot {
    if (kind == null) {
      throw new IllegalArgumentException("snapshot kind must be set");
    }
    if (version < 0) {
      throw new IllegalArgumentException("weight version must be >= 0, got " + version);
    }
    if (names.length != data.length) {
      throw new IllegalArgumentException("names and tensors differ in count: " + names.length + " vs " + data.length);
    }
  }

  public static WeightSnapshot of(long version, Map<String, float[]> weights) {
    return of(version, weights, Kind.FULL);
  }

  public static WeightSnapshot of(long version, Map<String, float[]> weights, Kind kind) {
    return new WeightSnapshot(version, weights.keySet().toArray(new String[0]), weights.values().toArray(new float[0][]),
        kind);
  }

  /** The tensors whose names are LoRA adapter names ({@code ...lora_A.weight}, {@code ...lora_B.weight}). */
  public Map<String, float[]> adapters() {
    Map<String, float[]> m = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      if (isAdapter(names[i])) {
        m.put(names[i], data[i]);
      }
    }
    return m;
  }

  /** The tensors that are not adapters. */
  public Map<String, float[]> baseWeights() {
    Map<String, float[]> m = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      if (!isAdapter(names[i])) {
        m.put(names[i], data[i]);
      }
    }
    return m;
  }

  private static boolean isAdapter(String name) {
    return name.endsWith(".lora_A.weight") || name.endsWith(".lora_B.weight");
  }

  public Map<String, float[]> asMap() {
    Map<String, float[]> m = new LinkedHashMap<>();
    for (int i = 0; i < names.length; i++) {
      m.put(names[i], data[i]);
    }
    return m;
  }

  public long bytes() {
    long n = 0;
    for (float[] d : data) {
      n += 4L * d.length;
    }
    return n;
  }
}
