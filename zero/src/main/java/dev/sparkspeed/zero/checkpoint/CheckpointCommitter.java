package dev.sparkspeed.zero.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rank 0's side of a save: clears a tag before the ranks write, then, from all ranks' reports,
 * writes the manifest, the {@code COMMITTED} marker (last: it is what makes the checkpoint exist),
 * points {@code latest} at it and prunes old checkpoints. One saver per store root at a time.
 */
public final class CheckpointCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointCommitter.class);
  private static final Pattern OWN_FILE =
      Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]*\\.bin|manifest\\.json|COMMITTED");

  private CheckpointCommitter() {}

  /**
   * Makes {@code tag} empty before a save: deletes its marker first (so a half-deleted old
   * checkpoint is never taken for a whole one), then the directory. Call on rank 0 before the ranks
   * start writing, with a barrier between.
   */
  public static void begin(CheckpointStore store, String tag) throws IOException {
    requireTag(tag);
    store.delete(tag + "/" + CheckpointFormat.MARKER);
    store.delete(tag);
  }

  /**
   * Commits {@code tag} from the reports of every file written for it.
   *
   * @param reports each writer's {@link FileReport#toJson()}, gathered from all ranks
   * @param keepLast committed checkpoints to keep, this one included; 0 keeps all
   * @return the manifest written
   * @throws CorruptCheckpointException when a report is malformed, two reports clash, or a file's
   *     size in the store differs from its report (a rank's write did not land)
   */
  public static CheckpointManifest commit(
      CheckpointStore store, String tag, CheckpointMeta meta, List<String> reports, int keepLast)
      throws IOException {
    requireTag(tag);
    if (keepLast < 0) {
      throw new IllegalArgumentException("keep_last " + keepLast + " must be 0 (all) or more");
    }
    List<FileEntry> files = new ArrayList<>();
    List<TensorEntry> tensors = new ArrayList<>();
    int chunk = -1;
    for (int i = 0; i < reports.size(); i++) {
      FileReport r = ManifestCodec.parseReport(reports.get(i), "report " + i + " for " + tag);
      if (chunk != -1 && r.chunkBytes() != chunk) {
        throw new CorruptCheckpointException(
            "report "
                + i
                + " for "
                + tag
                + " uses checksum"
                + " chunks of "
                + r.chunkBytes()
                + " bytes, the others "
                + chunk);
      }
      chunk = r.chunkBytes();
      FileEntry f = r.file();
      long actual = store.size(tag + "/" + f.name());
      if (actual != f.bytes()) {
        throw new CorruptCheckpointException(
            store.describe()
                + "/"
                + tag
                + "/"
                + f.name()
                + " is "
                + actual
                + " bytes but its writer reported "
                + f.bytes());
      }
      files.add(f);
      tensors.addAll(r.tensors());
    }
    if (chunk == -1) {
      chunk = CheckpointWriter.DEFAULT_CHUNK_BYTES;
    }
    byte[] json = ManifestCodec.toJson(new CheckpointManifest(tag, meta, chunk, files, tensors));
    // Parsing our own output runs every layout check across all ranks' reports together.
    CheckpointManifest manifest =
        ManifestCodec.parseManifest(json, store.describe() + "/" + tag + " (before commit)");
    store.writeSmall(tag + "/" + CheckpointFormat.MANIFEST, json);
    store.writeSmall(
        tag + "/" + CheckpointFormat.MARKER,
        CommitMarker.forManifest(tag, meta.step(), json).toJson());
    store.writeSmall(CheckpointFormat.LATEST, (tag + "\n").getBytes(StandardCharsets.UTF_8));
    LOG.info(
        "committed checkpoint {}/{} (step {}, {} files, {} tensors)",
        store.describe(),
        tag,
        meta.step(),
        files.size(),
        tensors.size());
    if (keepLast > 0) {
      prune(store, tag, keepLast);
    }
    return manifest;
  }

  /**
   * Deletes committed checkpoints beyond the newest {@code keepLast} and abandoned saves (tag
   * directories holding only checkpoint files and no marker), never {@code current}.
   */
  static void prune(CheckpointStore store, String current, int keepLast) throws IOException {
    List<CommitMarker> committed = CheckpointLocator.committedNewestFirst(store);
    int kept = 0;
    for (CommitMarker m : committed) {
      if (m.tag().equals(current) || ++kept < keepLast) {
        continue;
      }
      LOG.info(
          "deleting checkpoint {}/{} (step {}): keeping the last {}",
          store.describe(),
          m.tag(),
          m.step(),
          keepLast);
      begin(store, m.tag());
    }
    List<String> committedTags = committed.stream().map(CommitMarker::tag).toList();
    for (String name : store.list("")) {
      if (name.equals(current) || committedTags.contains(name) || !StorePaths.isName(name)) {
        continue;
      }
      List<String> inside = store.list(name);
      if (!inside.isEmpty() && inside.stream().allMatch(n -> OWN_FILE.matcher(n).matches())) {
        LOG.info("deleting abandoned checkpoint save {}/{}", store.describe(), name);
        store.delete(name);
      }
    }
  }

  private static void requireTag(String tag) {
    if (!StorePaths.isName(tag) || tag.equals(CheckpointFormat.LATEST)) {
      throw new IllegalArgumentException(
          "invalid checkpoint tag '"
              + tag
              + "': use letters, digits, '_', '.', '-' (e.g."
              + " global_step100), not 'latest'");
    }
  }
}
