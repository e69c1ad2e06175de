package dev.sparkspeed.trainer.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.trainer.SparkSpeedException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class RendezvousTest {
  static RankInfo info(int rank, String error) {
    return new RankInfo(
        rank,
        "10.0.0." + rank,
        "10.0.0." + rank + ":7" + rank,
        100L * rank,
        -1,
        "cpu",
        error,
        false);
  }

  @Test
  void everyRankLearnsEveryRanksInfoInRankOrder() throws Exception {
    ThreadRanks ranks = new ThreadRanks(3);
    List<Future<List<RankInfo>>> out =
        ranks.run(
            r ->
                Rendezvous.exchange(
                    m -> ranks.allGather(r, m), info(r, null), 3, Duration.ofSeconds(30)));
    for (Future<List<RankInfo>> f : out) {
      assertEquals(List.of(info(0, null), info(1, null), info(2, null)), f.get());
    }
  }

  @Test
  void messagesCarryNoSecretAndRoundTrip() {
    RankInfo i = new RankInfo(2, "h", "h:1", 5, 3, "cuda", "column 'x' is null", true);
    assertEquals(i, RankInfo.decode(i.encode()));
    assertFalse(i.encode().toLowerCase().contains("secret"));
  }

  @Test
  void ranksErrorsAreListedByRank() {
    List<RankInfo> all = List.of(info(0, null), info(1, "bad row 3"), info(2, "no file"));
    assertEquals(Optional.of("rank 1: bad row 3\nrank 2: no file"), Rendezvous.errors(all));
    assertEquals(Optional.empty(), Rendezvous.errors(List.of(info(0, null))));
    assertFalse(Rendezvous.retryable(all));
  }

  @Test
  void answersMustListEachRankOnce() {
    String a = info(0, null).encode();
    assertThrows(SparkSpeedException.class, () -> Rendezvous.collate(new String[] {a, a}, 2));
    assertThrows(SparkSpeedException.class, () -> Rendezvous.collate(new String[] {a}, 2));
  }

  @Test
  void duplicateGpusOnOneHostAreFound() {
    RankInfo a = new RankInfo(0, "h1", "h1:1", 1, 0, "cuda", null, false);
    RankInfo b = new RankInfo(1, "h1", "h1:2", 1, 0, "cuda", null, false);
    RankInfo c = new RankInfo(2, "h2", "h2:1", 1, 0, "cuda", null, false);
    String e = Rendezvous.duplicateGpus(List.of(a, b, c)).orElseThrow();
    assertTrue(e.contains("ranks 0 and 1 were both given GPU 0 on h1"), e);
    assertEquals(Optional.empty(), Rendezvous.duplicateGpus(List.of(a, c)));
  }

  @Test
  void ranksOnDifferentDevicesAreNamedByDevice() {
    RankInfo gpu0 = new RankInfo(0, "h1", "", 1, 0, "cuda", null, false);
    RankInfo cpu1 = new RankInfo(1, "h2", "h2:1", 1, -1, "cpu", null, false);
    RankInfo gpu2 = new RankInfo(2, "h3", "", 1, 0, "cuda", null, false);
    String e = Rendezvous.mixedBackends(List.of(gpu0, cpu1, gpu2)).orElseThrow();
    assertTrue(e.contains("ranks [1] on cpu, ranks [0, 2] on cuda"), e);
    assertTrue(e.contains("\"device\" to \"cpu\""), e);
    assertEquals(Optional.empty(), Rendezvous.mixedBackends(List.of(gpu0, gpu2)));
  }

  @Test
  @Timeout(10)
  void aRankThatNeverArrivesTimesOutInsteadOfHanging() {
    CountDownLatch never = new CountDownLatch(1);
    long t0 = System.nanoTime();
    SparkSpeedException e =
        assertThrows(
            SparkSpeedException.class,
            () ->
                Rendezvous.exchange(
                    m -> {
                      try {
                        never.await();
                      } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                      }
                      return new String[0];
                    },
                    info(0, null),
                    2,
                    Duration.ofMillis(500)));
    double s = (System.nanoTime() - t0) / 1e9;
    assertTrue(s < 5, "took " + s + " s");
    assertTrue(e.getMessage().contains("did not complete within 0 s"), e.getMessage());
  }
}
