package dev.rlft.cli;

import com.typesafe.config.Config;
import dev.rlft.dashboard.DashboardSettings;
import dev.rlft.dashboard.ManagementSettings;
import dev.rlft.dashboard.OpsNode;
import java.io.PrintStream;
import org.apache.pekko.actor.typed.ActorSystem;

/** Starts a command's operator surface (dashboard, /metrics, Pekko Management) when the settings ask for one. */
final class Operations {

  private Operations() {}

  /**
   * The operator node for {@code config}, with its addresses printed to {@code out}; null when
   * neither {@code rlft.dashboard} nor {@code rlft.management} is enabled.
   */
  static OpsNode start(Config config, PrintStream out) {
    DashboardSettings dashboard = DashboardSettings.from(config);
    ManagementSettings management = ManagementSettings.from(config);
    if (!dashboard.enabled() && !management.enabled()) {
      return null;
    }
    return announce(OpsNode.start(config), dashboard, false, out);
  }

  /**
   * The operator surface of a cluster node that collects the cluster's health (a learner node, or
   * any node serving the dashboard), hosted in the node's own actor system: the health monitor
   * always, the dashboard and Pekko Management where enabled.
   */
  static OpsNode within(ActorSystem<?> system, Config config, PrintStream out) {
    return announce(OpsNode.within(system, config), DashboardSettings.from(config), true, out);
  }

  /** Pekko Management alone, on a cluster node that collects no health, where {@code rlft.management} is enabled. */
  static void management(ActorSystem<?> system, Config config, PrintStream out) {
    if (ManagementSettings.from(config).enabled()) {
      out.println("Pekko Management: " + OpsNode.startManagement(system) + " (alive, ready, cluster/members)");
    }
  }

  private static OpsNode announce(OpsNode ops, DashboardSettings dashboard, boolean cluster, PrintStream out) {
    ops.dashboardUrl().ifPresent(url -> out.println("dashboard: " + url + " (live curves, actor health, samples; "
        + "Prometheus metrics at " + url + "metrics)" + (dashboard.token().isBlank() ? ""
        : "; access token required: send it as 'Authorization: Bearer <token>' or open the page once with "
            + "?token=<token>")));
    ops.managementUrl().ifPresent(url -> out.println("Pekko Management: " + url + " (alive, ready"
        + (cluster ? ", cluster/members)" : ")")));
    return ops;
  }
}
