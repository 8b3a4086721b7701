package dev.rlft.wire;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.ByteBufferInput;
import com.esotericsoftware.kryo.io.ByteBufferOutput;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import com.esotericsoftware.kryo.util.Pool;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.JSerializer;

/**
 * Pekko serializer for every {@link WireMessage}: Kryo with class registration required, so only
 * the classes listed in {@link WireRegistry} (under fixed ids) can cross the wire, and actor
 * references travel as their serialized path.
 */
public final class KryoSerializer extends JSerializer implements ByteBufferSerializer {

  /** Serializer id in Pekko's configuration; fixed forever. */
  public static final int ID = 730_001;

  /** Output buffers that grew past this are not kept for reuse. */
  private static final int MAX_POOLED_OUTPUT = 4 << 20;

  private final Pool<Kryo> pool;
  /** Reused outputs: a weight chunk is written without growing a fresh buffer from 4 KiB each time. */
  private final Pool<Output> outputs = new Pool<>(true, false, 16) {
    @Override
    protected Output create() {
      return new Output(4096, -1);
    }
  };

  public KryoSerializer(ExtendedActorSystem system) {
    ActorRefResolver resolver = ActorRefResolver.get(Adapter.toTyped(system));
    this.pool = new Pool<>(true, false, 16) {
      @Override
      protected Kryo create() {
        Kryo kryo = new Kryo();
        kryo.setRegistrationRequired(true);
        kryo.setReferences(false);
        WireRegistry.register(kryo, new ActorRefSerializer(resolver));
        return kryo;
      }
    };
  }

  @Override
  public int identifier() {
    return ID;
  }

  @Override
  public boolean includeManifest() {
    return false;
  }

  @Override
  public byte[] toBinary(Object o) {
    Kryo kryo = pool.obtain();
    Output out = outputs.obtain();
    try {
      out.reset();
      kryo.writeClassAndObject(out, o);
      return out.toBytes();
    } finally {
      pool.free(kryo);
      if (out.getBuffer().length <= MAX_POOLED_OUTPUT) {
        outputs.free(out);
      }
    }
  }

  /**
   * Reads one registered object. Bytes that decode to null or leave bytes unread are refused: a
   * null would reach Artery's inbound stream as a message and make it fail (dropping the messages
   * behind it), where a thrown exception only drops this one message.
   */
  @Override
  public Object fromBinaryJava(byte[] bytes, Class<?> manifest) {
    Kryo kryo = pool.obtain();
    try (Input in = new Input(bytes)) {
      Object o = kryo.readClassAndObject(in);
      if (o == null) {
        throw new IllegalArgumentException("Kryo payload of " + bytes.length + " bytes decodes to null: not a message");
      }
      if (in.position() != bytes.length) {
        throw new IllegalArgumentException("Kryo payload has " + (bytes.length - in.position())
            + " bytes after its " + o.getClass().getName() + ": malformed");
      }
      return o;
    } finally {
      pool.free(kryo);
    }
  }

  /**
   * Artery's path: writes straight into the frame's buffer, sparing a copy of every payload (weight
   * chunks are most of the bytes a cluster moves). A message larger than the buffer fails to
   * serialize, and Artery drops it with an error naming the frame size.
   */
  @Override
  public void toBinary(Object o, ByteBuffer buf) {
    Kryo kryo = pool.obtain();
    try {
      ByteBufferOutput out = new ByteBufferOutput(buf, buf.limit());
      kryo.writeClassAndObject(out, o);
    } finally {
      pool.free(kryo);
    }
  }

  /** Artery's path for reading: as {@link #fromBinaryJava}, null and trailing bytes refused. */
  @Override
  public Object fromBinary(ByteBuffer buf, String manifest) {
    Kryo kryo = pool.obtain();
    try {
      int length = buf.remaining();
      ByteBufferInput in = new ByteBufferInput(buf);
      Object o = kryo.readClassAndObject(in);
      if (o == null) {
        throw new IllegalArgumentException("Kryo payload of " + length + " bytes decodes to null: not a message");
      }
      if (buf.hasRemaining()) {
        throw new IllegalArgumentException("Kryo payload has " + buf.remaining() + " bytes after its "
            + o.getClass().getName() + ": malformed");
      }
      return o;
    } finally {
      pool.free(kryo);
    }
  }

  /** Actor references as their serialization-format string. */
  static final class ActorRefSerializer extends Serializer<ActorRef<?>> {
    private final ActorRefResolver resolver;

    ActorRefSerializer(ActorRefResolver resolver) {
      this.resolver = resolver;
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output output, ActorRef<?> ref) {
      output.writeString(resolver.toSerializationFormat(ref));
    }

    @Override
    public ActorRef<?> read(Kryo kryo, Input input, Class<? extends ActorRef<?>> type) {
      return resolver.resolveActorRef(input.readString());
    }
  }

  /** Immutable JDK lists (List.of, List.copyOf) written as size + elements. */
  static final class ImmutableListSerializer extends Serializer<List<?>> {
    ImmutableListSerializer() {
      setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output output, List<?> list) {
      output.writeVarInt(list.size(), true);
      for (Object o : list) {
        kryo.writeClassAndObject(output, o);
      }
    }

    @Override
    public List<?> read(Kryo kryo, Input input, Class<? extends List<?>> type) {
      int n = input.readVarInt(true);
      List<Object> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        out.add(kryo.readClassAndObject(input));
      }
      return List.copyOf(out);
    }
  }
}
