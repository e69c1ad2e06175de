package dev.sparkspeed.zero.checkpoint;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * Reads a committed checkpoint by tensor name, checking everything before use.
 *
 * <p>{@link #open} checks the marker, the manifest's SHA-256 against the marker, the manifest's
 * schema, version and layout, each tensor file's size against the manifest and each file's header.
 * Every read then checks the CRC-32C of each chunk it touches. Any failure is a {@link
 * CorruptCheckpointException} naming the file; no read goes out of the ranges validated at open.
 *
 * <p>Tensors are found by their own name, or, for a flat tensor saved in pieces (see {@link
 * PartOf}), by the whole's name: {@link #readRange} then reads any element range of it from
 * whichever files hold it, without loading the rest.
 *
 * <p>Not thread-safe; one reader per thread.
 */
public final class CheckpointReader implements AutoCloseable {
  private final CheckpointStore store;
  private final String tag;
  private final CheckpointManifest manifest;
  private final Map<String, TensorEntry> entries = new HashMap<>();
  private final Map<String, List<TensorEntry>> parts = new HashMap<>();
  private final Map<String, SeekableInput> inputs = new HashMap<>();
  private final CRC32C crc = new CRC32C();
  private ByteBuffer scratch;

  private CheckpointReader(CheckpointStore store, String tag, CheckpointManifest manifest) {
    this.store = store;
    this.tag = tag;
    this.manifest = manifest;
    for (TensorEntry t : manifest.tensors()) {
      entries.put(t.name(), t);
      if (t.partOf() != null) {
        parts.computeIfAbsent(t.partOf().tensor(), k -> new ArrayList<>()).add(t);
      }
    }
    for (List<TensorEntry> p : parts.values()) {
      p.sort(Comparator.comparingLong(t -> t.partOf().start()));
    }
  }

  /**
   * Opens checkpoint {@code tag} after checking its marker, manifest and file sizes and headers.
   *
   * @throws CorruptCheckpointException when the checkpoint is incomplete or damaged
   */
  public static CheckpointReader open(CheckpointStore store, String tag) throws IOException {
    if (!StorePaths.isName(tag)) {
      throw new IllegalArgumentException("invalid checkpoint tag '" + tag + "'");
    }
    String where = store.describe() + "/" + tag;
    if (!store.exists(tag + "/" + CheckpointFormat.MARKER)) {
      throw new CorruptCheckpointException(
          where + " has no " + CheckpointFormat.MARKER + " marker: its save did not finish");
    }
    CommitMarker marker =
        CommitMarker.parse(
            store.readSmall(
                tag + "/" + CheckpointFormat.MARKER, CheckpointFormat.MAX_SMALL_FILE_BYTES),
            where + "/" + CheckpointFormat.MARKER,
            tag);
    String manifestPath = tag + "/" + CheckpointFormat.MANIFEST;
    if (!store.exists(manifestPath)) {
      throw new CorruptCheckpointException(where + " is committed but has no manifest");
    }
    byte[] json = store.readSmall(manifestPath, CheckpointFormat.MAX_MANIFEST_BYTES);
    if (!CommitMarker.sha256(json).equals(marker.manifestSha256())) {
      throw new CorruptCheckpointException(
          where
              + "/"
              + CheckpointFormat.MANIFEST
              + " does not match the SHA-256 its marker"
              + " recorded: it was changed or cut short after the commit");
    }
    CheckpointManifest m =
        ManifestCodec.parseManifest(json, where + "/" + CheckpointFormat.MANIFEST);
    if (!m.tag().equals(tag) || m.meta().step() != marker.step()) {
      throw new CorruptCheckpointException(
          where
              + "/"
              + CheckpointFormat.MANIFEST
              + " describes tag '"
              + m.tag()
              + "' step "
              + m.meta().step()
              + " but its marker commits step "
              + marker.step());
    }
    CheckpointReader r = new CheckpointReader(store, tag, m);
    try {
      r.openFiles();
    } catch (IOException | RuntimeException e) {
      r.closeQuietly(e);
      throw e;
    }
    return r;
  }

  private void openFiles() throws IOException {
    for (FileEntry f : manifest.files()) {
      String path = tag + "/" + f.name();
      String where = store.describe() + "/" + path;
      if (!store.exists(path)) {
        throw new CorruptCheckpointException(where + " is listed in the manifest but missing");
      }
      SeekableInput in = store.openRead(path);
      inputs.put(f.name(), in);
      long size = in.size();
      if (size != f.bytes()) {
        throw new CorruptCheckpointException(
            where
                + " is "
                + size
                + " bytes; the manifest says "
                + f.bytes()
                + (size < f.bytes() ? " (truncated)" : " (replaced or appended to)"));
      }
      ByteBuffer header = ByteBuffer.allocate(CheckpointFormat.HEADER_BYTES);
      in.readFully(0, header);
      CheckpointFormat.checkHeader(header, where, f.rank());
    }
  }

  /** The checkpoint's tag. */
  public String tag() {
    return tag;
  }

  /** The validated manifest: configs, training state, tensor list. */
  public CheckpointManifest manifest() {
    return manifest;
  }

  /** Names readable with {@link #readRange}: every tensor and every flat tensor saved in parts. */
  public Set<String> names() {
    Set<String> out = new TreeSet<>(entries.keySet());
    out.addAll(parts.keySet());
    return out;
  }

  /** True when {@code name} is a tensor or a flat tensor saved in parts. */
  public boolean has(String name) {
    return entries.containsKey(name) || parts.containsKey(name);
  }

  /** Element count of a tensor or of a whole flat tensor. */
  public long numel(String name) {
    TensorEntry e = entries.get(name);
    return e != null ? e.numel() : pieces(name).get(0).partOf().numel();
  }

  /** Element type of a tensor or of a whole flat tensor. */
  public DType dtype(String name) {
    TensorEntry e = entries.get(name);
    return e != null ? e.dtype() : pieces(name).get(0).dtype();
  }

  /** The manifest entry of a single saved tensor. */
  public TensorEntry entry(String name) {
    TensorEntry e = entries.get(name);
    if (e == null) {
      throw unknown(name);
    }
    return e;
  }

  /** Reads all of {@code name} into {@code dst}, which must have exactly its bytes remaining. */
  public void read(String name, ByteBuffer dst) throws IOException {
    readRange(name, 0, numel(name), dst);
  }

  /** Reads all of {@code name} into a host tensor of the same dtype and element count. */
  public void read(String name, Tensor dst) throws IOException {
    if (dst.dtype() != dtype(name) || dst.size() != numel(name)) {
      throw new IllegalArgumentException(
          "cannot read " + name + " (" + numel(name) + " × " + dtype(name) + ") into " + dst);
    }
    readRange(name, 0, dst.size(), dst.bytes());
  }

  /**
   * Reads elements {@code [from, to)} of a tensor, or of a flat tensor saved in parts, into {@code
   * dst} (exactly (to − from) × dtype size bytes remaining; position advances).
   */
  public void readRange(String name, long from, long to, ByteBuffer dst) throws IOException {
    long numel = numel(name);
    int b = dtype(name).bytes();
    if (from < 0 || from > to || to > numel) {
      throw new IndexOutOfBoundsException(
          "range [" + from + ", " + to + ") outside " + name + " of " + numel + " elements");
    }
    if (dst.remaining() != (to - from) * b) {
      throw new IllegalArgumentException(
          "reading "
              + (to - from)
              + " elements of "
              + name
              + " needs "
              + (to - from) * b
              + " bytes; the buffer has "
              + dst.remaining());
    }
    TensorEntry e = entries.get(name);
    if (e != null) {
      readChecked(e, from * b, to * b, dst);
      return;
    }
    // The pieces tile [0, numel) (checked at open), so each one reached starts at or before cursor.
    long cursor = from;
    for (TensorEntry p : pieces(name)) {
      long start = p.partOf().start();
      long end = start + p.numel();
      if (cursor >= to) {
        break;
      }
      if (end > cursor) {
        long stop = Math.min(end, to);
        readChecked(p, (cursor - start) * b, (stop - start) * b, dst);
        cursor = stop;
      }
    }
  }

  /** Reads every tensor once and checks all checksums. */
  public void verifyChecksums() throws IOException {
    for (TensorEntry e : manifest.tensors()) {
      long done = 0;
      while (done < e.length()) {
        int n = (int) Math.min(manifest.chunkBytes(), e.length() - done);
        ByteBuffer s = scratch().clear().limit(n);
        readChecked(e, done, done + n, s);
        done += n;
      }
    }
  }

  /** Reads bytes {@code [from, to)} of tensor {@code e}, checking every chunk it touches. */
  private void readChecked(TensorEntry e, long from, long to, ByteBuffer dst) throws IOException {
    long chunk = manifest.chunkBytes();
    SeekableInput in = inputs.get(e.file());
    for (long k = from / chunk; k * chunk < to; k++) {
      long cStart = k * chunk;
      long cEnd = Math.min(cStart + chunk, e.length());
      int n = (int) (cEnd - cStart);
      if (from <= cStart && cEnd <= to) {
        ByteBuffer piece = dst.slice(dst.position(), n);
        readAt(in, e, cStart, piece);
        check(e, k, piece.flip());
        dst.position(dst.position() + n);
      } else {
        ByteBuffer s = scratch().clear().limit(n);
        readAt(in, e, cStart, s);
        check(e, k, s.flip());
        int lo = (int) (Math.max(from, cStart) - cStart);
        int hi = (int) (Math.min(to, cEnd) - cStart);
        dst.put(s.limit(hi).position(lo));
      }
    }
  }

  private void readAt(SeekableInput in, TensorEntry e, long at, ByteBuffer dst) throws IOException {
    try {
      in.readFully(e.offset() + at, dst);
    } catch (EOFException x) {
      throw new CorruptCheckpointException(
          store.describe()
              + "/"
              + tag
              + "/"
              + e.file()
              + " ended inside tensor "
              + e.name()
              + " although its size matched at open: it changed while being read",
          x);
    }
  }

  private void check(TensorEntry e, long k, ByteBuffer bytes) throws CorruptCheckpointException {
    crc.reset();
    crc.update(bytes.duplicate());
    int got = (int) crc.getValue();
    if (got != e.crc32c()[(int) k]) {
      long at = k * manifest.chunkBytes();
      throw new CorruptCheckpointException(
          String.format(
              "%s/%s/%s: checksum mismatch in tensor %s bytes [%d, %d): crc32c %08x, the"
                  + " manifest says %08x; the file is damaged, use an older checkpoint",
              store.describe(),
              tag,
              e.file(),
              e.name(),
              at,
              at + bytes.remaining(),
              got,
              e.crc32c()[(int) k]));
    }
  }

  private ByteBuffer scratch() {
    if (scratch == null) {
      scratch = ByteBuffer.allocate(manifest.chunkBytes());
    }
    return scratch;
  }

  private List<TensorEntry> pieces(String name) {
    List<TensorEntry> p = parts.get(name);
    if (p == null) {
      throw unknown(name);
    }
    return p;
  }

  private IllegalArgumentException unknown(String name) {
    return new IllegalArgumentException(
        "checkpoint "
            + tag
            + " has no tensor '"
            + name
            + "'; it has "
            + names().size()
            + " names, e.g. "
            + names().stream().limit(5).toList());
  }

  private void closeQuietly(Throwable primary) {
    try {
      close();
    } catch (IOException e) {
      primary.addSuppressed(e);
    }
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (SeekableInput in : inputs.values()) {
      try {
        in.close();
      } catch (IOException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    inputs.clear();
    if (first != null) {
      throw first;
    }
  }
}
