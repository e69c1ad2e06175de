package dev.sparkspeed.zero.config;

/**
 * A DeepSpeed JSON config is malformed or inconsistent. The message always starts with the key path
 * to change (e.g. {@code zero_optimization.offload_param.device}) or, for rules that tie several
 * keys together, names every key involved with the values seen.
 */
public class ConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String key;

  /**
   * @param key the dotted key path the message is about ("" for the document as a whole)
   * @param message full text, already naming the key
   */
  public ConfigException(String key, String message) {
    super(message);
    this.key = key;
  }

  /**
   * @param key the dotted key path the message is about
   * @param message full text, already naming the key
   * @param cause the parse or I/O failure underneath
   */
  public ConfigException(String key, String message, Throwable cause) {
    super(message, cause);
    this.key = key;
  }

  /** The dotted key path the error is about, "" when it concerns the whole document. */
  public String key() {
    return key;
  }
}
