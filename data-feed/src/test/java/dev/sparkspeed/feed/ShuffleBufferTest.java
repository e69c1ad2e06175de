package dev.sparkspeed.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ShuffleBufferTest {
  private static List<Integer> run(int capacity, long seed, int n) {
    ShuffleBuffer<Integer> buf = new ShuffleBuffer<>(capacity, seed);
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Integer o = buf.offer(i);
      if (o != null) {
        out.add(o);
      }
      assertTrue(buf.size() <= capacity, "never holds more than its capacity");
    }
    for (Integer o = buf.poll(); o != null; o = buf.poll()) {
      out.add(o);
    }
    return out;
  }

  @Test
  void outputIsAPermutationFixedByTheSeed() {
    List<Integer> a = run(16, 5, 200);
    assertEquals(IntStream.range(0, 200).boxed().toList(), a.stream().sorted().toList());
    assertEquals(a, run(16, 5, 200));
    assertNotEquals(a, run(16, 6, 200));
    assertNotEquals(IntStream.range(0, 200).boxed().toList(), a);
  }

  @Test
  void capacityZeroKeepsOrderAndItemsLeaveWithinTheBufferWindow() {
    assertEquals(IntStream.range(0, 50).boxed().toList(), run(0, 1, 50));
    List<Integer> out = run(8, 3, 100);
    for (int pos = 0; pos < out.size(); pos++) {
      // An item is handed out at the earliest when it enters; it cannot jump ahead of the window.
      assertTrue(out.get(pos) <= pos + 8, "item " + out.get(pos) + " at " + pos);
    }
  }

  @Test
  void drawsAreRoughlyUniformOverTheBuffer() {
    int capacity = 4;
    int[] firstOut = new int[capacity];
    for (long seed = 0; seed < 4000; seed++) {
      ShuffleBuffer<Integer> buf = new ShuffleBuffer<>(capacity, seed);
      for (int i = 0; i < capacity; i++) {
        assertNull(buf.offer(i));
      }
      firstOut[buf.offer(capacity)]++;
    }
    for (int c : firstOut) {
      assertTrue(
          Math.abs(c - 1000) < 150, "each held item leaves first about 1/4 of the time: " + c);
    }
  }

  @Test
  void theStateAdvancesOnlyWithDraws() {
    ShuffleBuffer<Integer> buf = new ShuffleBuffer<>(3, 77);
    buf.offer(1);
    buf.offer(2);
    assertEquals(77, buf.rngState(), "filling draws nothing");
    buf.offer(3);
    buf.offer(4);
    assertNotEquals(77, buf.rngState());
  }
}
