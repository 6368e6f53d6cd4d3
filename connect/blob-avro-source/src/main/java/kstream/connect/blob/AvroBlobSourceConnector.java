package kstream.connect.blob;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.ExactlyOnceSupport;
import org.apache.kafka.connect.source.SourceConnector;

/**
 * Reads Avro object container files from an Azure Blob Storage container, laid out as
 * topics/&lt;topic&gt;/partition=N/&lt;topic&gt;+N+&lt;offset&gt;.avro, and emits one record per Avro record
 * to partition N of the target topic (key null). Source offsets (records read per file) make a
 * restart resume where it stopped; with the worker's exactly.once.source.support=enabled they are
 * committed in the same transaction as the records, so a crash gives no duplicates.
 */
public class AvroBlobSourceConnector extends SourceConnector {

  static final String VERSION = "1.0.0";

  private Map<String, String> props;

  @Override
  public String version() {
    return VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    this.props = new HashMap<>(props);
    AvroBlobSourceConfig config = new AvroBlobSourceConfig(props);
    try {
      new BlobStore(config).check();
    } catch (BlobStore.Problem p) {
      throw new ConnectException(p.getMessage(), p);
    }
  }

  @Override
  public Class<? extends Task> taskClass() {
    return AvroBlobSourceTask.class;
  }

  @Override
  public List<Map<String, String>> taskConfigs(int maxTasks) {
    List<Map<String, String>> configs = new ArrayList<>();
    for (int i = 0; i < maxTasks; i++) {
      Map<String, String> c = new HashMap<>(props);
      c.put(AvroBlobSourceConfig.TASK_INDEX, Integer.toString(i));
      c.put(AvroBlobSourceConfig.TASK_COUNT, Integer.toString(maxTasks));
      configs.add(c);
    }
    return configs;
  }

  @Override
  public void stop() {}

  @Override
  public ConfigDef config() {
    return AvroBlobSourceConfig.DEF;
  }

  /** Besides the keys' syntax, checks that the account accepts the key and that the container exists. */
  @Override
  public Config validate(Map<String, String> connectorConfigs) {
    Config config = super.validate(connectorConfigs);
    for (ConfigValue v : config.configValues()) {
      if (!v.errorMessages().isEmpty()) return config;
    }
    try {
      new BlobStore(new AvroBlobSourceConfig(connectorConfigs)).check();
    } catch (BlobStore.Problem p) {
      for (ConfigValue v : config.configValues()) {
        if (v.name().equals(p.key)) v.addErrorMessage(p.getMessage());
      }
    } catch (RuntimeException e) {
      for (ConfigValue v : config.configValues()) {
        if (v.name().equals(AvroBlobSourceConfig.TOPIC_REGEX_LIST)) v.addErrorMessage(e.getMessage());
      }
    }
    return config;
  }

  @Override
  public ExactlyOnceSupport exactlyOnceSupport(Map<String, String> connectorConfig) {
    return ExactlyOnceSupport.SUPPORTED;
  }
}
