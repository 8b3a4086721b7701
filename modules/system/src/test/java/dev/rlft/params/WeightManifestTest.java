package dev.rlft.params;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Chunk layout, checksums and digests of a weight version, and a manifest's self-checks. */
class WeightManifestTest {

  private static float[] values(int n, float start) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = start + i * 0.25f;
    }
    return a;
  }

  /** Tensors of 10, 0 and 4 values in chunks of 16 bytes (4 values): 3 + 0 + 1 chunks. */
  private static PreparedVersion threeTensors(float[] a, float[] b, float[] c, PreparedVersion previous) {
    return PreparedVersion.prepare(7, WeightSnapshot.Kind.FULL, List.of("a", "empty", "c"), List.of(a, b, c),
        List.of(new long[] {2, 5}, new long[] {0}, new long[] {4}), 16, previous);
  }

  @Test
  void prepare_unevenTensors_chunksNeverSpanTwoTensors() {
    PreparedVersion v = threeTensors(values(10, 1f), new float[0], values(4, -3f), null);
    WeightManifest.Layout layout = v.layout;

    assertEquals(4, v.manifest.chunkCount());
    assertArrayEquals(new int[] {0, 0, 0, 2}, new int[] {layout.tensorOf(0), layout.tensorOf(1), layout.tensorOf(2),
        layout.tensorOf(3)});
    assertArrayEquals(new int[] {16, 16, 8, 16}, new int[] {layout.chunkBytes(0), layout.chunkBytes(1),
        layout.chunkBytes(2), layout.chunkBytes(3)});
    assertArrayEquals(new int[] {0, 4, 8, 0}, new int[] {layout.elementOffset(0), layout.elementOffset(1),
        layout.elementOffset(2), layout.elementOffset(3)});
    assertEquals(56, v.manifest.totalBytes());
    assertArrayEquals(new long[] {2, 5}, v.manifest.tensors()[0].shape());
  }

  @Test
  void chunk_decodedInto_givesTheValuesBackWithMatchingCrc() {
    float[] a = {1.5f, Float.NaN, -0f, Float.MAX_VALUE, Float.MIN_VALUE, 3f, -7f, 0.1f, 2f, 9f};
    PreparedVersion v = threeTensors(a, new float[0], values(4, 0f), null);
    float[] back = new float[a.length];

    for (int c = 0; c < 3; c++) {
      byte[] bytes = v.chunk(c);
      assertEquals(v.manifest.chunkCrcs()[c], WeightCodec.crc32c(bytes), "chunk " + c);
      WeightCodec.decode(bytes, back, v.layout.elementOffset(c));
    }

    for (int i = 0; i < a.length; i++) {
      assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(back[i]), "value " + i);
    }
  }

  @Test
  void chunk_bytes_areLittleEndianFloat32() {
    PreparedVersion v = threeTensors(new float[] {1f, 0, 0, 0, 0, 0, 0, 0, 0, 0}, new float[0], values(4, 0f), null);

    byte[] first = v.chunk(0);

    // 1.0f = 0x3F800000, least significant byte first
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F}, java.util.Arrays.copyOf(first, 4));
  }

  @Test
  void digest_oneValueChanged_differs() {
    float[] a = values(1000, 0f);
    float[] b = a.clone();
    b[777] = Math.nextUp(b[777]);

    assertEquals(WeightCodec.digest(a), WeightCodec.digest(a.clone()));
    assertNotEquals(WeightCodec.digest(a), WeightCodec.digest(b));
  }

  @Test
  void prepare_digestsMatchWholeTensorDigest_andVersionDigestCoversShape() {
    float[] a = values(10, 1f);
    PreparedVersion v = threeTensors(a, new float[0], values(4, 0f), null);
    PreparedVersion reshaped = PreparedVersion.prepare(7, WeightSnapshot.Kind.FULL, List.of("a", "empty", "c"),
        List.of(a, new float[0], values(4, 0f)), List.of(new long[] {5, 2}, new long[] {0}, new long[] {4}), 16, null);

    assertEquals(WeightCodec.digest(a), v.manifest.tensors()[0].digest(), "chunk-wise and whole digests agree");
    assertArrayEquals(WeightCodec.versionDigest(v.manifest.tensors()), v.manifest.digest());
    assertFalse(java.util.Arrays.equals(v.manifest.digest(), reshaped.manifest.digest()),
        "same bytes in another shape must be another version digest");
  }

  @Test
  void prepare_sameArraysAsPreviousVersion_reusesTheirEntries() {
    float[] a = values(10, 1f);
    float[] c = values(4, 0f);
    PreparedVersion first = threeTensors(a, new float[0], c, null);

    PreparedVersion second = threeTensors(a, new float[0], values(4, 5f), first);

    assertSame(first.manifest.tensors()[0], second.manifest.tensors()[0], "the same array is not read again");
    assertNotEquals(first.manifest.tensors()[2].digest(), second.manifest.tensors()[2].digest());
  }

  @Test
  void plan_someTensors_listsTheirChunksInOrder() {
    PreparedVersion v = threeTensors(values(10, 1f), new float[0], values(4, 0f), null);

    assertArrayEquals(new int[] {3}, v.layout.plan(new int[] {2}));
    assertArrayEquals(new int[] {0, 1, 2, 3}, v.layout.plan(new int[] {0, 1, 2}));
    assertArrayEquals(new int[0], v.layout.plan(new int[] {1}));
    assertThrows(IllegalArgumentException.class, () -> v.layout.plan(new int[] {2, 0}));
    assertThrows(IllegalArgumentException.class, () -> v.layout.plan(new int[] {3}));
  }

  @Test
  void manifest_chunkCrcCountDisagreesWithTensors_isRefused() {
    WeightManifest.TensorEntry[] entries = {
        new WeightManifest.TensorEntry("a", WeightManifest.F32, new long[] {10}, 40, 1L)};

    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new WeightManifest(1, WeightSnapshot.Kind.FULL, 16, entries, new int[2], new byte[32]));

    assertTrue(e.getMessage().contains("3 chunks"), e.getMessage());
  }

  @Test
  void tensorEntry_bytesDisagreeWithShapeOrUnknownDtype_isRefused() {
    IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
        () -> new WeightManifest.TensorEntry("w", WeightManifest.F32, new long[] {2, 3}, 20, 0L));
    IllegalArgumentException dtype = assertThrows(IllegalArgumentException.class,
        () -> new WeightManifest.TensorEntry("w", "BF16", new long[] {2, 3}, 12, 0L));

    assertTrue(size.getMessage().contains("24"), size.getMessage());
    assertTrue(dtype.getMessage().contains("BF16") && dtype.getMessage().contains("F32"), dtype.getMessage());
  }

  @Test
  void manifest_duplicateTensorName_isRefused() {
    WeightManifest.TensorEntry e = new WeightManifest.TensorEntry("a", WeightManifest.F32, new long[] {1}, 4, 1L);

    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
        () -> new WeightManifest(1, WeightSnapshot.Kind.FULL, 16, new WeightManifest.TensorEntry[] {e, e},
            new int[2], new byte[32]));

    assertTrue(ex.getMessage().contains("twice"), ex.getMessage());
  }

  @Test
  void settings_chunkSizeNotMultipleOfFourOrCreditBatchOverWindow_areRefused() {
    java.time.Duration s = java.time.Duration.ofSeconds(1);

    assertThrows(IllegalArgumentException.class, () -> new WeightSyncSettings(1022, 4, 1, s, 1, s));
    assertThrows(IllegalArgumentException.class, () -> new WeightSyncSettings(1024, 4, 5, s, 1, s));
    assertThrows(IllegalArgumentException.class, () -> new WeightSyncSettings(1024, 0, 1, s, 1, s));
  }

  @Test
  void settings_reference_fitArterysLargeFramesForRolloutWorkersReceivers() {
    com.typesafe.config.Config config = com.typesafe.config.ConfigFactory.load();
    WeightSyncSettings s = WeightSyncSettings.fromConfig(config);
    ArteryFrames frames = ArteryFrames.of(config);

    assertTrue(s.creditBatch() <= s.window());
    assertEquals(s.chunkBytes(), frames.chunkFor(remote("/user/rollout-0/weights"), s.chunkBytes()),
        "a rollout worker's receiver is a large-message destination");
    assertTrue(frames.isLarge(remote("/user/workers/rollout-1/weights")));
  }

  private static org.apache.pekko.actor.ActorPath remote(String path) {
    return org.apache.pekko.actor.ActorPaths.fromString("pekko://rollout@127.0.0.1:2552" + path);
  }

  @Test
  void chunkFor_receiverOnTheOrdinaryStream_getsChunksThatFitItsFrame() {
    ArteryFrames frames = ArteryFrames.of(com.typesafe.config.ConfigFactory.parseString(
        "pekko.remote.artery.advanced.maximum-frame-size = 256 KiB\n"
            + "pekko.remote.artery.advanced.maximum-large-frame-size = 2 MiB\n"
            + "pekko.remote.artery.large-message-destinations = [\"/user/*/weights\"]\n"));

    int ordinary = frames.chunkFor(remote("/user/weights-1"), 1 << 20);
    int nested = frames.chunkFor(remote("/user/a/b/weights"), 1 << 20);
    int large = frames.chunkFor(remote("/user/rollout-3/weights"), 1 << 20);
    int local = frames.chunkFor(org.apache.pekko.actor.ActorPaths.fromString("pekko://rollout/user/weights-1"),
        1 << 20);
    int small = frames.chunkFor(remote("/user/weights-1"), 64 * 1024);

    assertEquals(256 * 1024 - 16 * 1024, ordinary);
    assertEquals(ordinary, nested, "* matches exactly one segment");
    assertEquals(1 << 20, large);
    assertEquals(1 << 20, local, "no frames in this JVM");
    assertEquals(64 * 1024, small, "a chunk that fits is left alone");
  }

  @Test
  void snapshot_shapeDisagreesWithValues_isRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new WeightSnapshot(0,
        new String[] {"w"}, new float[][] {{1f, 2f, 3f}}, WeightSnapshot.Kind.FULL, new long[][] {{2, 2}}));

    assertTrue(e.getMessage().contains("'w'"), e.getMessage());
  }
}
