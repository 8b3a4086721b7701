package dev.rlft.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads tensors from a safetensors file (8-byte little-endian header length, JSON header, raw
 * little-endian data) as float32 arrays; F32, F16 and BF16 are supported.
 */
public final class Safetensors {

  private static final long MAX_HEADER = 100L << 20;

  private Safetensors() {}

  /** A tensor as read: shape and float32 values. */
  public record Tensor(long[] shape, float[] data) {}

  public static Map<String, Tensor> read(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen <= 0 || headerLen > MAX_HEADER || headerLen + 8 > ch.size()) {
        throw new IOException(file + ": not a safetensors file (header length " + headerLen + ")");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLen);
      readFully(ch, header, 8);
      JsonNode root = new ObjectMapper().readTree(new String(header.array(), StandardCharsets.UTF_8));
      long base = 8 + headerLen;
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          continue;
        }
        JsonNode t = e.getValue();
        String dtype = t.path("dtype").asText();
        JsonNode shapeNode = t.path("shape");
        long[] shape = new long[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
          shape[i] = shapeNode.get(i).asLong();
          count *= shape[i];
        }
        long begin = t.path("data_offsets").get(0).asLong();
        long end = t.path("data_offsets").get(1).asLong();
        int width = switch (dtype) {
          case "F32" -> 4;
          case "F16", "BF16" -> 2;
          default -> throw new IOException(file + ": tensor '" + e.getKey() + "' has unsupported dtype " + dtype);
        };
        if (end - begin != count * width || base + end > ch.size()) {
          throw new IOException(file + ": tensor '" + e.getKey() + "' has inconsistent offsets");
        }
        ByteBuffer raw = ByteBuffer.allocate(Math.toIntExact(end - begin)).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, raw, base + begin);
        raw.flip();
        float[] data = new float[Math.toIntExact(count)];
        for (int i = 0; i < data.length; i++) {
          data[i] = switch (dtype) {
            case "F32" -> raw.getFloat();
            case "BF16" -> Float.intBitsToFloat((raw.getShort() & 0xffff) << 16);
            default -> halfToFloat(raw.getShort());
          };
        }
        out.put(e.getKey(), new Tensor(shape, data));
      }
      return out;
    }
  }

  /**
   * Writes float32 tensors as a safetensors file (header padded to 8 bytes, tensors in the given
   * order), through a temporary file renamed into place.
   */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
    ObjectMapper json = new ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode header = json.createObjectNode();
    if (!metadata.isEmpty()) {
      com.fasterxml.jackson.databind.node.ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    long offset = 0;
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      com.fasterxml.jackson.databind.node.ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", "F32");
      com.fasterxml.jackson.databind.node.ArrayNode shape = t.putArray("shape");
      long count = 1;
      for (long d : e.getValue().shape()) {
        shape.add(d);
        count *= d;
      }
      if (count != e.getValue().data().length) {
        throw new IllegalArgumentException("tensor '" + e.getKey() + "' has " + e.getValue().data().length
            + " values but shape " + java.util.Arrays.toString(e.getValue().shape()));
      }
      t.putArray("data_offsets").add(offset).add(offset + 4 * count);
      offset += 4 * count;
    }
    byte[] headerBytes = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
    int padded = (headerBytes.length + 7) / 8 * 8;
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
      head.putLong(padded).put(headerBytes);
      while (head.hasRemaining()) {
        head.put((byte) ' ');
      }
      head.flip();
      while (head.hasRemaining()) {
        ch.write(head);
      }
      for (Tensor t : tensors.values()) {
        ByteBuffer buf = ByteBuffer.allocate(t.data().length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(t.data());
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
      ch.force(true);
    }
    java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /** IEEE 754 binary16 to float32. */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    if (exp == 31) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
    while (buf.hasRemaining()) {
      int n = ch.read(buf, pos);
      if (n < 0) {
        throw new IOException("unexpected end of file");
      }
      pos += n;
    }
  }
}
