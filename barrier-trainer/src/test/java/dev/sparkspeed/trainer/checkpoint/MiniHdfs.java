package dev.sparkspeed.trainer.checkpoint;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS for tests: an in-process namenode and one datanode on loopback, storing under a
 * directory the test owns. Shared by this module's store tests and the integration tests.
 */
public final class MiniHdfs implements AutoCloseable {
  private final MiniDFSCluster cluster;

  private MiniHdfs(MiniDFSCluster cluster) {
    this.cluster = cluster;
  }

  /** Starts the cluster with its data under {@code dir} and waits until it serves. */
  public static MiniHdfs start(Path dir) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.toString());
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    conf.setInt("dfs.replication", 1);
    // Closing a file polls the namenode with a 400 ms first back-off by default, and waits for the
    // datanode's block report; both only slow a one-node test cluster down.
    conf.setInt("dfs.client.block.write.locateFollowingBlock.initial.delay.ms", 10);
    conf.setInt("dfs.namenode.file.close.num-committed-allowed", 1);
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    return new MiniHdfs(cluster);
  }

  /** The namenode's URI, e.g. hdfs://127.0.0.1:40123. */
  public URI uri() throws IOException {
    return cluster.getFileSystem().getUri();
  }

  /** A client configuration for this cluster. */
  public Configuration conf() {
    return cluster.getConfiguration(0);
  }

  @Override
  public void close() {
    cluster.shutdown();
  }
}
