package dev.rlft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code rlft status}: the health table of a running rlft node, read from its dashboard's
 * {@code /api/health}: on a cluster, the actors of every node that reports to that node's monitor,
 * each with its node's address. Exit code 0 when no actor is down, 1 when one is, 3 when the node cannot be
 * asked (unreachable, refused, or the token is missing or wrong).
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Print the actor health table of a running rlft node (its dashboard address).",
        "Exit code: 0 healthy, 1 an actor is down, 3 the node could not be asked."})
final class StatusCommand implements Callable<Integer> {

  static final int DOWN = 1;
  static final int UNREACHABLE = 3;

  @Option(names = "--node", required = true, paramLabel = "HOST:PORT",
      description = "the node's dashboard address, e.g. 127.0.0.1:8080 (or a full http:// URL)")
  String node;

  @Option(names = "--token", paramLabel = "TOKEN",
      description = "the dashboard's access token (default: the RLFT_DASHBOARD_TOKEN environment variable)")
  String token;

  @Option(names = "--json", description = "print the health JSON as received")
  boolean json;

  @Option(names = "--timeout", paramLabel = "SECONDS", description = "give up after this long (default ${DEFAULT-VALUE})")
  double timeout = 5;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    URI uri = healthUri(node);
    String bearer = token != null ? token : System.getenv("RLFT_DASHBOARD_TOKEN");
    HttpRequest.Builder req = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis((long) (timeout * 1000))).GET();
    if (bearer != null && !bearer.isBlank()) {
      req.header("Authorization", "Bearer " + bearer);
    }
    HttpResponse<String> res;
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofMillis((long) (timeout * 1000))).build();
      res = client.send(req.build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException | HttpTimeoutException e) {
      System.err.println("rlft: error: cannot reach " + uri + ": " + describe(e));
      return UNREACHABLE;
    } catch (IOException e) {
      System.err.println("rlft: error: cannot read " + uri + ": " + describe(e));
      return UNREACHABLE;
    }
    if (res.statusCode() == 401) {
      System.err.println("rlft: error: " + uri + " needs the dashboard's access token (--token or RLFT_DASHBOARD_TOKEN)"
          + (bearer == null ? "" : "; the one given was refused"));
      return UNREACHABLE;
    }
    if (res.statusCode() != 200) {
      System.err.println("rlft: error: " + uri + " answered HTTP " + res.statusCode() + ": " + res.body().strip());
      return UNREACHABLE;
    }
    JsonNode h;
    try {
      h = new ObjectMapper().readTree(res.body());
    } catch (IOException e) {
      System.err.println("rlft: error: " + uri + " did not answer with the health JSON: " + e.getMessage());
      return UNREACHABLE;
    }
    if (json) {
      out.println(res.body());
    } else {
      print(h, uri, out);
    }
    boolean down = false;
    for (JsonNode a : h.path("actors")) {
      down |= a.path("status").asText().equals("down");
    }
    return down ? DOWN : 0;
  }

  /** {@code host:port} or a URL, to the node's {@code /api/health}. */
  static URI healthUri(String node) {
    String base = node.contains("://") ? node : "http://" + node;
    try {
      URI u = URI.create(base);
      if (u.getHost() == null) {
        throw new IllegalArgumentException("--node expects HOST:PORT, got '" + node + "'");
      }
      String path = u.getPath() == null || u.getPath().isEmpty() ? "/" : u.getPath();
      if (!path.endsWith("/")) {
        path += "/";
      }
      return new URI(u.getScheme(), null, u.getHost(), u.getPort(), path + "api/health", null, null);
    } catch (IllegalArgumentException | java.net.URISyntaxException e) {
      throw new IllegalArgumentException("--node expects HOST:PORT, got '" + node + "'");
    }
  }

  private static String describe(Exception e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  static void print(JsonNode h, URI uri, PrintStream out) {
    out.printf("node %s | run %s | health %s | ready %s%s%n", uri.getAuthority(),
        h.path("run").asText().isEmpty() ? "-" : h.path("run").asText(), h.path("status").asText(),
        h.path("ready").asBoolean() ? "yes" : "no",
        h.path("reason").asText().isEmpty() ? "" : " (" + h.path("reason").asText() + ")");
    String fmt = "%-18s %-12s %-6s %6s %8s %9s %8s %7s %9s %9s  %-21s  %s%n";
    out.printf(fmt, "ACTOR", "ROLE", "STATUS", "QUEUE", "BUSY", "IDLE", "RESTARTS", "WEIGHTS", "MESSAGES", "LAST SEEN",
        "NODE", "REASON");
    if (h.path("actors").isEmpty()) {
      out.println("(no actor has reported yet)");
    }
    for (JsonNode a : h.path("actors")) {
      int queue = a.path("queue").asInt();
      double busy = a.path("busy_s").asDouble();
      double idle = a.path("idle_s").asDouble();
      long version = a.path("weight_version").asLong();
      out.printf(fmt, a.path("actor").asText(), a.path("role").asText(), a.path("status").asText(),
          queue < 0 ? "-" : Integer.toString(queue), busy > 0 ? String.format("%.1fs", busy) : "-",
          idle < 0 ? "never" : String.format("%.1fs", idle), a.path("restarts").asInt(),
          version < 0 ? "-" : "v" + version, a.path("messages").asLong(),
          String.format("%.1fs", a.path("last_seen_s").asDouble()), node(a.path("node").asText()),
          a.path("reason").asText());
    }
  }

  /** A node's address without the scheme and system name: {@code pekko://rlft@10.0.0.3:7355} is {@code 10.0.0.3:7355}. */
  static String node(String address) {
    String s = address.startsWith("pekko://") ? address.substring("pekko://".length()) : address;
    int at = s.indexOf('@');
    return s.isEmpty() ? "-" : at >= 0 ? s.substring(at + 1) : s;
  }
}
