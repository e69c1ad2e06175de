package dev.sparkspeed.zero.checkpoint;

/**
 * One tensor file of a checkpoint.
 *
 * @param name file name inside the tag directory, e.g. "rank_3.bin"
 * @param rank the rank that wrote it, -1 for a file not tied to a rank ("model_states.bin")
 * @param bytes its exact size, header included
 */
public record FileEntry(String name, int rank, long bytes) {}
