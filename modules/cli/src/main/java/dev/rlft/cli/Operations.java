package dev.rlft.cli;

import com.typesafe.config.Config;
import dev.rlft.dashboard.DashboardSettings;
import dev.rlft.dashboard.ManagementSettings;
import dev.rlft.dashboard.OpsNode;
import java.io.PrintStream;

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
    OpsNode ops = OpsNode.start(config);
    ops.dashboardUrl().ifPresent(url -> out.println("dashboard: " + url + " (live curves, actor health, samples; "
        + "Prometheus metrics at " + url + "metrics)" + (dashboard.token().isBlank() ? ""
        : "; access token required: send it as 'Authorization: Bearer <token>' or open the page once with "
            + "?token=<token>")));
    ops.managementUrl().ifPresent(url -> out.println("Pekko Management: " + url + " (alive, ready)"));
    return ops;
  }
}
