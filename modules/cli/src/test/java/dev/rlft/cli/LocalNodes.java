package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code rlft node} JVMs on loopback for the multi-process cluster tests: each started with the
 * test class path and its output in a log file, found again by pattern, signalled, and at the end
 * killed with its log kept under {@code target/<folder>/<test>/}.
 */
final class LocalNodes {

  /** A tiny model and task, one PyTorch thread, and quick failure detection: the settings of every node in these tests. */
  static final List<String> TINY = List.of(
      "--set", "torch-threads=1",
      "--set", "model.dim=16", "--set", "model.layers=1", "--set", "model.heads=2", "--set", "model.kv-heads=2",
      "--set", "model.hidden-dim=32",
      "--set", "task.train-size=200", "--set", "task.heldout-size=20",
      "--set", "cluster.failure-detection-pause=2s", "--set", "cluster.stable-after=2s");

  /** One node's JVM and its log. */
  record Node(String name, Process process, Path log) {
    String logText() {
      try {
        return Files.readString(log);
      } catch (IOException e) {
        return "";
      }
    }
  }

  private final Path tmp;
  private final List<String> common;
  private final List<Node> nodes = new ArrayList<>();
  private final Set<String> mayDie = new HashSet<>();

  /**
   * @param tmp where the logs go
   * @param common arguments every node gets after its own (tiny model, fast failure detection)
   */
  LocalNodes(Path tmp, List<String> common) {
    this.tmp = tmp;
    this.common = List.copyOf(common);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Starts {@code rlft node --host 127.0.0.1 ARGS COMMON} in a JVM of its own. */
  Node start(String name, List<String> args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.log.dev.rlft.coordinator.Coordinator=debug",
        "-Dorg.slf4j.simpleLogger.log.dev.rlft.cluster=info",
        "-Dorg.slf4j.simpleLogger.log.dev.rlft.params.ParameterServer=info",
        "-cp", System.getProperty("java.class.path"), "dev.rlft.cli.Main", "node", "--host", "127.0.0.1"));
    cmd.addAll(args);
    cmd.addAll(common);
    Path log = tmp.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("TORCH_CPP_LOG_LEVEL", "ERROR");
    Node n = new Node(name, pb.start(), log);
    nodes.add(n);
    return n;
  }

  /** {@code node} is going to be killed: its exit does not fail {@link #await}. */
  void mayDie(Node node) {
    mayDie.add(node.name());
  }

  static void signal(Node n, String sig) {
    try {
      new ProcessBuilder("kill", "-" + sig, Long.toString(n.process().pid())).start().waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Waits until {@code pattern} matches {@code node}'s log at or after {@code from}; returns the
   * match. Fails at once when another node exits with an error (unless it {@link #mayDie}), or
   * when {@code node} exits without logging it.
   */
  Matcher await(Node node, Pattern pattern, int from, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      String text = node.logText();
      Matcher m = pattern.matcher(text);
      if (m.find(Math.min(from, text.length()))) {
        return m;
      }
      for (Node n : nodes) {
        if (n != node && !n.process().isAlive() && n.process().exitValue() != 0 && !mayDie.contains(n.name())) {
          fail(n.name() + " exited with " + n.process().exitValue() + ":\n" + n.logText());
        }
      }
      if (!node.process().isAlive() && !pattern.matcher(node.logText()).find(Math.min(from, node.logText().length()))) {
        fail(node.name() + " exited (" + node.process().exitValue() + ") before logging " + pattern + ":\n"
            + node.logText());
      }
      Thread.sleep(25);
    }
    throw new AssertionError("no " + pattern + " in " + node.name() + "'s log within " + timeout + ":\n"
        + node.logText());
  }

  /** Kills every node still running (resuming a stopped one first) and keeps the logs in {@code target/folder/test}. */
  void stopAll(String folder, String test) throws InterruptedException, IOException {
    for (Node n : nodes) {
      if (n.process().isAlive()) {
        signal(n, "CONT");
        n.process().destroyForcibly();
        n.process().waitFor(10, TimeUnit.SECONDS);
      }
    }
    Path keep = Path.of("target", folder, test);
    Files.createDirectories(keep);
    for (Node n : nodes) {
      if (Files.exists(n.log())) {
        Files.copy(n.log(), keep.resolve(n.log().getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }
}
