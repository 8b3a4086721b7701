package dev.rlft.params;

import com.typesafe.config.Config;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.remote.artery.tcp.ConfigSSLEngineProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bulk path of weight sync between JVMs ({@code rlft.weight-sync.transport = tcp}): one TCP
 * connection per sender session, opened by the receiver to the parameter server's node, carrying
 * chunk frames and nothing else.
 *
 * <p>Only the bytes move here. The manifest, requests, credit, resends and acknowledgements stay
 * on Artery ({@link WeightSender}, {@link WeightReceiver}), so flow control, checksums, digests
 * and failure handling are the same as when chunks travel on Artery: a frame read from the socket
 * becomes the same {@link WeightReceiver.Chunk} message, told to the receiver inside its JVM. What
 * is gone is Artery's per-chunk serialization, copies and hand-offs between its stream threads.
 *
 * <p>Each offer names this node's data endpoint and a random 128-bit token for the session; the
 * receiver connects and presents the token, which is good for one connection. A sender writes its
 * chunks on a thread of its own (encoding them from the version's float arrays there, so several
 * receivers are fed in parallel); a receiver reads frames on a thread of its own. When Artery runs
 * over TLS with Pekko's {@link ConfigSSLEngineProvider} ({@code rlft-tls.conf}) the data connection
 * uses TLS with the same key and trust stores, protocol, cipher suites and mutual authentication.
 *
 * <p>Wire format, big-endian: the receiver sends {@code "RLWD"}, the protocol version (int) and the
 * token (two longs); the sender answers one byte, 1 (accepted) or 0 (refused, then closes); then
 * frames follow, each {@code stream (long), seq (int), index (int), length (int)} and {@code
 * length} payload bytes.
 */
public final class WeightDataPlane implements Extension {

  private static final Logger LOG = LoggerFactory.getLogger(WeightDataPlane.class);

  static final int MAGIC = 0x524C5744; // "RLWD"

  static final int PROTOCOL = 1;

  private static final int HEADER_BYTES = 20;

  private static final int HELLO_BYTES = 24;

  /** Closes connections whose hello does not come in time. */
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "rlft-weight-data-watchdog");
        t.setDaemon(true);
        return t;
      });

  private static final ExtensionId<WeightDataPlane> ID = new ExtensionId<>() {
    @Override
    public WeightDataPlane createExtension(ActorSystem<?> system) {
      return new WeightDataPlane(system);
    }
  };

  /**
   * Where a receiver connects for the chunks of one sender session, and the token that admits it.
   * Travels in {@link WeightReceiver.Offer}.
   */
  public record DataEndpoint(String host, int port, long tokenHigh, long tokenLow) {}

  private record Token(long high, long low) {}

  private final boolean enabled;
  private final String disabledReason;
  private final String host;
  private final String bindHost;
  private final int port;
  private final Duration connectTimeout;
  private final Sockets sockets;
  private final SecureRandom random = new SecureRandom();
  private final ConcurrentHashMap<Token, Link> waiting = new ConcurrentHashMap<>();
  private final Set<Link> live = ConcurrentHashMap.newKeySet();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong connections = new AtomicLong();
  private Listener server;
  private volatile boolean closed;

  private WeightDataPlane(ActorSystem<?> system) {
    Config config = system.settings().config();
    Config c = config.getConfig("rlft.weight-sync");
    String transport = c.getString("transport");
    if (!transport.equals("tcp") && !transport.equals("artery")) {
      throw new IllegalArgumentException("rlft.weight-sync.transport must be tcp or artery, got " + transport);
    }
    Config d = c.getConfig("data");
    this.connectTimeout = d.getDuration("connect-timeout");
    if (connectTimeout.isNegative() || connectTimeout.isZero()) {
      throw new IllegalArgumentException("rlft.weight-sync.data.connect-timeout must be > 0, got " + connectTimeout);
    }
    this.port = d.getInt("port");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("rlft.weight-sync.data.port must be in [0, 65535], got " + port);
    }
    scala.Option<String> artery = ((ExtendedActorSystem) system.classicSystem()).provider().getDefaultAddress().host();
    String advertised = d.getString("hostname");
    this.host = !advertised.isEmpty() ? advertised : artery.isDefined() ? artery.get() : "";
    String bind = d.getString("bind-hostname");
    this.bindHost = bind.isEmpty() ? host : bind;
    String reason = null;
    Sockets s = Sockets.PLAIN;
    if (transport.equals("artery")) {
      reason = "rlft.weight-sync.transport = artery";
    } else if (!artery.isDefined()) {
      reason = "this actor system is not remote";
    } else if (config.getString("pekko.remote.artery.transport").equals("tls-tcp")) {
      String provider = config.getString("pekko.remote.artery.ssl.ssl-engine-provider");
      if (provider.equals(ConfigSSLEngineProvider.class.getName())) {
        s = Sockets.tls(new ConfigSSLEngineProvider(system.classicSystem()));
      } else {
        reason = "Artery's TLS uses " + provider + ", which the data connection cannot share";
      }
    }
    this.enabled = reason == null;
    this.disabledReason = reason;
    this.sockets = s;
    system.getWhenTerminated().whenComplete((done, failure) -> close());
  }

  public static WeightDataPlane get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  /** Whether chunks to receivers in other JVMs go over a data connection. */
  public boolean enabled() {
    return enabled;
  }

  /** Why chunks stay on Artery, when they do. */
  String disabledReason() {
    return disabledReason;
  }

  /** Chunk payload bytes this node has put on data connections since it started (counted as each write begins). */
  public long bytesSent() {
    return bytesSent.get();
  }

  /** Data connections this node has admitted since it started. */
  public long connectionsAdmitted() {
    return connections.get();
  }

  /**
   * Cuts every admitted data connection of this node as a network failure would (their senders
   * see the failure and go on over Artery). For failure tests.
   */
  int cutConnections() {
    int n = 0;
    for (Link l : live) {
      l.cut();
      n++;
    }
    return n;
  }

  /** The port this node listens on for data connections, once a session asked for one; -1 before. */
  public synchronized int boundPort() {
    return server == null ? -1 : server.port();
  }

  /**
   * A new session's link: its endpoint goes in the offers, and its writer waits (up to {@code
   * connect-timeout}) for the receiver to connect. {@code onFailure} is called once, from the
   * link's thread, when the link cannot go on: with whether it had ever been connected.
   */
  Link open(String peer, FailureListener onFailure) throws IOException {
    if (!enabled) {
      throw new IllegalStateException("weight data connections are off: " + disabledReason);
    }
    Listener s = listening();
    Token token = new Token(random.nextLong(), random.nextLong());
    Link link = new Link(peer, token, new DataEndpoint(host, s.port(), token.high(), token.low()), onFailure);
    waiting.put(token, link);
    link.writer.start();
    return link;
  }

  /** A receiver's connection to {@code endpoint}: frames become chunks told to {@code receiver}; failures are told too. */
  Connection connect(DataEndpoint endpoint, int maxChunkBytes, int buffers, ActorRef<WeightReceiver.Command> receiver) {
    Connection c = new Connection(endpoint, maxChunkBytes, buffers, receiver);
    c.reader.start();
    return c;
  }

  /** Called when a link stops for good. */
  @FunctionalInterface
  interface FailureListener {
    void failed(Link link, String reason, boolean everConnected);
  }

  private synchronized Listener listening() throws IOException {
    if (closed) {
      throw new IOException("the actor system is terminating");
    }
    if (server == null) {
      Listener l = sockets.listen(new InetSocketAddress(InetAddress.getByName(bindHost), port));
      server = l;
      Thread acceptor = new Thread(() -> accept(l), "rlft-weight-data-accept");
      acceptor.setDaemon(true);
      acceptor.start();
      LOG.info("weight data connections on {}:{} (advertised as {}){}", bindHost, l.port(), host,
          sockets == Sockets.PLAIN ? "" : ", TLS");
    }
    return server;
  }

  private void accept(Listener l) {
    while (!closed) {
      Wire wire;
      try {
        wire = l.accept();
      } catch (IOException e) {
        if (!closed) {
          LOG.error("weight data connections: accept failed, no more are taken: {}", e.toString());
        }
        return;
      }
      Thread handshake = new Thread(() -> handshake(wire), "rlft-weight-data-handshake");
      handshake.setDaemon(true);
      handshake.start();
    }
  }

  /** Admits a connection that presents a waiting session's token, once; refuses anything else. */
  private void handshake(Wire wire) {
    ScheduledFuture<?> deadline = WATCHDOG.schedule(wire::closeQuietly, connectTimeout.toMillis(),
        TimeUnit.MILLISECONDS);
    try {
      ByteBuffer hello = wire.allocate(HELLO_BYTES);
      wire.readFully(hello);
      hello.flip();
      int magic = hello.getInt();
      int protocol = hello.getInt();
      Token token = new Token(hello.getLong(), hello.getLong());
      String refusal = magic != MAGIC ? "not the rlft weight data protocol"
          : protocol != PROTOCOL ? "protocol version " + protocol + ", this node speaks " + PROTOCOL : null;
      Link link = refusal == null ? waiting.remove(token) : null;
      if (refusal == null && link == null) {
        refusal = "unknown or already used session token";
      }
      ByteBuffer answer = wire.allocate(1).put((byte) (link == null ? 0 : 1));
      wire.writeFully(answer.flip());
      if (!deadline.cancel(false)) {
        throw new IOException("no hello within " + connectTimeout.toMillis() + " ms");
      }
      if (link == null) {
        LOG.warn("refused a weight data connection from {}: {}", wire.remote(), refusal);
        wire.closeQuietly();
        return;
      }
      link.attach(wire);
    } catch (IOException e) {
      deadline.cancel(false);
      LOG.warn("weight data connection from {} failed before it was admitted: {}", wire.remote(), e.toString());
      wire.closeQuietly();
    }
  }

  private synchronized void close() {
    closed = true;
    if (server != null) {
      closeQuietly(server);
    }
    waiting.values().forEach(Link::close);
    waiting.clear();
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  /** One chunk to write: encoded from the version's arrays on the link's thread. */
  private record Frame(PreparedVersion version, long stream, int seq, int index) {}

  /** The sender's side of one session's data connection. */
  final class Link {

    private final String peer;
    private final Token token;
    private final DataEndpoint endpoint;
    private final FailureListener onFailure;
    private final LinkedBlockingQueue<Frame> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch attached = new CountDownLatch(1);
    private final Thread writer;
    private volatile Wire wire;
    private volatile boolean stopped;
    private volatile boolean connected;

    private Link(String peer, Token token, DataEndpoint endpoint, FailureListener onFailure) {
      this.peer = peer;
      this.token = token;
      this.endpoint = endpoint;
      this.onFailure = onFailure;
      this.writer = new Thread(this::write, "rlft-weight-data-to-" + peer);
      writer.setDaemon(true);
    }

    DataEndpoint endpoint() {
      return endpoint;
    }

    /** Whether the receiver has connected. */
    boolean connected() {
      return connected;
    }

    /** Queues chunk {@code index} of {@code version} as number {@code seq} of {@code stream}. */
    void send(PreparedVersion version, long stream, int seq, int index) {
      if (!stopped) {
        queue.add(new Frame(version, stream, seq, index));
      }
    }

    /** Drops the frames not yet written (a replaced stream's). */
    void discardQueued() {
      queue.clear();
    }

    private void attach(Wire w) {
      if (stopped) {
        w.closeQuietly();
        return;
      }
      wire = w;
      connected = true;
      connections.incrementAndGet();
      live.add(this);
      attached.countDown();
    }

    /** Stops the link: unsent chunks are dropped, the connection closed; no failure is reported. */
    void close() {
      stopped = true;
      waiting.remove(token);
      live.remove(this);
      writer.interrupt();
      Wire w = wire;
      if (w != null) {
        w.closeQuietly();
      }
    }

    /** Cuts the connection as the network would: the writer fails and reports it. */
    private void cut() {
      Wire w = wire;
      if (w != null) {
        w.closeQuietly();
      }
    }

    private void write() {
      try {
        if (!attached.await(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
          waiting.remove(token);
          fail("the receiver did not connect to " + endpoint.host() + ":" + endpoint.port() + " within "
              + connectTimeout.toMillis() + " ms");
          return;
        }
        Wire w = wire;
        ByteBuffer frame = null;
        while (!stopped) {
          Frame f = queue.take();
          int bytes = f.version().layout.chunkBytes(f.index());
          if (frame == null || frame.capacity() < HEADER_BYTES + bytes) {
            frame = w.allocate(HEADER_BYTES + bytes);
          }
          frame.clear();
          frame.putLong(f.stream()).putInt(f.seq()).putInt(f.index()).putInt(bytes);
          f.version().encodeChunk(f.index(), frame);
          bytesSent.addAndGet(bytes); // before the write, so the count never lags what a receiver has
          w.writeFully(frame.flip());
        }
      } catch (InterruptedException e) {
        // closed
      } catch (IOException e) {
        fail(e.toString());
      } finally {
        Wire w = wire;
        if (w != null) {
          w.closeQuietly();
        }
      }
    }

    private void fail(String reason) {
      live.remove(this);
      if (!stopped) {
        stopped = true;
        onFailure.failed(this, reason, connected);
      }
    }

    @Override
    public String toString() {
      return "data link to " + peer;
    }
  }

  /** The receiver's side of one session's data connection. */
  final class Connection {

    private final DataEndpoint endpoint;
    private final int maxChunkBytes;
    private final int buffers;
    private final ActorRef<WeightReceiver.Command> receiver;
    private final Thread reader;
    private volatile Wire wire;
    private volatile boolean stopped;

    private Connection(DataEndpoint endpoint, int maxChunkBytes, int buffers, ActorRef<WeightReceiver.Command> receiver) {
      this.endpoint = endpoint;
      this.maxChunkBytes = maxChunkBytes;
      this.buffers = buffers;
      this.receiver = receiver;
      this.reader = new Thread(this::read, "rlft-weight-data-from-" + endpoint.host() + ":" + endpoint.port());
      reader.setDaemon(true);
    }

    DataEndpoint endpoint() {
      return endpoint;
    }

    /** Closes the connection; no failure is reported. */
    void close() {
      stopped = true;
      Wire w = wire;
      if (w != null) {
        w.closeQuietly();
      }
      reader.interrupt();
    }

    private void read() {
      boolean admitted = false;
      try {
        Wire w = sockets.connect(endpoint.host(), endpoint.port(), connectTimeout);
        wire = w;
        if (stopped) {
          return;
        }
        ByteBuffer hello = w.allocate(HELLO_BYTES);
        hello.putInt(MAGIC).putInt(PROTOCOL).putLong(endpoint.tokenHigh()).putLong(endpoint.tokenLow());
        w.writeFully(hello.flip());
        ScheduledFuture<?> deadline = WATCHDOG.schedule(w::closeQuietly,
            connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        ByteBuffer answer = w.allocate(1);
        w.readFully(answer);
        deadline.cancel(false);
        if (answer.get(0) != 1) {
          throw new IOException("the parameter server's node refused the data connection");
        }
        admitted = true;
        // chunk buffers go round between this thread and the receiver, which gives each back once handled
        BlockingQueue<ByteBuffer> pool = new ArrayBlockingQueue<>(buffers);
        int allocated = 0;
        ByteBuffer header = w.allocate(HEADER_BYTES);
        while (!stopped) {
          header.clear();
          w.readFully(header);
          long stream = header.getLong(0);
          int seq = header.getInt(8);
          int index = header.getInt(12);
          int length = header.getInt(16);
          if (length < 0 || length > maxChunkBytes) {
            throw new IOException("a frame of " + length + " bytes, the chunk size is " + maxChunkBytes);
          }
          ByteBuffer payload = pool.poll();
          if (payload == null) {
            if (allocated < buffers) {
              payload = w.allocate(maxChunkBytes);
              allocated++;
            } else {
              payload = pool.take();
            }
          }
          payload.clear().limit(length);
          w.readFully(payload);
          receiver.tell(new WeightReceiver.LocalChunk(stream, seq, index, payload.flip(), pool));
        }
      } catch (IOException e) {
        if (!stopped) {
          receiver.tell(new WeightReceiver.DataLost(endpoint, e.toString(), admitted));
        }
      } catch (InterruptedException e) {
        // closed
      } finally {
        Wire w = wire;
        if (w != null) {
          w.closeQuietly();
        }
      }
    }
  }

  /** A blocking connection that moves whole buffers. */
  private interface Wire {

    /** A buffer fit for this wire: direct for a socket channel, on the heap for TLS streams. */
    ByteBuffer allocate(int bytes);

    /** Fills {@code dst} from its position to its limit, or fails (end of stream included). */
    void readFully(ByteBuffer dst) throws IOException;

    /** Writes {@code src} from its position to its limit. */
    void writeFully(ByteBuffer src) throws IOException;

    Object remote();

    void closeQuietly();
  }

  /** A listening socket. */
  private interface Listener extends Closeable {

    Wire accept() throws IOException;

    int port();
  }

  /** Plain socket channels (direct buffers, no copy through the heap), or TLS sockets made like Artery's. */
  private interface Sockets {

    Sockets PLAIN = new Sockets() {
      @Override
      public Listener listen(InetSocketAddress address) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(address, 64);
        return new Listener() {
          @Override
          public Wire accept() throws IOException {
            return new ChannelWire(server.accept());
          }

          @Override
          public int port() {
            return server.socket().getLocalPort();
          }

          @Override
          public void close() throws IOException {
            server.close();
          }
        };
      }

      @Override
      public Wire connect(String host, int port, Duration timeout) throws IOException {
        SocketChannel c = SocketChannel.open();
        try {
          c.socket().connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        } catch (IOException e) {
          c.close();
          throw e;
        }
        return new ChannelWire(c);
      }
    };

    Listener listen(InetSocketAddress address) throws IOException;

    Wire connect(String host, int port, Duration timeout) throws IOException;

    /** TLS with the key and trust stores, protocol, cipher suites and client authentication of Artery's provider. */
    static Sockets tls(ConfigSSLEngineProvider artery) {
      SSLContext context;
      try {
        context = SSLContext.getInstance(artery.SSLProtocol());
        context.init(artery.keyManagers(), artery.trustManagers(), artery.createSecureRandom());
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("cannot set up TLS for weight data connections: " + e, e);
      }
      String[] protocols = {artery.SSLProtocol()};
      String[] suites = scala.jdk.javaapi.CollectionConverters.asJava(artery.SSLEnabledAlgorithms())
          .toArray(new String[0]);
      boolean mutual = artery.SSLRequireMutualAuthentication();
      return new Sockets() {
        @Override
        public Listener listen(InetSocketAddress address) throws IOException {
          SSLServerSocket s = (SSLServerSocket) context.getServerSocketFactory().createServerSocket();
          s.setEnabledProtocols(protocols);
          s.setEnabledCipherSuites(suites);
          s.setNeedClientAuth(mutual);
          s.bind(address, 64);
          return new Listener() {
            @Override
            public Wire accept() throws IOException {
              return new StreamWire(s.accept());
            }

            @Override
            public int port() {
              return s.getLocalPort();
            }

            @Override
            public void close() throws IOException {
              s.close();
            }
          };
        }

        @Override
        public Wire connect(String host, int port, Duration timeout) throws IOException {
          SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket();
          s.setEnabledProtocols(protocols);
          s.setEnabledCipherSuites(suites);
          try {
            s.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            s.startHandshake();
            s.setSoTimeout(0);
          } catch (IOException e) {
            s.close();
            throw e;
          }
          return new StreamWire(s);
        }
      };
    }
  }

  /** A plain socket channel in blocking mode. */
  private static final class ChannelWire implements Wire {

    private final SocketChannel channel;

    ChannelWire(SocketChannel channel) throws IOException {
      this.channel = channel;
      channel.socket().setTcpNoDelay(true);
    }

    @Override
    public ByteBuffer allocate(int bytes) {
      return ByteBuffer.allocateDirect(bytes);
    }

    @Override
    public void readFully(ByteBuffer dst) throws IOException {
      while (dst.hasRemaining()) {
        if (channel.read(dst) < 0) {
          throw new EOFException("the connection was closed");
        }
      }
    }

    @Override
    public void writeFully(ByteBuffer src) throws IOException {
      while (src.hasRemaining()) {
        channel.write(src);
      }
    }

    @Override
    public Object remote() {
      return channel.socket().getRemoteSocketAddress();
    }

    @Override
    public void closeQuietly() {
      WeightDataPlane.closeQuietly(channel);
    }
  }

  /** A (TLS) socket's streams, with heap buffers. */
  private static final class StreamWire implements Wire {

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    StreamWire(Socket socket) throws IOException {
      this.socket = socket;
      socket.setTcpNoDelay(true);
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    @Override
    public ByteBuffer allocate(int bytes) {
      return ByteBuffer.allocate(bytes);
    }

    @Override
    public void readFully(ByteBuffer dst) throws IOException {
      while (dst.hasRemaining()) {
        int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
        if (n < 0) {
          throw new EOFException("the connection was closed");
        }
        dst.position(dst.position() + n);
      }
    }

    @Override
    public void writeFully(ByteBuffer src) throws IOException {
      out.write(src.array(), src.arrayOffset() + src.position(), src.remaining());
      out.flush();
      src.position(src.limit());
    }

    @Override
    public Object remote() {
      return socket.getRemoteSocketAddress();
    }

    @Override
    public void closeQuietly() {
      WeightDataPlane.closeQuietly(socket);
    }
  }
}
