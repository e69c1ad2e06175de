package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** The pool's bookkeeping, run over real host memory (malloc) in place of device memory. */
class DeviceMemoryPoolTest {

  /** Host memory with a byte budget, standing in for a device of that size. */
  static final class HostMemory implements DeviceMemoryPool.RawMemory {
    final long capacity;
    final Set<Long> live = new HashSet<>();
    long used;
    final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

    HostMemory(long capacity) {
      this.capacity = capacity;
    }

    @Override
    public long allocate(long bytes) {
      if (used + bytes > capacity) {
        return 0;
      }
      Pointer p = Pointer.malloc(bytes);
      assertTrue(!p.isNull());
      used += bytes;
      live.add(p.address());
      sizes.put(p.address(), bytes);
      return p.address();
    }

    @Override
    public void release(long address) {
      assertTrue(live.remove(address), "released an address twice or one never handed out");
      used -= sizes.remove(address);
      Pointer.free(
          new Pointer() {
            {
              this.address = address;
            }
          });
    }
  }

  @Test
  void sizeClassesRoundUpByAtMostAQuarter() {
    assertEquals(512, DeviceMemoryPool.sizeClass(0));
    assertEquals(512, DeviceMemoryPool.sizeClass(512));
    assertEquals(640, DeviceMemoryPool.sizeClass(513));
    assertEquals(1024, DeviceMemoryPool.sizeClass(1024));
    assertEquals(1280, DeviceMemoryPool.sizeClass(1025));
    for (long n = 513; n < 5_000_000; n = n * 3 / 2 + 17) {
      long c = DeviceMemoryPool.sizeClass(n);
      assertTrue(c >= n && c <= n * 1.25 + 1, n + " -> " + c);
      assertEquals(0, c % 128, "blocks keep the 128-byte alignment of the smallest step");
    }
  }

  @Test
  void freedBlocksAreReusedWithoutADriverCall() {
    HostMemory mem = new HostMemory(1 << 24);
    try (DeviceMemoryPool pool = new DeviceMemoryPool("test", mem)) {
      DeviceBuffer a = pool.allocate("activations", DType.FP32, 1000);
      long address = a.address();
      a.close();
      assertTrue(a.isClosed());
      assertEquals(4096, pool.cachedBytes(), "the 4000-byte request sits in a 4096-byte block");
      DeviceBuffer b = pool.allocate("grads", DType.BF16, 2000);
      assertEquals(address, b.address(), "same size class, same block");
      assertEquals(1, pool.driverAllocationCount());
      assertEquals(2, pool.allocationCount());
      assertEquals(4000, pool.liveBytes("grads"));
      assertEquals(0, pool.liveBytes("activations"));
      b.close();
      b.close();
      assertEquals(0, pool.liveBytes());
    }
    assertTrue(mem.live.isEmpty(), "close returns every block to the driver");
  }

  @Test
  void countsBytesPerPurpose() {
    HostMemory mem = new HostMemory(1 << 24);
    try (DeviceMemoryPool pool = new DeviceMemoryPool("test", mem)) {
      DeviceBuffer p = pool.allocate("params", DType.FP32, 100);
      DeviceBuffer m = pool.allocate("adam_m", DType.FP32, 50);
      DeviceBuffer g = pool.allocate("params", DType.FP16, 10);
      assertEquals(420, pool.liveBytes("params"));
      assertEquals(Map.of("adam_m", 200L, "params", 420L), pool.liveByPurpose());
      assertEquals(620, pool.liveBytes());
      assertEquals(3 * 512, pool.reservedBytes());
      p.close();
      m.close();
      g.close();
    }
  }

  @Test
  void closingWithLiveBuffersReportsEachPurposeAndFreesThem() {
    HostMemory mem = new HostMemory(1 << 24);
    DeviceMemoryPool pool = new DeviceMemoryPool("gpu0", mem);
    pool.allocate("adam_v", DType.FP32, 256);
    DeviceBuffer ok = pool.allocate("params", DType.FP32, 8);
    ok.close();
    Allocator.LeakException e = assertThrows(Allocator.LeakException.class, pool::close);
    assertTrue(
        e.getMessage().contains("adam_v=1024") && e.getMessage().contains("gpu0"), e.getMessage());
    assertTrue(mem.live.isEmpty(), "leaked blocks are freed anyway");
  }

  @Test
  void outOfMemoryFirstReleasesCachedBlocksThenFailsNamingThePurposes() {
    HostMemory mem = new HostMemory(8192);
    try (DeviceMemoryPool pool = new DeviceMemoryPool("small", mem)) {
      DeviceBuffer a = pool.allocate("activations", DType.FP32, 1024); // 4096-byte block
      a.close();
      DeviceBuffer b =
          pool.allocate("params", DType.FP32, 1280); // 5120: needs the cached 4096 back
      assertNotEquals(0, b.address());
      assertEquals(0, pool.cachedBytes());
      OutOfMemoryError e =
          assertThrows(OutOfMemoryError.class, () -> pool.allocate("grads", DType.FP32, 1280));
      assertTrue(
          e.getMessage().contains("grads") && e.getMessage().contains("params=5120"),
          e.getMessage());
      b.close();
    }
  }

  @Test
  void useAfterCloseFailsInsteadOfHandingOutAStaleAddress() {
    try (DeviceMemoryPool pool = new DeviceMemoryPool("t", new HostMemory(1 << 20))) {
      DeviceBuffer a = pool.allocate("x", DType.FP32, 4);
      a.close();
      IllegalStateException e = assertThrows(IllegalStateException.class, a::address);
      assertTrue(e.getMessage().contains("'x'"));
    }
  }
}
