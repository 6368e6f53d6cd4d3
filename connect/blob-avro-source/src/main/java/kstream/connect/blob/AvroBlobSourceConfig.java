package kstream.connect.blob;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

/** Configuration of the connector and its tasks. */
public final class AvroBlobSourceConfig extends AbstractConfig {

  public static final String CONNECTION_STRING = "azblob.connection.string";
  public static final String CONTAINER = "azblob.container.name";
  public static final String TOPICS_DIR = "topics.dir";
  public static final String TOPIC_REGEX_LIST = "topic.regex.list";
  public static final String BATCH_SIZE = "batch.size";
  public static final String POLL_INTERVAL_MS = "poll.interval.ms";
  public static final String THROTTLE = "throttle.records.per.second";
  public static final String RETRY_TIMEOUT_MS = "azblob.retry.timeout.ms";
  public static final String OUTPUT_FORMAT = "output.format";
  static final String TASK_INDEX = "task.index";
  static final String TASK_COUNT = "task.count";

  public static final ConfigDef DEF = new ConfigDef()
      .define(CONNECTION_STRING, Type.PASSWORD, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
          "Azure Storage connection string (DefaultEndpointsProtocol=...;AccountName=...;AccountKey=...;"
              + "BlobEndpoint=... for Azurite).")
      .define(CONTAINER, Type.STRING, "data", new ConfigDef.NonEmptyString(), Importance.HIGH,
          "Blob container that holds the files.")
      .define(TOPICS_DIR, Type.STRING, "topics", Importance.MEDIUM,
          "Folder of the container under which the files are laid out as "
              + "<topics.dir>/<topic>/partition=<N>/<topic>+<N>+<start offset>.avro (Confluent's storage layout).")
      .define(TOPIC_REGEX_LIST, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
          "Comma-separated <target topic>:<regex> pairs: the files of a source topic folder whose name matches "
              + "the regex go to the target topic (first match wins), file partition=N to topic partition N.")
      .define(BATCH_SIZE, Type.INT, 5000, ConfigDef.Range.atLeast(1), Importance.LOW,
          "Records returned by one poll (with exactly-once support, one transaction).")
      .define(POLL_INTERVAL_MS, Type.LONG, 10000L, ConfigDef.Range.atLeast(100), Importance.LOW,
          "How often to list the container for new files.")
      .define(THROTTLE, Type.INT, 0, ConfigDef.Range.atLeast(0), Importance.LOW,
          "Upper bound on records per second per task, 0 for none (tests use it to interrupt a load).")
      .define(RETRY_TIMEOUT_MS, Type.LONG, 15000L, ConfigDef.Range.atLeast(1000), Importance.LOW,
          "Time limit of one storage request before it is retried (at most 3 tries).")
      .define(OUTPUT_FORMAT, Type.STRING, "struct", ConfigDef.ValidString.in("struct", "json"), Importance.MEDIUM,
          "struct: each record's value is a Connect Struct (any value converter). json: the value is the JSON text "
              + "that the JsonConverter with schemas.enable=false would write for that Struct, byte for byte, made "
              + "straight from the Avro encoding; use it with value.converter="
              + "org.apache.kafka.connect.converters.ByteArrayConverter (several times less CPU per record).")
      .define(TASK_INDEX, Type.INT, 0, Importance.LOW, "Internal: this task's index.")
      .define(TASK_COUNT, Type.INT, 1, Importance.LOW, "Internal: the number of tasks.");

  /** A target topic for source folders whose name matches a regex. */
  public record TopicRule(String topic, Pattern folder) {}

  public AvroBlobSourceConfig(Map<String, String> props) {
    super(DEF, props);
    rules(); // fail early on a malformed list
  }

  public String connectionString() {
    Password p = getPassword(CONNECTION_STRING);
    return p == null ? "" : p.value();
  }

  public String container() {
    return getString(CONTAINER);
  }

  public String topicsDir() {
    String dir = getString(TOPICS_DIR);
    while (dir.endsWith("/")) dir = dir.substring(0, dir.length() - 1);
    return dir;
  }

  public List<TopicRule> rules() {
    List<TopicRule> rules = new ArrayList<>();
    for (String entry : getList(TOPIC_REGEX_LIST)) {
      int colon = entry.indexOf(':');
      if (colon <= 0 || colon == entry.length() - 1) {
        throw new ConfigException(TOPIC_REGEX_LIST, entry, "expected <target topic>:<regex>");
      }
      try {
        rules.add(new TopicRule(entry.substring(0, colon).trim(), Pattern.compile(entry.substring(colon + 1).trim())));
      } catch (RuntimeException e) {
        throw new ConfigException(TOPIC_REGEX_LIST, entry, "bad regex: " + e.getMessage());
      }
    }
    if (rules.isEmpty()) throw new ConfigException(TOPIC_REGEX_LIST, "", "at least one <topic>:<regex> is needed");
    return rules;
  }

  public int batchSize() {
    return getInt(BATCH_SIZE);
  }

  public long pollIntervalMs() {
    return getLong(POLL_INTERVAL_MS);
  }

  public int throttle() {
    return getInt(THROTTLE);
  }

  public long retryTimeoutMs() {
    return getLong(RETRY_TIMEOUT_MS);
  }

  public boolean jsonOutput() {
    return "json".equals(getString(OUTPUT_FORMAT));
  }

  public int taskIndex() {
    return getInt(TASK_INDEX);
  }

  public int taskCount() {
    return getInt(TASK_COUNT);
  }
}
