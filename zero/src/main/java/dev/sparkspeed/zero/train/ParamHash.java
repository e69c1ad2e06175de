package dev.sparkspeed.zero.train;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of FP32 parameters as little-endian bytes in parameter-table order. */
public final class ParamHash {
  private ParamHash() {}

  /** Hex SHA-256 of a host FP32 tensor. */
  public static String sha256(Tensor hostFp32) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      FloatBuffer f = hostFp32.floats();
      ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < f.limit(); i++) {
        if (!chunk.hasRemaining()) {
          md.update(chunk.array(), 0, chunk.position());
          chunk.clear();
        }
        chunk.putFloat(f.get(i));
      }
      md.update(chunk.array(), 0, chunk.position());
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 missing from this JVM", e);
    }
  }
}
