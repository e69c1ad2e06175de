package dev.sparkspeed.trainer.checkpoint;

import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import dev.sparkspeed.zero.checkpoint.CheckpointTool;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * {@code bin/sparkspeed checkpoint inspect|consolidate} on any store: {@code --checkpoint} may be a
 * local directory or a Hadoop URI ({@code hdfs://nn:8020/run/checkpoints}, {@code
 * s3a://bucket/run/checkpoints}); the rest is {@link CheckpointTool}'s.
 *
 * <p>The Hadoop configuration comes from {@code core-site.xml} and {@code hdfs-site.xml} in {@code
 * $HADOOP_CONF_DIR} (or on the class path), then from Java system properties named {@code
 * spark.hadoop.KEY} (Spark's convention, e.g. {@code -Dspark.hadoop.fs.s3a.endpoint=...} through
 * {@code SPARKSPEED_JAVA_OPTS}).
 */
public final class HadoopCheckpointTool {
  private static final String SPARK_HADOOP = "spark.hadoop.";

  private HadoopCheckpointTool() {}

  public static void main(String[] argv) throws IOException {
    try {
      run(argv, configuration(System.getenv(), System.getProperties()), System.out);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
    }
  }

  /** Runs the tool with {@code conf} for the stores of URIs with a scheme. */
  public static void run(String[] argv, Configuration conf, PrintStream out) throws IOException {
    CheckpointTool.run(argv, location -> open(location, conf), out);
  }

  /** A Hadoop store for a URI with a scheme, the local store for a plain path. */
  static CheckpointStore open(String location, Configuration conf) throws IOException {
    URI uri = new Path(location).toUri();
    if (uri.getScheme() == null) {
      return CheckpointTool.openLocal(location);
    }
    return new HadoopCheckpointStore(uri, conf);
  }

  /** The command's Hadoop configuration; see the class comment. */
  static Configuration configuration(Map<String, String> env, Map<Object, Object> props) {
    Configuration conf = new Configuration();
    String dir = env.get("HADOOP_CONF_DIR");
    if (dir != null) {
      for (String f : new String[] {"core-site.xml", "hdfs-site.xml"}) {
        java.nio.file.Path p = java.nio.file.Path.of(dir, f);
        if (Files.isRegularFile(p)) {
          conf.addResource(new Path(p.toUri()));
        }
      }
    }
    props.forEach(
        (k, v) -> {
          String key = k.toString();
          if (key.startsWith(SPARK_HADOOP) && key.length() > SPARK_HADOOP.length()) {
            conf.set(key.substring(SPARK_HADOOP.length()), v.toString());
          }
        });
    return conf;
  }
}
