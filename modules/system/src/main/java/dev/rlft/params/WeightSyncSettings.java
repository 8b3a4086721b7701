package dev.rlft.params;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How weights move from the parameter server to each receiver ({@code rlft.weight-sync}): the
 * chunk size, the credit window, and the timing of failure handling.
 *
 * @param chunkBytes payload bytes per chunk message (a multiple of 4: chunks hold whole float32
 *     values); with Artery it must stay under the frame size of the stream the chunks travel on
 * @param window chunks a receiver grants beyond those it has accepted: the most a sender ever has
 *     in flight to one receiver
 * @param creditBatch accepted chunks between two credit messages (at most {@code window})
 * @param timeout how long a receiver waits for the next chunk, and a sender for an answer to its
 *     offer, before asking again
 * @param maxRetries re-asks of one stall, or retransmits of one chunk, before the receiver
 *     restarts the version; restarts before it gives the version up; re-offers before a sender
 *     drops a silent receiver
 * @param subscribeInterval an idle receiver that heard nothing for this long subscribes again, so
 *     it finds a restarted or moved parameter server
 */
public record WeightSyncSettings(int chunkBytes, int window, int creditBatch, Duration timeout, int maxRetries,
    Duration subscribeInterval) {

  public WeightSyncSettings {
    if (chunkBytes < 4 || chunkBytes % 4 != 0) {
      throw new IllegalArgumentException("weight-sync.chunk-size must be a positive multiple of 4 bytes, got "
          + chunkBytes);
    }
    if (window < 1) {
      throw new IllegalArgumentException("weight-sync.window must be >= 1 chunk, got " + window);
    }
    if (creditBatch < 1 || creditBatch > window) {
      throw new IllegalArgumentException("weight-sync.credit-batch must be in [1, window = " + window + "], got "
          + creditBatch);
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("weight-sync.timeout must be > 0, got " + timeout);
    }
    if (maxRetries < 0) {
      throw new IllegalArgumentException("weight-sync.max-retries must be >= 0, got " + maxRetries);
    }
    if (subscribeInterval == null || subscribeInterval.isNegative() || subscribeInterval.isZero()) {
      throw new IllegalArgumentException("weight-sync.subscribe-interval must be > 0, got " + subscribeInterval);
    }
  }

  /** The settings at {@code rlft.weight-sync} of an actor system's (or any full) configuration. */
  public static WeightSyncSettings fromConfig(Config root) {
    Config c = root.getConfig("rlft.weight-sync");
    long chunk = c.getBytes("chunk-size");
    if (chunk > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("weight-sync.chunk-size is too large: " + chunk);
    }
    return new WeightSyncSettings((int) chunk, c.getInt("window"), c.getInt("credit-batch"), c.getDuration("timeout"),
        c.getInt("max-retries"), c.getDuration("subscribe-interval"));
  }

  /** These settings with another chunk size and window (benchmarks, tests). */
  public WeightSyncSettings withChunking(int chunkBytes, int window) {
    return new WeightSyncSettings(chunkBytes, window, Math.max(1, Math.min(creditBatch, window)), timeout, maxRetries,
        subscribeInterval);
  }

  /** These settings with other failure timings (tests). */
  public WeightSyncSettings withTimeouts(Duration timeout, int maxRetries, Duration subscribeInterval) {
    return new WeightSyncSettings(chunkBytes, window, creditBatch, timeout, maxRetries, subscribeInterval);
  }
}
