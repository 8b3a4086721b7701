package dev.rlft.wire;

import dev.rlft.cluster.ClusterCodecs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every control message type and its Protobuf mapping, one mapper per protocol. A class listed
 * here must also be bound to {@code rlft-proto} in {@code reference.conf} (a test checks both).
 */
public final class ControlCodecs {

  private ControlCodecs() {}

  public static List<ControlCodec<?>> all() {
    List<ControlCodec<?>> all = new ArrayList<>();
    all.addAll(CoordinatorCodecs.codecs());
    all.addAll(ParamsCodecs.codecs());
    all.addAll(RolloutCodecs.codecs());
    all.addAll(RewardCodecs.codecs());
    all.addAll(LearnerCodecs.codecs());
    all.addAll(HealthCodecs.codecs());
    all.addAll(ClusterCodecs.codecs());
    return List.copyOf(all);
  }

  // --- helpers the mappers share ---------------------------------------------------------------

  static List<dev.rlft.proto.wire.NamedDouble> named(Map<String, Double> m) {
    List<dev.rlft.proto.wire.NamedDouble> out = new ArrayList<>(m.size());
    m.forEach((k, v) -> out.add(dev.rlft.proto.wire.NamedDouble.newBuilder().setName(k).setValue(v).build()));
    return out;
  }

  static LinkedHashMap<String, Double> doubles(List<dev.rlft.proto.wire.NamedDouble> list) {
    LinkedHashMap<String, Double> m = new LinkedHashMap<>();
    for (dev.rlft.proto.wire.NamedDouble d : list) {
      m.put(d.getName(), d.getValue());
    }
    return m;
  }

  static int[] ints(List<Integer> list) {
    int[] out = new int[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i);
    }
    return out;
  }

  static float[] floats(List<Float> list) {
    float[] out = new float[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i);
    }
    return out;
  }

  static List<Integer> boxed(int[] a) {
    List<Integer> out = new ArrayList<>(a.length);
    for (int v : a) {
      out.add(v);
    }
    return out;
  }

  static List<Float> boxed(float[] a) {
    List<Float> out = new ArrayList<>(a.length);
    for (float v : a) {
      out.add(v);
    }
    return out;
  }

  /** A string field that must be set: a null one cannot be written. */
  static String required(String s, String field) {
    if (s == null) {
      throw new IllegalArgumentException(field + " must not be null on the wire");
    }
    return s;
  }
}
