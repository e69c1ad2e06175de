package dev.sparkspeed.trainer.ml;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.sparkspeed.trainer.ModelIo;
import dev.sparkspeed.trainer.ModelSpec;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * A model trained by {@link SparkSpeedEstimator}. {@code transform} appends, for an MLP, {@code
 * prediction} (the class, or the regression value) and {@code probability} (class probabilities);
 * for a GPT, {@code loss} (mean next-token loss over the row's last T tokens; null for rows of
 * fewer than two tokens) and {@code next_token} (the most likely next token id).
 *
 * <p>Saved as Spark ML metadata plus {@code data/}, which {@link ModelIo} writes: the model config
 * and the FP32 parameters as raw little-endian floats with their SHA-256 (no Java serialization).
 */
public final class SparkSpeedModel extends Model<SparkSpeedModel> implements MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final ModelSpec spec;
  private final float[] params;
  private final ModelParams shared;
  private final Param<String> predictionCol;
  private final Param<String> probabilityCol;
  private final Param<String> lossCol;
  private final Param<String> nextTokenCol;

  /**
   * @param params FP32 parameters in the model's parameter-table order
   */
  public SparkSpeedModel(String uid, ModelSpec spec, float[] params) {
    if (params.length != spec.table().totalElements()) {
      throw new IllegalArgumentException(
          "the model has " + spec.table().totalElements() + " parameters, got " + params.length);
    }
    this.uid = uid;
    this.spec = spec;
    this.params = params;
    this.shared = new ModelParams(this);
    this.predictionCol = new Param<>(this, "predictionCol", "MLP output: class or value");
    this.probabilityCol = new Param<>(this, "probabilityCol", "MLP output: class probabilities");
    this.lossCol = new Param<>(this, "lossCol", "GPT output: mean next-token loss of the row");
    this.nextTokenCol = new Param<>(this, "nextTokenCol", "GPT output: predicted next token id");
    shared.setDefaults(this::setDefault);
    setDefault(predictionCol, "prediction");
    setDefault(probabilityCol, "probability");
    setDefault(lossCol, "loss");
    setDefault(nextTokenCol, "next_token");
  }

  @Override
  public String uid() {
    return uid;
  }

  /** The architecture. */
  public ModelSpec spec() {
    return spec;
  }

  /** A copy of the FP32 parameters in table order. */
  public float[] parameters() {
    return params.clone();
  }

  public Param<String> tokensCol() {
    return shared.tokensCol;
  }

  public Param<String> textCol() {
    return shared.textCol;
  }

  public Param<String> featuresCol() {
    return shared.featuresCol;
  }

  public Param<String> tokenizer() {
    return shared.tokenizer;
  }

  public IntParam seqLen() {
    return shared.seqLen;
  }

  public Param<String> predictionCol() {
    return predictionCol;
  }

  public Param<String> probabilityCol() {
    return probabilityCol;
  }

  public Param<String> lossCol() {
    return lossCol;
  }

  public Param<String> nextTokenCol() {
    return nextTokenCol;
  }

  public SparkSpeedModel setTokensCol(String v) {
    set(shared.tokensCol, v);
    return this;
  }

  public SparkSpeedModel setTextCol(String v) {
    set(shared.textCol, v);
    return this;
  }

  public SparkSpeedModel setFeaturesCol(String v) {
    set(shared.featuresCol, v);
    return this;
  }

  public SparkSpeedModel setSeqLen(int v) {
    set(shared.seqLen, v);
    return this;
  }

  public SparkSpeedModel setTokenizer(String v) {
    set(shared.tokenizer, v);
    return this;
  }

  public SparkSpeedModel setPredictionCol(String v) {
    set(predictionCol, v);
    return this;
  }

  private ModelColumns columns() {
    String tokens = ModelParams.orNull(getOrDefault(shared.tokensCol));
    String text = ModelParams.orNull(getOrDefault(shared.textCol));
    String features = ModelParams.orNull(getOrDefault(shared.featuresCol));
    boolean gpt = spec.kind() == ModelSpec.Kind.GPT2;
    if (gpt ? (tokens == null) == (text == null) : features == null) {
      throw new IllegalArgumentException(
          gpt
              ? "set exactly one of tokensCol and textCol to transform with a GPT model"
              : "set featuresCol to transform with an MLP");
    }
    return new ModelColumns(
        tokens,
        text,
        features,
        getOrDefault(shared.tokenizer),
        spec.seqLen((Integer) getOrDefault(shared.seqLen)),
        getOrDefault(predictionCol),
        getOrDefault(probabilityCol),
        getOrDefault(lossCol),
        getOrDefault(nextTokenCol));
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    return Predictor.transform(dataset.toDF(), spec, params, columns());
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return Predictor.outputSchema(schema, spec, columns());
  }

  @Override
  public SparkSpeedModel copy(ParamMap extra) {
    SparkSpeedModel m = copyValues(new SparkSpeedModel(uid, spec, params), extra);
    return parent() == null ? m : m.setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new Writer(this);
  }

  /** Spark ML's reader for a saved model. */
  public static MLReader<SparkSpeedModel> read() {
    return new Reader();
  }

  public static SparkSpeedModel load(String path) {
    return read().load(path);
  }

  private static final class Writer extends MLWriter {
    private final SparkSpeedModel m;

    Writer(SparkSpeedModel m) {
      this.m = m;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter.saveMetadata(m, path, sparkSession());
      ModelIo.save(
          sc().hadoopConfiguration(),
          path + "/data",
          m.spec,
          m.params,
          JsonNodeFactory.instance.objectNode());
    }
  }

  private static final class Reader extends MLReader<SparkSpeedModel> {
    @Override
    public SparkSpeedModel load(String path) {
      DefaultParamsReader.Metadata meta =
          DefaultParamsReader.loadMetadata(path, sparkSession(), SparkSpeedModel.class.getName());
      ModelIo.Loaded data = ModelIo.load(sc().hadoopConfiguration(), path + "/data");
      SparkSpeedModel m = new SparkSpeedModel(meta.uid(), data.model(), data.params());
      meta.getAndSetParams(m, Option.empty());
      return m;
    }
  }
}
