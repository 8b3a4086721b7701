package dev.rlft.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import dev.rlft.params.ParameterServer;
import dev.rlft.params.WeightReceiver;
import dev.rlft.params.WeightSnapshot;
import dev.rlft.params.WeightSyncSettings;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code rlft bench weight-sync}: the weight-sync protocol over Artery on loopback against a plain
 * TCP socket moving the same bytes, for several sizes and receiver counts. Receivers run in their
 * own JVMs; each also holds the raw TCP sink, so both measurements cross the same process boundary.
 */
@Command(name = "weight-sync", mixinStandardHelpOptions = true,
    description = {"Weight-sync throughput over Artery (TCP, loopback) to receivers in separate JVMs, beside raw",
        "loopback TCP moving the same bytes in the same run, and their ratio (target: at least 0.5)."})
final class WeightSyncBench implements Callable<Integer> {

  @Mixin ConfigOptions options;

  @Option(names = "--sizes", split = ",", description = "weight sizes (default ${DEFAULT-VALUE})")
  List<String> sizes = List.of("10MiB", "100MiB", "1GiB");

  @Option(names = "--receivers", split = ",", description = "receiver counts (default ${DEFAULT-VALUE})")
  List<Integer> receivers = List.of(1, 3);

  @Option(names = "--repeats", description = "timed versions per size and receiver count (default ${DEFAULT-VALUE})")
  int repeats = 3;

  @Option(names = "--receiver-heap", description = "-Xmx of each receiver JVM (default ${DEFAULT-VALUE})")
  String receiverHeap = "2g";

  /** Settings both sides of the bench run with, on top of the module defaults and --set. */
  private static final String REMOTE = """
      pekko.actor.provider = remote
      pekko.remote.artery.transport = tcp
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      pekko.remote.warn-about-direct-use = off
      pekko.remote.use-unsafe-remote-features-outside-cluster = on
      pekko.loglevel = WARNING
      """;

  private static final int RAW_BUFFER = 1 << 20;

  @Override
  public Integer call() throws Exception {
    Config config = ConfigFactory.parseString(REMOTE).withFallback(options.resolve()).resolve();
    WeightSyncSettings sync = WeightSyncSettings.fromConfig(config);
    Path childConfig = Files.createTempFile("weight-sync-bench-", ".conf");
    Config shared = ConfigFactory.parseString(REMOTE)
        .withFallback(config.withOnlyPath("rlft.weight-sync"))
        .withFallback(config.withOnlyPath("pekko.remote.artery"))
        .withFallback(config.withOnlyPath("pekko.io.tcp"));
    Files.writeString(childConfig, shared.root().render(ConfigRenderOptions.concise().setJson(false)));
    long maxHeap = Runtime.getRuntime().maxMemory();
    System.out.printf("weight sync (chunks over %s; control over Artery, tcp, loopback) vs raw TCP: chunk %d KiB,"
            + " window %d, credit every %d; frames %s, large %s to %s; driver -Xmx%dm, receivers -Xmx%s, %d cores%n",
        config.getString("rlft.weight-sync.transport").equals("tcp") ? "data connections" : "Artery",
        sync.chunkBytes() / 1024,
        sync.window(), sync.creditBatch(), config.getString("pekko.remote.artery.advanced.maximum-frame-size"),
        config.getString("pekko.remote.artery.advanced.maximum-large-frame-size"),
        config.getStringList("pekko.remote.artery.large-message-destinations"), maxHeap >> 20, receiverHeap,
        Runtime.getRuntime().availableProcessors());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "training", config);
    List<String[]> rows = new ArrayList<>();
    try {
      for (String size : sizes) {
        long bytes = ConfigFactory.parseString("s = " + size).getBytes("s");
        List<String[]> sized = runSize(system, size, bytes, childConfig);
        double local = inJvm(system, size, bytes);
        System.out.printf("%s in one JVM, no Artery (protocol alone, 1 receiver): %.0f MB/s%n", size, local / 1e6);
        for (String[] r : sized) {
          String[] withLocal = java.util.Arrays.copyOf(r, r.length + 1);
          withLocal[r.length] = r[1].equals("1") ? String.format("%.0f", local / 1e6) : "";
          rows.add(withLocal);
        }
      }
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Files.deleteIfExists(childConfig);
    }
    System.out.printf("%n%-8s %9s %10s %13s %6s %8s %10s %11s %12s%n", "size", "receivers", "sync MB/s",
        "raw TCP MB/s", "ratio", "sync s", "prepare s", "receiver s", "in-JVM MB/s");
    for (String[] r : rows) {
      System.out.printf("%-8s %9s %10s %13s %6s %8s %10s %11s %12s%n", (Object[]) r);
    }
    System.out.println("MB/s: bytes delivered to all receivers (10^6 bytes) per second, mean of the timed runs;"
        + " sync s: publish until every receiver verified the version, chunk checksums included; prepare s: the"
        + " parameter server's checksums and digests before the offer; receiver s: offer until verified, mean of the"
        + " receivers;"
        + " in-JVM: the same protocol to a receiver in the driver's JVM, no Artery.");
    return 0;
  }

  /** One size: first with one receiver, then with more joining (late joiners warm up on the current version). */
  private List<String[]> runSize(ActorSystem<Void> system, String label, long bytes, Path childConfig)
      throws Exception {
    List<String[]> rows = new ArrayList<>();
    String id = label.replaceAll("[^A-Za-z0-9]", "");
    // the parameter server lives under a holder that stops it (and drops its weights) when this size is done
    java.util.concurrent.CompletableFuture<ActorRef<ParameterServer.Command>> made =
        new java.util.concurrent.CompletableFuture<>();
    ActorRef<String> holder = system.systemActorOf(Behaviors.<String>setup(ctx -> {
      made.complete(ctx.spawn(ParameterServer.create(), "params"));
      return Behaviors.receiveMessage(stop -> Behaviors.stopped());
    }), "holder-" + id, Props.empty());
    ActorRef<ParameterServer.Command> server = made.get(30, TimeUnit.SECONDS);
    BlockingQueue<ParameterServer.VersionSynced> synced = new LinkedBlockingQueue<>();
    server.tell(new ParameterServer.WatchSync(system.systemActorOf(
        Behaviors.<ParameterServer.VersionSynced>receiveMessage(v -> {
          synced.add(v);
          return Behaviors.same();
        }), "synced-" + id, Props.empty())));
    String address = ActorRefResolver.get(system).toSerializationFormat(server);
    int[] shape = tensorSizes(bytes);
    List<Receiver> running = new ArrayList<>();
    long version = 0;
    try {
      for (int count : receivers.stream().sorted().toList()) {
        List<Receiver> joined = new ArrayList<>();
        while (running.size() < count) {
          Receiver r = Receiver.start(running.size(), address, receiverHeap, childConfig);
          running.add(r);
          joined.add(r);
        }
        awaitSubscribers(system, server, count);
        if (version > 0) {
          for (Receiver r : joined) {
            r.awaitReady(version - 1); // a late joiner gets the current version first
          }
        }
        // warm-up, untimed: connections, JIT on both sides, the receivers' first allocations
        long warm = Math.max(1, Math.min(10, (256L << 20) / bytes));
        for (int i = 0; i < warm; i++, version++) {
          publish(server, version, shape);
          awaitSynced(synced, version, count);
          for (Receiver r : running) {
            r.awaitReady(version);
          }
        }
        double artery = 0;
        double raw = 0;
        double seconds = 0;
        double prepare = 0;
        double received = 0;
        long chunks = 0;
        for (int rep = 0; rep < repeats; rep++) {
          Map<String, float[]> weights = weights(version, shape);
          raw += rawTcp(running, weights, bytes);
          long t0 = System.nanoTime();
          server.tell(new ParameterServer.Publish(WeightSnapshot.of(version, weights), null));
          ParameterServer.VersionSynced s = awaitSynced(synced, version, count);
          double secs = (System.nanoTime() - t0) / 1e9;
          for (Receiver r : running) {
            received += r.awaitReady(version) / 1e3 / count;
          }
          seconds += secs;
          prepare += s.prepareNanos() / 1e9;
          chunks += s.chunks();
          artery += (double) s.bytes() / secs;
          version++;
        }
        artery /= repeats;
        raw /= repeats;
        rows.add(new String[] {label, Integer.toString(count), String.format("%.0f", artery / 1e6),
            String.format("%.0f", raw / 1e6), String.format("%.2f", artery / raw),
            String.format("%.3f", seconds / repeats), String.format("%.3f", prepare / repeats),
            String.format("%.3f", received / repeats)});
        System.out.printf("%s to %d receiver(s): sync %.0f MB/s, raw TCP %.0f MB/s, ratio %.2f (%d chunks per"
            + " receiver)%n", label, count, artery / 1e6, raw / 1e6, artery / raw, chunks / repeats / count);
      }
    } finally {
      for (Receiver r : running) {
        r.stop();
      }
      holder.tell("stop");
    }
    return rows;
  }

  /** Bytes per second of the protocol alone: parameter server and one receiver in this JVM, no Artery, no copies to the wire. */
  private double inJvm(ActorSystem<Void> system, String label, long bytes) throws Exception {
    String id = "local-" + label.replaceAll("[^A-Za-z0-9]", "");
    BlockingQueue<ParameterServer.VersionSynced> synced = new LinkedBlockingQueue<>();
    java.util.concurrent.CompletableFuture<ActorRef<ParameterServer.Command>> made =
        new java.util.concurrent.CompletableFuture<>();
    ActorRef<String> holder = system.systemActorOf(Behaviors.<String>setup(ctx -> {
      ActorRef<ParameterServer.Command> server = ctx.spawn(ParameterServer.create(), "params");
      server.tell(new ParameterServer.WatchSync(ctx.spawn(Behaviors.<ParameterServer.VersionSynced>receiveMessage(v -> {
        synced.add(v);
        return Behaviors.same();
      }), "synced")));
      ctx.spawn(WeightReceiver.create(server, ctx.spawn(Behaviors.<WeightReceiver.Ready>receiveMessage(
          r -> Behaviors.same()), "owner")), "weights");
      made.complete(server);
      return Behaviors.receiveMessage(stop -> Behaviors.stopped());
    }), id, Props.empty());
    try {
      ActorRef<ParameterServer.Command> server = made.get(30, TimeUnit.SECONDS);
      awaitSubscribers(system, server, 1);
      int[] shape = tensorSizes(bytes);
      long warm = Math.max(1, Math.min(10, (256L << 20) / bytes));
      long version = 0;
      for (; version < warm; version++) {
        publish(server, version, shape);
        awaitSynced(synced, version, 1);
      }
      double rate = 0;
      for (int rep = 0; rep < repeats; rep++, version++) {
        Map<String, float[]> weights = weights(version, shape);
        long t0 = System.nanoTime();
        server.tell(new ParameterServer.Publish(WeightSnapshot.of(version, weights), null));
        ParameterServer.VersionSynced s = awaitSynced(synced, version, 1);
        rate += s.bytes() / ((System.nanoTime() - t0) / 1e9);
      }
      return rate / repeats;
    } finally {
      holder.tell("stop");
    }
  }

  /** Tensor sizes in values: sixteen equal tensors (at most 64 MiB each) plus two small norms, summing to {@code bytes}. */
  private static int[] tensorSizes(long bytes) {
    long values = bytes / 4;
    long big = Math.min(values / 16, 16L << 20);
    List<Integer> sizes = new ArrayList<>();
    sizes.add(256);
    long left = values - 512;
    while (left > 0) {
      int n = (int) Math.min(big, left);
      sizes.add(n);
      left -= n;
    }
    sizes.add(256);
    return sizes.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The value every receiver can recompute to check what it got. */
  static float value(long version, int tensor, int i) {
    return ((i * 31L + tensor * 7L + version * 1_000_003L) % 65_521) / 65_521f;
  }

  private static Map<String, float[]> weights(long version, int[] sizes) {
    Map<String, float[]> w = new LinkedHashMap<>();
    for (int t = 0; t < sizes.length; t++) {
      float[] a = new float[sizes[t]];
      for (int i = 0; i < a.length; i++) {
        a[i] = value(version, t, i);
      }
      w.put("t" + t, a);
    }
    return w;
  }

  private static void publish(ActorRef<ParameterServer.Command> server, long version, int[] shape) {
    server.tell(new ParameterServer.Publish(WeightSnapshot.of(version, weights(version, shape)), null));
  }

  private static void awaitSubscribers(ActorSystem<Void> system, ActorRef<ParameterServer.Command> server, int n)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      ParameterServer.Subscribers s = AskPattern.<ParameterServer.Command, ParameterServer.Subscribers>ask(server,
          ParameterServer.GetSubscribers::new, Duration.ofSeconds(5), system.scheduler()).toCompletableFuture().get();
      if (s.count() == n) {
        return;
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException(n + " receivers did not subscribe within 60 s");
  }

  private static ParameterServer.VersionSynced awaitSynced(BlockingQueue<ParameterServer.VersionSynced> synced,
      long version, int receivers) throws InterruptedException {
    while (true) {
      ParameterServer.VersionSynced s = synced.poll(10, TimeUnit.MINUTES);
      if (s == null) {
        throw new IllegalStateException("version " + version + " did not sync within 10 minutes");
      }
      if (s.version() == version) {
        if (s.delivered() != receivers) {
          throw new IllegalStateException("version " + version + " reached " + s.delivered() + " of " + receivers
              + " receivers: " + s);
        }
        return s;
      }
    }
  }

  /** Bytes per second of {@code bytes} written to every receiver's raw sink at once, until each acknowledged. */
  private static double rawTcp(List<Receiver> running, Map<String, float[]> weights, long bytes) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(running.size());
    try {
      List<SocketChannel> channels = new ArrayList<>();
      for (Receiver r : running) {
        channels.add(SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), r.rawPort)));
      }
      long t0 = System.nanoTime();
      List<Future<?>> done = new ArrayList<>();
      for (SocketChannel c : channels) {
        done.add(pool.submit(() -> {
          send(c, weights, bytes);
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      double secs = (System.nanoTime() - t0) / 1e9;
      for (SocketChannel c : channels) {
        c.close();
      }
      return running.size() * (double) bytes / secs;
    } finally {
      pool.shutdownNow();
    }
  }

  /** Length, then the little-endian float32 values, then waits for the one-byte acknowledgement. */
  private static void send(SocketChannel c, Map<String, float[]> weights, long bytes) throws IOException {
    ByteBuffer buf = ByteBuffer.allocateDirect(RAW_BUFFER).order(ByteOrder.LITTLE_ENDIAN);
    long total = 0;
    for (float[] a : weights.values()) {
      total += 4L * a.length;
    }
    buf.putLong(total).flip();
    while (buf.hasRemaining()) {
      c.write(buf);
    }
    for (float[] a : weights.values()) {
      for (int off = 0; off < a.length; ) {
        int n = Math.min(a.length - off, RAW_BUFFER / 4);
        buf.clear();
        buf.asFloatBuffer().put(a, off, n);
        buf.limit(4 * n);
        while (buf.hasRemaining()) {
          c.write(buf);
        }
        off += n;
      }
    }
    ByteBuffer ack = ByteBuffer.allocate(1);
    while (ack.hasRemaining()) {
      if (c.read(ack) < 0) {
        throw new IOException("raw sink closed before acknowledging " + bytes + " bytes");
      }
    }
  }

  /** A receiver JVM: its stdout lines, and the port of its raw TCP sink. */
  private static final class Receiver {
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final int index;
    int rawPort;

    private Receiver(Process process, int index) {
      this.process = process;
      this.index = index;
      Thread reader = new Thread(() -> {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = in.readLine()) != null; ) {
            lines.add(line);
          }
        } catch (IOException e) {
          lines.add("error " + e);
        }
        lines.add("exit");
      }, "receiver-" + index + "-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    static Receiver start(int index, String serverAddress, String heap, Path config) throws Exception {
      String java = ProcessHandle.current().info().command().orElse("java");
      List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + heap, "-Dconfig.file=" + config,
          "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
      String extra = System.getenv("RLFT_BENCH_RECEIVER_OPTS");
      if (extra != null && !extra.isBlank()) {
        cmd.addAll(List.of(extra.trim().split("\\s+")));
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), WeightSyncBench.class.getName(), serverAddress,
          Integer.toString(index)));
      Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Receiver r = new Receiver(p, index);
      String line = r.next(Duration.ofSeconds(60));
      while (!line.startsWith("listening ")) {
        line = r.next(Duration.ofSeconds(60)); // the JVM's own output, e.g. from -XX options
      }
      r.rawPort = Integer.parseInt(line.substring("listening ".length()).trim());
      return r;
    }

    String next(Duration timeout) throws InterruptedException {
      String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (line == null) {
        throw new IllegalStateException("receiver " + index + " said nothing for " + timeout);
      }
      if (line.equals("exit") || line.startsWith("error")) {
        throw new IllegalStateException("receiver " + index + " ended: " + line);
      }
      return line;
    }

    /** Waits for the receiver to report {@code version} applied with every sampled value right; its offer-to-verified ms. */
    long awaitReady(long version) throws InterruptedException {
      while (true) {
        String line = next(Duration.ofMinutes(10));
        String[] f = line.split(" ");
        if (f[0].equals("ready") && Long.parseLong(f[1]) >= version) {
          if (!f[2].equals("ok")) {
            throw new IllegalStateException("receiver " + index + " got wrong values in version " + f[1] + ": " + line);
          }
          if (Long.parseLong(f[1]) == version) {
            return Long.parseLong(f[4]);
          }
        }
      }
    }

    void stop() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  /**
   * A receiver JVM: {@code <parameter server address> <index>}. Prints {@code listening <port>} once
   * its weight receiver and raw TCP sink run, then {@code ready <version> ok|BAD...} per version,
   * after checking a sample of every changed tensor's values against {@link #value}.
   */
  public static void main(String[] args) throws Exception {
    Config config = ConfigFactory.load();
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "rollout-" + args[1], config);
    ActorRef<ParameterServer.Command> server = ActorRefResolver.get(system).resolveActorRef(args[0]);
    CompletableFuture<ActorRef<WeightReceiver.Command>> receiver = new CompletableFuture<>();
    ActorRef<WeightReceiver.Ready> owner = system.systemActorOf(
        Behaviors.<WeightReceiver.Ready>receiveMessage(r -> {
          System.out.println("ready " + r.version() + " " + check(r) + " " + r.bytes() + " "
              + r.syncNanos() / 1_000_000 + " " + r.stats());
          System.out.flush();
          // as a rollout worker does once it has copied them into its model
          receiver.join().tell(new WeightReceiver.Recycle(new ArrayList<>(r.changed().values())));
          return Behaviors.same();
        }), "owner", Props.empty());
    receiver.complete(system.systemActorOf(WeightReceiver.create(server, owner), "weights", Props.empty()));
    ServerSocketChannel sink = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(),
        0));
    Thread raw = new Thread(() -> rawSink(sink), "raw-sink");
    raw.setDaemon(true);
    raw.start();
    System.out.println("listening " + ((InetSocketAddress) sink.getLocalAddress()).getPort());
    System.out.flush();
    // the driver holds our stdin: when it ends, so do we, even if the driver was killed
    while (System.in.read() >= 0) {
      // nothing is sent on stdin
    }
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    System.exit(0);
  }

  private static String check(WeightReceiver.Ready r) {
    for (Map.Entry<String, float[]> e : r.changed().entrySet()) {
      int t = Integer.parseInt(e.getKey().substring(1));
      float[] a = e.getValue();
      for (int i = 0; i < a.length; i += 997) {
        if (a[i] != value(r.version(), t, i)) {
          return "BAD:" + e.getKey() + "[" + i + "]";
        }
      }
      if (a.length > 0 && a[a.length - 1] != value(r.version(), t, a.length - 1)) {
        return "BAD:" + e.getKey() + "[last]";
      }
    }
    return "ok";
  }

  /** Reads a length, then that many bytes into a reused buffer, then acknowledges with one byte; per connection. */
  private static void rawSink(ServerSocketChannel sink) {
    ByteBuffer buf = ByteBuffer.allocateDirect(RAW_BUFFER);
    while (true) {
      try (SocketChannel c = sink.accept()) {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        while (len.hasRemaining()) {
          if (c.read(len) < 0) {
            throw new IOException("raw sender closed early");
          }
        }
        long left = len.flip().getLong();
        while (left > 0) {
          buf.clear();
          buf.limit((int) Math.min(buf.capacity(), left));
          int n = c.read(buf);
          if (n < 0) {
            throw new IOException("raw sender closed with " + left + " bytes to go");
          }
          left -= n;
        }
        c.write(ByteBuffer.wrap(new byte[] {1}));
      } catch (IOException e) {
        if (!sink.isOpen()) {
          return;
        }
        throw new UncheckedIOException(e);
      }
    }
  }
}
