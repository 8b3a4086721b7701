package dev.rlft.dashboard;

import dev.rlft.health.HealthMonitor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Cookie;
import org.apache.pekko.http.javadsl.model.headers.HttpCookie;
import org.apache.pekko.http.javadsl.model.headers.HttpCookiePair;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.headers.SameSite;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The HTTP routes of the operator surface, usable in any pekko-http server (the dashboard's, or a
 * cluster node's): the page and its assets ({@code /}, {@code /assets/*}, Chart.js from its webjar
 * on the class path), the JSON it polls ({@code /api/health}, {@code /api/metrics?after=N},
 * {@code /api/samples}, {@code /api/config}) and the Prometheus exposition ({@code /metrics}).
 *
 * <p>With a token, every request must carry it: {@code Authorization: Bearer <token>}, the
 * {@code rlft_token} cookie, or {@code ?token=<token>} (which also sets the cookie, so a browser
 * opened on that URL keeps working); others get 401.
 */
public final class OpsRoutes extends AllDirectives {

  static final String COOKIE = "rlft_token";
  private static final String CHART_JS = chartJsResource();
  private static final ContentType.NonBinary JSON = ContentTypes.APPLICATION_JSON;
  private static final ContentType JAVASCRIPT = ContentTypes.parse("text/javascript; charset=UTF-8");
  private static final ContentType CSS = ContentTypes.parse("text/css; charset=UTF-8");
  private static final ContentType.NonBinary PROMETHEUS =
      (ContentType.NonBinary) ContentTypes.parse(TrainingMetrics.contentType());

  private final ActorSystem<?> system;
  private final ActorRef<HealthMonitor.Command> monitor;
  private final RunFeed feed;
  private final TrainingMetrics metrics;
  private final byte[] token;
  private final Duration refresh;

  /**
   * @param token required access token, or empty for none
   * @param refresh how often the page polls
   */
  public OpsRoutes(ActorSystem<?> system, ActorRef<HealthMonitor.Command> monitor, RunFeed feed,
      TrainingMetrics metrics, String token, Duration refresh) {
    this.system = system;
    this.monitor = monitor;
    this.feed = feed;
    this.metrics = metrics;
    this.token = token == null || token.isEmpty() ? null : token.getBytes(StandardCharsets.UTF_8);
    this.refresh = refresh;
  }

  /** Every route, behind the token check. */
  public Route route() {
    return guarded(() -> respondWithHeaders(List.of(
            RawHeader.create("X-Content-Type-Options", "nosniff"),
            RawHeader.create("Content-Security-Policy", "default-src 'self'; img-src 'self' data:"),
            RawHeader.create("Referrer-Policy", "no-referrer")),
        () -> get(() -> concat(
            pathSingleSlash(() -> getFromResource("dev/rlft/dashboard/index.html", ContentTypes.TEXT_HTML_UTF8)),
            pathPrefix("assets", () -> concat(
                path("dashboard.js", () -> getFromResource("dev/rlft/dashboard/dashboard.js", JAVASCRIPT)),
                path("dashboard.css", () -> getFromResource("dev/rlft/dashboard/dashboard.css", CSS)),
                path("chart.umd.js", () -> getFromResource(CHART_JS, JAVASCRIPT)))),
            pathPrefix("api", () -> noStore(() -> concat(
                path("health", () -> completeWithFuture(health().thenApply(r ->
                    HttpResponse.create().withEntity(JSON, HealthJson.render(r))))),
                path("metrics", () -> parameterOptional("after", after ->
                    complete(HttpResponse.create().withEntity(JSON, feed.metricsJson(parseAfter(after)))))),
                path("samples", () -> complete(HttpResponse.create().withEntity(JSON, feed.samplesJson()))),
                path("config", () -> complete(HttpResponse.create().withEntity(JSON,
                    "{\"refresh_ms\":" + refresh.toMillis() + "}")))))),
            path("metrics", () -> noStore(this::prometheus))))));
  }

  private Route noStore(Supplier<Route> inner) {
    return respondWithHeader(RawHeader.create("Cache-Control", "no-store"), inner);
  }

  private CompletionStage<HealthMonitor.HealthReport> health() {
    return AskPattern.ask(monitor, HealthMonitor.GetHealth::new, HealthMonitor.askTimeout(), system.scheduler());
  }

  /** The exposition with fresh health gauges; 503 when the monitor does not answer. */
  private Route prometheus() {
    return completeWithFuture(health().handle((r, err) -> {
      if (err != null) {
        return HttpResponse.create().withStatus(StatusCodes.SERVICE_UNAVAILABLE)
            .withEntity("the health monitor did not answer: " + err.getMessage());
      }
      metrics.health(r);
      return HttpResponse.create().withEntity(PROMETHEUS, metrics.scrape());
    }));
  }

  private static long parseAfter(Optional<String> after) {
    if (after.isEmpty() || after.get().isBlank()) {
      return 0;
    }
    try {
      return Long.parseLong(after.get().trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private Route guarded(Supplier<Route> inner) {
    if (token == null) {
      return inner.get();
    }
    return extractRequest(req -> {
      if (matches(bearer(req)) || matches(cookie(req))) {
        return inner.get();
      }
      if (matches(req.getUri().query().get("token").orElse(null))) {
        HttpCookie c = HttpCookie.create(COOKIE, new String(token, StandardCharsets.UTF_8)).withPath("/")
            .withHttpOnly(true).withSameSite(SameSite.Strict);
        return setCookie(c, inner);
      }
      return complete(HttpResponse.create().withStatus(StatusCodes.UNAUTHORIZED)
          .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"rlft\""))
          .withEntity("this rlft dashboard needs its access token: send 'Authorization: Bearer <token>', or open "
              + "the page once as /?token=<token>\n"));
    });
  }

  private boolean matches(String presented) {
    return presented != null
        && MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8), token);
  }

  private static String bearer(HttpRequest req) {
    Optional<HttpHeader> h = req.getHeader("Authorization");
    if (h.isEmpty()) {
      return null;
    }
    String v = h.get().value().trim();
    return v.regionMatches(true, 0, "Bearer ", 0, 7) ? v.substring(7).trim() : null;
  }

  private static String cookie(HttpRequest req) {
    Optional<Cookie> c = req.getHeader(Cookie.class);
    if (c.isEmpty()) {
      return null;
    }
    for (HttpCookiePair p : c.get().getCookies()) {
      if (p.name().equals(COOKIE)) {
        return p.value();
      }
    }
    return null;
  }

  /** The class-path location of Chart.js's UMD build in its webjar, whatever version the build took. */
  private static String chartJsResource() {
    String props = "META-INF/maven/org.webjars.npm/chart.js/pom.properties";
    try (InputStream in = OpsRoutes.class.getClassLoader().getResourceAsStream(props)) {
      if (in == null) {
        throw new IllegalStateException("Chart.js webjar (org.webjars.npm:chart.js) is not on the class path");
      }
      Properties p = new Properties();
      p.load(in);
      return "META-INF/resources/webjars/chart.js/" + p.getProperty("version") + "/dist/chart.umd.js";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
