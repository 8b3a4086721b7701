package dev.rlft.params;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.ActorPath;

/**
 * The largest chunk a message to a given receiver can carry over Artery. The sending side picks the
 * stream by the recipient's path: a path matching {@code large-message-destinations} travels in
 * frames of {@code maximum-large-frame-size}, any other in frames of {@code maximum-frame-size}. A
 * chunk that does not fit is dropped by Artery, so a receiver whose frames are too small for the
 * configured chunk size is sent smaller chunks instead.
 */
final class ArteryFrames {

  /** Room left in a frame for Artery's envelope header (actor paths, manifest) and Kryo's framing. */
  static final int HEADER_ROOM = 16 * 1024;

  private final long frame;
  private final long largeFrame;
  private final List<String[]> largeDestinations;

  private ArteryFrames(long frame, long largeFrame, List<String[]> largeDestinations) {
    this.frame = frame;
    this.largeFrame = largeFrame;
    this.largeDestinations = largeDestinations;
  }

  /** The frame sizes of an actor system's configuration; unlimited without Artery's settings. */
  static ArteryFrames of(Config config) {
    String artery = "pekko.remote.artery";
    if (!config.hasPath(artery + ".advanced.maximum-frame-size")) {
      return new ArteryFrames(Long.MAX_VALUE, Long.MAX_VALUE, List.of());
    }
    List<String[]> patterns = new ArrayList<>();
    for (String p : config.getStringList(artery + ".large-message-destinations")) {
      patterns.add(segments(p));
    }
    return new ArteryFrames(config.getBytes(artery + ".advanced.maximum-frame-size"),
        config.getBytes(artery + ".advanced.maximum-large-frame-size"), patterns);
  }

  /**
   * The chunk size for a receiver at {@code path}: {@code wanted} when it fits the receiver's
   * frame (always, for a receiver in this JVM), else the largest multiple of 4 KiB that does.
   */
  int chunkFor(ActorPath path, int wanted) {
    if (path.address().hasLocalScope()) {
      return wanted;
    }
    long limit = (isLarge(path) ? largeFrame : frame) - HEADER_ROOM;
    if (wanted <= limit) {
      return wanted;
    }
    long fit = limit / 4096 * 4096;
    if (fit < 4096) {
      throw new IllegalStateException("Artery's frame for " + path + " (" + (limit + HEADER_ROOM)
          + " bytes) leaves no room for weight chunks");
    }
    return (int) fit;
  }

  /** Whether {@code path} matches a large-message destination ({@code *} matches one segment). */
  boolean isLarge(ActorPath path) {
    List<String> elements = new ArrayList<>();
    path.getElements().forEach(elements::add);
    for (String[] pattern : largeDestinations) {
      if (pattern.length != elements.size()) {
        continue;
      }
      boolean match = true;
      for (int i = 0; i < pattern.length && match; i++) {
        match = pattern[i].equals("*") || pattern[i].equals(elements.get(i));
      }
      if (match) {
        return true;
      }
    }
    return false;
  }

  private static String[] segments(String pattern) {
    String p = pattern.startsWith("/") ? pattern.substring(1) : pattern;
    return p.isEmpty() ? new String[0] : p.split("/");
  }
}
