package dev.sparkspeed.trainer.ml;

import dev.sparkspeed.trainer.FeedColumns;
import dev.sparkspeed.trainer.ModelSpec;
import dev.sparkspeed.trainer.SparkSpeed;
import dev.sparkspeed.trainer.TrainOptions;
import dev.sparkspeed.trainer.TrainResult;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.StructType;

/**
 * Spark ML estimator for {@link SparkSpeed#fit}: {@code fit} trains with one barrier task per rank
 * and returns a {@link SparkSpeedModel}. Params: {@code model} (preset or model JSON), {@code
 * deepspeedConfig} (JSON text or a path on the driver), the input columns ({@code tokensCol} or
 * {@code textCol} for GPT, {@code featuresCol} and {@code labelCol} for the MLP), {@code
 * worldSize}, {@code maxSteps}, {@code outputPath}, {@code seqLen}, {@code tokenizer}. Empty
 * strings mean "not set". Saved and loaded with Spark ML's default params format.
 */
public final class SparkSpeedEstimator extends Estimator<SparkSpeedModel>
    implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final Param<String> model;
  private final Param<String> deepspeedConfig;
  private final Param<String> labelCol;
  private final IntParam worldSize;
  private final LongParam maxSteps;
  private final Param<String> outputPath;
  private final ModelParams shared;

  public SparkSpeedEstimator() {
    this(Identifiable$.MODULE$.randomUID("sparkspeed"));
  }

  public SparkSpeedEstimator(String uid) {
    this.uid = uid;
    this.model = new Param<>(this, "model", "a preset (gpt2-tiny, gpt2-mini, ...) or model JSON");
    this.deepspeedConfig =
        new Param<>(this, "deepspeedConfig", "DeepSpeed config JSON text or file path");
    this.labelCol = new Param<>(this, "labelCol", "label column (MLP)");
    this.worldSize = new IntParam(this, "worldSize", "data-parallel ranks (barrier tasks)");
    this.maxSteps = new LongParam(this, "maxSteps", "optimizer steps; 0 = one epoch");
    this.outputPath = new Param<>(this, "outputPath", "where to save the model; empty = nowhere");
    this.shared = new ModelParams(this);
    setDefault(deepspeedConfig, "");
    setDefault(labelCol, "");
    setDefault(worldSize, 1);
    setDefault(maxSteps, 0L);
    setDefault(outputPath, "");
    shared.setDefaults(this::setDefault);
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> model() {
    return model;
  }

  public Param<String> deepspeedConfig() {
    return deepspeedConfig;
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

  public Param<String> labelCol() {
    return labelCol;
  }

  public IntParam worldSize() {
    return worldSize;
  }

  public LongParam maxSteps() {
    return maxSteps;
  }

  public Param<String> outputPath() {
    return outputPath;
  }

  public IntParam seqLen() {
    return shared.seqLen;
  }

  public Param<String> tokenizer() {
    return shared.tokenizer;
  }

  public SparkSpeedEstimator setModel(String v) {
    set(model, v);
    return this;
  }

  public SparkSpeedEstimator setDeepspeedConfig(String v) {
    set(deepspeedConfig, v);
    return this;
  }

  public SparkSpeedEstimator setTokensCol(String v) {
    set(shared.tokensCol, v);
    return this;
  }

  public SparkSpeedEstimator setTextCol(String v) {
    set(shared.textCol, v);
    return this;
  }

  public SparkSpeedEstimator setFeaturesCol(String v) {
    set(shared.featuresCol, v);
    return this;
  }

  public SparkSpeedEstimator setLabelCol(String v) {
    set(labelCol, v);
    return this;
  }

  public SparkSpeedEstimator setWorldSize(int v) {
    set(worldSize, v);
    return this;
  }

  public SparkSpeedEstimator setMaxSteps(long v) {
    set(maxSteps, v);
    return this;
  }

  public SparkSpeedEstimator setOutputPath(String v) {
    set(outputPath, v);
    return this;
  }

  public SparkSpeedEstimator setSeqLen(int v) {
    set(shared.seqLen, v);
    return this;
  }

  public SparkSpeedEstimator setTokenizer(String v) {
    set(shared.tokenizer, v);
    return this;
  }

  /** The params as {@link TrainOptions}. */
  public TrainOptions options() {
    if (!isDefined(model)) {
      throw new IllegalArgumentException("set the model param (setModel) before fit");
    }
    return TrainOptions.builder()
        .model(getOrDefault(model))
        .deepspeed(ModelParams.orNull(getOrDefault(deepspeedConfig)))
        .tokensColumn(ModelParams.orNull(getOrDefault(shared.tokensCol)))
        .textColumn(ModelParams.orNull(getOrDefault(shared.textCol)))
        .featuresColumn(ModelParams.orNull(getOrDefault(shared.featuresCol)))
        .labelColumn(ModelParams.orNull(getOrDefault(labelCol)))
        .worldSize((Integer) getOrDefault(worldSize))
        .maxSteps((Long) getOrDefault(maxSteps))
        .output(ModelParams.orNull(getOrDefault(outputPath)))
        .seqLen((Integer) getOrDefault(shared.seqLen))
        .tokenizer(getOrDefault(shared.tokenizer))
        .build();
  }

  @Override
  public SparkSpeedModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    TrainResult r = SparkSpeed.fit(dataset.toDF(), options());
    SparkSpeedModel m = new SparkSpeedModel(uid, r.model(), r.params());
    m.setParent(this);
    return copyValues(m, new ParamMap());
  }

  /** Checks that the input columns exist with usable types; the schema is returned unchanged. */
  @Override
  public StructType transformSchema(StructType schema) {
    TrainOptions o = options();
    FeedColumns.of(o, ModelSpec.resolve(o.model())).validate(schema);
    return schema;
  }

  @Override
  public SparkSpeedEstimator copy(ParamMap extra) {
    return (SparkSpeedEstimator) defaultCopy(extra);
  }

  /** Spark ML's reader for a saved estimator. */
  public static MLReader<SparkSpeedEstimator> read() {
    return new DefaultParamsReader<>();
  }

  public static SparkSpeedEstimator load(String path) {
    return read().load(path);
  }
}
