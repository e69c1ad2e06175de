package dev.sparkspeed.zero.comm;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Everything a rank needs to join a TCP ring.
 *
 * @param rank this rank, 0-based
 * @param worldSize number of ranks
 * @param addresses every rank's server address as "host:port" ("[v6]:port" for IPv6), indexed by
 *     rank; rank r connects to rank (r+1) mod worldSize and accepts from rank (r−1) mod worldSize
 * @param secret the per-job secret ({@link Secrets#newJobSecret()}); never sent, never printed
 * @param connectTimeout how long setup may take: connecting, accepting and authenticating
 * @param opTimeout the longest a collective may make no progress; when a peer dies or stalls, every
 *     rank fails within this time with an error naming the peer. It must exceed the largest gap
 *     between ranks reaching the same collective (compute skew, data loading)
 * @param chunkBytes pipelining unit in bytes: sending, receiving and reducing overlap at this
 *     granularity; the same on every rank ({@link #DEFAULT_CHUNK_BYTES} explains the default)
 */
public record RingConfig(
    int rank,
    int worldSize,
    List<String> addresses,
    byte[] secret,
    Duration connectTimeout,
    Duration opTimeout,
    int chunkBytes) {

  /** Default setup timeout: ranks of a Spark barrier stage start within this of each other. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(60);

  /** Default progress timeout, generous enough for compute skew between ranks. */
  public static final Duration DEFAULT_OP_TIMEOUT = Duration.ofMinutes(5);

  /**
   * Default pipelining unit: 1 MiB. Timing 256 MiB all-reduces of 2 ranks on loopback, 512 KiB to 4
   * MiB came out within noise of each other; 256 KiB and below cost more wake-ups per byte than
   * they save in cache misses, and much larger chunks lengthen the pipeline's fill and drain. Every
   * rank must use the same value; a mismatch fails the first collective naming it.
   */
  public static final int DEFAULT_CHUNK_BYTES = 1 << 20;

  public RingConfig {
    if (worldSize < 1) {
      throw new IllegalArgumentException("worldSize " + worldSize + " must be at least 1");
    }
    if (rank < 0 || rank >= worldSize) {
      throw new IllegalArgumentException(
          "rank " + rank + " outside [0, " + worldSize + ") for worldSize " + worldSize);
    }
    addresses = List.copyOf(addresses);
    if (addresses.size() != worldSize) {
      throw new IllegalArgumentException(
          "addresses lists " + addresses.size() + " ranks but worldSize is " + worldSize);
    }
    for (String a : addresses) {
      HostPort.parse(a);
    }
    if (secret == null || secret.length < 16) {
      throw new IllegalArgumentException(
          "the job secret must hold at least 16 bytes (use Secrets.newJobSecret())");
    }
    secret = secret.clone();
    requirePositive("connectTimeout", connectTimeout);
    requirePositive("opTimeout", opTimeout);
    if (chunkBytes < 4096 || chunkBytes > (64 << 20) || chunkBytes % 4 != 0) {
      throw new IllegalArgumentException(
          "chunkBytes " + chunkBytes + " must be a multiple of 4 between 4096 and 64 MiB");
    }
  }

  /** A config with the default timeouts and chunk size. */
  public static RingConfig of(int rank, int worldSize, List<String> addresses, byte[] secret) {
    return new RingConfig(
        rank,
        worldSize,
        addresses,
        secret,
        DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_OP_TIMEOUT,
        DEFAULT_CHUNK_BYTES);
  }

  /** The same config with other timeouts. */
  public RingConfig withTimeouts(Duration connect, Duration op) {
    return new RingConfig(rank, worldSize, addresses, secret, connect, op, chunkBytes);
  }

  /** The same config with another pipelining unit. */
  public RingConfig withChunkBytes(int bytes) {
    return new RingConfig(rank, worldSize, addresses, secret, connectTimeout, opTimeout, bytes);
  }

  /** A copy of the secret (the record keeps its own). */
  @Override
  public byte[] secret() {
    return secret.clone();
  }

  /** Rank of the neighbour this rank sends to. */
  public int rightRank() {
    return (rank + 1) % worldSize;
  }

  /** Rank of the neighbour this rank receives from. */
  public int leftRank() {
    return (rank + worldSize - 1) % worldSize;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RingConfig c
        && rank == c.rank
        && worldSize == c.worldSize
        && addresses.equals(c.addresses)
        && Arrays.equals(secret, c.secret)
        && connectTimeout.equals(c.connectTimeout)
        && opTimeout.equals(c.opTimeout)
        && chunkBytes == c.chunkBytes;
  }

  @Override
  public int hashCode() {
    return Objects.hash(rank, worldSize, addresses, connectTimeout, opTimeout, chunkBytes);
  }

  /** Shows everything except the secret. */
  @Override
  public String toString() {
    return "RingConfig[rank="
        + rank
        + ", worldSize="
        + worldSize
        + ", addresses="
        + addresses
        + ", connectTimeout="
        + connectTimeout
        + ", opTimeout="
        + opTimeout
        + ", chunkBytes="
        + chunkBytes
        + "]";
  }

  private static void requirePositive(String name, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " " + d + " must be positive");
    }
  }
}
