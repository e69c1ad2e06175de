package dev.sparkspeed.trainer.checkpoint;

import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.io.TempDir;

/** The Hadoop store on {@code file://}, Hadoop's local file system. */
class LocalHadoopCheckpointStoreTest extends CheckpointStoreContract {
  @TempDir Path dir;
  private int stores;

  @Override
  CheckpointStore newStore() throws IOException {
    return new HadoopCheckpointStore(
        dir.resolve("root" + stores++).toUri(), new Configuration(false));
  }
}
