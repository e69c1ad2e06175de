package dev.sparkspeed.trainer.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import java.util.Properties;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;

class HadoopConfCopyTest {
  @Test
  void settingsMadeAtRunTimeReachTheCopy() {
    Configuration driver = new Configuration();
    driver.set("fs.s3a.endpoint", "http://127.0.0.1:9000");
    Configuration rank = HadoopConfCopy.of(driver).toConfiguration();
    assertEquals("http://127.0.0.1:9000", rank.get("fs.s3a.endpoint"));
    assertEquals(driver.get("fs.defaultFS"), rank.get("fs.defaultFS"));
  }

  @Test
  void theToolTakesSparkHadoopPropertiesAndIgnoresOthers() {
    Properties props = new Properties();
    props.setProperty("spark.hadoop.fs.s3a.path.style.access", "true");
    props.setProperty("spark.master", "local[2]");
    props.setProperty("spark.hadoop.", "no key");
    Configuration conf = HadoopCheckpointTool.configuration(Map.of(), props);
    assertEquals("true", conf.get("fs.s3a.path.style.access"));
    assertNull(conf.get("spark.master"));
    assertNull(conf.get("master"));
  }
}
