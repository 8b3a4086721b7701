package dev.rlft.params;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A version ready to stream: its manifest and the arrays its chunks are cut from. Built once per
 * published version and shared, read-only, by every sender session; chunk bytes are encoded on
 * demand, so the version is never held twice in memory.
 */
final class PreparedVersion {

  /**
   * Each checking thread's buffer for a chunk's bytes: allocating (and zeroing) one per tensor cost
   * more than checking a small version.
   */
  private static final ThreadLocal<byte[]> SCRATCH = ThreadLocal.withInitial(() -> new byte[0]);

  /** Digest and chunk CRCs of one array; reused while the same array stays in later versions. */
  private record Checked(WeightManifest.TensorEntry entry, int[] chunkCrcs) {}

  final WeightManifest manifest;
  final WeightManifest.Layout layout;
  private final float[][] data;
  private final Map<float[], Checked> checked;
  /** Time spent computing checksums and digests (0 for tensors reused from the previous version). */
  final long prepareNanos;

  private PreparedVersion(WeightManifest manifest, float[][] data, Map<float[], Checked> checked, long prepareNanos) {
    this.manifest = manifest;
    this.layout = manifest.layout();
    this.data = data;
    this.checked = checked;
    this.prepareNanos = prepareNanos;
  }

  /**
   * Describes the state a receiver must hold at {@code version}. Arrays that {@code previous}
   * already checked (the same array objects, as a LoRA base is from one version to the next) are
   * not read again. Arrays must not change once published.
   */
  static PreparedVersion prepare(long version, WeightSnapshot.Kind kind, List<String> names, List<float[]> data,
      List<long[]> shapes, int chunkSize, PreparedVersion previous) {
    long start = System.nanoTime();
    int n = names.size();
    WeightManifest.TensorEntry[] entries = new WeightManifest.TensorEntry[n];
    int[][] crcs = new int[n][];
    Map<float[], Checked> checked = new IdentityHashMap<>();
    // tensors are checked in parallel (the common pool): the offer waits for the whole manifest
    java.util.stream.IntStream.range(0, n).parallel().forEach(t -> {
      Checked known = previous != null && previous.manifest.chunkSize() == chunkSize
          ? previous.checked.get(data.get(t)) : null;
      if (known != null && known.entry.name().equals(names.get(t))
          && java.util.Arrays.equals(known.entry.shape(), shapes.get(t))) {
        entries[t] = known.entry;
        crcs[t] = known.chunkCrcs;
      } else {
        check(names.get(t), data.get(t), shapes.get(t), chunkSize, entries, crcs, t);
      }
    });
    int chunks = 0;
    for (int t = 0; t < n; t++) {
      checked.put(data.get(t), new Checked(entries[t], crcs[t]));
      chunks += crcs[t].length;
    }
    int[] all = new int[chunks];
    int k = 0;
    for (int[] c : crcs) {
      System.arraycopy(c, 0, all, k, c.length);
      k += c.length;
    }
    WeightManifest manifest = new WeightManifest(version, kind, chunkSize, entries, all,
        WeightCodec.versionDigest(entries));
    return new PreparedVersion(manifest, data.toArray(new float[0][]), checked, System.nanoTime() - start);
  }

  /** The chunk CRCs and the content digest of one tensor, into {@code entries[t]} and {@code crcs[t]}. */
  private static void check(String name, float[] values, long[] shape, int chunkSize,
      WeightManifest.TensorEntry[] entries, int[][] crcs, int t) {
    int perChunk = chunkSize / 4;
    byte[] buf = SCRATCH.get();
    if (buf.length < 4 * Math.min(perChunk, values.length)) {
      buf = new byte[chunkSize];
      SCRATCH.set(buf);
    }
    int[] c = new int[(values.length + perChunk - 1) / perChunk];
    WeightCodec.TensorHasher hasher = new WeightCodec.TensorHasher();
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    for (int k = 0; k < c.length; k++) {
      int from = k * perChunk;
      int count = Math.min(perChunk, values.length - from);
      WeightCodec.encode(values, from, count, buf);
      crc.reset();
      crc.update(buf, 0, 4 * count);
      c[k] = (int) crc.getValue();
      hasher.update(buf, 0, 4 * count);
    }
    entries[t] = new WeightManifest.TensorEntry(name, WeightManifest.F32, shape, 4L * values.length, hasher.digest());
    crcs[t] = c;
  }

  long version() {
    return manifest.version();
  }

  /** Puts chunk {@code index} (little-endian float32) into {@code dst} at its position, and advances it. */
  void encodeChunk(int index, java.nio.ByteBuffer dst) {
    int bytes = layout.chunkBytes(index);
    dst.slice().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
        .put(data[layout.tensorOf(index)], layout.elementOffset(index), bytes / 4);
    dst.position(dst.position() + bytes);
  }

  /** The bytes of chunk {@code index}. */
  byte[] chunk(int index) {
    int bytes = layout.chunkBytes(index);
    byte[] out = new byte[bytes];
    WeightCodec.encode(data[layout.tensorOf(index)], layout.elementOffset(index), bytes / 4, out);
    return out;
  }
}
