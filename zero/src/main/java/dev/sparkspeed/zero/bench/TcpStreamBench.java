package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;

/**
 * The anchor for {@link AllReduceBench}: one loopback TCP stream, one sender thread and one
 * receiver thread, moving {@code --mb} MiB between direct buffers per iteration. Prints each
 * iteration and ends with {@code RESULT stream_gbps=X} (median, GB/s = 1e9 bytes per second).
 *
 * <p>Usage: {@code TcpStreamBench [--mb 256] [--iters 5] [--warmup 1]}
 */
public final class TcpStreamBench {
  private static final String USAGE = "usage: TcpStreamBench [--mb 256] [--iters 5] [--warmup 1]";

  private TcpStreamBench() {}

  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args, Set.of(), Set.of("mb", "iters", "warmup"), USAGE);
    int mb = a.intValue("mb", 256);
    int iters = a.intValue("iters", 5);
    int warmup = a.intValue("warmup", 1);
    double[] seconds = run((long) mb << 20, warmup, iters);
    long bytes = (long) mb << 20;
    for (int i = 0; i < iters; i++) {
      System.out.printf(
          Locale.ROOT,
          "iter %d: %.2f ms  %.3f GB/s%n",
          i,
          seconds[i] * 1e3,
          bytes / seconds[i] / 1e9);
    }
    System.out.printf(
        Locale.ROOT, "RESULT stream_gbps=%.3f%n", bytes / BenchArgs.median(seconds) / 1e9);
  }

  /** Seconds per iteration for moving {@code bytes} over one loopback connection. */
  static double[] run(long bytes, int warmup, int iters) throws Exception {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    double[] seconds = new double[iters];
    CyclicBarrier start = new CyclicBarrier(2);
    try (Allocator memory = new Allocator("stream-bench");
        HostBuffer srcMemory = memory.allocate("send", DType.INT32, bytes / 4);
        HostBuffer dstMemory = memory.allocate("receive", DType.INT32, bytes / 4);
        ServerSocketChannel server = ServerSocketChannel.open()) {
      ByteBuffer src = srcMemory.byteBuffer();
      ByteBuffer dst = dstMemory.byteBuffer();
      server.bind(new InetSocketAddress(loopback, 0));
      Throwable[] senderFailure = new Throwable[1];
      Thread sender =
          new Thread(
              () -> {
                try (SocketChannel out = SocketChannel.open(server.getLocalAddress())) {
                  for (int i = 0; i < warmup + iters; i++) {
                    start.await();
                    src.clear();
                    while (src.hasRemaining()) {
                      out.write(src);
                    }
                  }
                } catch (Exception e) {
                  senderFailure[0] = e;
                }
              },
              "stream-bench-sender");
      sender.setDaemon(true);
      sender.start();
      try (SocketChannel in = server.accept()) {
        for (int i = 0; i < warmup + iters; i++) {
          start.await();
          long t0 = System.nanoTime();
          dst.clear();
          while (dst.hasRemaining()) {
            if (in.read(dst) < 0) {
              throw new IOException("sender closed early", senderFailure[0]);
            }
          }
          if (i >= warmup) {
            seconds[i - warmup] = (System.nanoTime() - t0) / 1e9;
          }
        }
      }
      sender.join();
    }
    return seconds;
  }
}
