"""pyspark.ml classes for SparkSpeed's Spark ML estimator and model.

The training runs in the JVM: these classes hold the params on the Python side and hand them to
dev.sparkspeed.trainer.ml.SparkSpeedEstimator / SparkSpeedModel through py4j, so the session must
have the SparkSpeed assembly jar on its class path (``spark.jars``)::

    est = SparkSpeedEstimator(model="gpt2-tiny", textCol="text", worldSize=2, maxSteps=30)
    model = est.fit(df)
    model.summary.losses          # mean loss over all ranks at every optimizer step
    model.transform(df)           # adds "loss" and "next_token" (GPT) or "prediction" (MLP)

Both classes work in a pyspark.ml Pipeline and save/load with Spark ML's format.
"""

from typing import List, Optional

from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.util import JavaMLReadable, JavaMLReader, JavaMLWritable
from pyspark.ml.wrapper import JavaEstimator, JavaModel
from pyspark.sql import DataFrame

_JAVA_PACKAGE = "dev.sparkspeed.trainer"


class _SharedParams(Params):
    """The params the estimator hands to the model it fits (same names as on the JVM side)."""

    tokensCol = Param(
        Params._dummy(), "tokensCol", "array<int> token-id column (GPT)", TypeConverters.toString
    )
    textCol = Param(Params._dummy(), "textCol", "string text column (GPT)", TypeConverters.toString)
    featuresCol = Param(
        Params._dummy(), "featuresCol", "feature vector column (MLP)", TypeConverters.toString
    )
    tokenizer = Param(
        Params._dummy(),
        "tokenizer",
        '"byte" or the path of a tokenizer.json',
        TypeConverters.toString,
    )
    seqLen = Param(
        Params._dummy(),
        "seqLen",
        "GPT sequence length in tokens; 0 = min(64, block_size)",
        TypeConverters.toInt,
    )


class _JvmSetters:
    """Sends set params to the JVM object through its typed setters.

    PySpark's generic transfer wraps a Python int in a java.lang.Integer, which a Java LongParam
    (maxSteps) rejects when it is read; the setters convert the value to the declared type.
    Defaults are not sent: they were read from the JVM object in the first place.
    """

    def _transfer_params_to_java(self) -> None:
        for param in self.params:
            if not self.isSet(param):
                continue
            value = self._paramMap[param]
            if isinstance(value, int):
                # seqLen, worldSize and maxSteps: each has a typed setter on both JVM classes.
                getattr(self._java_obj, "set" + param.name[0].upper() + param.name[1:])(value)
            else:
                self._java_obj.set(self._make_java_param_pair(param, value))


class _Reader(JavaMLReader):
    @classmethod
    def _java_loader_class(cls, clazz) -> str:
        return clazz._java_class


class TrainingSummary:
    """What a fit measured: per-step losses and times, and the parameters' hash."""

    def __init__(self, result) -> None:
        #: mean loss over all ranks at every optimizer step
        self.losses: List[float] = [float(x) for x in result.losses()]
        #: rank 0's wall time of every step, in seconds
        self.step_seconds: List[float] = [float(x) for x in result.stepSeconds()]
        #: the whole fit, preflight to result, in seconds
        self.wall_seconds: float = float(result.wallSeconds())
        #: SHA-256 of the final parameters as little-endian FP32 bytes
        self.params_sha256: str = str(result.paramsSha256())

    @property
    def steps(self) -> int:
        return len(self.losses)

    def __repr__(self) -> str:
        return (
            f"TrainingSummary(steps={self.steps}, loss {self.losses[0]:.4f} -> "
            f"{self.losses[-1]:.4f}, {self.wall_seconds:.1f} s)"
        )


class SparkSpeedModel(_JvmSetters, JavaModel, _SharedParams, JavaMLReadable, JavaMLWritable):
    """A trained model; ``transform`` appends ``loss`` and ``next_token`` for a GPT, and
    ``prediction`` and ``probability`` for an MLP."""

    _java_class = _JAVA_PACKAGE + ".ml.SparkSpeedModel"

    def __init__(self, java_model=None) -> None:
        super().__init__(java_model)
        self._summary: Optional[TrainingSummary] = None
        if java_model is not None:
            self._transfer_params_from_java()

    @property
    def hasSummary(self) -> bool:
        return self._summary is not None

    @property
    def summary(self) -> TrainingSummary:
        """The training summary of a model fitted in this session (a loaded model has none)."""
        if self._summary is None:
            raise RuntimeError("this model was loaded, not fitted here: it has no training summary")
        return self._summary

    def setTextCol(self, value: str) -> "SparkSpeedModel":
        return self._set(textCol=value)

    def setTokensCol(self, value: str) -> "SparkSpeedModel":
        return self._set(tokensCol=value)

    def setFeaturesCol(self, value: str) -> "SparkSpeedModel":
        return self._set(featuresCol=value)

    def setSeqLen(self, value: int) -> "SparkSpeedModel":
        return self._set(seqLen=value)

    @classmethod
    def read(cls) -> _Reader:
        return _Reader(cls)

    @classmethod
    def _from_java(cls, java_stage) -> "SparkSpeedModel":
        return cls(java_stage)


class SparkSpeedEstimator(_JvmSetters, JavaEstimator, _SharedParams, JavaMLWritable):
    """Trains a GPT-2 or MLP with one Spark barrier task per rank (ZeRO data parallelism).

    Keyword params (all optional but ``model``): model (a preset such as "gpt2-tiny", or model
    JSON text), deepspeedConfig (DeepSpeed JSON text or a path on the driver), textCol or
    tokensCol (GPT), featuresCol and labelCol (MLP), worldSize (ranks; the session needs that many
    task slots), maxSteps (0 = one epoch), outputPath, seqLen, tokenizer.
    """

    model = Param(
        Params._dummy(),
        "model",
        "a preset (gpt2-tiny, gpt2-mini, ...) or model JSON",
        TypeConverters.toString,
    )
    deepspeedConfig = Param(
        Params._dummy(),
        "deepspeedConfig",
        "DeepSpeed config JSON text or file path",
        TypeConverters.toString,
    )
    labelCol = Param(Params._dummy(), "labelCol", "label column (MLP)", TypeConverters.toString)
    worldSize = Param(
        Params._dummy(), "worldSize", "data-parallel ranks (barrier tasks)", TypeConverters.toInt
    )
    maxSteps = Param(
        Params._dummy(), "maxSteps", "optimizer steps; 0 = one epoch", TypeConverters.toInt
    )
    outputPath = Param(
        Params._dummy(),
        "outputPath",
        "where to save the model; empty = nowhere",
        TypeConverters.toString,
    )

    _java_class = _JAVA_PACKAGE + ".ml.SparkSpeedEstimator"

    def __init__(
        self,
        *,
        model: Optional[str] = None,
        deepspeedConfig: Optional[str] = None,
        textCol: Optional[str] = None,
        tokensCol: Optional[str] = None,
        featuresCol: Optional[str] = None,
        labelCol: Optional[str] = None,
        worldSize: Optional[int] = None,
        maxSteps: Optional[int] = None,
        outputPath: Optional[str] = None,
        seqLen: Optional[int] = None,
        tokenizer: Optional[str] = None,
    ) -> None:
        super().__init__()
        self._java_obj = self._new_java_obj(self._java_class, self.uid)
        self._transfer_params_from_java()
        given = {k: v for k, v in locals().items() if k in self._param_names() and v is not None}
        self._set(**given)

    @classmethod
    def _param_names(cls) -> set:
        return {
            "model",
            "deepspeedConfig",
            "textCol",
            "tokensCol",
            "featuresCol",
            "labelCol",
            "worldSize",
            "maxSteps",
            "outputPath",
            "seqLen",
            "tokenizer",
        }

    def setParams(self, **kwargs) -> "SparkSpeedEstimator":
        unknown = set(kwargs) - self._param_names()
        if unknown:
            raise TypeError(f"unknown params {sorted(unknown)}; valid: {sorted(self._param_names())}")
        return self._set(**kwargs)

    def _fit(self, dataset: DataFrame) -> SparkSpeedModel:
        # The JVM estimator's fit returns only the model; SparkSpeed.fit also returns the per-step
        # losses, which the summary keeps. The estimator still checks the columns and builds the
        # options, so both paths train identically.
        self._transfer_params_to_java()
        java_est = self._java_obj
        java_est.transformSchema(dataset._jdf.schema())
        jvm = dataset.sparkSession.sparkContext._jvm
        result = jvm.dev.sparkspeed.trainer.SparkSpeed.fit(dataset._jdf, java_est.options())
        java_model = jvm.dev.sparkspeed.trainer.ml.SparkSpeedModel(
            self.uid, result.model(), result.params()
        )
        java_model.setParent(java_est)
        model = SparkSpeedModel(java_model)
        model._summary = TrainingSummary(result)
        return self._copyValues(model)

    def _create_model(self, java_model) -> SparkSpeedModel:
        return SparkSpeedModel(java_model)
