package kstream.connect.blob;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.file.DataFileStream;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DatumReader;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads its share of the container's files; see {@link AvroBlobSourceConnector}. */
public class AvroBlobSourceTask extends SourceTask {

  private static final Logger LOG = LoggerFactory.getLogger(AvroBlobSourceTask.class);
  private static final Pattern LAYOUT =
      Pattern.compile("(?<folder>[^/]+)/partition=(?<partition>\\d+)/(?<name>[^/]+)\\+(?<p2>\\d+)\\+(?<start>\\d+)\\.avro");

  /** One file being read. */
  private static final class OpenFile {
    final String blob;
    final String topic;
    final int partition;
    final Map<String, String> sourcePartition;
    final DataFileStream<Object> stream;
    final org.apache.avro.Schema avroSchema;
    final Schema connectSchema;
    final boolean json;
    final long total;
    long read;
    Object reuse;

    @SuppressWarnings("unchecked")
    OpenFile(String blob, String topic, int partition, Map<String, String> sourcePartition, byte[] bytes, long total,
        long skip, boolean json) throws IOException {
      this.blob = blob;
      this.topic = topic;
      this.partition = partition;
      this.sourcePartition = sourcePartition;
      this.total = total;
      this.json = json;
      DatumReader<?> reader = json ? AvroJson.writing() : new GenericDatumReader<GenericRecord>();
      this.stream = new DataFileStream<>(new ByteArrayInputStream(bytes), (DatumReader<Object>) reader);
      this.avroSchema = stream.getSchema();
      this.connectSchema = json ? Schema.BYTES_SCHEMA : AvroConnect.schema(avroSchema);
      while (read < skip && stream.hasNext()) {
        reuse = stream.next(reuse);
        read++;
      }
    }

    boolean hasNext() {
      return read < total;
    }

    /** The next record's value: its JSON text (output.format=json) or a Struct. */
    Object next() throws IOException {
      reuse = stream.next(json ? null : reuse);
      read++;
      return json ? reuse : AvroConnect.value(connectSchema, avroSchema, reuse);
    }
  }

  private AvroBlobSourceConfig config;
  private BlobStore store;
  private final List<OpenFile> open = new ArrayList<>();
  private final Set<String> finished = new HashSet<>();
  private int next;
  private long nextListingNanos;
  private long throttleStartNanos;
  private long throttleCount;

  @Override
  public String version() {
    return AvroBlobSourceConnector.VERSION;
  }

  @Override
  public void start(Map<String, String> props) {
    config = new AvroBlobSourceConfig(props);
    try {
      store = new BlobStore(config);
      store.check();
    } catch (BlobStore.Problem p) {
      throw new ConnectException(p.getMessage(), p);
    }
    nextListingNanos = System.nanoTime();
    LOG.info("reading Avro files under '{}/' of {}", config.topicsDir(), store.where());
  }

  @Override
  public List<SourceRecord> poll() throws InterruptedException {
    if (open.isEmpty()) {
      if (System.nanoTime() - nextListingNanos >= 0) {
        discover();
        nextListingNanos = System.nanoTime() + config.pollIntervalMs() * 1_000_000L;
      }
      if (open.isEmpty()) {
        Thread.sleep(Math.min(config.pollIntervalMs(), 500));
        return null;
      }
    }
    OpenFile f = open.get(next % open.size());
    int batch = config.batchSize();
    if (config.throttle() > 0) batch = Math.min(batch, Math.max(1, config.throttle() / 10));
    List<SourceRecord> out = new ArrayList<>(batch);
    try {
      while (out.size() < batch && f.hasNext()) {
        Object value = f.next();
        Map<String, Object> offset = Map.of("records", f.read, "eof", f.read == f.total);
        out.add(new SourceRecord(f.sourcePartition, offset, f.topic, f.partition, null, null, f.connectSchema, value));
      }
    } catch (IOException | RuntimeException e) {
      throw new ConnectException("cannot read record " + (f.read + 1) + " of '" + f.blob + "' in " + store.where()
          + ": " + BlobStore.rootMessage(e), e);
    }
    if (!f.hasNext()) {
      LOG.info("finished '{}': {} records to {}-{}", f.blob, f.total, f.topic, f.partition);
      open.remove(f);
      finished.add(f.blob);
      try {
        f.stream.close();
      } catch (IOException ignored) {
        // in-memory stream
      }
    } else {
      next++;
    }
    throttle(out.size());
    return out;
  }

  private void throttle(int records) throws InterruptedException {
    if (config.throttle() <= 0) return;
    if (throttleCount == 0) throttleStartNanos = System.nanoTime();
    throttleCount += records;
    long dueNanos = throttleStartNanos + throttleCount * 1_000_000_000L / config.throttle();
    long waitMs = (dueNanos - System.nanoTime()) / 1_000_000L;
    if (waitMs > 0) Thread.sleep(waitMs);
  }

  /**
   * Lists the container for files of this task not read yet; downloads and fully checks every one
   * of them before any of their records is emitted, so that a corrupt file stops the load before
   * anything of this round is written.
   */
  private void discover() {
    String prefix = config.topicsDir().isEmpty() ? "" : config.topicsDir() + "/";
    List<AvroBlobSourceConfig.TopicRule> rules = config.rules();
    List<String[]> candidates = new ArrayList<>(); // blob, topic, partition
    for (String blob : store.list(prefix)) {
      if (finished.contains(blob)) continue;
      Matcher m = LAYOUT.matcher(blob.substring(prefix.length()));
      if (!m.matches() || !m.group("folder").equals(m.group("name")) || !m.group("partition").equals(m.group("p2"))) {
        continue;
      }
      // A partition's files all go to one task, so that they reach their topic partition in order
      // (a task reads its files round-robin, each file in order); partitions spread evenly.
      if (Integer.parseInt(m.group("partition")) % config.taskCount() != config.taskIndex()) continue;
      String topic = null;
      for (AvroBlobSourceConfig.TopicRule rule : rules) {
        if (rule.folder().matcher(m.group("folder")).matches()) {
          topic = rule.topic();
          break;
        }
      }
      if (topic == null) continue;
      candidates.add(new String[] {blob, topic, m.group("partition")});
    }
    if (candidates.isEmpty()) return;

    List<Map<String, String>> partitions = new ArrayList<>();
    for (String[] c : candidates) partitions.add(sourcePartition(c[0]));
    Map<Map<String, String>, Map<String, Object>> offsets = context.offsetStorageReader().offsets(partitions);

    List<OpenFile> ready = new ArrayList<>();
    for (String[] c : candidates) {
      String blob = c[0];
      Map<String, String> sp = sourcePartition(blob);
      Map<String, Object> offset = offsets == null ? null : offsets.get(sp);
      long skip = 0;
      if (offset != null) {
        if (Boolean.TRUE.equals(offset.get("eof"))) {
          finished.add(blob);
          continue;
        }
        Object r = offset.get("records");
        if (r instanceof Number) skip = ((Number) r).longValue();
      }
      byte[] bytes = store.download(blob);
      long total = countRecords(blob, bytes);
      if (skip > total) {
        throw new ConnectException("'" + blob + "' in " + store.where() + " has " + total
            + " records but this connector's offsets say " + skip + " were already read: the file was replaced; "
            + "load it with a new connector name");
      }
      try {
        ready.add(new OpenFile(blob, c[1], Integer.parseInt(c[2]), sp, bytes, total, skip, config.jsonOutput()));
      } catch (IOException | RuntimeException e) {
        throw new ConnectException("cannot open '" + blob + "' in " + store.where() + ": " + BlobStore.rootMessage(e), e);
      }
      LOG.info("'{}': {} records, resuming after {}", blob, total, skip);
    }
    open.addAll(ready);
  }

  private Map<String, String> sourcePartition(String blob) {
    Map<String, String> p = new HashMap<>();
    p.put("account", store.accountName());
    p.put("container", config.container());
    p.put("blob", blob);
    return p;
  }

  /**
   * Decodes the whole file once (every value walked, none kept): a corrupt file fails here, naming
   * the file and how far it got.
   */
  private long countRecords(String blob, byte[] bytes) {
    long n = 0;
    try (DataFileStream<byte[]> s = new DataFileStream<>(new ByteArrayInputStream(bytes), AvroJson.skipping())) {
      while (s.hasNext()) {
        s.next();
        n++;
      }
    } catch (IOException | RuntimeException e) {
      throw new ConnectException("corrupt Avro file '" + blob + "' in " + store.where() + " (" + bytes.length
          + " bytes; it failed after " + n + " good records): " + BlobStore.rootMessage(e)
          + "; nothing of this round of files was written", e);
    }
    return n;
  }

  @Override
  public void stop() {
    for (OpenFile f : open) {
      try {
        f.stream.close();
      } catch (IOException ignored) {
        // in-memory stream
      }
    }
    open.clear();
  }

}
