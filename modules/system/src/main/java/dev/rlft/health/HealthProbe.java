package dev.rlft.health;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What one monitored actor is doing, written on the actor's thread and read by the reporter.
 * Survives restarts: the supervisor re-runs the actor's setup, which finds this probe again.
 */
final class HealthProbe {

  /**
   * Why an actor stopped; null while it runs. RETIRED: its parent stopped it as planned (a host
   * replacing one run's workers with the next run's), which is not a fault.
   */
  enum Ending { FINISHED, FAILED, RETIRED, STOPPED, SHUTDOWN }

  final String role;
  final String actor;
  final ActorRef<Void> ref;
  private final IntSupplier mailbox;
  private final AtomicLong busySince = new AtomicLong();
  private final AtomicLong lastWorkEnd = new AtomicLong();
  private final AtomicLong processed = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private final AtomicInteger restarts = new AtomicInteger();
  private final Map<String, Double> gauges = new ConcurrentHashMap<>();
  private volatile int queue = -1;
  private volatile long version = -1;
  private volatile boolean failing;
  private volatile boolean finishing;
  private volatile boolean retired;
  private volatile Ending ending;

  HealthProbe(String role, String actor, ActorRef<Void> ref, IntSupplier mailbox) {
    this.role = role;
    this.actor = actor;
    this.ref = ref;
    this.mailbox = mailbox;
  }

  void begin(long now) {
    busySince.set(now);
  }

  /** One message handled; {@code failed} when it threw, {@code stopping} when the actor chose to stop. */
  void end(long now, boolean failed, boolean stopping) {
    busySince.set(0);
    lastWorkEnd.set(now);
    processed.incrementAndGet();
    if (failed) {
      failures.incrementAndGet();
    }
    failing = failed;
    finishing = stopping;
  }

  void restarted() {
    restarts.incrementAndGet();
    failing = false;
  }

  /** Its parent is about to stop it as planned: the stop is not a fault. */
  void retire() {
    retired = true;
  }

  /**
   * The actor stopped: by its own choice, after an unhandled failure, retired by its parent, by the
   * system's shutdown, or killed.
   */
  void stopped(boolean systemShuttingDown) {
    ending = finishing ? Ending.FINISHED : failing ? Ending.FAILED : retired ? Ending.RETIRED
        : systemShuttingDown ? Ending.SHUTDOWN : Ending.STOPPED;
  }

  void queue(int depth) {
    queue = depth;
  }

  void version(long v) {
    version = v;
  }

  void gauge(String name, double value) {
    gauges.put(name, value);
  }

  void count(String name, double delta) {
    gauges.merge(name, delta, Double::sum);
  }

  Ending ending() {
    return ending;
  }

  /** The actor's state now, as the monitor receives it. */
  HealthMonitor.Heartbeat heartbeat(String node, long now) {
    long busy = busySince.get();
    long last = lastWorkEnd.get();
    int depth = queue >= 0 ? queue : mailbox.getAsInt();
    Ending e = ending;
    return new HealthMonitor.Heartbeat(node, actor, role, ref,
        e == null ? "running" : e.name().toLowerCase(java.util.Locale.ROOT), depth,
        busy == 0 ? 0.0 : (now - busy) / 1e9, busy != 0 ? 0.0 : last == 0 ? -1.0 : (now - last) / 1e9,
        restarts.get(), version, processed.get(), failures.get(), new LinkedHashMap<>(new java.util.TreeMap<>(gauges)));
  }
}
