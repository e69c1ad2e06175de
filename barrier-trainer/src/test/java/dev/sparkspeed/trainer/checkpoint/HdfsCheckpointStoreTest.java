package dev.sparkspeed.trainer.checkpoint;

import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The Hadoop store on a real HDFS: an in-process namenode and datanode on loopback. */
class HdfsCheckpointStoreTest extends CheckpointStoreContract {
  @TempDir static Path dir;
  private static MiniDFSCluster cluster;
  private static final AtomicInteger STORES = new AtomicInteger();

  @BeforeAll
  static void startHdfs() throws IOException {
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
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
  }

  @AfterAll
  static void stopHdfs() {
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  @Override
  CheckpointStore newStore() throws IOException {
    URI nn = cluster.getFileSystem().getUri();
    return new HadoopCheckpointStore(
        nn.resolve("/ckpt/root" + STORES.incrementAndGet()), cluster.getConfiguration(0));
  }
}
