package dev.rlft.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rlft.health.HealthMonitor;

/** The health table as the dashboard and {@code rlft status} read it ({@code GET /api/health}). */
public final class HealthJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private HealthJson() {}

  public static String render(HealthMonitor.HealthReport r) {
    ObjectNode out = JSON.createObjectNode();
    out.put("at", r.atMillis());
    out.put("run", r.run());
    out.put("started", r.started());
    out.put("ready", r.ready());
    out.put("status", r.status());
    out.put("reason", r.reason());
    ArrayNode rows = out.putArray("actors");
    for (HealthMonitor.ActorHealth a : r.actors()) {
      ObjectNode n = rows.addObject();
      n.put("node", a.node());
      n.put("actor", a.actor());
      n.put("role", a.role());
      n.put("status", a.status());
      n.put("reason", a.reason());
      n.put("state", a.state());
      n.put("last_seen_s", round(a.lastSeenSeconds()));
      n.put("queue", a.queue());
      n.put("busy_s", round(a.busySeconds()));
      n.put("idle_s", round(a.idleSeconds()));
      n.put("restarts", a.restarts());
      n.put("weight_version", a.weightVersion());
      n.put("messages", a.processed());
      n.put("failures", a.failures());
      ObjectNode g = n.putObject("gauges");
      a.gauges().forEach(g::put);
    }
    return out.toString();
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
