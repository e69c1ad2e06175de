package dev.sparkspeed.trainer;

/** Logging defaults of the command-line programs. */
public final class CliLogging {
  private CliLogging() {}

  /**
   * Unless a log4j2 configuration is given (a system property or log4j2.properties on the class
   * path), logs warnings only, so progress lines and results stand out from Spark's INFO output.
   * Must run before anything logs; under spark-submit Spark's own configuration already applies.
   */
  public static void quiet() {
    if (System.getProperty("log4j2.configurationFile") == null
        && CliLogging.class.getResource("/log4j2.properties") == null) {
      System.setProperty(
          "log4j2.configurationFile", "dev/sparkspeed/trainer/log4j2-cli.properties");
    }
  }
}
