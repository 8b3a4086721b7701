package dev.rlft.model;

import java.nio.ByteBuffer;

/**
 * A thread that collects garbage and fills fresh direct buffers with {@code 0x7f} bytes, over and
 * over: memory a Java direct buffer gave back is soon freed and written over, as in a JVM whose
 * other threads allocate. Tensors that still point into such memory then read garbage.
 */
public final class GcChurn implements AutoCloseable {

  private final Thread thread;
  private volatile boolean running = true;

  public GcChurn() {
    thread = new Thread(() -> {
      while (running) {
        System.gc();
        for (int i = 0; i < 16; i++) {
          ByteBuffer b = ByteBuffer.allocateDirect(4 << 10);
          while (b.hasRemaining()) {
            b.put((byte) 0x7f);
          }
        }
      }
    }, "gc-churn");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join();
  }
}
