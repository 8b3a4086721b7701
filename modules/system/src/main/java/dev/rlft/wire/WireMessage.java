package dev.rlft.wire;

/**
 * Marker for every message that crosses an actor boundary; bound to {@link KryoSerializer} in
 * configuration, so none can fall back to Java serialization.
 */
public interface WireMessage {}
