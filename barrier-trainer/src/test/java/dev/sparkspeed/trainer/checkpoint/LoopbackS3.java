package dev.sparkspeed.trainer.checkpoint;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.hadoop.conf.Configuration;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 API server for tests: S3Proxy over an in-memory blob store on loopback, with signed
 * requests and path-style access as on a private S3 endpoint. Shared by this module's store tests
 * and the integration tests.
 */
public final class LoopbackS3 implements AutoCloseable {
  private static final String ACCESS_KEY = "test-access";
  private static final String SECRET_KEY = "test-secret";

  private final BlobStoreContext blobs;
  private final S3Proxy proxy;

  private LoopbackS3(BlobStoreContext blobs, S3Proxy proxy) {
    this.blobs = blobs;
    this.proxy = proxy;
  }

  /** Starts the server with one empty bucket and waits until it serves. */
  public static LoopbackS3 start(String bucket) throws Exception {
    BlobStoreContext blobs =
        ContextBuilder.newBuilder("transient")
            .credentials("unused", "unused")
            .overrides(new Properties())
            .build(BlobStoreContext.class);
    blobs.getBlobStore().createContainerInLocation(null, bucket);
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(blobs.getBlobStore())
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            .jettyMaxThreads(8)
            .build();
    LoopbackS3 s3 = new LoopbackS3(blobs, proxy);
    try {
      proxy.start();
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (!"STARTED".equals(proxy.getState())) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
        }
        Thread.sleep(10);
      }
    } catch (Exception | Error e) {
      s3.close();
      throw e;
    }
    return s3;
  }

  /** The s3a settings that reach this server (endpoint, credentials, short retries). */
  public Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("fs.s3a.endpoint", "http://127.0.0.1:" + proxy.getPort());
    s.put("fs.s3a.endpoint.region", "us-east-1");
    s.put("fs.s3a.path.style.access", "true");
    s.put("fs.s3a.connection.ssl.enabled", "false");
    s.put("fs.s3a.access.key", ACCESS_KEY);
    s.put("fs.s3a.secret.key", SECRET_KEY);
    s.put(
        "fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
    // Fail fast instead of retrying for minutes if the server is unreachable.
    s.put("fs.s3a.attempts.maximum", "2");
    s.put("fs.s3a.retry.limit", "2");
    return s;
  }

  /** A configuration holding {@link #settings()}. */
  public Configuration conf() {
    Configuration conf = new Configuration();
    settings().forEach(conf::set);
    return conf;
  }

  @Override
  public void close() throws Exception {
    try {
      proxy.stop();
    } finally {
      blobs.close();
    }
  }
}
