package dev.sparkspeed.trainer.rank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class JobSecretTest {
  @Test
  void eachStageAttemptGetsItsOwnKey() {
    JobSecret s = JobSecret.generate();
    assertEquals(32, s.forStageAttempt(0).length);
    assertArrayEquals(s.forStageAttempt(1), s.forStageAttempt(1));
    assertFalse(Arrays.equals(s.forStageAttempt(0), s.forStageAttempt(1)));
    assertFalse(Arrays.equals(s.forStageAttempt(0), JobSecret.generate().forStageAttempt(0)));
  }

  @Test
  void theKeyTravelsInTheClosureButIsNeverPrinted() throws Exception {
    JobSecret s = JobSecret.generate();
    assertEquals("JobSecret[redacted]", s.toString());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(s);
    }
    JobSecret back =
        (JobSecret)
            new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray())).readObject();
    assertArrayEquals(s.forStageAttempt(2), back.forStageAttempt(2));
  }
}
