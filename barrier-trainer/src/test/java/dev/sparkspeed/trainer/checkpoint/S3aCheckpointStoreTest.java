package dev.sparkspeed.trainer.checkpoint;

import dev.sparkspeed.zero.checkpoint.CheckpointStore;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Hadoop store on {@code s3a://} against a real S3 API server on loopback. */
class S3aCheckpointStoreTest extends CheckpointStoreContract {
  private static final String BUCKET = "checkpoints";
  private static final AtomicInteger STORES = new AtomicInteger();

  private static LoopbackS3 s3;

  @BeforeAll
  static void startS3() throws Exception {
    s3 = LoopbackS3.start(BUCKET);
  }

  @AfterAll
  static void stopS3() throws Exception {
    if (s3 != null) {
      s3.close();
    }
  }

  @Override
  CheckpointStore newStore() throws IOException {
    return new HadoopCheckpointStore(
        URI.create("s3a://" + BUCKET + "/run" + STORES.incrementAndGet()), s3.conf());
  }
}
