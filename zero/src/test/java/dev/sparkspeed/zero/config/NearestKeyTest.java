package dev.sparkspeed.zero.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NearestKeyTest {

  @Test
  void distanceCountsEdits() {
    assertEquals(0, NearestKey.distance("stage", "stage"));
    assertEquals(1, NearestKey.distance("stagee", "stage"));
    assertEquals(2, NearestKey.distance("satge", "stage"));
    assertEquals(3, NearestKey.distance("kitten", "sitting"));
    assertEquals(5, NearestKey.distance("", "abcde"));
  }

  @Test
  void suggestsOnlyPlausibleTypos() {
    List<String> keys = List.of("stage", "overlap_comm", "reduce_bucket_size");
    assertEquals(Optional.of("stage"), NearestKey.of("stagee", keys));
    assertEquals(Optional.of("overlap_comm"), NearestKey.of("overlapcomm", keys));
    assertEquals(Optional.of("reduce_bucket_size"), NearestKey.of("reduce_bucket", keys));
    assertEquals(Optional.of("stage"), NearestKey.of("STAGE", keys));
    assertEquals(Optional.empty(), NearestKey.of("xyz", keys));
  }
}
