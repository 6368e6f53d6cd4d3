package kstreamapp.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The answer against its engine (issue 23, item 5): ksql/stay_counts.sql as the Kafka Streams
 * topology ksqlDB builds for its two persistent queries, in one application.
 *
 * <pre>
 * level 1  CREATE TABLE stay_category_hotels AS SELECT stay_category, COALESCE(CAST(hotel_id AS VARCHAR), '')
 *          AS hotel_key, COUNT(*) AS records FROM expedia_ext_stream GROUP BY stay_category, hotel_key
 *   stream(input) -> groupBy(category, hotel key) [repartition topic] -> count [store + changelog]
 *   -> to(level-1 topic)
 * level 2  CREATE TABLE stay_counts AS SELECT stay_category, SUM(records),
 *          SUM(CASE WHEN hotel_key = '' THEN 0 ELSE 1 END) FROM stay_category_hotels GROUP BY stay_category
 *   table(level-1 topic) -> groupBy(category) [repartition topic, old and new values]
 *   -> aggregate(adder, subtractor) [store + changelog] -> to(output topic)
 * </pre>
 *
 * As ksqlDB: the value is parsed as JSON and only the two columns are taken; a record without a
 * category is dropped (a null GROUP BY key); a null hotel_id is the hotel key ''. Unlike ksqlDB the
 * keys are plain strings and the level-1 value a long (ksqlDB writes JSON): less work for Streams,
 * not more. Output: key = the category, value = {"stay_category":…,"records":…,"distinct_hotels":…}.
 *
 * <p>Arguments: --bootstrap= --input= --level1= --output= --app-id= --commit-ms= --threads= and any
 * number of --config=NAME=VALUE (StreamsConfig names). processing.guarantee is exactly_once_v2.
 */
public final class StayCountsApp {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final char SEP = '\u0000';

  /** Level-1 key: "category NUL hotel key", or null (dropped) without a category. */
  static String level1Key(byte[] value) {
    try {
      JsonNode tree = MAPPER.readTree(value);
      JsonNode cat = tree == null ? null : tree.get("stay_category");
      if (cat == null || !cat.isTextual()) return null;
      JsonNode hotel = tree.get("hotel_id");
      String hotelKey = hotel == null || hotel.isNull() ? "" : hotel.asText();
      return cat.textValue() + SEP + hotelKey;
    } catch (java.io.IOException e) {
      return null; // ksqlDB logs a deserialization error and skips the row
    }
  }

  /** Level-2 value for a level-1 row: "1:records" for a hotel, "0:records" for the '' key. */
  static String level2Row(String level1Key, long records) {
    boolean hotel = level1Key.indexOf(SEP) < level1Key.length() - 1;
    return (hotel ? "1:" : "0:") + records;
  }

  static long[] add(long[] agg, String row, int sign) {
    int colon = row.indexOf(':');
    agg[0] += sign * Long.parseLong(row, colon + 1, row.length(), 10);
    agg[1] += sign * (row.charAt(0) == '1' ? 1 : 0);
    return agg;
  }

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> a = new HashMap<>(Map.of(
        "bootstrap", "127.0.0.1:9092", "input", "expedia_ext", "level1", "stay_category_hotels",
        "output", "stay_counts", "app-id", "bench-stay-counts", "commit-ms", "1000", "threads", "1"));
    Properties extra = BenchApp.parse("StayCountsApp", args, a);
    Properties p = BenchApp.config(a, StreamsConfig.EXACTLY_ONCE_V2, new Properties());
    p.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/kafka-streams-" + a.get("app-id"));
    p.putAll(extra);

    Serde<String> str = Serdes.String();
    Serde<Long> lng = Serdes.Long();
    Serde<long[]> pair = Serdes.serdeFrom(
        (topic, v) -> v == null ? null : java.nio.ByteBuffer.allocate(16).putLong(v[0]).putLong(v[1]).array(),
        (topic, b) -> {
          if (b == null) return null;
          java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b);
          return new long[] {buf.getLong(), buf.getLong()};
        });
    StreamsBuilder builder = new StreamsBuilder();
    // level 1
    builder.stream(a.get("input"), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .groupBy((k, v) -> level1Key(v), Grouped.with("level1-by-category-hotel", str, Serdes.ByteArray()))
        .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("level1-counts")
            .withKeySerde(str).withValueSerde(lng))
        .toStream()
        .to(a.get("level1"), Produced.with(str, lng));
    // level 2
    builder.table(a.get("level1"), Consumed.with(str, lng))
        .groupBy((k, v) -> KeyValue.pair(k.substring(0, k.indexOf(SEP)), level2Row(k, v)),
            Grouped.with("level2-by-category", str, str))
        .aggregate(() -> new long[2], (k, row, agg) -> add(agg, row, 1), (k, row, agg) -> add(agg, row, -1),
            Materialized.<String, long[], KeyValueStore<Bytes, byte[]>>as("level2-counts")
                .withKeySerde(str).withValueSerde(pair))
        .toStream()
        .mapValues((k, v) -> ("{\"stay_category\":\"" + k + "\",\"records\":" + v[0] + ",\"distinct_hotels\":"
            + v[1] + "}").getBytes(StandardCharsets.UTF_8))
        .to(a.get("output"), Produced.with(str, Serdes.ByteArray()));

    BenchApp.run(new KafkaStreams(builder.build(), p), true);
  }
}
