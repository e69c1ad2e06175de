package dev.sparkspeed.feed;

import dev.sparkspeed.feed.tokenizer.Tokenizer;
import java.util.Arrays;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.ListVector;

/**
 * Reads a token column (ids, or text through a tokenizer) row by row into one continuous stream,
 * with an optional separator after each row, and cuts it into blocks of {@code blockSize + 1}
 * tokens. Consecutive blocks share their boundary token (the stride is {@code blockSize}), so every
 * token but the first is a target exactly once. Tokens left over at the end of a pass carry into
 * the next pass of the same epoch: a wrapped partition reads as a circular stream.
 */
final class TokenBlockReader implements EpochRunner.Units<int[]> {
  private final ColumnSpec spec;
  private final Tokenizer tokenizer;
  private final int blockSize;
  private final int eot;
  private final int vocab;
  private RecordBatchStream batches;
  private VectorSchemaRoot root;
  private ListVector ids;
  private VarCharVector text;
  private int row;
  private int rows;
  private int[] pending = new int[1024];
  private int head;
  private int tail;
  private long rowsRead;
  private long tokensRead;

  /**
   * @param tokenizer required for text columns, null for token-id columns
   * @param eot separator id appended after every row, or -1 for none
   * @param vocab ids must lie in [0, vocab); 0 skips the check
   */
  TokenBlockReader(ColumnSpec spec, Tokenizer tokenizer, int blockSize, int eot, int vocab) {
    this.spec = spec;
    this.tokenizer = tokenizer;
    this.blockSize = blockSize;
    this.eot = eot;
    this.vocab = vocab;
  }

  @Override
  public void startEpoch() {
    head = 0;
    tail = 0;
  }

  @Override
  public void startPass(RecordBatchStream batches) {
    this.batches = batches;
    this.root = null;
    this.row = 0;
    this.rows = 0;
    this.rowsRead = 0;
    this.tokensRead = 0;
  }

  @Override
  public int[] next() {
    while (tail - head < blockSize + 1) {
      if (!readRow(true)) {
        return null;
      }
    }
    int[] block = Arrays.copyOfRange(pending, head, head + blockSize + 1);
    head += blockSize;
    return block;
  }

  /** Reads the rest of the pass without keeping tokens; returns the pass's token count. */
  long countPass() {
    while (readRow(false)) {
      // Counting only: tokensRead advances inside readRow.
    }
    return tokensRead;
  }

  @Override
  public long rowsRead() {
    return rowsRead;
  }

  @Override
  public boolean passHadData() {
    return tokensRead > 0;
  }

  @Override
  public String column() {
    return spec.name();
  }

  @Override
  public long digest(int[] block, long h) {
    for (int t : block) {
      h = (h ^ t) * 0x100000001B3L;
    }
    return h;
  }

  private boolean readRow(boolean keep) {
    while (row == rows) {
      if (!batches.hasNext()) {
        return false;
      }
      root = batches.next();
      row = 0;
      rows = root.getRowCount();
      if (tokenizer == null) {
        ids = ArrowColumns.tokenIds(root, spec);
        if (ids.getDataVector().getNullCount() > 0) {
          throw new FeedException(
              "column '"
                  + spec.name()
                  + "' holds a null token id inside an array; token ids"
                  + " cannot be null");
        }
      } else {
        text = ArrowColumns.text(root, spec);
      }
    }
    int r = row++;
    rowsRead++;
    if (tokenizer == null ? ids.isNull(r) : text.isNull(r)) {
      if (spec.nulls() == NullPolicy.SKIP) {
        return true;
      }
      throw new FeedException(
          "column '"
              + spec.name()
              + "' is null in row "
              + (rowsRead - 1)
              + " of this partition;"
              + " set its null policy to SKIP to drop such rows");
    }
    if (tokenizer == null) {
      appendIds(r, keep);
    } else {
      int[] t = tokenizer.encodeUtf8(text.get(r));
      if (keep) {
        append(t, t.length);
      }
      tokensRead += t.length;
    }
    if (eot >= 0) {
      if (keep) {
        reserve(1);
        pending[tail++] = eot;
      }
      tokensRead++;
    }
    return true;
  }

  private void appendIds(int r, boolean keep) {
    ArrowBuf offsets = ids.getOffsetBuffer();
    int start = offsets.getInt((long) r * ListVector.OFFSET_WIDTH);
    int end = offsets.getInt((long) (r + 1) * ListVector.OFFSET_WIDTH);
    int n = end - start;
    tokensRead += n;
    ArrowBuf data = ids.getDataVector().getDataBuffer();
    if (!keep && vocab == 0) {
      return;
    }
    reserve(n);
    for (int i = 0; i < n; i++) {
      int id = data.getInt((long) (start + i) * Integer.BYTES);
      if (vocab > 0 && (id < 0 || id >= vocab)) {
        throw new FeedException(
            "column '"
                + spec.name()
                + "' row "
                + (rowsRead - 1)
                + " holds token id "
                + id
                + ", outside the vocabulary [0, "
                + vocab
                + "); check the tokenizer that made the"
                + " ids or the configured vocabulary size");
      }
      pending[tail + i] = id;
    }
    if (keep) {
      tail += n;
    }
  }

  private void append(int[] src, int n) {
    reserve(n);
    System.arraycopy(src, 0, pending, tail, n);
    tail += n;
  }

  /** Makes room for {@code n} more tokens after {@code tail}, compacting before growing. */
  private void reserve(int n) {
    if (tail + n <= pending.length) {
      return;
    }
    int live = tail - head;
    if (head > 0) {
      System.arraycopy(pending, head, pending, 0, live);
      head = 0;
      tail = live;
    }
    if (tail + n > pending.length) {
      pending = Arrays.copyOf(pending, Math.max(pending.length * 2, tail + n));
    }
  }
}
