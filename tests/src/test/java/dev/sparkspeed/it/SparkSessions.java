package dev.sparkspeed.it;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/**
 * Spark sessions for the integration tests: {@code local[N]} (one JVM) and {@code
 * local-cluster[2,1,1024]} (two executor JVMs). Outside Spark's own build, local-cluster needs a
 * Spark home: {@link #sparkHome()} builds one under target/ whose {@code jars/} links every jar of
 * this test JVM's class path, with an empty RELEASE file; the project's class directories reach the
 * executors through {@code spark.executor.extraClassPath}. The JVM must run with SPARK_HOME
 * pointing there and SPARK_SCALA_VERSION=2.13 (failsafe sets both).
 */
final class SparkSessions {
  private SparkSessions() {}

  /** A one-JVM session with {@code threads} task slots. */
  static SparkSession local(int threads, Map<String, String> conf) {
    SparkSession.Builder b =
        SparkSession.builder()
            .master("local[" + threads + "]")
            .appName("sparkspeed-it")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.barrier.sync.timeout", "120s");
    conf.forEach(b::config);
    return b.getOrCreate();
  }

  /** Two executor JVMs of one core and 1 GiB each. */
  static SparkSession localCluster(Map<String, String> conf) {
    Path home = sparkHome();
    String env = System.getenv("SPARK_HOME");
    if (env == null || !Path.of(env).toAbsolutePath().normalize().equals(home)) {
      throw new IllegalStateException(
          "local-cluster tests need SPARK_HOME="
              + home
              + " and SPARK_SCALA_VERSION=2.13 in the environment (found SPARK_HOME="
              + env
              + "); run them through maven-failsafe (mvn verify -pl tests)");
    }
    SparkSession.Builder b =
        SparkSession.builder()
            .master("local-cluster[2,1,1024]")
            .appName("sparkspeed-it-cluster")
            .config("spark.home", home.toString())
            .config("spark.executor.extraClassPath", classDirectories())
            .config("spark.executorEnv.SPARK_LOCAL_IP", "127.0.0.1")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.barrier.sync.timeout", "120s");
    conf.forEach(b::config);
    return b.getOrCreate();
  }

  /** target/spark-home with jars/ and RELEASE, built once per JVM. */
  static synchronized Path sparkHome() {
    Path home =
        Path.of(System.getProperty("sparkspeed.sparkHome", "target/spark-home"))
            .toAbsolutePath()
            .normalize();
    Path jars = home.resolve("jars");
    try {
      Files.createDirectories(jars);
      Files.write(home.resolve("RELEASE"), new byte[0]);
      Set<String> names = new LinkedHashSet<>();
      for (String entry : classPath()) {
        Path p = Path.of(entry);
        if (!entry.endsWith(".jar") || !Files.isRegularFile(p)) {
          continue;
        }
        Path link = jars.resolve(p.getFileName().toString());
        if (names.add(link.getFileName().toString()) && !Files.exists(link)) {
          Files.createSymbolicLink(link, p.toAbsolutePath());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot build the Spark home " + home, e);
    }
    return home;
  }

  /** The class directories of this JVM's class path (the project's compiled modules). */
  static String classDirectories() {
    List<String> dirs = new ArrayList<>();
    for (String entry : classPath()) {
      if (Files.isDirectory(Path.of(entry))) {
        dirs.add(Path.of(entry).toAbsolutePath().toString());
      }
    }
    return String.join(File.pathSeparator, dirs);
  }

  private static List<String> classPath() {
    return List.of(System.getProperty("java.class.path").split(File.pathSeparator));
  }
}
