package dev.sparkspeed.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The feed core (everything outside the {@code spark} and {@code bench} packages) must load without
 * Spark or Scala, so batchers, tokenizers and plans work in any JVM and only the row readers need
 * the cluster's jars.
 */
class CoreIsSparkFreeTest {
  @Test
  void coreSourcesImportNeitherSparkNorScala() throws IOException {
    Path main = Path.of("src/main/java/dev/sparkspeed/feed");
    assertTrue(Files.isDirectory(main), "run from the data-feed module: " + main.toAbsolutePath());
    List<String> offenders;
    try (Stream<Path> files = Files.walk(main)) {
      offenders =
          files
              .filter(p -> p.toString().endsWith(".java"))
              .filter(
                  p -> !p.startsWith(main.resolve("spark")) && !p.startsWith(main.resolve("bench")))
              .filter(CoreIsSparkFreeTest::mentionsSpark)
              .map(Path::toString)
              .toList();
    }
    assertEquals(List.of(), offenders);
  }

  private static boolean mentionsSpark(Path p) {
    try {
      String s = Files.readString(p);
      return s.contains("org.apache.spark") || s.contains("import scala.");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
