package dev.rlft.wire;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * Actor references as strings on the wire (Pekko's serialization format); the empty string stands
 * for a null reference (no reply wanted).
 */
public final class Refs {

  private final ActorRefResolver resolver;

  public Refs(ActorRefResolver resolver) {
    this.resolver = resolver;
  }

  public String write(ActorRef<?> ref) {
    return ref == null ? "" : resolver.toSerializationFormat(ref);
  }

  public <T> ActorRef<T> read(String s) {
    return s.isEmpty() ? null : resolver.resolveActorRef(s);
  }

  /** A reference that must be present; an empty one is a malformed message. */
  public <T> ActorRef<T> required(String s, String field) {
    if (s.isEmpty()) {
      throw new IllegalArgumentException(field + " is missing");
    }
    return resolver.resolveActorRef(s);
  }
}
