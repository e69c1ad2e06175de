package dev.sparkspeed.feed;

/**
 * Bad input found while feeding: a null where nulls are errors, a value of the wrong kind, a vector
 * of the wrong width, a label that is not a class id, a partition that changed under a resumed
 * cursor. The message names the column, the row and the setting to change.
 */
public class FeedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public FeedException(String message) {
    super(message);
  }

  public FeedException(String message, Throwable cause) {
    super(message, cause);
  }
}
