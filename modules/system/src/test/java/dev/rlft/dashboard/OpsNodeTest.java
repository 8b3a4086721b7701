package dev.rlft.dashboard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.rlft.health.HealthMonitor;
import dev.rlft.testing.WireChecked;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator node over real HTTP: the token guard, the page and its webjar asset, the JSON the
 * page polls, the Prometheus exposition, and Pekko Management's readiness wired to the monitor.
 */
class OpsNodeTest {

  private static final String TOKEN = "s3cret-token-for-tests";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient http = HttpClient.newHttpClient();

  private static OpsNode node;
  private static String base;
  private static String management;

  private static Config config(String overrides) {
    return ConfigFactory.parseString(overrides).withFallback(WireChecked.config()).resolve();
  }

  @BeforeAll
  static void start() {
    node = OpsNode.start(config("""
        rlft.dashboard { enabled = true, host = "127.0.0.1", port = 0, token = "%s", samples = 2 }
        rlft.management { enabled = true, host = "127.0.0.1", port = 0 }
        """.formatted(TOKEN)));
    base = node.dashboardUrl().orElseThrow();
    management = node.managementUrl().orElseThrow();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static HttpResponse<String> get(String url, String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> authorized(String path) throws IOException, InterruptedException {
    return get(base + path, "Authorization", "Bearer " + TOKEN);
  }

  @Test
  void anyPath_withoutOrWithAWrongToken_is401() throws Exception {
    for (String path : List.of("", "api/health", "metrics", "assets/chart.umd.js")) {
      HttpResponse<String> none = get(base + path);
      assertEquals(401, none.statusCode(), path);
      assertTrue(none.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), path);
      assertEquals(401, get(base + path, "Authorization", "Bearer wrong").statusCode(), path);
      assertEquals(401, get(base + path + "?token=wrong").statusCode(), path);
    }
  }

  @Test
  void page_withTheTokenInTheUrl_setsACookieThatLaterRequestsUse() throws Exception {
    HttpResponse<String> page = get(base + "?token=" + TOKEN);
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("assets/chart.umd.js") && page.body().contains("id=\"health\""), page.body());
    String cookie = page.headers().firstValue("Set-Cookie").orElseThrow();
    assertTrue(cookie.startsWith(OpsRoutes.COOKIE + "=" + TOKEN) && cookie.contains("HttpOnly")
        && cookie.contains("SameSite=Strict"), cookie);

    HttpResponse<String> health = get(base + "api/health", "Cookie", OpsRoutes.COOKIE + "=" + TOKEN);
    assertEquals(200, health.statusCode());
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("").contains("default-src 'self'"));
  }

  @Test
  void chartJs_isServedFromItsWebjar() throws Exception {
    HttpResponse<String> js = authorized("assets/chart.umd.js");
    assertEquals(200, js.statusCode());
    assertTrue(js.headers().firstValue("Content-Type").orElse("").startsWith("text/javascript"));
    assertTrue(js.body().length() > 100_000 && js.body().contains("Chart.js v4"), "the UMD bundle");
    assertEquals(200, authorized("assets/dashboard.js").statusCode());
    assertEquals(404, authorized("assets/nope.js").statusCode());
  }

  @Test
  void apiMetrics_returnsRecordsAfterTheGivenNumber_andSamplesNewestFirst() throws Exception {
    RunFeed feed = node.feed();
    long before = feed.count();
    feed.metric("grpo", Map.of("step", 1, "kl", 0.5));
    feed.metric("grpo", Map.of("step", 2, "kl", 0.25));
    feed.sample("grpo", Map.of("step", 1, "completion", "a"));
    feed.sample("grpo", Map.of("step", 2, "completion", "<b>"));
    feed.sample("grpo", Map.of("step", 3, "completion", "c"));

    JsonNode m = JSON.readTree(authorized("api/metrics?after=" + (before + 1)).body());
    assertEquals(before + 2, m.get("last").asLong());
    assertEquals(1, m.get("records").size());
    assertEquals(0.25, m.get("records").get(0).get("kl").asDouble());
    assertEquals("grpo", m.get("phase").asText());

    JsonNode s = JSON.readTree(authorized("api/samples").body());
    assertEquals(2, s.get("samples").size(), "only the configured number is kept");
    assertEquals("c", s.get("samples").get(0).get("completion").asText());
    assertEquals("<b>", s.get("samples").get(1).get("completion").asText(), "text is data, not markup");
    assertEquals("no-store", authorized("api/samples").headers().firstValue("Cache-Control").orElse(""));
  }

  @Test
  void readiness_followsTheMonitor_andPrometheusShowsIt() throws Exception {
    assertEquals(200, get(management + "alive").statusCode());
    // the node's monitor has seen no run yet: not ready
    if (!node.health().started()) {
      assertEquals(500, get(management + "ready").statusCode());
      assertTrue(authorized("metrics").body().contains("rlft_ready 0.0"));
    }
    node.runStarted("runs/test");
    HttpResponse<String> ready = get(management + "ready");
    assertEquals(200, ready.statusCode(), ready.body());

    node.monitor().tell(new HealthMonitor.Heartbeat("pekko://rlft", "learner", "learner",
        node.monitor().unsafeUpcast(), "stopped", 0, 0, 1, 0, 3, 10, 0, new LinkedHashMap<>()));
    long deadline = System.currentTimeMillis() + 3000;
    while (node.health().ready() && System.currentTimeMillis() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(500, get(management + "ready").statusCode(), "an essential actor is down");
    HttpResponse<String> metrics = authorized("metrics");
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
    assertTrue(metrics.body().contains("rlft_ready 0.0"), metrics.body());
    assertTrue(metrics.body().contains(
        "rlft_actor_status{actor=\"learner\",node=\"pekko://rlft\",role=\"learner\",status=\"down\"} 1.0"),
        metrics.body());

    JsonNode h = JSON.readTree(authorized("api/health").body());
    assertFalse(h.get("ready").asBoolean());
    assertEquals("down", h.get("status").asText());
    assertEquals("learner", h.get("actors").get(0).get("actor").asText());
  }

  @Test
  void start_nonLoopbackHostWithoutToken_refusesWithAClearError() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpsNode.start(config("""
        rlft.dashboard { enabled = true, host = "0.0.0.0", port = 0, token = "" }
        """)));
    assertTrue(e.getMessage().contains("without an access token") && e.getMessage().contains("0.0.0.0"),
        e.getMessage());
  }

  @Test
  void start_portInUse_isAUserError() {
    int port = URI.create(base).getPort();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OpsNode.start(config("""
        rlft.dashboard { enabled = true, host = "127.0.0.1", port = %d }
        """.formatted(port))));
    assertTrue(e.getMessage().contains("could not start the dashboard on 127.0.0.1:" + port), e.getMessage());
  }
}
