package dev.sparkspeed.zero.checkpoint;

import java.util.List;

/**
 * What one {@link CheckpointWriter} wrote: the file and its tensors. Each rank sends its report (as
 * {@link #toJson()}) to rank 0, which commits them all with {@link CheckpointCommitter}.
 *
 * @param file the file written and its exact size
 * @param chunkBytes bytes per CRC-32C chunk
 * @param tensors the tensors in it, in write order
 */
public record FileReport(FileEntry file, int chunkBytes, List<TensorEntry> tensors) {
  public FileReport {
    tensors = List.copyOf(tensors);
  }

  /** JSON for gathering across ranks; {@link ManifestCodec#parseReport} reads it back. */
  public String toJson() {
    return ManifestCodec.toJson(this);
  }
}
