package dev.sparkspeed.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FeedCursorTest {
  @Test
  void jsonRoundTripKeepsAll64BitFields() {
    FeedCursor c = new FeedCursor(4, 123, 98765, -1L, 0x8000000000000001L, Long.MIN_VALUE);
    String json = c.toJson();
    assertTrue(json.contains("\"rng_state\":\"8000000000000001\""), json);
    assertEquals(c, FeedCursor.fromJson(json));
  }

  @Test
  void epochsGetDistinctSeedsAndStartAtTheEpochSeed() {
    assertNotEquals(FeedCursor.epochSeed(1, 0), FeedCursor.epochSeed(1, 1));
    FeedCursor start = FeedCursor.start(2, 9);
    assertEquals(FeedCursor.epochSeed(9, 2), start.rngState());
    assertEquals(0, start.step());
  }

  @Test
  void malformedJsonNamesTheProblem() {
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () -> FeedCursor.fromJson("{\"version\":1,\"epoch\":0,\"step\":1}"));
    assertTrue(missing.getMessage().contains("'rows_consumed'"), missing.getMessage());
    IllegalArgumentException version =
        assertThrows(IllegalArgumentException.class, () -> FeedCursor.fromJson("{\"version\":7}"));
    assertTrue(version.getMessage().contains("version 7"), version.getMessage());
    assertThrows(IllegalArgumentException.class, () -> FeedCursor.fromJson("not json"));
  }
}
