package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The {@code COMMITTED} file: written last, it makes a checkpoint visible. It binds the manifest by
 * SHA-256, so a manifest replaced or cut short after the commit is detected, and carries the step
 * so that finding the newest checkpoint needs no manifest reads.
 *
 * @param tag the tag directory it commits
 * @param step optimizer step of the checkpoint
 * @param manifestSha256 lower-case hex SHA-256 of manifest.json's bytes
 */
public record CommitMarker(String tag, long step, String manifestSha256) {

  /** The marker for a manifest's bytes. */
  static CommitMarker forManifest(String tag, long step, byte[] manifest) {
    return new CommitMarker(tag, step, sha256(manifest));
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime provides SHA-256", e);
    }
  }

  byte[] toJson() {
    ObjectNode n = JsonCheck.MAPPER.createObjectNode();
    n.put("tag", tag);
    n.put("step", step);
    n.put("manifest_sha256", manifestSha256);
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Parses a marker read from {@code <tag>/COMMITTED}; its tag must be {@code expectedTag}. */
  static CommitMarker parse(byte[] json, String source, String expectedTag)
      throws CorruptCheckpointException {
    JsonCheck c = new JsonCheck(source);
    JsonNode root = c.parse(json);
    if (!root.isObject()) {
      throw c.fail("is not a JSON object");
    }
    String tag = c.text(root, "tag");
    if (!tag.equals(expectedTag)) {
      throw c.fail("commits tag '" + tag + "' but lies in directory '" + expectedTag + "'");
    }
    long step = c.integer(root, "step", 0, Long.MAX_VALUE);
    String sha = c.text(root, "manifest_sha256");
    if (!sha.matches("[0-9a-f]{64}")) {
      throw c.fail("has a manifest_sha256 that is not 64 hex digits");
    }
    return new CommitMarker(tag, step, sha);
  }
}
