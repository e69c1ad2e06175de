package dev.sparkspeed.zero.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class RingConfigTest {
  private static final List<String> TWO = List.of("127.0.0.1:4000", "[::1]:4001");

  @Test
  void validatesWhatItHolds() {
    byte[] s = Secrets.newJobSecret();
    assertThrows(IllegalArgumentException.class, () -> RingConfig.of(2, 2, TWO, s));
    assertThrows(IllegalArgumentException.class, () -> RingConfig.of(0, 3, TWO, s));
    assertThrows(IllegalArgumentException.class, () -> RingConfig.of(0, 2, List.of("a", "b:1"), s));
    assertThrows(IllegalArgumentException.class, () -> RingConfig.of(0, 2, TWO, new byte[4]));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> RingConfig.of(0, 2, TWO, s).withChunkBytes(100));
    assertTrue(e.getMessage().contains("chunkBytes 100"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> RingConfig.of(0, 2, TWO, s).withTimeouts(Duration.ZERO, Duration.ofSeconds(1)));
  }

  @Test
  void neighboursWrapAroundAndTheSecretStaysPrivate() {
    byte[] s = Secrets.newJobSecret();
    RingConfig c = RingConfig.of(0, 2, TWO, s);
    assertEquals(1, c.leftRank());
    assertEquals(1, c.rightRank());
    assertArrayEquals(s, c.secret());
    assertNotSame(c.secret(), c.secret());
    assertFalse(c.toString().contains(HexFormat.of().formatHex(s)));
    assertEquals(c, RingConfig.of(0, 2, TWO, s.clone()));
    assertEquals(4001, HostPort.parse(TWO.get(1)).port());
    assertEquals("::1", HostPort.parse(TWO.get(1)).host());
  }

  @Test
  void jobSecretsAreFreshAnd32Bytes() {
    byte[] a = Secrets.newJobSecret();
    byte[] b = Secrets.newJobSecret();
    assertEquals(32, a.length);
    assertFalse(java.util.Arrays.equals(a, b));
  }
}
