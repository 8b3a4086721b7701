package dev.rlft.params;

import dev.rlft.wire.WireMessage;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A versioned copy of all policy weights as plain arrays (never NDArrays), the unit the parameter
 * server stores and rollout workers load.
 *
 * @param version monotonically increasing weight version; 0 is the starting policy
 */
public record WeightSnapshot(long version, String[] names, float[][] data) implements WireMessage {

  public WeightSnapshot {
    if (version < 0) {
      throw new IllegalArgumentException("weight version must be >= 0, got " + version);
    }
    if (names.length != data.length) {
      throw new IllegalArgumentException("names and tensors differ in count: " + names.length + " vs " + data.length);
    }
  }

  public static WeightSnapshot of(long version, Map<String, float[]> weights) {
    return new WeightSnapshot(version, weights.keySet().toArray(new String[0]), weights.values().toArray(new float[0][]));
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
