package kstream.connect.blob;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.SerializedString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.apache.kafka.connect.errors.DataException;

/**
 * output.format=json: an Avro record straight from the file's binary encoding to the JSON text
 * Kafka Connect's JsonConverter (schemas.enable=false) writes for the Struct {@link AvroConnect}
 * makes of it: fields in schema order, null as null, numbers as Jackson writes them, bytes in
 * base64. Byte for byte the same value, without the GenericRecord, the Struct and the JSON tree
 * per record (the profile of a load: those three and their hashing took most of the worker's CPU).
 * As a {@link DatumReader} it gives each record's JSON; with {@link #skipping()} it only walks the
 * encoding (the check of a whole file before any of its records is emitted).
 */
final class AvroJson implements DatumReader<byte[]> {

  private static final JsonFactory JSON = new JsonFactory();

  /** A schema node with its field names pre-serialized. */
  private record Node(Schema schema, SerializedString[] names, Node[] children) {}

  private final boolean emit;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);
  private final JsonGenerator gen;
  private Node root;
  private org.apache.avro.util.Utf8 text = new org.apache.avro.util.Utf8();

  private AvroJson(boolean emit) {
    this.emit = emit;
    try {
      gen = JSON.createGenerator(buffer);
      gen.setRootValueSeparator(null); // one generator for all records: no " " between them
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A reader that returns each record's JSON text. */
  static AvroJson writing() {
    return new AvroJson(true);
  }

  /** A reader that only walks each record (returns null), checking that the file decodes. */
  static AvroJson skipping() {
    return new AvroJson(false);
  }

  @Override
  public void setSchema(Schema schema) {
    AvroConnect.schema(schema); // the same types as output.format=struct, refused alike
    root = node(schema);
  }

  private static Node node(Schema s) {
    switch (s.getType()) {
      case RECORD: {
        List<Schema.Field> fields = s.getFields();
        SerializedString[] names = new SerializedString[fields.size()];
        Node[] children = new Node[fields.size()];
        for (int i = 0; i < names.length; i++) {
          names[i] = new SerializedString(fields.get(i).name());
          children[i] = node(fields.get(i).schema());
        }
        return new Node(s, names, children);
      }
      case UNION: {
        List<Node> branches = new ArrayList<>();
        for (Schema b : s.getTypes()) branches.add(node(b));
        return new Node(s, null, branches.toArray(new Node[0]));
      }
      case ARRAY:
        return new Node(s, null, new Node[] {node(s.getElementType())});
      case MAP:
        return new Node(s, null, new Node[] {node(s.getValueType())});
      default:
        return new Node(s, null, null);
    }
  }

  @Override
  public byte[] read(byte[] reuse, Decoder in) throws IOException {
    if (!emit) {
      value(root, in);
      return null;
    }
    buffer.reset();
    value(root, in);
    gen.flush();
    return buffer.toByteArray();
  }

  private void value(Node n, Decoder in) throws IOException {
    Schema s = n.schema;
    switch (s.getType()) {
      case NULL:
        in.readNull();
        if (emit) gen.writeNull();
        return;
      case BOOLEAN: {
        boolean v = in.readBoolean();
        if (emit) gen.writeBoolean(v);
        return;
      }
      case INT: {
        int v = in.readInt();
        if (emit) gen.writeNumber(v);
        return;
      }
      case LONG: {
        long v = in.readLong();
        if (emit) gen.writeNumber(v);
        return;
      }
      case FLOAT: {
        float v = in.readFloat();
        if (emit) gen.writeNumber(v);
        return;
      }
      case DOUBLE: {
        double v = in.readDouble();
        if (emit) gen.writeNumber(v);
        return;
      }
      case STRING:
        if (emit) string(in); else in.skipString();
        return;
      case ENUM: {
        int i = in.readEnum();
        if (i < 0 || i >= s.getEnumSymbols().size()) throw new DataException("enum index " + i + " out of range");
        if (emit) gen.writeString(s.getEnumSymbols().get(i));
        return;
      }
      case BYTES: {
        if (!emit) {
          in.skipBytes();
          return;
        }
        ByteBuffer b = in.readBytes(null);
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        gen.writeBinary(bytes);
        return;
      }
      case FIXED: {
        byte[] bytes = new byte[s.getFixedSize()];
        in.readFixed(bytes);
        if (emit) gen.writeBinary(bytes);
        return;
      }
      case UNION: {
        int i = in.readIndex();
        if (i < 0 || i >= n.children.length) throw new DataException("union branch " + i + " out of range");
        value(n.children[i], in);
        return;
      }
      case RECORD:
        if (emit) gen.writeStartObject();
        for (int i = 0; i < n.names.length; i++) {
          if (emit) gen.writeFieldName(n.names[i]);
          value(n.children[i], in);
        }
        if (emit) gen.writeEndObject();
        return;
      case ARRAY:
        if (emit) gen.writeStartArray();
        for (long k = in.readArrayStart(); k != 0; k = in.arrayNext()) {
          for (long j = 0; j < k; j++) value(n.children[0], in);
        }
        if (emit) gen.writeEndArray();
        return;
      case MAP:
        if (emit) gen.writeStartObject();
        for (long k = in.readMapStart(); k != 0; k = in.mapNext()) {
          for (long j = 0; j < k; j++) {
            if (emit) gen.writeFieldName(in.readString()); else in.skipString();
            value(n.children[0], in);
          }
        }
        if (emit) gen.writeEndObject();
        return;
      default:
        throw new DataException("unsupported Avro type " + s.getType());
    }
  }

  /** A string's UTF-8 bytes as they are when all ASCII (the common case), else through a String. */
  private void string(Decoder in) throws IOException {
    text = in.readString(text);
    int len = text.getByteLength();
    byte[] b = text.getBytes();
    for (int i = 0; i < len; i++) {
      if (b[i] < 0) {
        gen.writeString(text.toString());
        return;
      }
    }
    gen.writeUTF8String(b, 0, len);
  }
}
