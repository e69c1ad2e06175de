package dev.sparkspeed.zero.checkpoint;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * Checks that a list of tensor entries describes a sane layout: every tensor inside its file, sizes
 * that agree with shapes without overflow, no two tensors sharing bytes, checksums for every chunk,
 * and the pieces of each flat tensor consistent and disjoint (and, in a complete checkpoint rather
 * than one file's report, covering the whole).
 */
final class LayoutCheck {
  private LayoutCheck() {}

  static void check(
      JsonCheck c, int chunk, List<FileEntry> files, List<TensorEntry> tensors, boolean complete)
      throws CorruptCheckpointException {
    Map<String, FileEntry> byName = new HashMap<>();
    for (FileEntry f : files) {
      if (byName.put(f.name(), f) != null) {
        throw c.fail("lists file " + f.name() + " twice");
      }
    }
    Set<String> names = new HashSet<>();
    Map<String, List<TensorEntry>> perFile = new HashMap<>();
    Map<String, List<TensorEntry>> parts = new HashMap<>();
    for (TensorEntry t : tensors) {
      if (!names.add(t.name())) {
        throw c.fail("lists tensor " + t.name() + " twice");
      }
      FileEntry f = byName.get(t.file());
      if (f == null) {
        throw c.fail("puts tensor " + t.name() + " in " + t.file() + ", which it does not list");
      }
      checkExtent(c, chunk, t, f);
      perFile.computeIfAbsent(t.file(), k -> new ArrayList<>()).add(t);
      if (t.partOf() != null) {
        parts.computeIfAbsent(t.partOf().tensor(), k -> new ArrayList<>()).add(t);
      }
    }
    for (List<TensorEntry> inFile : perFile.values()) {
      disjoint(
          c, inFile, TensorEntry::offset, TensorEntry::length, "bytes of " + inFile.get(0).file());
    }
    for (Map.Entry<String, List<TensorEntry>> e : parts.entrySet()) {
      checkParts(c, e.getKey(), e.getValue(), names, complete);
    }
  }

  private static void checkExtent(JsonCheck c, int chunk, TensorEntry t, FileEntry f)
      throws CorruptCheckpointException {
    long numel;
    long bytes;
    try {
      numel = 1;
      for (long d : t.shape()) {
        numel = Math.multiplyExact(numel, d);
      }
      bytes = Math.multiplyExact(numel, (long) t.dtype().bytes());
    } catch (ArithmeticException e) {
      throw c.fail("gives tensor " + t.name() + " a shape whose size overflows");
    }
    if (bytes != t.length()) {
      throw c.fail(
          "gives tensor "
              + t.name()
              + " length "
              + t.length()
              + " but its shape and "
              + t.dtype()
              + " need "
              + bytes
              + " bytes");
    }
    if (t.offset() < CheckpointFormat.HEADER_BYTES
        || t.offset() % CheckpointFormat.ALIGNMENT != 0) {
      throw c.fail(
          "puts tensor "
              + t.name()
              + " at offset "
              + t.offset()
              + ", not an aligned"
              + " offset after the "
              + CheckpointFormat.HEADER_BYTES
              + "-byte header");
    }
    if (t.offset() > f.bytes() || t.length() > f.bytes() - t.offset()) {
      throw c.fail(
          "puts tensor "
              + t.name()
              + " at ["
              + t.offset()
              + ", +"
              + t.length()
              + ") past the end of "
              + f.name()
              + " ("
              + f.bytes()
              + " bytes)");
    }
    long chunks = (t.length() + chunk - 1) / chunk;
    if (t.crc32c().length != chunks) {
      throw c.fail(
          "gives tensor "
              + t.name()
              + " "
              + t.crc32c().length
              + " checksums; its "
              + t.length()
              + " bytes in chunks of "
              + chunk
              + " need "
              + chunks);
    }
    PartOf p = t.partOf();
    if (p != null && numel > p.numel() - p.start()) {
      throw c.fail(
          "puts tensor "
              + t.name()
              + " ("
              + numel
              + " elements) at "
              + p.start()
              + " of "
              + p.tensor()
              + ", which has only "
              + p.numel());
    }
  }

  private static void checkParts(
      JsonCheck c, String whole, List<TensorEntry> pieces, Set<String> entryNames, boolean all)
      throws CorruptCheckpointException {
    if (entryNames.contains(whole)) {
      throw c.fail("uses " + whole + " both as a tensor and as a flat tensor made of parts");
    }
    TensorEntry first = pieces.get(0);
    for (TensorEntry t : pieces) {
      if (t.dtype() != first.dtype() || t.partOf().numel() != first.partOf().numel()) {
        throw c.fail(
            "has parts "
                + first.name()
                + " and "
                + t.name()
                + " of "
                + whole
                + " that disagree on dtype or total size");
      }
    }
    disjoint(c, pieces, t -> t.partOf().start(), TensorEntry::numel, "elements of " + whole);
    if (!all) {
      return;
    }
    // Disjoint pieces inside [0, numel) cover it exactly when their sizes add up to it; this also
    // bounds the whole's size by the files' sizes, so callers may allocate by it.
    long covered = 0;
    for (TensorEntry t : pieces) {
      covered += t.numel();
    }
    if (covered != first.partOf().numel()) {
      throw c.fail(
          "has parts of "
              + whole
              + " covering "
              + covered
              + " of its "
              + first.partOf().numel()
              + " elements; every element must be in some file");
    }
  }

  /**
   * Fails when two entries claim the same range. Empty entries own nothing, so they may sit
   * anywhere, even inside another's range.
   */
  private static void disjoint(
      JsonCheck c,
      List<TensorEntry> list,
      ToLongFunction<TensorEntry> start,
      ToLongFunction<TensorEntry> length,
      String what)
      throws CorruptCheckpointException {
    list.sort(Comparator.comparingLong(start));
    TensorEntry last = null;
    for (TensorEntry t : list) {
      if (length.applyAsLong(t) == 0) {
        continue;
      }
      if (last != null
          && start.applyAsLong(t) - start.applyAsLong(last) < length.applyAsLong(last)) {
        throw c.fail("has tensors " + last.name() + " and " + t.name() + " sharing " + what);
      }
      last = t;
    }
  }
}
