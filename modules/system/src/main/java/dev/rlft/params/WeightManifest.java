package dev.rlft.params;

import dev.rlft.wire.WireMessage;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * What one weight version is made of, sent before any of its bytes: every tensor of the state a
 * receiver must hold at this version (name, dtype, shape, size, content digest), how the bytes are
 * cut into chunks, a CRC32C per chunk and a digest of the whole version.
 *
 * <p>Chunks never span two tensors: tensor {@code t} of {@code b} bytes is cut into
 * {@code ceil(b / chunkSize)} chunks, numbered after those of the tensors before it (an empty
 * tensor has none). A chunk's bytes are its float32 values, little-endian.
 *
 * <p>The version digest is SHA-256 over each tensor's name, dtype, shape, size and content digest,
 * in order ({@link WeightCodec#versionDigest}). A receiver recomputes it over the state it
 * assembled, the tensors it received and the ones it kept, so a version is applied only when that
 * state is exactly the sender's.
 *
 * @param kind {@link WeightSnapshot.Kind#ADAPTERS} when this version changed only LoRA adapters
 * @param chunkSize payload bytes of a full chunk (the last chunk of a tensor may be shorter)
 * @param chunkCrcs CRC32C of each chunk's bytes, by chunk number
 * @param digest SHA-256 of the tensor table (32 bytes)
 */
public record WeightManifest(long version, WeightSnapshot.Kind kind, int chunkSize, TensorEntry[] tensors,
    int[] chunkCrcs, byte[] digest) implements WireMessage {

  /** The only tensor element type weights travel as. */
  public static final String F32 = "F32";

  /**
   * One tensor of a version.
   *
   * @param dtype element type; {@link #F32} is the only one supported
   * @param bytes size in bytes: 4 times the product of {@code shape}
   * @param digest content digest: CRC32C of the bytes in the high 32 bits, CRC32 in the low
   *     ({@link WeightCodec.TensorHasher}); equal digests mean a receiver can keep the tensor it has
   */
  public record TensorEntry(String name, String dtype, long[] shape, long bytes, long digest) {
    public TensorEntry {
      if (name == null || name.isEmpty()) {
        throw new IllegalArgumentException("tensor name must not be empty");
      }
      if (!F32.equals(dtype)) {
        throw new IllegalArgumentException("tensor '" + name + "': unsupported dtype " + dtype + " (supported: " + F32
            + ")");
      }
      if (shape == null) {
        throw new IllegalArgumentException("tensor '" + name + "': no shape");
      }
      long n = 1;
      for (long d : shape) {
        if (d < 0) {
          throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
        }
        n = Math.multiplyExact(n, d);
      }
      if (n > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException("tensor '" + name + "': " + n + " values do not fit one Java array");
      }
      if (bytes != 4 * n) {
        throw new IllegalArgumentException("tensor '" + name + "': " + bytes + " bytes but shape "
            + Arrays.toString(shape) + " holds " + 4 * n);
      }
    }

    /** Number of float32 values. */
    public int elements() {
      return (int) (bytes / 4);
    }

    /** Whether a receiver holding {@code other} can keep it as this tensor. */
    public boolean sameContent(TensorEntry other) {
      return other != null && name.equals(other.name) && dtype.equals(other.dtype) && bytes == other.bytes
          && digest == other.digest;
    }
  }

  public WeightManifest {
    if (version < 0) {
      throw new IllegalArgumentException("weight version must be >= 0, got " + version);
    }
    if (kind == null) {
      throw new IllegalArgumentException("manifest kind must be set");
    }
    if (chunkSize < 4 || chunkSize % 4 != 0) {
      throw new IllegalArgumentException("chunk size must be a positive multiple of 4, got " + chunkSize);
    }
    if (tensors == null || chunkCrcs == null || digest == null) {
      throw new IllegalArgumentException("manifest of version " + version + " lacks tensors, chunk CRCs or digest");
    }
    if (digest.length != 32) {
      throw new IllegalArgumentException("version digest must be 32 bytes (SHA-256), got " + digest.length);
    }
    Set<String> names = new HashSet<>();
    long chunks = 0;
    for (TensorEntry t : tensors) {
      if (t == null) {
        throw new IllegalArgumentException("manifest of version " + version + " has a null tensor entry");
      }
      if (!names.add(t.name())) {
        throw new IllegalArgumentException("manifest of version " + version + " names tensor '" + t.name() + "' twice");
      }
      chunks += chunksOf(t.bytes(), chunkSize);
    }
    if (chunks != chunkCrcs.length) {
      throw new IllegalArgumentException("manifest of version " + version + ": its tensors make " + chunks
          + " chunks of " + chunkSize + " bytes but it lists " + chunkCrcs.length + " chunk CRCs");
    }
  }

  static long chunksOf(long bytes, int chunkSize) {
    return (bytes + chunkSize - 1) / chunkSize;
  }

  public int chunkCount() {
    return chunkCrcs.length;
  }

  public long totalBytes() {
    long n = 0;
    for (TensorEntry t : tensors) {
      n += t.bytes();
    }
    return n;
  }

  /** Bytes of the given tensors. */
  public long bytesOf(int[] tensorIndices) {
    long n = 0;
    for (int t : tensorIndices) {
      n += tensors[t].bytes();
    }
    return n;
  }

  /** Where each chunk lies; built once per transfer. */
  public Layout layout() {
    return new Layout(this);
  }

  /** Chunk numbers to tensors and offsets, and the stream plan for a set of tensors. */
  public static final class Layout {
    private final WeightManifest manifest;
    private final int[] firstChunk;
    private final int[] chunkTensor;

    private Layout(WeightManifest m) {
      this.manifest = m;
      this.firstChunk = new int[m.tensors.length + 1];
      this.chunkTensor = new int[m.chunkCount()];
      int c = 0;
      for (int t = 0; t < m.tensors.length; t++) {
        firstChunk[t] = c;
        int n = (int) chunksOf(m.tensors[t].bytes(), m.chunkSize);
        for (int k = 0; k < n; k++) {
          chunkTensor[c++] = t;
        }
      }
      firstChunk[m.tensors.length] = c;
    }

    public int tensorOf(int chunk) {
      return chunkTensor[chunk];
    }

    /** First float32 element of {@code chunk} within its tensor. */
    public int elementOffset(int chunk) {
      return (int) ((long) (chunk - firstChunk[chunkTensor[chunk]]) * manifest.chunkSize / 4);
    }

    /** Bytes of {@code chunk}: the chunk size, or what remains of its tensor. */
    public int chunkBytes(int chunk) {
      TensorEntry t = manifest.tensors[chunkTensor[chunk]];
      long start = (long) (chunk - firstChunk[chunkTensor[chunk]]) * manifest.chunkSize;
      return (int) Math.min(manifest.chunkSize, t.bytes() - start);
    }

    /**
     * The chunks of a stream that carries {@code tensors} (manifest indices, ascending): their
     * chunk numbers in order, position {@code seq} holding the chunk sent as number {@code seq}.
     */
    public int[] plan(int[] tensors) {
      int n = 0;
      int previous = -1;
      for (int t : tensors) {
        if (t <= previous || t >= manifest.tensors.length) {
          throw new IllegalArgumentException("tensor indices must ascend within [0, " + manifest.tensors.length
              + "): " + Arrays.toString(tensors));
        }
        previous = t;
        n += firstChunk[t + 1] - firstChunk[t];
      }
      int[] plan = new int[n];
      int k = 0;
      for (int t : tensors) {
        for (int c = firstChunk[t]; c < firstChunk[t + 1]; c++) {
          plan[k++] = c;
        }
      }
      return plan;
    }
  }
}
