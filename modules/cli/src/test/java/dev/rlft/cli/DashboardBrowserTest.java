package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.typesafe.config.Config;
import dev.rlft.dashboard.OpsNode;
import dev.rlft.health.HealthMonitor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.PoisonPill;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard in a real browser: a tiny {@code rlft train} run (SFT, then process-supervised
 * GRPO) with the dashboard on, driven by headless Chromium. The page's charts render with Chart.js
 * and gain points as steps complete, every actor shows healthy, a reward worker stopped from
 * outside shows as down (and {@code rlft status} says so), and a screenshot is saved under
 * {@code target/}. Stopping the coordinator then ends the run, whose report is still written.
 *
 * <p>Needs Debian's {@code chromium} ({@code .ci/run} installs it): with {@code CI=true} its absence
 * fails the test, elsewhere it skips it with a message.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DashboardBrowserTest {

  private static final List<String> GRPO_CHARTS = List.of("reward", "kl", "entropy", "loss", "clip", "grad",
      "throughput", "staleness", "steps");

  @TempDir Path tmp;

  @Test
  void dashboard_duringARun_drawsGrowingCurves_andShowsAStoppedActorAsDown() throws Exception {
    Path chromium = chromium();
    ConfigOptions options = new ConfigOptions();
    options.sets.addAll(List.of("runs-dir=\"" + tmp.resolve("runs") + "\"", "torch-threads=1",
        "model.dim=16", "model.layers=1", "model.heads=2", "model.kv-heads=2", "model.hidden-dim=32",
        "task.train-size=200", "task.heldout-size=20", "data.heldout-limit=4", "eval.samples=1", "eval.greedy=false",
        "sft.steps=2", "sft.batch-size=8", "grpo.steps=1000000", "grpo.prompts-per-step=2", "grpo.group-size=2",
        "grpo.process.enabled=true", "grpo.process.prm=lenient-equations",
        "dashboard.enabled=true", "dashboard.port=0", "dashboard.refresh=200ms", "health.interval=200ms"));
    Config config = options.resolve();
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (OpsNode ops = Operations.start(config, out)) {
      String url = ops.dashboardUrl().orElseThrow();
      assertTrue(log.toString(StandardCharsets.UTF_8).contains("dashboard: " + url), log::toString);
      Future<Path> run = pool.submit(() -> new TrainPipeline(RunSettings.from(config), config, out).observe(ops)
          .run(true, true, false, null));

      await(() -> grpoRecords(ops) >= 3, "three GRPO steps", run, log);
      Page first = Page.load(chromium, url, tmp);
      assertEquals("ok", first.body("data-chartjs"), "Chart.js loaded from the webjar");
      assertEquals(2, first.chartPoints("sft"), "one point per SFT step");
      for (String chart : GRPO_CHARTS) {
        assertTrue(first.chartPoints(chart) >= 3, chart + " has " + first.chartPoints(chart) + " points");
        assertEquals("true", first.chart(chart).get("data-rendered"), chart + " was drawn");
      }
      Map<String, String> rows = first.healthRows();
      assertEquals(List.of("coordinator", "learner", "params", "rollout-0", "reward/$a", "reward/$b", "step-reward"),
          new ArrayList<>(rows.keySet()));
      assertTrue(rows.values().stream().allMatch("ok"::equals), rows::toString);
      assertTrue(first.html().contains("class=\"sample "), "recent completions are listed");
      assertTrue(Pattern.compile("class=\"step\"[^>]*data-score=\"0\\.\\d+\"").matcher(first.html()).find(),
          "steps carry their PRM score");

      int seen = first.chartPoints("kl");
      await(() -> grpoRecords(ops) >= seen + 3, "three more GRPO steps", run, log);
      Page later = Page.load(chromium, url, tmp);
      assertTrue(later.chartPoints("kl") >= seen + 3, "the curve grew: " + seen + " -> " + later.chartPoints("kl"));

      HealthMonitor.ActorHealth victim = ops.health().actors().stream().filter(a -> a.actor().equals("reward/$a"))
          .findFirst().orElseThrow();
      Adapter.toClassic(victim.ref()).tell(PoisonPill.getInstance(), org.apache.pekko.actor.ActorRef.noSender());
      await(() -> ops.health().down().stream().anyMatch(a -> a.actor().equals("reward/$a")), "the worker down", run,
          log);
      int before = grpoRecords(ops);
      await(() -> grpoRecords(ops) >= before + 2, "training to go on with one reward worker", run, log);
      Page down = Page.load(chromium, url, tmp);
      Map<String, String> after = down.healthRows();
      assertEquals("down", after.get("reward/$a"), after::toString);
      assertEquals("ok", after.get("reward/$b"), after::toString);
      assertEquals("ok", after.get("learner"), after::toString);
      assertEquals("down", down.body("data-health"));
      Path shot = Path.of("target", "dashboard-e2e.png");
      Page.screenshot(chromium, url, tmp, shot);
      byte[] png = Files.readAllBytes(shot);
      assertTrue(png.length > 20_000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG screenshot");

      URI u = URI.create(url);
      CliRun status = CliRun.of("status", "--node", u.getHost() + ":" + u.getPort());
      assertEquals(StatusCommand.DOWN, status.exitCode(), status::toString);
      assertTrue(status.out().lines().anyMatch(l -> l.startsWith("reward/$a") && l.contains(" down ")),
          status::toString);

      HealthMonitor.ActorHealth coordinator = ops.health().actors().stream()
          .filter(a -> a.role().equals("coordinator")).findFirst().orElseThrow();
      Adapter.toClassic(coordinator.ref()).tell(PoisonPill.getInstance(), org.apache.pekko.actor.ActorRef.noSender());
      ExecutionException ended = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> run.get(120, TimeUnit.SECONDS));
      assertInstanceOf(IllegalStateException.class, ended.getCause());
      assertTrue(ended.getCause().getMessage().contains("coordinator stopped"), ended.getCause().toString());
      Path runDir;
      try (var s = Files.list(tmp.resolve("runs"))) {
        runDir = s.findFirst().orElseThrow();
      }
      String report = Files.readString(runDir.resolve("report.md"));
      assertTrue(report.contains("stopped early") && report.contains("plots/grpo-reward.png"), report);
      assertTrue(Files.size(runDir.resolve("plots").resolve("grpo-reward.png")) > 1000);
    } finally {
      pool.shutdownNow();
    }
  }

  private static int grpoRecords(OpsNode ops) {
    return (int) ops.feed().records().stream().filter(r -> r.get("phase").asText().equals("grpo")).count();
  }

  private static void await(BooleanSupplier condition, String what, Future<?> run, ByteArrayOutputStream log)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!condition.getAsBoolean()) {
      if (run.isDone()) {
        run.get();
        fail("the run ended while waiting for " + what + "\n" + log.toString(StandardCharsets.UTF_8));
      }
      if (System.nanoTime() > deadline) {
        fail("waited 120 s for " + what + "\n" + log.toString(StandardCharsets.UTF_8));
      }
      Thread.sleep(50);
    }
  }

  /** Debian's Chromium, or the test fails on CI and is skipped elsewhere. */
  private static Path chromium() {
    List<String> candidates = new ArrayList<>();
    Optional.ofNullable(System.getenv("CHROMIUM")).ifPresent(candidates::add);
    candidates.addAll(List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"));
    for (String c : candidates) {
      if (Files.isExecutable(Path.of(c))) {
        return Path.of(c);
      }
    }
    String msg = "headless Chromium not found (looked at " + candidates + "); install Debian's chromium package "
        + "(apt-get install -y chromium; .ci/run does) or set CHROMIUM";
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      fail(msg);
    }
    Assumptions.abort(msg);
    return null;
  }

  /** A page as headless Chromium left it after running its scripts. */
  private record Page(String html) {

    static List<String> command(Path chromium, Path profile, String... extra) {
      List<String> cmd = new ArrayList<>(List.of(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
          "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
          "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--virtual-time-budget=4000"));
      cmd.addAll(List.of(extra));
      return cmd;
    }

    static Page load(Path chromium, String url, Path tmp) throws IOException, InterruptedException {
      Path profile = Files.createTempDirectory(tmp, "chromium");
      Process p = new ProcessBuilder(command(chromium, profile, "--dump-dom", url))
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      byte[] dom = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("chromium --dump-dom did not finish in 60 s");
      }
      Page page = new Page(new String(dom, StandardCharsets.UTF_8));
      assertTrue(Integer.parseInt(page.body("data-polls")) >= 1, "the page polled the run at least once: " + page);
      return page;
    }

    static void screenshot(Path chromium, String url, Path tmp, Path png) throws IOException, InterruptedException {
      Files.createDirectories(png.toAbsolutePath().getParent());
      Files.deleteIfExists(png);
      Path profile = Files.createTempDirectory(tmp, "chromium");
      Process p = new ProcessBuilder(command(chromium, profile, "--hide-scrollbars", "--window-size=1400,1900",
          "--screenshot=" + png.toAbsolutePath(), url)).redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail("chromium --screenshot did not finish in 60 s");
      }
      assertTrue(Files.isRegularFile(png), "chromium wrote no screenshot");
    }

    /** The attributes of the first opening tag that contains {@code marker}. */
    Map<String, String> tag(String marker) {
      int at = html.indexOf(marker);
      assertTrue(at >= 0, "no " + marker + " in the page:\n" + html);
      int start = html.lastIndexOf('<', at);
      String tag = html.substring(start, html.indexOf('>', at));
      Map<String, String> attrs = new HashMap<>();
      Matcher m = Pattern.compile("([\\w-]+)=\"([^\"]*)\"").matcher(tag);
      while (m.find()) {
        attrs.put(m.group(1), m.group(2));
      }
      return attrs;
    }

    String body(String attribute) {
      return tag("<body").get(attribute);
    }

    Map<String, String> chart(String id) {
      return tag("id=\"chart-" + id + "\"");
    }

    int chartPoints(String id) {
      return Integer.parseInt(chart(id).get("data-points"));
    }

    /** Actor name to its row's status, in table order. */
    Map<String, String> healthRows() {
      Map<String, String> rows = new java.util.LinkedHashMap<>();
      Matcher m = Pattern.compile("<tr class=\"status-(\\w+)\" data-actor=\"([^\"]+)\"").matcher(html);
      while (m.find()) {
        rows.put(m.group(2), m.group(1));
      }
      return rows;
    }

    @Override
    public String toString() {
      return html.length() > 4000 ? html.substring(0, 4000) + "…" : html;
    }
  }
}
