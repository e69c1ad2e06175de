package dev.sparkspeed.zero.checkpoint;

import java.io.IOException;

/**
 * A checkpoint or tensor file that is incomplete, malformed or fails its checksums. The message
 * names the file and what was wrong; callers usually fall back to an older checkpoint.
 */
public class CorruptCheckpointException extends IOException {
  private static final long serialVersionUID = 1L;

  public CorruptCheckpointException(String message) {
    super(message);
  }

  public CorruptCheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
