package dev.sparkspeed.feed;

/**
 * A column the feed needs is missing or has a type it cannot read. Raised before any row is read
 * (by the driver's preflight check or when a stream opens), naming the column, its actual type and
 * what is expected.
 */
public final class FeedSchemaException extends FeedException {
  private static final long serialVersionUID = 1L;

  public FeedSchemaException(String message) {
    super(message);
  }
}
