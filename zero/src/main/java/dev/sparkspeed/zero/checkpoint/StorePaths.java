package dev.sparkspeed.zero.checkpoint;

import java.util.regex.Pattern;

/** Rules for the relative paths a {@link CheckpointStore} accepts and for tag and file names. */
public final class StorePaths {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,199}");

  private StorePaths() {}

  /**
   * Returns {@code path} if it is {@code ""} or names separated by single {@code /}, each made of
   * letters, digits, {@code _ . -}, not starting with a dot (so no {@code ..} and no hidden files);
   * throws {@link IllegalArgumentException} otherwise.
   */
  public static String require(String path) {
    if (path.isEmpty()) {
      return path;
    }
    for (String part : path.split("/", -1)) {
      if (!NAME.matcher(part).matches()) {
        throw new IllegalArgumentException(
            "store path '"
                + path
                + "' has an invalid part '"
                + part
                + "': use names of letters, digits, '_', '.', '-' joined by '/'");
      }
    }
    return path;
  }

  /** True when {@code name} is a single valid path part (a tag or a file name). */
  public static boolean isName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  /** {@code dir + "/" + name}, or {@code name} when {@code dir} is the root. */
  public static String join(String dir, String name) {
    return dir.isEmpty() ? name : dir + "/" + name;
  }
}
