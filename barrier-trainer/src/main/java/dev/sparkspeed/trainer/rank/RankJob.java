package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.trainer.ModelSpec;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.checkpoint.HadoopConfCopy;
import java.io.Serializable;
import org.apache.spark.sql.types.StructType;

/**
 * Everything a rank receives in its task closure.
 *
 * @param options the run's options
 * @param model the architecture every rank builds
 * @param deepspeedJson the DeepSpeed config text every rank resolves the same way
 * @param secret the job's ring key (never printed)
 * @param runId tells this run's progress reports from other runs'
 * @param schema the schema of the rows the task reads
 * @param hadoop the driver's Hadoop configuration, for the checkpoint store
 */
public record RankJob(
    TrainOptions options,
    ModelSpec model,
    String deepspeedJson,
    JobSecret secret,
    String runId,
    StructType schema,
    HadoopConfCopy hadoop)
    implements Serializable {
  private static final long serialVersionUID = 1L;
}
