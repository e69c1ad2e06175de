package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Streams tensors into the safetensors format (the Hugging Face exchange format): an 8-byte
 * little-endian header length N, N bytes of JSON padded with spaces so data starts 8-byte aligned,
 * then the tensors' bytes back to back in declaration order. The header must be known up front, so
 * all tensors are declared at {@link #open}; their bytes then follow, in that order, through {@link
 * #write}. Declare wider types first to keep every tensor aligned to its element size.
 *
 * <p>Not thread-safe. Closing before every declared tensor was written leaves a short file that
 * {@link SafetensorsReader} rejects.
 */
public final class SafetensorsWriter implements AutoCloseable {
  /** A tensor to be written: name, engine type and shape. */
  public record Declaration(String name, dev.sparkspeed.zero.tensor.DType dtype, long[] shape) {
    long bytes() {
      long n = 1;
      for (long d : shape) {
        if (d < 0) {
          throw new IllegalArgumentException(
              name + ": negative dimension " + Arrays.toString(shape));
        }
        n = Math.multiplyExact(n, d);
      }
      return Math.multiplyExact(n, (long) dtype.bytes());
    }
  }

  private final WritableByteChannel out;
  private final List<Declaration> declared;
  private int next;

  private SafetensorsWriter(WritableByteChannel out, List<Declaration> declared) {
    this.out = out;
    this.declared = List.copyOf(declared);
  }

  /**
   * Writes the header for {@code tensors} and returns a writer expecting their bytes in order.
   *
   * @param metadata free-form string pairs stored under {@code __metadata__} (may be empty)
   */
  public static SafetensorsWriter open(
      WritableByteChannel out, List<Declaration> tensors, Map<String, String> metadata)
      throws IOException {
    CheckpointFormat.requireLittleEndianHost();
    ObjectNode header = JsonCheck.MAPPER.createObjectNode();
    if (!metadata.isEmpty()) {
      ObjectNode meta = header.putObject("__metadata__");
      metadata.forEach(meta::put);
    }
    Set<String> names = new HashSet<>();
    long offset = 0;
    for (Declaration d : tensors) {
      if (d.name().equals("__metadata__") || !names.add(d.name())) {
        throw new IllegalArgumentException(
            "tensor name '" + d.name() + "' is reserved or repeated");
      }
      long end = offset + d.bytes();
      ObjectNode t = header.putObject(d.name());
      t.put("dtype", SafetensorsEntry.code(d.dtype()));
      ArrayNode shape = t.putArray("shape");
      for (long s : d.shape()) {
        shape.add(s);
      }
      t.putArray("data_offsets").add(offset).add(end);
      offset = end;
    }
    byte[] json;
    try {
      json = JsonCheck.MAPPER.writeValueAsBytes(header);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree failed to serialize", e);
    }
    int padded = (json.length + 7) / 8 * 8;
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    SafetensorsWriter w = new SafetensorsWriter(out, tensors);
    w.writeFully(head.flip());
    return w;
  }

  /** Writes the next declared tensor's bytes (position to limit, little-endian elements). */
  public void write(String name, ByteBuffer data) throws IOException {
    if (next == declared.size()) {
      throw new IllegalStateException("all " + next + " declared tensors are written; got " + name);
    }
    Declaration d = declared.get(next);
    if (!d.name().equals(name) || d.bytes() != data.remaining()) {
      throw new IllegalArgumentException(
          "expected tensor "
              + d.name()
              + " ("
              + d.bytes()
              + " bytes) next, got "
              + name
              + " ("
              + data.remaining()
              + " bytes)");
    }
    writeFully(data.duplicate());
    next++;
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      out.write(b);
    }
  }

  /** Closes the channel after checking every declared tensor was written. */
  public void finish() throws IOException {
    if (next != declared.size()) {
      throw new IllegalStateException(
          "only "
              + next
              + " of "
              + declared.size()
              + " declared tensors were written; next expected: "
              + declared.get(next).name());
    }
    out.close();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
