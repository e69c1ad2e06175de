package dev.sparkspeed.zero.comm;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;

/**
 * A rank's bound server socket: the first phase of joining a ring. Bind, publish {@link #address()}
 * to the other ranks out of band (in Spark through {@code BarrierTaskContext.allGather}), then pass
 * the endpoint and the collected addresses to {@link TcpRingCommunicator#connect(RingEndpoint,
 * RingConfig)}, which takes ownership of it.
 */
public final class RingEndpoint implements AutoCloseable {
  private final ServerSocketChannel server;
  private final String address;

  private RingEndpoint(ServerSocketChannel server, String address) {
    this.server = server;
    this.address = address;
  }

  /**
   * Binds a server socket on {@code bindAddress} at a port the OS picks.
   *
   * @param bindAddress the executor's own address, reachable from the other ranks (not the wildcard
   *     address, which peers cannot connect to)
   */
  public static RingEndpoint bind(InetAddress bindAddress) {
    return bind(bindAddress, 0);
  }

  /** Binds on {@code bindAddress} at {@code port} (0: any free port). */
  public static RingEndpoint bind(InetAddress bindAddress, int port) {
    if (bindAddress.isAnyLocalAddress()) {
      throw new IllegalArgumentException(
          "bind the ring to the executor's own address, not the wildcard "
              + bindAddress.getHostAddress()
              + ": other ranks connect to the address published by address()");
    }
    try {
      ServerSocketChannel server = ServerSocketChannel.open();
      try {
        server.bind(new InetSocketAddress(bindAddress, port), 16);
        int bound = ((InetSocketAddress) server.getLocalAddress()).getPort();
        return new RingEndpoint(server, HostPort.format(bindAddress, bound));
      } catch (IOException e) {
        server.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot bind the ring server socket on " + bindAddress.getHostAddress() + ":" + port, e);
    }
  }

  /** This rank's address as "host:port", to publish to the other ranks. */
  public String address() {
    return address;
  }

  /** The bound port. */
  public int port() {
    return HostPort.parse(address).port();
  }

  ServerSocketChannel channel() {
    return server;
  }

  /** Stops listening; the communicator does this once its neighbours have connected. */
  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // Closing a listening socket only releases the port; nothing to recover.
    }
  }
}
