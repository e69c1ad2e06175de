package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.zero.comm.Secrets;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The per-job key that authenticates the ranks' ring connections.
 *
 * <p>Where it comes from: the driver generates it for each {@code fit} and ships it to the ranks
 * inside the task closure, rather than rank 0 generating it and publishing it through {@code
 * BarrierTaskContext.allGather}. The rendezvous payload then carries nothing secret, so it may be
 * logged and shown in errors; the closure travels over the same Spark RPC channel the allGather
 * would use (protect both with {@code spark.authenticate} and {@code spark.network.crypto.enabled}
 * on an untrusted network). Each stage attempt derives its own key ({@link #forStageAttempt}), so a
 * task left over from a failed attempt cannot join the ring of the next one.
 *
 * <p>The key never appears in {@link #toString()}.
 */
public final class JobSecret implements Serializable {
  private static final long serialVersionUID = 1L;

  private final byte[] key;

  private JobSecret(byte[] key) {
    this.key = key.clone();
  }

  /** A fresh random secret. */
  public static JobSecret generate() {
    return new JobSecret(Secrets.newJobSecret());
  }

  /** HMAC-SHA256(key, "sparkspeed-ring/stage-attempt/" + attempt): 32 bytes. */
  public byte[] forStageAttempt(int attempt) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(
          ("sparkspeed-ring/stage-attempt/" + attempt).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "JobSecret[redacted]";
  }
}
