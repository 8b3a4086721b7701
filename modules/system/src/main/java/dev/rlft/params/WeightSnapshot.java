package dev.rlft.params;

import dev.rlft.wire.WireMessage;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A versioned copy of policy weights as plain arrays (never NDArrays), the unit the parameter
 * server stores. Rollout workers receive it through the weight-sync protocol
 * ({@link WeightSender}, {@link WeightReceiver}), never as one message.
 *
 * @param version monotonically increasing weight version; 0 is the starting policy
 * @param kind {@link Kind#FULL}: every base weight (and, for a LoRA policy, its adapters too);
 *     {@link Kind#ADAPTERS}: only the LoRA adapters, applied on top of the last full snapshot
 * @param shapes the shape of each tensor, or null when only the flat sizes are known (a weight
 *     sync then describes every tensor as one-dimensional)
 */
public record WeightSnapshot(long version, String[] names, float[][] data, Kind kind, long[][] shapes)
    implements WireMessage {

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
    if (shapes != null) {
      if (shapes.length != names.length) {
        throw new IllegalArgumentException("names and shapes differ in count: " + names.length + " vs " + shapes.length);
      }
      for (int i = 0; i < names.length; i++) {
        long n = 1;
        for (long d : shapes[i]) {
          n *= d;
        }
        if (n != data[i].length) {
          throw new IllegalArgumentException("tensor '" + names[i] + "' has " + data[i].length + " values but shape "
              + Arrays.toString(shapes[i]));
        }
      }
    }
  }

  /** A snapshot without shapes. */
  public WeightSnapshot(long version, String[] names, float[][] data, Kind kind) {
    this(version, names, data, kind, null);
  }

  public static WeightSnapshot of(long version, Map<String, float[]> weights) {
    return of(version, weights, Kind.FULL);
  }

  public static WeightSnapshot of(long version, Map<String, float[]> weights, Kind kind) {
    return new WeightSnapshot(version, weights.keySet().toArray(new String[0]), weights.values().toArray(new float[0][]),
        kind);
  }

  /** This snapshot with each tensor's shape taken from {@code shapes} (every name must be there). */
  public WeightSnapshot withShapes(Map<String, long[]> shapes) {
    long[][] s = new long[names.length][];
    for (int i = 0; i < names.length; i++) {
      s[i] = shapes.get(names[i]);
      if (s[i] == null) {
        throw new IllegalArgumentException("no shape for tensor '" + names[i] + "'");
      }
    }
    return new WeightSnapshot(version, names, data, kind, s);
  }

  /** The shape of tensor {@code i}: as given, else one dimension of its size. */
  public long[] shape(int i) {
    return shapes != null ? shapes[i] : new long[] {data[i].length};
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

  /** Whether {@code name} is a LoRA adapter's ({@code ...lora_A.weight} or {@code ...lora_B.weight}). */
  public static boolean isAdapter(String name) {
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
