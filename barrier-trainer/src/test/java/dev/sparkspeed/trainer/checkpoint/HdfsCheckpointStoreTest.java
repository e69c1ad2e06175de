package dev.sparkspeed.trainer.checkpoint;

import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The Hadoop store on a real HDFS: an in-process namenode and datanode on loopback. */
class HdfsCheckpointStoreTest extends CheckpointStoreContract {
  @TempDir static Path dir;
  private static MiniHdfs hdfs;
  private static final AtomicInteger STORES = new AtomicInteger();

  @BeforeAll
  static void startHdfs() throws IOException {
    hdfs = MiniHdfs.start(dir);
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.close();
    }
  }

  @Override
  CheckpointStore newStore() throws IOException {
    return new HadoopCheckpointStore(
        hdfs.uri().resolve("/ckpt/root" + STORES.incrementAndGet()), hdfs.conf());
  }
}
