package dev.sparkspeed.trainer;

/** A training job that cannot start or that a rank reported as failed; the message says why. */
public class SparkSpeedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SparkSpeedException(String message) {
    super(message);
  }

  public SparkSpeedException(String message, Throwable cause) {
    super(message, cause);
  }
}
