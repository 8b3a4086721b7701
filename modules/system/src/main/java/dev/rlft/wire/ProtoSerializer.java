package dev.rlft.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.NotSerializableException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Pekko serializer for control messages: each record type maps to a Protobuf message of {@code
 * proto/control.proto} or {@code proto/cluster.proto} under a fixed manifest ({@link
 * ControlCodecs}). Configuration binds each of those classes to this serializer; everything else
 * that is a {@link WireMessage} (the bulk payloads) stays with {@link KryoSerializer}.
 *
 * <p>Bytes this node cannot read, an unknown manifest (a newer or a foreign node) or a message
 * its record refuses, fail with {@link NotSerializableException}; Artery then logs the failure and
 * drops that one message, and the node carries on.
 */
public final class ProtoSerializer extends SerializerWithStringManifest {

  /** Serializer id in Pekko's configuration; fixed forever. */
  public static final int ID = 730_002;

  private final Refs refs;
  private final Map<Class<?>, ControlCodec<?>> byClass = new HashMap<>();
  private final Map<String, ControlCodec<?>> byManifest = new HashMap<>();

  public ProtoSerializer(ExtendedActorSystem system) {
    this(new Refs(ActorRefResolver.get(Adapter.toTyped(system))), ControlCodecs.all());
  }

  ProtoSerializer(Refs refs, List<ControlCodec<?>> codecs) {
    this.refs = refs;
    for (ControlCodec<?> c : codecs) {
      if (byClass.put(c.type(), c) != null) {
        throw new IllegalStateException("two Protobuf codecs for " + c.type().getName());
      }
      if (byManifest.put(c.manifest(), c) != null) {
        throw new IllegalStateException("manifest '" + c.manifest() + "' used twice");
      }
    }
  }

  @Override
  public int identifier() {
    return ID;
  }

  @Override
  public String manifest(Object o) {
    return codecFor(o).manifest();
  }

  @Override
  public byte[] toBinary(Object o) {
    return codecFor(o).toBytes(o, refs);
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    ControlCodec<?> codec = byManifest.get(manifest);
    if (codec == null) {
      throw new NotSerializableException("no control message with manifest '" + manifest + "' (serializer " + ID
          + "); dropped: sent by a node with another message table?");
    }
    try {
      return codec.reader().read(bytes, refs);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      NotSerializableException n = new NotSerializableException("malformed '" + manifest + "' message ("
          + bytes.length + " bytes) dropped: " + e.getMessage());
      n.initCause(e);
      throw n;
    }
  }

  /** The classes this serializer handles. */
  public java.util.Set<Class<?>> classes() {
    return java.util.Set.copyOf(byClass.keySet());
  }

  private ControlCodec<?> codecFor(Object o) {
    ControlCodec<?> c = byClass.get(o.getClass());
    if (c == null) {
      throw new IllegalArgumentException("no Protobuf mapping for " + o.getClass().getName()
          + ": add a codec to ControlCodecs and bind the class to rlft-proto in reference.conf");
    }
    return c;
  }
}
