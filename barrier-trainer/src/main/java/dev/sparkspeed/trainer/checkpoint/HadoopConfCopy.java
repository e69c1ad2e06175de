package dev.sparkspeed.trainer.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;

/**
 * The driver's Hadoop configuration as the ranks receive it in their task closure: the file system
 * settings a user set on {@code sparkContext.hadoopConfiguration()} at run time (S3 endpoints and
 * credentials, HDFS client options) would otherwise not reach the executors. Carried in Hadoop's
 * own {@code Writable} encoding, the way Spark ships it for its file reads.
 */
public final class HadoopConfCopy implements Serializable {
  private static final long serialVersionUID = 1L;

  private final byte[] bytes;

  private HadoopConfCopy(byte[] bytes) {
    this.bytes = bytes;
  }

  /** A copy of {@code conf}'s current properties. */
  public static HadoopConfCopy of(Configuration conf) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(buf)) {
      conf.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy the Hadoop configuration", e);
    }
    return new HadoopConfCopy(buf.toByteArray());
  }

  /** A new configuration holding the copied properties (and no default resources). */
  public Configuration toConfiguration() {
    Configuration conf = new Configuration(false);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      conf.readFields(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the copied Hadoop configuration", e);
    }
    return conf;
  }
}
