package dev.rlft.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;

/**
 * How one control message type crosses the wire as Protobuf: its manifest (fixed forever), its
 * record class, and the two mapping functions.
 *
 * @param manifest the string {@link ProtoSerializer} writes beside the bytes; never reuse or rename one
 */
public record ControlCodec<T>(String manifest, Class<T> type, Writer<T> writer, Reader<T> reader) {

  /** Maps a record to its Protobuf message. */
  @FunctionalInterface
  public interface Writer<T> {
    MessageLite write(T message, Refs refs);
  }

  /**
   * Parses bytes into a record. Throws on bytes that are not such a message, and the record's
   * own validation throws on values it refuses.
   */
  @FunctionalInterface
  public interface Reader<T> {
    T read(byte[] bytes, Refs refs) throws InvalidProtocolBufferException;
  }

  public ControlCodec {
    if (manifest == null || manifest.isEmpty()) {
      throw new IllegalArgumentException("a control codec needs a manifest");
    }
  }

  public static <T> ControlCodec<T> of(String manifest, Class<T> type, Writer<T> writer, Reader<T> reader) {
    return new ControlCodec<>(manifest, type, writer, reader);
  }

  byte[] toBytes(Object message, Refs refs) {
    return writer.write(type.cast(message), refs).toByteArray();
  }
}
