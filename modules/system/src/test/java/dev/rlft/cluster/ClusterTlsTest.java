package dev.rlft.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightDataPlane;
import dev.rlft.params.WeightReceiver;
import dev.rlft.params.WeightSnapshot;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Artery over TLS with mutual authentication ({@code rlft-tls.conf}), with certificates made at test
 * time by {@code deploy/make-certs.sh}: a node whose certificate the cluster CA signed joins; a node
 * whose certificate it did not sign never becomes a member and cannot deliver a message, even though
 * that node trusts the cluster CA.
 */
class ClusterTlsTest {

  /** How long a node without a valid certificate is given to get in; Artery retries every second. */
  private static final Duration REJECTION_WINDOW = Duration.ofSeconds(6);

  private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(40);

  @TempDir
  static Path dir;

  private static Path clusterCa;
  private static Path rogueCa;
  private static Path selfSigned;
  private static String clusterPassword;

  private static ActorSystem<String> seed;

  /** What the seed's inbox actor received, in order. */
  private static final Queue<String> inbox = new ConcurrentLinkedQueue<>();

  private final List<ActorSystem<Void>> started = new ArrayList<>();

  @BeforeAll
  static void makeCertificatesAndSeed() throws Exception {
    clusterCa = dir.resolve("cluster");
    rogueCa = dir.resolve("rogue");
    makeCerts(clusterCa, Map.of(), "seed", "member");
    clusterPassword = readPassword(clusterCa);
    // Another CA, with the cluster's store password so that only the signer differs.
    makeCerts(rogueCa, Map.of("RLFT_TLS_PASSWORD", clusterPassword), "intruder");
    // A self-signed certificate in a keystore with the cluster's password: only the CA differs.
    selfSigned = dir.resolve("self-signed.p12");
    run(List.of(keytool().toString(), "-genkeypair", "-storetype", "PKCS12", "-keystore", selfSigned.toString(),
        "-storepass", clusterPassword, "-keypass", clusterPassword, "-alias", "node", "-dname", "CN=seed",
        "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2"), Map.of());

    // The seed's guardian is its inbox: it records every text it receives.
    seed = start(Behaviors.receiveMessage(text -> {
      inbox.add(text);
      return Behaviors.same();
    }), clusterCa.resolve("seed.p12"), clusterCa.resolve("truststore.p12"), clusterPassword);
    Cluster.get(seed).manager().tell(Join.create(address(seed)));
    await("the seed to form a cluster of one", () -> upMembers(seed).size() == 1);
  }

  @AfterAll
  static void stopSeed() {
    if (seed != null) {
      terminate(seed);
    }
  }

  @AfterEach
  void stopNodes() {
    started.forEach(ClusterTlsTest::terminate);
  }

  @Test
  void join_certificateSignedByClusterCa_becomesUpOnBothSides() {
    ActorSystem<Void> member = track(start(clusterCa.resolve("member.p12"), clusterCa.resolve("truststore.p12"),
        clusterPassword));
    Cluster.get(member).manager().tell(Join.create(address(seed)));

    await("the member to be Up in the seed's view", () -> upMembers(seed).contains(address(member)));
    await("the member to see itself Up", () -> Cluster.get(member).selfMember().status() == MemberStatus.up());
    assertEquals(Set.of(address(seed), address(member)), upMembers(member));

    String hello = "hello from " + address(member);
    sendToSeedInbox(member, hello);
    await("the member's message to reach the seed", () -> inbox.contains(hello));
  }

  @Test
  void join_certificateFromAnotherCa_neverBecomesMember() {
    // The intruder trusts the cluster CA, so only the seed's check of the client certificate stops it.
    ActorSystem<Void> intruder = track(start(rogueCa.resolve("intruder.p12"), clusterCa.resolve("truststore.p12"),
        clusterPassword));
    assertRejected(intruder);
  }

  @Test
  void join_selfSignedCertificate_neverBecomesMember() {
    ActorSystem<Void> intruder = track(start(selfSigned, clusterCa.resolve("truststore.p12"), clusterPassword));
    assertRejected(intruder);
  }

  @Test
  void tlsHandshake_clientWithClusterCertificate_isAccepted() throws Exception {
    // Artery waits for its stream header; a socket that stays open until our read times out was accepted.
    try (SSLSocket socket = connectToSeed(clusterCa.resolve("member.p12"))) {
      socket.setSoTimeout(1500);
      assertThrows(SocketTimeoutException.class, () -> socket.getInputStream().read());
    }
  }

  /**
   * The seed demands a client certificate (mutual authentication): a client that trusts the cluster CA
   * but presents no certificate, or one from another CA, gets a fatal alert instead of a connection.
   */
  @Test
  void tlsHandshake_clientWithoutCertificate_isRefused() throws Exception {
    try (SSLSocket socket = connectToSeed(null)) {
      assertRefused(socket, "");
    }
  }

  @Test
  void tlsHandshake_clientWithCertificateFromAnotherCa_isRefused() throws Exception {
    try (SSLSocket socket = connectToSeed(rogueCa.resolve("intruder.p12"))) {
      assertRefused(socket, "");
    }
  }

  /**
   * Weight chunks leave Artery for a data connection of their own: under TLS it is TLS too, with
   * the same stores and mutual authentication, so it admits no client the cluster would not.
   */
  @Test
  void weightSync_overTls_chunksTakeAMutuallyAuthenticatedTlsDataConnection() throws Exception {
    ActorSystem<Void> member = track(start(clusterCa.resolve("member.p12"), clusterCa.resolve("truststore.p12"),
        clusterPassword));
    Cluster.get(member).manager().tell(Join.create(address(seed)));
    await("the member to be Up in the seed's view", () -> upMembers(seed).contains(address(member)));
    org.apache.pekko.actor.typed.ActorRef<ParameterServer.Command> server =
        seed.systemActorOf(ParameterServer.create(), "params-tls", Props.empty());
    org.apache.pekko.actor.typed.ActorRef<ParameterServer.Command> remote = ActorRefResolver.get(member)
        .resolveActorRef(ActorRefResolver.get(seed).toSerializationFormat(server));
    CompletableFuture<WeightReceiver.Ready> ready = new CompletableFuture<>();
    org.apache.pekko.actor.typed.ActorRef<WeightReceiver.Ready> owner = member.systemActorOf(
        Behaviors.<WeightReceiver.Ready>receiveMessage(r -> {
          ready.complete(r);
          return Behaviors.same();
        }), "owner-tls", Props.empty());
    member.systemActorOf(WeightReceiver.create(remote, owner), "weights-tls", Props.empty());
    float[] values = new float[300_000];
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }

    server.tell(new ParameterServer.Publish(WeightSnapshot.of(0, Map.of("w", values)), null));

    WeightReceiver.Ready got = ready.get(JOIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    org.junit.jupiter.api.Assertions.assertArrayEquals(values, got.changed().get("w"));
    WeightDataPlane plane = WeightDataPlane.get(seed);
    assertEquals(1, plane.connectionsAdmitted());
    assertEquals(4L * values.length, plane.bytesSent(), "the chunks did not take the data connection");
    int port = plane.boundPort();
    for (Path intruder : java.util.Arrays.asList(null, rogueCa.resolve("intruder.p12"))) {
      try (SSLSocket socket = connectToSeed(port, intruder)) {
        assertRefused(socket, "client certificate " + intruder);
      }
    }
    try (java.net.Socket plain = new java.net.Socket(address(seed).getHost().get(), port)) {
      plain.setSoTimeout(15_000);
      plain.getOutputStream().write(new byte[24]);
      byte[] answer;
      try {
        answer = plain.getInputStream().readAllBytes();
      } catch (java.net.SocketException reset) {
        answer = new byte[0]; // refused just as well
      }
      // nothing but a TLS alert record (type 21), then the end of the connection
      assertTrue(answer.length == 0 || (answer[0] == 21 && answer.length <= 7),
          "a plain-TCP client got " + answer.length + " bytes from the TLS data port");
    }
    assertEquals(1, plane.connectionsAdmitted());
  }

  @Test
  void tlsConfig_included_switchesTransportAndKeepsJavaSerializationOff() {
    Config config = seed.settings().config();
    assertEquals("tls-tcp", config.getString("pekko.remote.artery.transport"));
    assertTrue(config.getBoolean("pekko.remote.artery.ssl.config-ssl-engine.require-mutual-authentication"));
    assertEquals(clusterCa.resolve("seed.p12").toString(),
        config.getString("pekko.remote.artery.ssl.config-ssl-engine.key-store"));
    assertFalse(config.getBoolean("pekko.actor.allow-java-serialization"));
  }

  @Test
  void tlsConfig_withoutKeyStore_failsToResolveNamingTheSetting() {
    Config unset = ConfigFactory.parseString("include classpath(\"rlft-tls.conf\")")
        .withValue("rlft.cluster.tls.trust-store", ConfigValueFactory.fromAnyRef("/t.p12"))
        .withValue("rlft.cluster.tls.password", ConfigValueFactory.fromAnyRef("secret"));
    ConfigException e = assertThrows(ConfigException.UnresolvedSubstitution.class,
        () -> unset.resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false)));
    assertTrue(e.getMessage().contains("rlft.cluster.tls.key-store"), e.getMessage());
  }

  /** The intruder tries to join and to send to the seed's inbox; neither works. */
  private void assertRejected(ActorSystem<Void> intruder) {
    Address intruderAddress = address(intruder);
    String hello = "hello from " + intruderAddress;
    Cluster.get(intruder).manager().tell(Join.create(address(seed)));
    long deadline = System.nanoTime() + REJECTION_WINDOW.toNanos();
    while (System.nanoTime() < deadline) {
      sendToSeedInbox(intruder, hello);
      assertFalse(inbox.contains(hello), "the seed received a message from " + intruderAddress);
      assertFalse(allMembers(seed).contains(intruderAddress), "the seed admitted " + intruderAddress);
      assertNotEquals(MemberStatus.up(), Cluster.get(intruder).selfMember().status(), "the intruder is Up");
      sleep(100);
    }
    assertEquals(Set.of(address(seed)), upMembers(seed));
    assertTrue(allMembers(intruder).isEmpty() || allMembers(intruder).equals(Set.of(intruderAddress)),
        "the intruder sees a cluster: " + allMembers(intruder));
  }

  /**
   * The server ends the handshake: the client reads a fatal alert, or (when the server closed
   * before the client got to read it) a reset connection. A client the server accepts would block.
   */
  private static void assertRefused(SSLSocket socket, String what) {
    IOException e = assertThrows(IOException.class, () -> socket.getInputStream().read(), what);
    assertTrue(e instanceof SSLException || e instanceof java.net.SocketException, what + ": " + e);
  }

  /** A bare TLS 1.3 client to the seed's Artery port that trusts the cluster CA; keyStore may be null. */
  private static SSLSocket connectToSeed(Path keyStore) throws Exception {
    return connectToSeed(address(seed).getPort().get(), keyStore);
  }

  /** A bare TLS 1.3 client to a port of the seed's host that trusts the cluster CA; keyStore may be null. */
  private static SSLSocket connectToSeed(int port, Path keyStore) throws Exception {
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(keyStore == null ? null : load(keyStore), clusterPassword.toCharArray());
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(load(clusterCa.resolve("truststore.p12")));
    SSLContext context = SSLContext.getInstance("TLSv1.3");
    context.init(keyStore == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
    Address at = address(seed);
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(at.getHost().get(), port);
    socket.setSoTimeout(15_000);
    return socket;
  }

  private static KeyStore load(Path store) throws Exception {
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (var in = Files.newInputStream(store)) {
      keyStore.load(in, clusterPassword.toCharArray());
    }
    return keyStore;
  }

  private static void sendToSeedInbox(ActorSystem<?> from, String text) {
    from.classicSystem().actorSelection(address(seed) + "/user").tell(text, ActorRef.noSender());
  }

  private ActorSystem<Void> track(ActorSystem<Void> system) {
    started.add(system);
    return system;
  }

  /** A cluster node on loopback with the shipped TLS configuration, as a node's config file includes it. */
  private static ActorSystem<Void> start(Path keyStore, Path trustStore, String password) {
    return start(Behaviors.empty(), keyStore, trustStore, password);
  }

  private static <T> ActorSystem<T> start(Behavior<T> guardian, Path keyStore, Path trustStore, String password) {
    Config config = ConfigFactory.parseString("""
            include classpath("rlft-tls.conf")
            pekko.actor.provider = cluster
            pekko.remote.artery.canonical.hostname = "127.0.0.1"
            pekko.remote.artery.canonical.port = 0
            pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            pekko.loglevel = WARNING
            """)
        .withValue("rlft.cluster.tls.key-store", ConfigValueFactory.fromAnyRef(keyStore.toString()))
        .withValue("rlft.cluster.tls.trust-store", ConfigValueFactory.fromAnyRef(trustStore.toString()))
        .withValue("rlft.cluster.tls.password", ConfigValueFactory.fromAnyRef(password))
        .withFallback(ConfigFactory.defaultReference())
        .resolve(ConfigResolveOptions.defaults().setUseSystemEnvironment(false));
    return ActorSystem.create(guardian, "rlft", config);
  }

  private static Address address(ActorSystem<?> system) {
    return Cluster.get(system).selfMember().address();
  }

  private static Set<Address> upMembers(ActorSystem<?> system) {
    return members(system).stream().filter(m -> m.status() == MemberStatus.up()).map(Member::address)
        .collect(Collectors.toSet());
  }

  private static Set<Address> allMembers(ActorSystem<?> system) {
    return members(system).stream().map(Member::address).collect(Collectors.toSet());
  }

  private static List<Member> members(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false).toList();
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + JOIN_TIMEOUT.toSeconds() + " s waiting for " + what);
      }
      sleep(100);
    }
  }

  private static void terminate(ActorSystem<?> system) {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("actor system " + system.name() + " did not stop", e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String readPassword(Path certs) throws IOException {
    return Files.readString(certs.resolve("password"), StandardCharsets.US_ASCII).trim();
  }

  /** Runs the shipped {@code deploy/make-certs.sh} with this JVM's keytool. */
  private static void makeCerts(Path out, Map<String, String> env, String... nodes) throws Exception {
    List<String> command = new ArrayList<>(List.of("bash", script().toString(), "--out", out.toString(),
        "--days", "2"));
    command.addAll(List.of(nodes));
    Map<String, String> withJava = new HashMap<>(env);
    withJava.put("JAVA_HOME", System.getProperty("java.home"));
    run(command, withJava);
  }

  private static Path script() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path candidate = p.resolve("deploy/make-certs.sh");
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("deploy/make-certs.sh not found above " + Path.of("").toAbsolutePath());
  }

  private static Path keytool() {
    return Path.of(System.getProperty("java.home"), "bin", "keytool");
  }

  private static void run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("RLFT_TLS_PASSWORD");
    pb.environment().putAll(env);
    Process process = pb.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + output);
    }
  }
}
