package dev.sparkspeed.zero.comm;

import java.security.SecureRandom;

/** Per-job secrets that authenticate every collective connection. */
public final class Secrets {
  /** Length of a job secret in bytes (256 bits, the HMAC-SHA256 key size). */
  public static final int JOB_SECRET_BYTES = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  private Secrets() {}

  /**
   * A fresh random job secret of {@link #JOB_SECRET_BYTES} bytes. The driver creates one per job
   * and hands it to every rank; it is never sent over a ring connection.
   */
  public static byte[] newJobSecret() {
    byte[] secret = new byte[JOB_SECRET_BYTES];
    RANDOM.nextBytes(secret);
    return secret;
  }
}
