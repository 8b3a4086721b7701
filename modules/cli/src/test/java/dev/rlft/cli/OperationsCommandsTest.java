package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.rlft.dashboard.OpsNode;
import dev.rlft.health.HealthMonitor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rlft report}, {@code rlft status} and the dashboard flags of {@code rlft train}, without a training run. */
class OperationsCommandsTest {

  @TempDir Path tmp;

  private static Path runFolder(Path dir, int grpoSteps) throws IOException {
    Files.createDirectories(dir.resolve("checkpoints").resolve("grpo"));
    StringBuilder lines = new StringBuilder();
    for (int i = 1; i <= 3; i++) {
      lines.append("{\"phase\":\"sft\",\"step\":").append(i).append(",\"loss\":").append(3.0 - i * 0.5).append("}\n");
    }
    for (int i = 1; i <= grpoSteps; i++) {
      lines.append("{\"phase\":\"grpo\",\"step\":").append(i).append(",\"reward\":").append(0.1 * (i % 7))
          .append(",\"accuracy\":").append(0.05 * (i % 9)).append(",\"kl\":").append(0.001 * i)
          .append(",\"entropy\":1.2,\"loss\":0.01,\"pg_loss\":0.02,\"clip_frac\":0.0,\"grad_norm\":1.5,")
          .append("\"gen_tokens_per_s\":900,\"staleness\":1}\n");
    }
    Files.writeString(dir.resolve("metrics.jsonl"), lines);
    Files.writeString(dir.resolve("samples.jsonl"), "{\"phase\":\"grpo\",\"step\":1,\"completion\":\"x\"}\n");
    Files.writeString(dir.resolve("config.conf"), "rlft { seed = 1 }\n");
    Files.writeString(dir.resolve("summary.json"), """
        {"sft": {"heldout_accuracy": 0.25, "heldout_problems": 8},
         "grpo": {"heldout_accuracy": 0.5, "heldout_problems": 8, "steps": %d}}
        """.formatted(grpoSteps));
    return dir;
  }

  @Test
  void report_runFolder_writesPlotsOfEachCurveAndAReportLinkingThem() throws IOException {
    Path run = runFolder(tmp.resolve("20260101-000000-seed1"), 12);

    CliRun cli = CliRun.of("report", run.toString());

    assertEquals(0, cli.exitCode(), cli::toString);
    String md = Files.readString(run.resolve("report.md"));
    for (String plot : List.of("grpo-reward", "grpo-kl", "grpo-entropy", "grpo-loss", "grpo-clip", "grpo-grad-norm",
        "grpo-throughput", "grpo-staleness", "sft-loss")) {
      assertTrue(md.contains("(plots/" + plot + ".png)"), plot + " linked in\n" + md);
      BufferedImage img = ImageIO.read(run.resolve("plots").resolve(plot + ".png").toFile());
      assertEquals(800, img.getWidth(), plot);
    }
    assertFalse(Files.exists(run.resolve("plots").resolve("grpo-steps.png")), "no process metrics, no chart");
    assertTrue(md.contains("| grpo | 0.5000 | 8 | 12 |"), md);
    assertTrue(md.contains("[config.conf](config.conf)") && md.contains("{grpo=12, sft=3}")
        && md.contains("1 sample completions") && md.contains("[grpo](checkpoints/grpo)"), md);

    CliRun notARun = CliRun.of("report", tmp.resolve("missing").toString());
    assertEquals(2, notARun.exitCode(), notARun::toString);
  }

  @Test
  void status_unreachableNode_exits3WithTheReason() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CliRun status = CliRun.of("status", "--node", "127.0.0.1:" + port, "--timeout", "2");

    assertEquals(StatusCommand.UNREACHABLE, status.exitCode(), status::toString);
    assertTrue(status.errorLines().get(0).contains("cannot reach http://127.0.0.1:" + port + "/api/health"),
        status::toString);
    assertEquals(2, CliRun.of("status", "--node", "::bad::").exitCode(), "a malformed address is a usage error");
  }

  @Test
  void status_nodeWithAToken_needsIt_thenPrintsTheTable() {
    try (OpsNode node = OpsNode.start(ConfigFactory.parseString(
        "rlft.dashboard { enabled = true, host = \"127.0.0.1\", port = 0, token = \"t0ken\" }")
        .withFallback(ConfigFactory.load()).resolve())) {
      URI u = URI.create(node.dashboardUrl().orElseThrow());
      String addr = u.getHost() + ":" + u.getPort();
      node.runStarted("runs/demo");
      node.monitor().tell(new HealthMonitor.Heartbeat("pekko://rlft", "rollout-0", "rollout",
          node.monitor().unsafeUpcast(), "running", 2, 1.5, 0, 1, 12, 40, 1, new LinkedHashMap<>()));
      // a cluster node's actor: the table names its node
      node.monitor().tell(new HealthMonitor.Heartbeat("pekko://rlft@10.0.0.3:7355", "reward-host/reward-x/$a",
          "reward", node.monitor().unsafeUpcast(), "running", 0, 0, 0.5, 0, -1, 3, 0, new LinkedHashMap<>()));

      CliRun refused = CliRun.of("status", "--node", addr);
      assertEquals(StatusCommand.UNREACHABLE, refused.exitCode(), refused::toString);
      assertTrue(refused.errorLines().get(0).contains("access token"), refused::toString);

      CliRun ok = CliRun.of("status", "--node", addr, "--token", "t0ken");
      assertEquals(0, ok.exitCode(), ok::toString);
      assertTrue(ok.outLines().get(0).contains("run runs/demo | health ok | ready yes"), ok::toString);
      assertTrue(ok.outLines().get(1).matches("ACTOR\\s+ROLE\\s+STATUS.*LAST SEEN\\s+NODE\\s+REASON"), ok::toString);
      String row = ok.outLines().stream().filter(l -> l.startsWith("rollout-0")).findFirst().orElseThrow();
      assertTrue(row.matches(
          "rollout-0\\s+rollout\\s+ok\\s+2\\s+1\\.5s\\s+0\\.0s\\s+1\\s+v12\\s+40\\s+\\d+\\.\\ds\\s+rlft\\s+busy for 1\\.5 s"),
          row);
      String remote = ok.outLines().stream().filter(l -> l.startsWith("reward-host/")).findFirst().orElseThrow();
      assertTrue(remote.matches("reward-host/reward-x/\\$a\\s+reward\\s+ok\\s+.*\\s+10\\.0\\.0\\.3:7355\\s+idle"),
          remote);

      CliRun json = CliRun.of("status", "--node", "http://" + addr + "/", "--token", "t0ken", "--json");
      assertEquals(0, json.exitCode(), json::toString);
      assertTrue(json.out().contains("\"actor\":\"rollout-0\""), json::toString);
    }
  }

  @Test
  void train_dashboardOnANonLocalAddressWithoutToken_refusesBeforeTraining() {
    CliRun train = CliRun.of("train", "--runs-dir", tmp.resolve("runs").toString(), "--dashboard=0",
        "--dashboard-host", "0.0.0.0");

    assertEquals(2, train.exitCode(), train::toString);
    assertTrue(train.errorLines().get(0).contains("without an access token"), train::toString);
    assertFalse(Files.exists(tmp.resolve("runs")), "nothing was started");
  }
}
