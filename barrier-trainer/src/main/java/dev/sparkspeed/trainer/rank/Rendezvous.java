package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.trainer.SparkSpeedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Every barrier call of the training task, in one place. Every rank calls {@link #exchange} exactly
 * once, on every path — also when it has already failed, with its error in the message — so no rank
 * is left waiting for one that gave up, and all ranks reach the same decision (train, or return the
 * same errors). Ranks that trained call {@link #depart} once after their last collective; a rank
 * that fails instead throws, and Spark then ends the others' barrier wait when it cancels the
 * stage.
 */
public final class Rendezvous {
  private Rendezvous() {}

  /**
   * Sends {@code mine} to every rank and returns all ranks' infos in rank order.
   *
   * @param allGather the barrier's all-gather ({@code BarrierTaskContext::allGather})
   * @param timeout the longest to wait; Spark's own wait ({@code spark.barrier.sync.timeout})
   *     defaults to a year, so the call runs on a helper thread and is abandoned after this
   * @throws SparkSpeedException when the ranks do not all arrive in time, or the answer does not
   *     list every rank once
   */
  public static List<RankInfo> exchange(
      Function<String, String[]> allGather, RankInfo mine, int world, Duration timeout) {
    String[] answers =
        bounded(mine.rank(), timeout, () -> allGather.apply(mine.encode()), "rendezvous", world);
    return collate(answers, world);
  }

  /**
   * The ranks leave together: a barrier after the last collective (the parameter export), so no
   * rank closes its end of the ring while a peer is still finishing a transfer over it.
   */
  public static void depart(Runnable barrier, int rank, int world, Duration timeout) {
    bounded(
        rank,
        timeout,
        () -> {
          barrier.run();
          return null;
        },
        "final barrier",
        world);
  }

  /** Runs a barrier call on a helper thread and gives up on it after {@code timeout}. */
  static <T> T bounded(int rank, Duration timeout, Callable<T> call, String what, int world) {
    ExecutorService helper =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "sparkspeed-rendezvous-rank" + rank);
              t.setDaemon(true);
              return t;
            });
    try {
      return helper.submit(call).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new SparkSpeedException(
          "rank "
              + rank
              + ": the "
              + what
              + " of "
              + world
              + " ranks did not complete within "
              + timeout.toSeconds()
              + " s; a rank is still reading its partition or opening its GPU, or was lost; raise"
              + " the rendezvous timeout (TrainOptions.rendezvousTimeout, --rendezvous-timeout)"
              + " if partitions are large");
    } catch (ExecutionException e) {
      throw new SparkSpeedException(
          "rank " + rank + ": the " + what + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SparkSpeedException("rank " + rank + ": interrupted at the " + what, e);
    } finally {
      helper.shutdownNow();
    }
  }

  /** Decodes the answers and checks that each rank 0..world−1 appears once. */
  static List<RankInfo> collate(String[] answers, int world) {
    if (answers.length != world) {
      throw new SparkSpeedException(
          "the rendezvous returned "
              + answers.length
              + " messages for world size "
              + world
              + "; the barrier stage must have exactly one task per rank");
    }
    RankInfo[] byRank = new RankInfo[world];
    for (String a : answers) {
      RankInfo i = RankInfo.decode(a);
      if (i.rank() < 0 || i.rank() >= world || byRank[i.rank()] != null) {
        throw new SparkSpeedException("rank " + i.rank() + " appears twice or out of range");
      }
      byRank[i.rank()] = i;
    }
    return List.of(byRank);
  }

  /** The ranks' own errors, one line each ("rank r: ..."), or empty when all are ready. */
  public static Optional<String> errors(List<RankInfo> infos) {
    List<String> lines = new ArrayList<>();
    for (RankInfo i : infos) {
      if (i.error() != null) {
        lines.add("rank " + i.rank() + ": " + i.error());
      }
    }
    return lines.isEmpty() ? Optional.empty() : Optional.of(String.join("\n", lines));
  }

  /** Whether any rank's error may pass on a retry of the stage. */
  public static boolean retryable(List<RankInfo> infos) {
    return infos.stream().anyMatch(i -> i.error() != null && i.retryable());
  }

  /**
   * Ranks that chose different backends, described; empty when all agree. NCCL and the TCP ring
   * cannot be mixed in one job, so every rank must compute on the same kind of device.
   */
  public static Optional<String> mixedBackends(List<RankInfo> infos) {
    Map<String, List<Integer>> byKind = new TreeMap<>();
    for (RankInfo i : infos) {
      byKind.computeIfAbsent(i.backend(), k -> new ArrayList<>()).add(i.rank());
    }
    if (byKind.size() <= 1) {
      return Optional.empty();
    }
    List<String> parts = new ArrayList<>();
    byKind.forEach((kind, ranks) -> parts.add("ranks " + ranks + " on " + kind));
    return Optional.of(
        "the ranks chose different devices ("
            + String.join(", ", parts)
            + "); every rank must train on the same one: give every executor a usable GPU"
            + " (spark.task.resource.gpu.amount=1 and a CUDA driver on each), or set"
            + " \"device\" to \"cpu\"");
  }

  /** Two ranks on one host given the same GPU, described; empty when there are none. */
  public static Optional<String> duplicateGpus(List<RankInfo> infos) {
    Map<String, Integer> owner = new HashMap<>();
    for (RankInfo i : infos) {
      if (i.gpu() < 0) {
        continue;
      }
      Integer other = owner.putIfAbsent(i.host() + "/" + i.gpu(), i.rank());
      if (other != null) {
        return Optional.of(
            "ranks "
                + other
                + " and "
                + i.rank()
                + " were both given GPU "
                + i.gpu()
                + " on "
                + i.host()
                + "; check spark.task.resource.gpu.amount (1 per rank) and the executor's GPU"
                + " discovery script");
      }
    }
    return Optional.empty();
  }
}
