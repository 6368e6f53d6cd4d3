package kstreamapp.bench;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/** What the benchmark's Kafka Streams applications share: their arguments and their run. */
final class BenchApp {
  private BenchApp() {}

  /**
   * Sets the entries of {@code a} (the defaults) from --NAME=VALUE arguments (NAME one of its keys)
   * and returns the --config=NAME=VALUE ones (StreamsConfig names, passed on as they are); exits 2
   * on anything else.
   */
  static Properties parse(String app, String[] args, Map<String, String> a) {
    Properties extra = new Properties();
    for (String arg : args) {
      if (arg.startsWith("--config=") && arg.indexOf('=', 9) > 9) {
        int sep = arg.indexOf('=', 9);
        extra.put(arg.substring(9, sep), arg.substring(sep + 1));
        continue;
      }
      int eq = arg.indexOf('=');
      if (!arg.startsWith("--") || eq < 0 || !a.containsKey(arg.substring(2, eq))) {
        System.err.println("usage: " + app + " " + a.keySet().stream().map(k -> "--" + k + "=").toList());
        System.exit(2);
      }
      a.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    return extra;
  }

  /** The StreamsConfig of the arguments app-id, bootstrap, commit-ms and threads, then the extra ones. */
  static Properties config(Map<String, String> a, String guarantee, Properties extra) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, a.get("app-id"));
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap"));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, a.get("commit-ms"));
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, a.get("threads"));
    p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    p.putAll(extra);
    return p;
  }

  /** Runs until SIGTERM (closed within 30 s; its local state deleted when cleanUp) or an error (exit 1). */
  static void run(KafkaStreams streams, boolean cleanUp) throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) done.countDown();
    });
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close(java.time.Duration.ofSeconds(30));
      if (cleanUp) streams.cleanUp();
      done.countDown();
    }));
    streams.start();
    done.await();
    System.exit(streams.state() == KafkaStreams.State.ERROR ? 1 : 0);
  }
}
