package kstreamapp.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * The Kafka Streams contender: the job's enrichment (team contract) as a stateless topology.
 * Output value = input JSON object, every member unchanged (floats kept as exact decimals),
 * plus "stay_duration" (int or null) and "stay_category"; key kept; output partition = input
 * partition (a StreamPartitioner reads the input partition carried next to the value).
 *
 * <p>Arguments: --bootstrap= --input= --output= --app-id= --guarantee=exactly_once_v2|at_least_once
 * --commit-ms= --threads= and any number of --config=NAME=VALUE, passed to StreamsConfig as they are
 * (e.g. --config=producer.batch.size=131072: the benchmark's throughput tuning, listed in its report).
 */
public final class EnrichApp {
  /** The enriched value and the input partition it must go back to. */
  record Routed(int partition, byte[] value) {}

  static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
      .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
      .build();

  /** Epoch day of "YYYY-MM-DD" (optionally + " HH:MM:SS"), or Long.MIN_VALUE if not a real date. */
  static long epochDay(JsonNode node) {
    if (node == null || !node.isTextual()) return Long.MIN_VALUE;
    String s = node.textValue();
    int n = s.length();
    if (n != 10 && n != 19) return Long.MIN_VALUE;
    if (!digits(s, 0, 4) || s.charAt(4) != '-' || !digits(s, 5, 7) || s.charAt(7) != '-' || !digits(s, 8, 10)) {
      return Long.MIN_VALUE;
    }
    if (n == 19 && (s.charAt(10) != ' ' || !digits(s, 11, 13) || s.charAt(13) != ':' || !digits(s, 14, 16)
        || s.charAt(16) != ':' || !digits(s, 17, 19))) {
      return Long.MIN_VALUE;
    }
    try {
      return LocalDate.of(Integer.parseInt(s, 0, 4, 10), Integer.parseInt(s, 5, 7, 10),
          Integer.parseInt(s, 8, 10, 10)).toEpochDay();
    } catch (DateTimeException e) {
      return Long.MIN_VALUE;
    }
  }

  static boolean digits(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') return false;
    }
    return true;
  }

  static String category(Long days) {
    if (days == null || days <= 0) return "Erroneous data";
    if (days <= 4) return "Short stay";
    if (days <= 10) return "Standard stay";
    if (days <= 14) return "Standard extended stay";
    return "Long stay";
  }

  static byte[] enrich(byte[] value) throws java.io.IOException {
    JsonNode tree = MAPPER.readTree(value);
    if (!(tree instanceof ObjectNode obj)) throw new java.io.IOException("value is not a JSON object");
    long ci = epochDay(obj.get("srch_ci"));
    long co = epochDay(obj.get("srch_co"));
    Long days = (ci == Long.MIN_VALUE || co == Long.MIN_VALUE) ? null : co - ci;
    if (days == null) obj.putNull("stay_duration"); else obj.put("stay_duration", days.longValue());
    obj.put("stay_category", category(days));
    return MAPPER.writeValueAsBytes(obj);
  }

  static final class Enrich implements FixedKeyProcessor<byte[], byte[], Routed> {
    private FixedKeyProcessorContext<byte[], Routed> context;

    @Override
    public void init(FixedKeyProcessorContext<byte[], Routed> context) {
      this.context = context;
    }

    @Override
    public void process(FixedKeyRecord<byte[], byte[]> record) {
      int partition = context.recordMetadata().orElseThrow().partition();
      try {
        context.forward(record.withValue(new Routed(partition, enrich(record.value()))));
      } catch (java.io.IOException e) {
        System.err.println("skipping a value that is not a JSON object: " + e.getMessage());
      }
    }
  }

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> a = new HashMap<>(Map.of(
        "bootstrap", "127.0.0.1:9092", "input", "expedia", "output", "expedia_ext",
        "app-id", "bench-kafka-streams", "guarantee", StreamsConfig.EXACTLY_ONCE_V2,
        "commit-ms", "1000", "threads", "1"));
    Properties p = BenchApp.config(a, a.get("guarantee"), BenchApp.parse("EnrichApp", args, a));

    Serde<byte[]> bytes = Serdes.ByteArray();
    Serde<Routed> routed = Serdes.serdeFrom((topic, r) -> r == null ? null : r.value(), (topic, data) -> {
      throw new UnsupportedOperationException("output only");
    });
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(a.get("input"), Consumed.with(bytes, bytes))
        .processValues(Enrich::new)
        .to(a.get("output"), Produced.with(bytes, routed)
            .withStreamPartitioner((topic, key, value, partitions) -> value.partition()));

    BenchApp.run(new KafkaStreams(builder.build(), p), false);
  }
}
