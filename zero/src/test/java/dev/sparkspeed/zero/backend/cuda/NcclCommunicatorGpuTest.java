package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.comm.CommException;
import dev.sparkspeed.zero.comm.LocalRendezvous;
import dev.sparkspeed.zero.comm.Rendezvous;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** NCCL on the GPUs of this machine; skipped (not passed) where none is usable. */
@Tag("gpu")
class NcclCommunicatorGpuTest {

  @BeforeEach
  void requireGpu() {
    Assumptions.assumeTrue(CudaProbe.available(), () -> CudaProbe.probe().reason());
    Assumptions.assumeTrue(
        CudaLibraries.fromEnvironment().isPresent("libnccl.so.2"), "libnccl.so.2 not found");
  }

  @Test
  void aSingleRankAllReduceLeavesTheBufferAndTheBarrierReturns() {
    Rendezvous solo = LocalRendezvous.group(1, Duration.ofSeconds(30)).get(0);
    try (CudaBackend gpu = CudaBackend.open(0);
        Allocator host = new Allocator("nccl-test");
        NcclCommunicator comm = NcclCommunicator.create(gpu, solo, Duration.ofSeconds(60))) {
      HostBuffer h = host.allocate("x", DType.FP32, 1000);
      for (int i = 0; i < 1000; i++) {
        h.floats().put(i, i * 0.5f);
      }
      Tensor d = gpu.allocate("grads", DType.FP32, 1000);
      gpu.upload(d, Tensor.whole(h));
      comm.allReduce(d).await();
      comm.barrier();
      HostBuffer back = host.allocate("y", DType.FP32, 1000);
      gpu.download(Tensor.whole(back), d);
      assertEquals(499.5f, back.floats().get(999));
      gpu.free(d);
      h.close();
      back.close();
    }
  }

  @Test
  void twoRanksOnOneGpuAreRefusedBeforeNcclStarts() throws Exception {
    List<Rendezvous> group = LocalRendezvous.group(2, Duration.ofSeconds(30));
    ExecutorService pool = Executors.newFixedThreadPool(2, r -> new Thread(r, "nccl-dup-test"));
    try {
      List<Future<NcclCommunicator>> ranks =
          List.of(pool.submit(() -> join(group.get(0))), pool.submit(() -> join(group.get(1))));
      for (Future<NcclCommunicator> f : ranks) {
        ExecutionException e = assertThrows(ExecutionException.class, f::get);
        assertTrue(e.getCause() instanceof CommException, e.getCause().toString());
        assertTrue(
            e.getCause().getMessage().contains("ranks 0 and 1 both hold GPU GPU-"),
            e.getCause().getMessage());
      }
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(30, TimeUnit.SECONDS));
    }
  }

  private static NcclCommunicator join(Rendezvous r) {
    try (CudaBackend gpu = CudaBackend.open(0)) {
      return NcclCommunicator.create(gpu, r, Duration.ofSeconds(30));
    }
  }
}
