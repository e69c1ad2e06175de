package dev.sparkspeed.trainer.rank;

import java.io.Serializable;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.sql.Row;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.AbstractFunction1;

/**
 * The barrier stage's function: one call per rank, on that rank's partition, returning the rank's
 * single {@link RankResult}.
 */
public final class BarrierTrainTask extends AbstractFunction1<Iterator<Row>, Iterator<RankResult>>
    implements Serializable {
  private static final long serialVersionUID = 1L;

  private final RankJob job;

  public BarrierTrainTask(RankJob job) {
    this.job = job;
  }

  @Override
  public Iterator<RankResult> apply(Iterator<Row> rows) {
    RankContext ctx = new SparkRankContext(BarrierTaskContext.get());
    RankResult r = RankRun.run(job, ctx, CollectionConverters.asJava(rows));
    return CollectionConverters.asScala(List.of(r).iterator());
  }
}
