package dev.rlft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Preallocated key/value cache: per layer one [B, Hkv, capacity, D] tensor for keys and one for
 * values, written in place slot by slot, so decoding never concatenates.
 */
public final class KvCache {

  private final NDArray[] keys;
  private final NDArray[] values;
  private final int capacity;

  KvCache(NDManager owner, int layers, int batch, int kvHeads, int capacity, int headDim, ai.djl.ndarray.types.DataType dtype) {
    this.capacity = capacity;
    this.keys = new NDArray[layers];
    this.values = new NDArray[layers];
    Shape shape = new Shape(batch, kvHeads, capacity, headDim);
    for (int l = 0; l < layers; l++) {
      keys[l] = owner.zeros(shape, dtype);
      values[l] = owner.zeros(shape, dtype);
    }
  }

  public int capacity() {
    return capacity;
  }

  void write(int layer, int start, NDArray k, NDArray v) {
    long t = k.getShape().get(2);
    if (start + t > capacity) {
      throw new IllegalStateException("KV cache overflow: " + (start + t) + " > " + capacity);
    }
    NDIndex slots = new NDIndex(":, :, {}:{}", start, start + t);
    keys[layer].set(slots, k);
    values[layer].set(slots, v);
  }

  NDArray keys(int layer, int end, NDManager into) {
    return slice(keys[layer], end, into);
  }

  NDArray values(int layer, int end, NDManager into) {
    return slice(values[layer], end, into);
  }

  private static NDArray slice(NDArray a, int end, NDManager into) {
    NDArray s = a.get(new NDIndex(":, :, :{}", end));
    s.attach(into);
    return s;
  }
}
