package dev.rlft.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.rlft.dashboard.HealthJson;
import dev.rlft.dashboard.OpsNode;
import dev.rlft.health.Health;
import dev.rlft.health.HealthMonitor;
import dev.rlft.reward.BoxedAnswerReward;
import dev.rlft.rollout.RolloutWorker;
import dev.rlft.testing.TinyPolicy;
import dev.rlft.testing.WireChecked;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Operator surface across a cluster: nodes started as {@code rlft node} starts them ({@link
 * ClusterNode#start}), each its own actor system, joined on loopback in one JVM. The learner node's
 * health monitor shows the actors of the other nodes, by node, and turns them down when their node
 * goes; Pekko Management on each node answers readiness by membership and lists the members.
 */
class ClusterHealthTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final List<ActorSystem<?>> started = new ArrayList<>();

  @AfterEach
  void stopNodes() {
    for (ActorSystem<?> s : started) {
      s.terminate();
    }
    for (ActorSystem<?> s : started) {
      try {
        s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        // already reported by the test
      }
    }
  }

  /** A node's settings: loopback, heartbeats every 200 ms, down after 2 s of silence. */
  private static Config config(String roles, int port, int seedPort, String extra) {
    return ConfigFactory.parseString("""
            rlft.cluster { roles = [%s], host = "127.0.0.1", port = %d, seed-nodes = ["127.0.0.1:%d"],
              failure-detection-pause = 2s, stable-after = 2s }
            rlft.health { interval = 200ms, timeout = %dms }
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            pekko.loglevel = WARNING
            %s
            """.formatted(roles, port, seedPort, TIMEOUT.toMillis(), extra))
        .withFallback(ClusterSettings.defaults())
        .withFallback(WireChecked.config())
        .resolve();
  }

  private ActorSystem<ClusterNode.Command> node(Config config) {
    ActorSystem<ClusterNode.Command> s = ClusterNode.start(ClusterSettings.from(config), config,
        c -> new BoxedAnswerReward());
    started.add(s);
    return s;
  }

  @Test
  void learnerMonitor_listsOtherNodesActorsByNode_andTurnsThemDownWhenTheirNodeGoes() throws Exception {
    int learnerPort = freePort();
    ActorSystem<ClusterNode.Command> learner = node(config("learner, params", learnerPort, learnerPort, ""));
    OpsNode ops = OpsNode.within(learner, learner.settings().config());
    ActorSystem<ClusterNode.Command> worker = node(config("rollout, reward", freePort(), learnerPort, ""));
    String workerNode = worker.address().toString();
    await("both nodes Up", Duration.ofSeconds(30), () -> upMembers(learner) == 2);

    // Announce a run to every host, as a learner node's GRPO phase does: the worker starts a rollout
    // worker (a tiny model) and a pool of two reward workers, the learner's host the parameter server.
    RunSpec spec = new RunSpec("health-test", RolloutWorker.ModelSpec.of(TinyPolicy.MODEL), TinyPolicy.TOKENIZER,
        Duration.ofSeconds(60), "{}");
    for (ServiceKey<RunSpec> key : List.of(ServiceKeys.ROLLOUT_HOST, ServiceKeys.REWARD_HOST, ServiceKeys.PARAMS_HOST)) {
      for (ActorRef<RunSpec> host : find(learner, key)) {
        host.tell(spec);
      }
    }

    HealthMonitor.HealthReport seen = awaitHealth(ops, Duration.ofSeconds(30), r ->
        count(r, workerNode, "rollout", HealthMonitor.OK) == 1 && count(r, workerNode, "reward", HealthMonitor.OK) == 2
            && count(r, workerNode, RolloutHost.HEALTH_ROLE, HealthMonitor.OK) == 1
            && count(r, workerNode, RewardHost.HEALTH_ROLE, HealthMonitor.OK) == 1
            && count(r, learner.address().toString(), "params", HealthMonitor.OK) == 1
            && count(r, learner.address().toString(), ParamsHost.HEALTH_ROLE, HealthMonitor.OK) == 1);
    String json = HealthJson.render(seen);
    assertTrue(json.contains("\"node\":\"" + workerNode + "\",\"actor\":\"rollout-host/rollout-health-test-0\""),
        json);
    assertTrue(Health.get(worker).targets().stream().anyMatch(m -> m.path().address().equals(learner.address())),
        "the worker reports to the learner node's monitor: " + Health.get(worker).targets());

    worker.terminate();
    worker.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    long gone = System.nanoTime();
    HealthMonitor.HealthReport after = awaitHealth(ops, TIMEOUT.plusMillis(500), r -> r.actors().stream()
        .filter(a -> a.node().equals(workerNode)).allMatch(a -> a.status().equals(HealthMonitor.DOWN)));
    double seconds = (System.nanoTime() - gone) / 1e9;
    List<HealthMonitor.ActorHealth> workerRows = after.actors().stream()
        .filter(a -> a.node().equals(workerNode)).toList();
    assertEquals(5, workerRows.size(), workerRows::toString);
    assertTrue(workerRows.stream().allMatch(a -> a.reason().contains("left the cluster")
        || a.reason().startsWith("no heartbeat")), workerRows::toString);
    assertTrue(seconds <= TIMEOUT.toMillis() / 1000.0 + 0.5, "down " + seconds + " s after the node terminated");
    // the learner node's own actors are untouched
    assertEquals(1, count(after, learner.address().toString(), "params", HealthMonitor.OK), after::toString);
  }

  @Test
  void management_workerReadyOnlyOnceUp_andEveryNodeListsTheMembersReadOnly() throws Exception {
    int learnerPort = freePort();
    String management = "rlft.management { enabled = true, host = \"127.0.0.1\", port = 0 }";
    // the worker starts first: its seed, the learner node, is not there yet
    ActorSystem<ClusterNode.Command> worker = node(config("reward", freePort(), learnerPort, management));
    String workerMgmt = OpsNode.startManagement(worker);
    assertEquals(workerMgmt, OpsNode.startManagement(worker), "one management server per node");
    assertEquals(200, get(workerMgmt + "alive").statusCode());
    await("the reward host to run", Duration.ofSeconds(10), () -> Health.get(worker).localHeartbeats().stream()
        .anyMatch(h -> h.role().equals(RewardHost.HEALTH_ROLE)));
    HttpResponse<String> notMember = get(workerMgmt + "ready");
    assertEquals(500, notMember.statusCode(), notMember.body());
    assertNotEquals(MemberStatus.up(), Cluster.get(worker).selfMember().status());

    ActorSystem<ClusterNode.Command> learner = node(config("learner", learnerPort, learnerPort, management));
    OpsNode ops = OpsNode.within(learner, learner.settings().config());
    String learnerMgmt = ops.managementUrl().orElseThrow();
    await("the worker's /ready to turn 200", Duration.ofSeconds(30), () -> status(workerMgmt + "ready") == 200);
    assertEquals(MemberStatus.up(), Cluster.get(worker).selfMember().status(), "ready only once Up");

    Set<String> both = new TreeSet<>(List.of(worker.address().toString(), learner.address().toString()));
    for (String base : List.of(workerMgmt, learnerMgmt)) {
      await("both members Up in " + base + "cluster/members", Duration.ofSeconds(10),
          () -> both.equals(upMembersOrNone(base + "cluster/members")));
    }
    // read-only: no request can make a member leave or go down, nor a node join
    String workerPath = learnerMgmt + "cluster/members/" + worker.address().toString().replace("pekko://", "");
    for (String method : List.of("DELETE", "PUT")) {
      HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(workerPath))
          .method(method, HttpRequest.BodyPublishers.ofString("operation=Down")).header("Content-Type",
              "application/x-www-form-urlencoded").build(), HttpResponse.BodyHandlers.ofString());
      assertTrue(r.statusCode() >= 400, method + " answered " + r.statusCode() + ": " + r.body());
    }
    HttpResponse<String> join = HTTP.send(HttpRequest.newBuilder(URI.create(learnerMgmt + "cluster/members"))
        .POST(HttpRequest.BodyPublishers.ofString("address=pekko://rlft@127.0.0.1:1")).header("Content-Type",
            "application/x-www-form-urlencoded").build(), HttpResponse.BodyHandlers.ofString());
    assertTrue(join.statusCode() >= 400, "POST answered " + join.statusCode() + ": " + join.body());
    Thread.sleep(500);
    assertEquals(both, upMembers(learnerMgmt + "cluster/members"));

    // the learner node's readiness is the run's: not before it starts
    assertEquals(500, status(learnerMgmt + "ready"));
    ops.runStarted("runs/test");
    await("the learner's /ready to turn 200", Duration.ofSeconds(10), () -> status(learnerMgmt + "ready") == 200);
  }

  private static long count(HealthMonitor.HealthReport r, String node, String role, String status) {
    return r.actors().stream()
        .filter(a -> a.node().equals(node) && a.role().equals(role) && a.status().equals(status)).count();
  }

  private static Set<ActorRef<RunSpec>> find(ActorSystem<?> system, ServiceKey<RunSpec> key) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      Receptionist.Listing l = AskPattern.<Receptionist.Command, Receptionist.Listing>ask(system.receptionist(),
              reply -> Receptionist.find(key, reply), Duration.ofSeconds(3), system.scheduler())
          .toCompletableFuture().get();
      if (!l.getServiceInstances(key).isEmpty()) {
        return l.getServiceInstances(key);
      }
      if (System.nanoTime() > deadline) {
        fail("no " + key.id() + " registered");
      }
      Thread.sleep(100);
    }
  }

  private static HealthMonitor.HealthReport awaitHealth(OpsNode ops, Duration within,
      Predicate<HealthMonitor.HealthReport> until) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    HealthMonitor.HealthReport r = ops.health();
    while (!until.test(r)) {
      if (System.nanoTime() > deadline) {
        fail("health table not as expected within " + within + ": " + r.actors());
      }
      Thread.sleep(50);
      r = ops.health();
    }
    return r;
  }

  private static long upMembers(ActorSystem<?> system) {
    return java.util.stream.StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }

  /** The addresses of Up members in a {@code /cluster/members} answer. */
  private static Set<String> upMembers(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = get(url);
    assertEquals(200, r.statusCode(), r.body());
    Set<String> up = new TreeSet<>();
    for (JsonNode m : JSON.readTree(r.body()).path("members")) {
      if (m.path("status").asText().equals("Up")) {
        up.add(m.path("node").asText());
      }
    }
    return up;
  }

  private static Set<String> upMembersOrNone(String url) {
    try {
      return upMembers(url);
    } catch (IOException e) {
      return Set.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Set.of();
    }
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int status(String url) {
    try {
      return get(url).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private static void await(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
