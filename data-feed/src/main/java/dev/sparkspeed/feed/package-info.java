/**
 * The data feed: a partition's rows become fixed-shape training batches through Arrow record
 * batches, with bounded memory and the same step count on every rank.
 *
 * <pre>
 * rows ─► ArrowBatchStream (spark) ─► SpooledBatchSource ─► TokenBatcher / FeatureBatcher ─► Tensors
 *          Row → Arrow, one batch       one-shot pass made      blocks or rows, shuffle,       (B, T) INT32
 *          in memory, byte-limited      re-readable per epoch   wrap/trim, cursor              (B, F) FP32
 * </pre>
 *
 * <p>In a barrier task, per rank:
 *
 * <pre>{@code
 * FeedSchema feed = FeedSchema.of(ColumnSpec.text("text"));      // validated on the driver first
 * try (BufferAllocator arrow = new RootAllocator(feedMemoryBytes);
 *      SpooledBatchSource source = new SpooledBatchSource(
 *          new ArrowBatchStream(rows, schema, feed, arrow, ArrowBatchStream.Options.defaults()),
 *          localDir.resolve("feed-" + rank + ".arrows"), arrow);
 *      TokenBatcher batcher = new TokenBatcher(config, tokenizer, source, hostAllocator)) {
 *   long[] counts = allGather(batcher.countTokens());             // once, in the rendezvous
 *   EpochPlan plan = EpochPlan.forTokens(counts, config.batchSize(), config.blockSize(), policy);
 *   for (int epoch = first; epoch < epochs; epoch++) {
 *     if (cursor != null && cursor.epoch() == epoch) batcher.resume(cursor, plan);
 *     else batcher.start(epoch, plan);
 *     while (batcher.hasNext()) train(batcher.next());            // checkpoint batcher.cursor()
 *   }
 * }
 * }</pre>
 *
 * <p>Everything in this package is free of Spark and Scala; {@code dev.sparkspeed.feed.spark} holds
 * the classes that read Spark rows.
 */
package dev.sparkspeed.feed;
