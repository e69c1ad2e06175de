package dev.sparkspeed.zero.backend.cpu;

import java.nio.ByteBuffer;

/**
 * The elementwise loops of the GELU activation and the residual add, forward and backward, over
 * elements [lo, hi) of the off-heap buffers of FP32 tensors (native-order {@link ByteBuffer}s, byte
 * 0 at element 0). Every implementation gives bit-identical results: each element sees the same
 * float operations in the same order (GELU's tanh is {@link CpuMath#tanh}'s). Backward loops add
 * into the gradients.
 */
interface PointwiseLoops {
  /** out = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) with x = in. */
  void geluForward(ByteBuffer out, ByteBuffer in, int lo, int hi);

  /** din += GELU'(in)·dout. */
  void geluBackward(ByteBuffer din, ByteBuffer in, ByteBuffer dout, int lo, int hi);

  /** out = a + b. */
  void residualForward(ByteBuffer out, ByteBuffer a, ByteBuffer b, int lo, int hi);

  /** da += dout and db += dout. */
  void residualBackward(ByteBuffer da, ByteBuffer db, ByteBuffer dout, int lo, int hi);

  /**
   * The Vector API loops when the JVM can run them (see {@link VectorApi}), else the scalar ones.
   */
  static PointwiseLoops fastest() {
    return Chosen.LOOPS;
  }

  /** The scalar loops, whatever the JVM offers; the reference the vector loops are tested on. */
  static PointwiseLoops scalar() {
    return new ScalarPointwiseLoops();
  }

  /** Holds the choice, made once per JVM on first use. */
  final class Chosen {
    static final PointwiseLoops LOOPS =
        VectorApi.loadOr(PointwiseLoops.class, "VectorPointwiseLoops", scalar());

    private Chosen() {}
  }
}
