package dev.sparkspeed.zero.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.LlmcCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer's --save-llmc and --init-from options carry weights through llm.c's file format. */
class LocalTrainerLlmcTest {
  @TempDir Path dir;

  private static final String[] SMALL = {
    "--steps", "3", "--batch", "2", "--seq", "16", "--sample", "1", "--print-every", "100"
  };

  private static String[] args(String... extra) {
    String[] out = Arrays.copyOf(SMALL, SMALL.length + extra.length);
    System.arraycopy(extra, 0, out, SMALL.length, extra.length);
    return out;
  }

  @Test
  void savedWeightsComeBackUnchangedThroughInitFrom() throws Exception {
    Path trained = dir.resolve("trained.bin");
    Path again = dir.resolve("again.bin");
    Path fresh = dir.resolve("fresh.bin");
    LocalTrainer.main(args("--model", "gpt2-tiny", "--save-llmc", trained.toString()));
    assertEquals(Gpt2Config.preset("gpt2-tiny"), LlmcCheckpoint.readConfig(trained));
    // with a zero rate the weights loaded from the file are the weights saved again
    LocalTrainer.main(
        args("--init-from", trained.toString(), "--lr", "0", "--save-llmc", again.toString()));
    assertArrayEquals(Files.readAllBytes(trained), Files.readAllBytes(again));
    // without --init-from the same run starts from the seed's initialisation instead
    LocalTrainer.main(args("--model", "gpt2-tiny", "--lr", "0", "--save-llmc", fresh.toString()));
    assertFalse(Arrays.equals(Files.readAllBytes(trained), Files.readAllBytes(fresh)));
  }

  @Test
  void initFromAnotherShapeNamesBoth() throws Exception {
    Path trained = dir.resolve("tiny.bin");
    LocalTrainer.main(args("--model", "gpt2-tiny", "--save-llmc", trained.toString()));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                LocalTrainer.main(args("--model", "gpt2-mini", "--init-from", trained.toString())));
    assertTrue(e.getMessage().contains("L=2 NH=4 C=64"), e.getMessage());
    assertTrue(e.getMessage().contains("L=4 NH=4 C=128"), e.getMessage());
  }
}
