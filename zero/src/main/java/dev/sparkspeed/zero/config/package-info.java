/**
 * DeepSpeed's JSON config as typed, validated records.
 *
 * <p>Entry points: {@link dev.sparkspeed.zero.config.DeepSpeedConfig#parse}, {@link
 * dev.sparkspeed.zero.config.DeepSpeedConfig#load}, {@link
 * dev.sparkspeed.zero.config.DeepSpeedConfig#defaults}; {@link
 * dev.sparkspeed.zero.config.DeepSpeedConfig#toJson} writes the resolved config back for logs and
 * checkpoint manifests. Every problem is a {@link dev.sparkspeed.zero.config.ConfigException} whose
 * message starts with the key path to change.
 *
 * <p>Rules, as DeepSpeed has them unless said otherwise:
 *
 * <ul>
 *   <li>Keys and defaults are DeepSpeed's. Each block maps to one record: {@code train_batch_size},
 *       {@code train_micro_batch_size_per_gpu} and {@code gradient_accumulation_steps} to {@link
 *       dev.sparkspeed.zero.config.BatchConfig}; {@code optimizer} to {@link
 *       dev.sparkspeed.zero.config.OptimizerConfig}; {@code scheduler} to {@link
 *       dev.sparkspeed.zero.config.SchedulerConfig}; {@code zero_optimization} to {@link
 *       dev.sparkspeed.zero.config.ZeroConfig} and {@link
 *       dev.sparkspeed.zero.config.OffloadConfig}; {@code aio}, {@code fp16}, {@code bf16} and
 *       {@code checkpoint} to records of those names.
 *   <li>Batch sizes: any two of the three give the third; one alone sets accumulation to 1; the
 *       product must hold exactly for the world size.
 *   <li>An unknown key at any level is an error naming its full path and the nearest valid key. A
 *       key DeepSpeed knows but this engine does not implement is an error that says so. Unlike
 *       DeepSpeed, which ignores unknown top-level keys, nothing passes silently.
 *   <li>A value of the wrong JSON type is an error naming the key, the expected type and the value
 *       seen. Integers may be written as integral floats ({@code 5e8}).
 *   <li>Stage rules: {@code offload_param} with a device needs stage 3; {@code offload_optimizer}
 *       with a device needs stage 1 or more; a partial {@code ratio} needs stage 3; {@code
 *       stage3_*} settings changed from their default below stage 3 are ignored with a warning, as
 *       DeepSpeed ignores them; fp16 and bf16 together are an error.
 *   <li>Hugging Face-style {@code "auto"} values are resolved from {@link
 *       dev.sparkspeed.zero.config.AutoValues}, which lists the keys that accept it; an
 *       unresolvable {@code "auto"} is an error naming the key and the missing input.
 *   <li>Files may contain comments and trailing commas (DeepSpeed reads them with hjson); duplicate
 *       keys are errors.
 * </ul>
 *
 * <p>SparkSpeed's own settings live in one extension block, {@code "sparkspeed"} ({@link
 * dev.sparkspeed.zero.config.SparkSpeedConfig}): {@code device} ({@code cpu}, {@code cuda} or
 * {@code auto}), {@code checkpoint_dir}, {@code save_interval}, {@code keep_last} and {@code
 * async_save}. These keys are accepted only inside that block.
 */
package dev.sparkspeed.zero.config;
