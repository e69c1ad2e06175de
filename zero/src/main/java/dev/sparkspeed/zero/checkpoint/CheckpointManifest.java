package dev.sparkspeed.zero.checkpoint;

import java.util.List;

/**
 * The parsed, validated {@code manifest.json} of one checkpoint.
 *
 * @param tag the checkpoint's directory name
 * @param meta configs and training state
 * @param chunkBytes bytes covered by each CRC-32C of a tensor
 * @param files every tensor file with its exact size
 * @param tensors every tensor, in file order
 */
public record CheckpointManifest(
    String tag,
    CheckpointMeta meta,
    int chunkBytes,
    List<FileEntry> files,
    List<TensorEntry> tensors) {

  public CheckpointManifest {
    files = List.copyOf(files);
    tensors = List.copyOf(tensors);
  }
}
