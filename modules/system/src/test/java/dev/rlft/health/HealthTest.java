package dev.rlft.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.rlft.testing.WireChecked;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Actor health end to end inside one actor system: monitored actors report through {@link Health}
 * to a {@link HealthMonitor}, which turns restarts, stops, failures, silence and stuck work into
 * the statuses operators see. Every heartbeat crosses the wire serializer.
 */
class HealthTest {

  private static final ActorTestKit testKit = ActorTestKit.create("health", ConfigFactory.parseString("""
          rlft.health.interval = 100ms
          rlft.health.timeout = 700ms
          rlft.health.stuck-after = 800ms
          """).withFallback(WireChecked.config()));

  private static final HealthSettings SETTINGS = HealthSettings.from(testKit.system().settings().config());

  private static final ActorRef<HealthMonitor.Command> monitor = testKit.spawn(HealthMonitor.create(SETTINGS),
      "monitor");

  static {
    Health.get(testKit.system()).reportTo(monitor);
  }

  private static int actors;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** What the test actor can be told; never crosses a wire. */
  private sealed interface Cmd extends NoSerializationVerificationNeeded {}

  private record Work(long version, int queue, int timeouts) implements Cmd {}

  private record Fail() implements Cmd {}

  private record Finish() implements Cmd {}

  private record Sleep(long millis) implements Cmd {}

  private record Replace() implements Cmd {}

  private static Behavior<Cmd> worker(String role) {
    return Health.monitored(role, Behaviors.setup(ctx -> Behaviors.receive(Cmd.class)
        .onMessage(Work.class, w -> {
          Health.version(ctx, w.version());
          Health.queue(ctx, w.queue());
          Health.count(ctx, "checker_timeouts", w.timeouts());
          return Behaviors.same();
        })
        .onMessage(Fail.class, f -> {
          throw new IllegalStateException("test failure");
        })
        .onMessage(Finish.class, f -> Behaviors.stopped())
        .onMessage(Sleep.class, s -> {
          Thread.sleep(s.millis());
          return Behaviors.same();
        })
        .build()));
  }

  private static String name() {
    return "worker-" + (++actors);
  }

  private static ActorRef<Cmd> spawnSupervised(String name) {
    return testKit.spawn(Behaviors.supervise(worker("rollout")).onFailure(SupervisorStrategy.restart()), name);
  }

  private static HealthMonitor.HealthReport report(ActorRef<HealthMonitor.Command> target) {
    TestProbe<HealthMonitor.HealthReport> probe = testKit.createTestProbe(HealthMonitor.HealthReport.class);
    target.tell(new HealthMonitor.GetHealth(probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(3));
  }

  private static Optional<HealthMonitor.ActorHealth> row(HealthMonitor.HealthReport r, String actor) {
    return r.actors().stream().filter(a -> a.actor().equals(actor)).findFirst();
  }

  /** Polls the monitor until {@code actor}'s row satisfies {@code until}; returns that row. */
  private static HealthMonitor.ActorHealth awaitRow(ActorRef<HealthMonitor.Command> target, String actor,
      Predicate<HealthMonitor.ActorHealth> until) {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    Optional<HealthMonitor.ActorHealth> last = Optional.empty();
    while (System.nanoTime() < deadline) {
      last = row(report(target), actor);
      if (last.isPresent() && until.test(last.get())) {
        return last.get();
      }
      try {
        Thread.sleep(30);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new AssertionError("row of " + actor + " never matched; last: " + last);
  }

  private static HealthMonitor.Heartbeat beat(String actor, String role, String state, double busy) {
    ActorRef<Void> ref = testKit.createTestProbe(Void.class).ref();
    return new HealthMonitor.Heartbeat("pekko://test", actor, role, ref, state, 0, busy, busy > 0 ? 0 : 1.0, 0, 3, 5,
        0, new LinkedHashMap<>());
  }

  @Test
  void monitored_workingActor_reportsOkWithItsVersionQueueAndCounters() {
    String name = name();
    ActorRef<Cmd> w = spawnSupervised(name);

    w.tell(new Work(7, 3, 2));
    w.tell(new Work(7, 3, 1));
    HealthMonitor.ActorHealth a = awaitRow(monitor, name, r -> r.processed() == 2);

    assertEquals(HealthMonitor.OK, a.status());
    assertEquals("rollout", a.role());
    assertEquals(7, a.weightVersion());
    assertEquals(3, a.queue());
    assertEquals(3.0, a.gauges().get("checker_timeouts"));
    assertEquals(0, a.restarts());
    assertTrue(a.idleSeconds() >= 0, "it has worked: " + a);
  }

  @Test
  void monitored_failureUnderASupervisor_countsARestart_andStaysOk() {
    String name = name();
    ActorRef<Cmd> w = spawnSupervised(name);

    w.tell(new Fail());
    w.tell(new Work(1, 0, 0));
    HealthMonitor.ActorHealth a = awaitRow(monitor, name, r -> r.processed() == 2);

    assertEquals(1, a.restarts());
    assertEquals(1, a.failures());
    assertEquals(HealthMonitor.OK, a.status());
    assertEquals(1, a.weightVersion(), "the probe outlives the restart");
  }

  @Test
  void monitored_stoppedFromOutside_turnsDownAtOnce() {
    String name = name();
    ActorRef<Cmd> w = spawnSupervised(name);
    w.tell(new Work(1, 0, 0));
    awaitRow(monitor, name, r -> r.processed() == 1);

    Adapter.toClassic(w).tell(PoisonPill.getInstance(), org.apache.pekko.actor.ActorRef.noSender());
    HealthMonitor.ActorHealth a = awaitRow(monitor, name, r -> !r.status().equals(HealthMonitor.OK));

    assertEquals(HealthMonitor.DOWN, a.status());
    assertEquals("stopped", a.reason());
  }

  @Test
  void monitored_failureWithoutSupervisor_isDownAsFailed() {
    String name = name();
    ActorRef<Cmd> w = testKit.spawn(worker("learner"), name);

    w.tell(new Fail());
    HealthMonitor.ActorHealth a = awaitRow(monitor, name, r -> !r.state().equals("running"));

    assertEquals(HealthMonitor.DOWN, a.status());
    assertEquals("failed", a.state());
  }

  @Test
  void monitored_actorThatStopsItself_hasEnded_notFailed() {
    String name = name();
    ActorRef<Cmd> w = spawnSupervised(name);

    w.tell(new Finish());
    HealthMonitor.ActorHealth a = awaitRow(monitor, name, r -> !r.state().equals("running"));

    assertEquals(HealthMonitor.ENDED, a.status());
    assertEquals("finished", a.state());
  }

  @Test
  void monitored_busyPastStuckAfter_isDownAsStuck_thenOkWhenItAnswers() {
    String name = name();
    ActorRef<Cmd> w = spawnSupervised(name);

    w.tell(new Sleep(1_500));
    HealthMonitor.ActorHealth stuck = awaitRow(monitor, name, r -> r.status().equals(HealthMonitor.DOWN));
    assertTrue(stuck.reason().startsWith("stuck"), stuck.reason());
    assertTrue(stuck.busySeconds() > 0.5, "busy " + stuck.busySeconds());

    HealthMonitor.ActorHealth back = awaitRow(monitor, name, r -> r.processed() == 1);
    assertEquals(HealthMonitor.OK, back.status());
  }

  @Test
  void monitor_silentActor_turnsLateThenDown() throws InterruptedException {
    ActorRef<HealthMonitor.Command> m = testKit.spawn(HealthMonitor.create(SETTINGS), "silence-monitor");
    m.tell(beat("quiet", "reward", "running", 0));
    assertEquals(HealthMonitor.OK, row(report(m), "quiet").orElseThrow().status());

    Thread.sleep(SETTINGS.lateAfter().toMillis() + 50);
    assertEquals(HealthMonitor.LATE, row(report(m), "quiet").orElseThrow().status());

    Thread.sleep(SETTINGS.timeout().toMillis() - SETTINGS.lateAfter().toMillis() + 50);
    HealthMonitor.ActorHealth down = row(report(m), "quiet").orElseThrow();
    assertEquals(HealthMonitor.DOWN, down.status());
    assertTrue(down.reason().startsWith("no heartbeat for"), down.reason());
  }

  @Test
  void monitor_readiness_needsTheRunStarted_andNoEssentialActorDown() {
    ActorRef<HealthMonitor.Command> m = testKit.spawn(HealthMonitor.create(SETTINGS), "ready-monitor");
    m.tell(beat("learner", "learner", "running", 0));
    m.tell(beat("reward/$a", "reward", "running", 0));
    HealthMonitor.HealthReport before = report(m);
    assertFalse(before.ready());
    assertEquals("the run has not started", before.reason());

    m.tell(new HealthMonitor.RunStarted("runs/x"));
    HealthMonitor.HealthReport started = report(m);
    assertTrue(started.ready(), started.reason());
    assertEquals("runs/x", started.run());

    m.tell(beat("reward/$a", "reward", "stopped", 0));
    HealthMonitor.HealthReport workerDown = report(m);
    assertTrue(workerDown.ready(), "a reward worker is not essential");
    assertEquals(HealthMonitor.DOWN, workerDown.status());
    assertEquals(List.of("reward/$a"), workerDown.down().stream().map(HealthMonitor.ActorHealth::actor).toList());

    m.tell(beat("learner", "learner", "failed", 0));
    HealthMonitor.HealthReport learnerDown = report(m);
    assertFalse(learnerDown.ready());
    assertTrue(learnerDown.reason().contains("learner"), learnerDown.reason());
  }

  @Test
  void monitor_regularHeartbeatOvertakenByTheLastOne_keepsHowTheActorEnded() {
    ActorRef<HealthMonitor.Command> m = testKit.spawn(HealthMonitor.create(SETTINGS), "order-monitor");
    HealthMonitor.Heartbeat last = beat("w", "rollout", "shutdown", 0);
    HealthMonitor.Heartbeat regular = new HealthMonitor.Heartbeat(last.node(), last.actor(), last.role(), last.ref(),
        "running", 0, 0, 0, 0, 3, 5, 0, new LinkedHashMap<>());

    m.tell(last);
    m.tell(regular);

    HealthMonitor.ActorHealth a = row(report(m), "w").orElseThrow();
    assertEquals(HealthMonitor.ENDED, a.status());
    assertEquals("its node shut down", a.reason());
  }

  @Test
  void retire_childrenStoppedByTheirParentAsPlanned_endRetired_notDown() {
    String name = name();
    // a host that runs a group of two workers and replaces them, as a rollout or reward host does
    ActorRef<Cmd> host = testKit.spawn(Behaviors.<Cmd>setup(ctx -> {
      ActorRef<Void> group = ctx.spawn(Behaviors.<Void>setup(g -> {
        g.spawn(worker("reward"), "w1");
        g.spawn(worker("reward"), "w2");
        return Behaviors.empty();
      }), "group");
      return Behaviors.receive(Cmd.class).onMessage(Replace.class, r -> {
        Health.get(ctx.getSystem()).retire(group);
        ctx.stop(group);
        return Behaviors.same();
      }).build();
    }), name);
    awaitRow(monitor, name + "/group/w2", r -> r.status().equals(HealthMonitor.OK));

    host.tell(new Replace());
    for (String w : List.of("w1", "w2")) {
      HealthMonitor.ActorHealth a = awaitRow(monitor, name + "/group/" + w, r -> !r.state().equals("running"));
      assertEquals(HealthMonitor.ENDED, a.status(), a::toString);
      assertEquals("retired", a.state());
      assertEquals("retired by its parent", a.reason());
    }
  }

  @Test
  void readiness_expectedRoleMustRunHere() throws Exception {
    ActorTestKit kit = ActorTestKit.create("expect", testKit.system().settings().config());
    try {
      Health.get(kit.system()).expect("reward-host");
      ReadinessCheck check = new ReadinessCheck(Adapter.toClassic(kit.system()));
      assertFalse(check.get().toCompletableFuture().get(), "no reward host runs");

      ActorRef<Cmd> other = kit.spawn(worker("rollout"), "other");
      kit.createTestProbe().awaitAssert(() -> {
        assertEquals(1, Health.get(kit.system()).localHeartbeats().size());
        return null;
      });
      assertFalse(check.get().toCompletableFuture().get(), "another role does not stand in for it");

      ActorRef<Cmd> host = kit.spawn(worker("reward-host"), "host");
      kit.createTestProbe().awaitAssert(() -> {
        assertTrue(check.get().toCompletableFuture().get(), "the reward host runs");
        return null;
      });
      kit.stop(host);
      kit.createTestProbe().awaitAssert(() -> {
        assertFalse(check.get().toCompletableFuture().get(), "the reward host stopped");
        return null;
      });
      kit.stop(other);
    } finally {
      kit.shutdownTestKit();
    }
  }

  @Test
  void settings_timeoutNotLongerThanInterval_isRejected() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> new HealthSettings(true, Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMinutes(1), List.of()));
    assertTrue(e.getMessage().contains("health.timeout"), e.getMessage());
  }
}
