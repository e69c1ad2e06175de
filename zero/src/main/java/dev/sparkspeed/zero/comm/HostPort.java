package dev.sparkspeed.zero.comm;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/** A "host:port" (or "[v6]:port") address as ranks exchange them. */
record HostPort(String host, int port) {

  static HostPort parse(String address) {
    int colon = address == null ? -1 : address.lastIndexOf(':');
    if (colon <= 0 || colon == address.length() - 1) {
      throw new IllegalArgumentException(
          "ring address '" + address + "' is not host:port (IPv6 as [addr]:port)");
    }
    String host = address.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("ring address '" + address + "' has no numeric port", e);
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("ring address '" + address + "' has port out of range");
    }
    return new HostPort(host, port);
  }

  static String format(InetAddress address, int port) {
    String host = address.getHostAddress();
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** Resolves the host now (DNS happens here, not at construction). */
  InetSocketAddress resolve() {
    return new InetSocketAddress(host, port);
  }
}
