package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.bytedeco.javacpp.BytePointer;
import org.junit.jupiter.api.Test;

/** The launch argument block is plain host memory: what the driver will read is checked here. */
class KernelArgsTest {

  @Test
  void eachArgumentPointerReadsBackItsValue() {
    try (KernelArgs args = new KernelArgs()) {
      args.clear().ptr(0x7f00_1234_5678L).i32(-7).f32(1.5f).i64(1L << 40);
      assertEquals(4, args.count());
      BytePointer p0 = new BytePointer(args.pointers().get(0));
      BytePointer p1 = new BytePointer(args.pointers().get(1));
      BytePointer p2 = new BytePointer(args.pointers().get(2));
      BytePointer p3 = new BytePointer(args.pointers().get(3));
      assertEquals(0x7f00_1234_5678L, p0.getLong(0));
      assertEquals(-7, p1.getInt(0));
      assertEquals(1.5f, p2.getFloat(0));
      assertEquals(1L << 40, p3.getLong(0));
      assertEquals(8, p1.address() - p0.address(), "one 8-byte slot per argument");
      args.clear().i32(3);
      assertEquals(1, args.count());
      assertEquals(3, new BytePointer(args.pointers().get(0)).getInt(0));
    }
  }

  @Test
  void tooManyArgumentsFail() {
    try (KernelArgs args = new KernelArgs()) {
      args.clear();
      for (int i = 0; i < KernelArgs.MAX_ARGS; i++) {
        args.i32(i);
      }
      assertThrows(IllegalStateException.class, () -> args.i32(0));
    }
  }
}
