package dev.sparkspeed.zero.comm;

/** A collective failed: a peer died, stalled past the timeout, or refused authentication. */
public class CommException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CommException(String message) {
    super(message);
  }

  public CommException(String message, Throwable cause) {
    super(message, cause);
  }
}
