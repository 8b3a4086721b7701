package dev.rlft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import dev.rlft.cluster.ClusterNode;
import dev.rlft.cluster.ClusterSettings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node configuration of the Kubernetes deployment ({@code deploy/k8s/config/rlft.conf}, which
 * includes {@code rlft-kubernetes.conf}) resolves through the command line's own config loading, and
 * agrees with the manifests: ports, pod labels, container name, mount paths and the number of pods.
 */
class KubernetesConfigTest {

  private static final Path K8S = find("deploy/k8s");

  private static final String DISCOVERY = "pekko.management.cluster.bootstrap.contact-point-discovery.";

  @TempDir
  Path tmp;

  @Test
  void nodeConfig_deployment_bootstrapsThroughKubernetesApi() throws Exception {
    Config c = resolve(K8S.resolve("config/rlft.conf"));

    assertTrue(c.getStringList("pekko.extensions")
        .contains("org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap"), "bootstrap starts with the system");
    assertEquals("kubernetes-api", c.getString(DISCOVERY + "discovery-method"));
    // Both extensions the configuration names are on the image's class path.
    Class.forName("org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap");
    Class.forName(c.getString("pekko.discovery.kubernetes-api.class"));
    assertEquals("cluster", c.getString("pekko.actor.provider"));
    assertEquals(List.of(), c.getStringList("pekko.cluster.seed-nodes"), "bootstrap refuses to run with seed nodes");
    assertEquals("0.0.0.0", c.getString("pekko.management.http.bind-hostname"));
    assertEquals("tcp", c.getString("pekko.remote.artery.transport"), "TLS is off unless components/tls is used");
    assertEquals("/var/lib/rlft/runs", c.getString("rlft.runs-dir"));
  }

  /**
   * A node started as {@code rlft node --roles reward --config rlft.conf} starts it (through {@link
   * ClusterNode#start} and {@link Operations#management}) brings up one Pekko Management server,
   * started by Cluster Bootstrap and the same one {@code rlft.management} asks for, with the probes,
   * the bootstrap's contact-point route and the membership route; it stays up, and unready (not a
   * member), while the Kubernetes API cannot be reached (bootstrap retries). The service-account CA
   * file it reads at start is stood in for by a JDK CA.
   */
  @Test
  void nodeConfig_apiServerUnreachable_servesProbesBootstrapAndMembershipRoutes() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0)) {
      port = free.getLocalPort();
    }
    ConfigOptions options = new ConfigOptions();
    options.defaults = ClusterSettings.defaults(); // as rlft node has it
    options.configFile = K8S.resolve("config/rlft.conf");
    Config c = ConfigFactory.parseString("""
            rlft.cluster.roles = [reward]
            rlft.management.host = "127.0.0.1"
            pekko.management.http.bind-hostname = "127.0.0.1"
            pekko.remote.artery.canonical.hostname = "127.0.0.1"
            pekko.remote.artery.canonical.port = 0
            pekko.discovery.kubernetes-api.api-service-host-env-name = "RLFT_TEST_NO_SUCH_VARIABLE"
            pekko.loglevel = ERROR
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            """)
        .withValue("rlft.management.port", ConfigValueFactory.fromAnyRef(port))
        .withValue("pekko.discovery.kubernetes-api.api-ca-path", ConfigValueFactory.fromAnyRef(anyCaPem().toString()))
        .withValue("pekko.discovery.kubernetes-api.api-token-path",
            ConfigValueFactory.fromAnyRef(Files.writeString(tmp.resolve("token"), "test-token").toString()))
        .withFallback(options.resolve())
        .resolve();
    ActorSystem<ClusterNode.Command> system = ClusterNode.start(ClusterSettings.from(c), c,
        cc -> RunSettings.from(cc).reward(cc));
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      assertEquals(200, get(http, port, "/alive"));
      ByteArrayOutputStream printed = new ByteArrayOutputStream();
      Operations.management(system, c, new PrintStream(printed, true, StandardCharsets.UTF_8));
      assertEquals("Pekko Management: http://127.0.0.1:" + port + "/ (alive, ready, cluster/members)",
          printed.toString(StandardCharsets.UTF_8).strip(), "the server bootstrap started, not a second one");
      // Answered by the bootstrap's routes (200 with this node's view of seed nodes, none yet).
      assertEquals(200, get(http, port, "/bootstrap/seed-nodes"));
      assertEquals(200, get(http, port, "/cluster/members"));
      assertEquals(500, get(http, port, "/ready"), "not a cluster member yet");
      Thread.sleep(3000);
      assertEquals(200, get(http, port, "/alive"), "the node stopped while the API server was unreachable");
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  /** A CA certificate in PEM form, taken from the JDK's trust store. */
  private Path anyCaPem() throws Exception {
    KeyStore cacerts = KeyStore.getInstance(KeyStore.getDefaultType());
    try (var in = Files.newInputStream(Path.of(System.getProperty("java.home"), "lib", "security", "cacerts"))) {
      cacerts.load(in, null);
    }
    Certificate ca = cacerts.getCertificate(cacerts.aliases().nextElement());
    String pem = "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(ca.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
    return Files.writeString(tmp.resolve("ca.crt"), pem);
  }

  private static int get(HttpClient http, int port, String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + port + path);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException notYetBound) {
        if (System.nanoTime() > deadline) {
          throw notYetBound;
        }
        Thread.sleep(200);
      }
    }
  }

  @Test
  void manifests_portsLabelsAndPaths_agreeWithNodeConfig() throws IOException {
    Config c = resolve(K8S.resolve("config/rlft.conf"));
    int management = c.getInt("pekko.management.http.port");
    int remoting = c.getInt("pekko.remote.artery.canonical.port");
    String portName = c.getString(DISCOVERY + "port-name");
    String selector = c.getString("pekko.discovery.kubernetes-api.pod-label-selector")
        .replace("%s", c.getString(DISCOVERY + "service-name"));
    String[] label = selector.split("=", 2);

    // the parameter server (learner pod) takes weight data connections on a fixed port the policy lets in
    int data = c.getInt("rlft.weight-sync.data.port");
    assertTrue(Files.readString(K8S.resolve("learner.yaml")).contains("- name: weight-data\n              containerPort: "
        + data), "learner.yaml: weight-data port " + data);
    assertTrue(Files.readString(K8S.resolve("network-policy.yaml")).contains("port: " + data),
        "network-policy.yaml lets no rlft pod reach the weight data port " + data);

    int pods = 0;
    for (String file : List.of("learner.yaml", "rollout.yaml", "reward.yaml")) {
      String yaml = Files.readString(K8S.resolve(file));
      assertTrue(yaml.contains("- name: " + portName + "\n              containerPort: " + management),
          file + ": port " + portName + " = " + management);
      assertTrue(yaml.contains("- name: remoting\n              containerPort: " + remoting), file + ": remoting port");
      assertTrue(yaml.contains("        " + label[0] + ": " + label[1] + "\n"), file + ": pod label " + selector);
      assertTrue(yaml.contains("- name: " + c.getString("pekko.discovery.kubernetes-api.container-name") + "\n"),
          file + ": container name");
      assertTrue(yaml.contains("\"--config\", \"/etc/rlft/rlft.conf\""), file + ": --config");
      assertTrue(yaml.contains("mountPath: /etc/rlft\n"), file + ": ConfigMap mount");
      assertTrue(yaml.contains("serviceAccountName: rlft\n"), file + ": service account with pod read access");
      pods += replicas(yaml, file);
    }
    int required = c.getInt(DISCOVERY + "required-contact-point-nr");
    assertTrue(required >= 2 && required <= pods,
        "required-contact-point-nr " + required + " must be between 2 and the " + pods + " pods the manifests start");
  }

  @Test
  void tlsComponent_replacingTlsConf_switchesArteryToTlsWithSecretPaths() throws IOException {
    Files.copy(K8S.resolve("config/rlft.conf"), tmp.resolve("rlft.conf"));
    Files.copy(K8S.resolve("components/tls/tls.conf"), tmp.resolve("tls.conf"));

    // The password comes only from the environment (the secret), never from the ConfigMap.
    ConfigException unset = assertThrows(ConfigException.class, () -> resolve(tmp.resolve("rlft.conf")));
    assertTrue(unset.getMessage().contains("RLFT_TLS_PASSWORD"), unset.getMessage());

    Config c = ConfigFactory.parseFile(tmp.resolve("rlft.conf").toFile())
        .withFallback(ConfigFactory.parseString("RLFT_TLS_PASSWORD = from-the-secret"))
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
    assertEquals("tls-tcp", c.getString("pekko.remote.artery.transport"));
    assertEquals("from-the-secret", c.getString("pekko.remote.artery.ssl.config-ssl-engine.key-store-password"));
    String mount = mountPath(Files.readString(K8S.resolve("components/tls/learner.yaml")));
    for (String role : List.of("learner", "rollout", "reward")) {
      String patch = Files.readString(K8S.resolve("components/tls/" + role + ".yaml"));
      assertEquals(mount, mountPath(patch), role + " mounts its secret where the others do");
      assertTrue(patch.contains("secretName: rlft-tls-" + role), role + " secret");
    }
    assertEquals(mount + "/keystore.p12", c.getString("pekko.remote.artery.ssl.config-ssl-engine.key-store"));
    assertEquals(mount + "/truststore.p12", c.getString("pekko.remote.artery.ssl.config-ssl-engine.trust-store"));
  }

  private static Config resolve(Path file) {
    ConfigOptions options = new ConfigOptions();
    options.configFile = file;
    return options.resolve();
  }

  private static int replicas(String yaml, String file) {
    Matcher m = Pattern.compile("(?m)^  replicas: (\\d+)$").matcher(yaml);
    assertTrue(m.find(), file + ": replicas");
    return Integer.parseInt(m.group(1));
  }

  private static String mountPath(String yaml) {
    Matcher m = Pattern.compile("(?m)^\\s+mountPath: (\\S+)$").matcher(yaml);
    assertTrue(m.find(), "mountPath in " + yaml);
    return m.group(1);
  }

  private static Path find(String relative) {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve(relative))) {
        return p.resolve(relative);
      }
    }
    throw new IllegalStateException(relative + " not found above " + Path.of("").toAbsolutePath());
  }
}
