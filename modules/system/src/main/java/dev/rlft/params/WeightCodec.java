package dev.rlft.params;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/** How weights become chunk bytes and back, and the checksums and digests the sync protocol checks. */
public final class WeightCodec {

  private WeightCodec() {}

  /** Writes {@code count} values of {@code src} from {@code from} into {@code dst} as little-endian float32. */
  public static void encode(float[] src, int from, int count, byte[] dst) {
    ByteBuffer.wrap(dst, 0, 4 * count).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(src, from, count);
  }

  /** Reads {@code src} (little-endian float32) into {@code dst} from element {@code to} on. */
  public static void decode(byte[] src, float[] dst, int to) {
    ByteBuffer.wrap(src).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, to, src.length / 4);
  }

  /** Reads the bytes from {@code src}'s position to its limit (little-endian float32) into {@code dst} from element {@code to} on. */
  public static void decode(ByteBuffer src, float[] dst, int to) {
    src.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(dst, to, src.remaining() / 4);
  }

  /** CRC32C of the bytes from {@code bytes}' position to its limit (the position is left as it was). */
  public static int crc32c(ByteBuffer bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes.duplicate());
    return (int) c.getValue();
  }

  /** CRC32C (Castagnoli) of a whole array, as the manifest lists it per chunk. */
  public static int crc32c(byte[] bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes, 0, bytes.length);
    return (int) c.getValue();
  }

  /**
   * A tensor's content digest, fed chunk by chunk: CRC32C in the high 32 bits and CRC32 in the low.
   * Two checksums of different polynomials make an accidental match of two different tensors about
   * as likely as 2^-64; the digest says whether a receiver may keep what it has, it is not a
   * defence against forgery.
   */
  public static final class TensorHasher {
    private final CRC32C castagnoli = new CRC32C();
    private final CRC32 ieee = new CRC32();

    public void update(byte[] bytes, int off, int len) {
      castagnoli.update(bytes, off, len);
      ieee.update(bytes, off, len);
    }

    public long digest() {
      return (castagnoli.getValue() << 32) | ieee.getValue();
    }
  }

  /** The content digest of a whole tensor (what {@link TensorHasher} gives over its bytes). */
  public static long digest(float[] values) {
    TensorHasher h = new TensorHasher();
    byte[] buf = new byte[4 * Math.min(values.length, 1 << 18)];
    for (int off = 0; off < values.length; ) {
      int n = Math.min(values.length - off, buf.length / 4);
      encode(values, off, n, buf);
      h.update(buf, 0, 4 * n);
      off += n;
    }
    return h.digest();
  }

  /** SHA-256 over each tensor's name, dtype, shape, size and content digest, in order. */
  public static byte[] versionDigest(WeightManifest.TensorEntry[] tensors) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM has no SHA-256", e);
    }
    ByteBuffer b = ByteBuffer.allocate(8);
    for (WeightManifest.TensorEntry t : tensors) {
      byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
      sha.update(b.clear().putInt(name.length).array(), 0, 4);
      sha.update(name);
      byte[] dtype = t.dtype().getBytes(StandardCharsets.UTF_8);
      sha.update(b.clear().putInt(dtype.length).array(), 0, 4);
      sha.update(dtype);
      sha.update(b.clear().putInt(t.shape().length).array(), 0, 4);
      for (long d : t.shape()) {
        sha.update(b.clear().putLong(d).array());
      }
      sha.update(b.clear().putLong(t.bytes()).array());
      sha.update(b.clear().putLong(t.digest()).array());
    }
    return sha.digest();
  }
}
