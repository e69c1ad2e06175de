package dev.sparkspeed.zero.checkpoint;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the checkpoint to resume from. {@code latest} is only a hint: if the tag it names is
 * missing, incomplete or damaged, the newest other committed checkpoint that passes the same checks
 * is used instead, so a crash during a save, or a damaged file, costs at most the steps since the
 * previous checkpoint.
 */
public final class CheckpointLocator {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointLocator.class);

  /** How much of a candidate checkpoint to check before choosing it. */
  public enum Verify {
    /** Marker, manifest, file sizes and headers: cheap, catches interrupted saves. */
    STRUCTURE,
    /** Also every checksum: reads all tensor bytes once, catches damaged data. */
    CHECKSUMS
  }

  private CheckpointLocator() {}

  /**
   * Opens the newest usable checkpoint, or empty when the store holds none.
   *
   * @return a reader that passed {@code verify}; the caller closes it
   */
  public static Optional<CheckpointReader> openLatest(CheckpointStore store, Verify verify)
      throws IOException {
    String hinted = readLatestHint(store);
    if (hinted != null) {
      CheckpointReader r = tryOpen(store, hinted, verify);
      if (r != null) {
        return Optional.of(r);
      }
    }
    for (CommitMarker m : committedNewestFirst(store)) {
      if (m.tag().equals(hinted)) {
        continue;
      }
      CheckpointReader r = tryOpen(store, m.tag(), verify);
      if (r != null) {
        if (hinted != null) {
          LOG.warn(
              "using checkpoint {}/{} (step {}) instead of '{}' named by {}",
              store.describe(),
              m.tag(),
              m.step(),
              hinted,
              CheckpointFormat.LATEST);
        }
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }

  /** The tag {@link #openLatest} would choose, or empty. */
  public static Optional<String> latestTag(CheckpointStore store, Verify verify)
      throws IOException {
    Optional<CheckpointReader> r = openLatest(store, verify);
    if (r.isEmpty()) {
      return Optional.empty();
    }
    try (CheckpointReader reader = r.get()) {
      return Optional.of(reader.tag());
    }
  }

  /**
   * Every tag directory with a readable marker, newest (highest step, then greatest tag) first.
   * Markers that cannot be parsed are skipped with a warning.
   */
  public static List<CommitMarker> committedNewestFirst(CheckpointStore store) throws IOException {
    List<CommitMarker> out = new ArrayList<>();
    for (String name : store.list("")) {
      if (!StorePaths.isName(name) || name.equals(CheckpointFormat.LATEST)) {
        continue;
      }
      String marker = name + "/" + CheckpointFormat.MARKER;
      if (!store.exists(marker)) {
        continue;
      }
      try {
        out.add(
            CommitMarker.parse(
                store.readSmall(marker, CheckpointFormat.MAX_SMALL_FILE_BYTES),
                store.describe() + "/" + marker,
                name));
      } catch (CorruptCheckpointException e) {
        LOG.warn("ignoring checkpoint {}: {}", name, e.getMessage());
      }
    }
    out.sort(
        Comparator.comparingLong(CommitMarker::step).thenComparing(CommitMarker::tag).reversed());
    return out;
  }

  private static String readLatestHint(CheckpointStore store) throws IOException {
    if (!store.exists(CheckpointFormat.LATEST)) {
      return null;
    }
    String tag;
    try {
      tag =
          new String(
                  store.readSmall(CheckpointFormat.LATEST, CheckpointFormat.MAX_SMALL_FILE_BYTES),
                  StandardCharsets.UTF_8)
              .trim();
    } catch (CorruptCheckpointException e) {
      LOG.warn("ignoring {}: {}", CheckpointFormat.LATEST, e.getMessage());
      return null;
    }
    if (!StorePaths.isName(tag)) {
      LOG.warn("ignoring {}/{}: it does not name a tag", store.describe(), CheckpointFormat.LATEST);
      return null;
    }
    return tag;
  }

  private static CheckpointReader tryOpen(CheckpointStore store, String tag, Verify verify)
      throws IOException {
    CheckpointReader r;
    try {
      r = CheckpointReader.open(store, tag);
    } catch (CorruptCheckpointException e) {
      LOG.warn("skipping checkpoint {}/{}: {}", store.describe(), tag, e.getMessage());
      return null;
    }
    if (verify == Verify.CHECKSUMS) {
      try {
        r.verifyChecksums();
      } catch (CorruptCheckpointException e) {
        LOG.warn("skipping checkpoint {}/{}: {}", store.describe(), tag, e.getMessage());
        r.close();
        return null;
      } catch (IOException | RuntimeException e) {
        try {
          r.close();
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    }
    return r;
  }
}
