package kstream.connect.blob;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

/**
 * Avro schema and data to Kafka Connect schema and data, the way storage source connectors map them:
 * a record becomes a struct with its fields in schema order, a union of a type and null an optional
 * field of that type, long INT64, int INT32, double FLOAT64, string STRING.
 */
final class AvroConnect {

  private AvroConnect() {}

  static Schema schema(org.apache.avro.Schema avro) {
    return schema(avro, false);
  }

  private static Schema schema(org.apache.avro.Schema avro, boolean optional) {
    SchemaBuilder b;
    switch (avro.getType()) {
      case UNION: {
        List<org.apache.avro.Schema> types = new ArrayList<>();
        boolean nullable = false;
        for (org.apache.avro.Schema t : avro.getTypes()) {
          if (t.getType() == org.apache.avro.Schema.Type.NULL) nullable = true;
          else types.add(t);
        }
        if (types.size() != 1) {
          throw new DataException("unsupported Avro union " + avro + ": only [type, \"null\"] unions are supported");
        }
        return schema(types.get(0), optional || nullable);
      }
      case STRING:
      case ENUM:
        b = SchemaBuilder.string();
        break;
      case INT:
        b = SchemaBuilder.int32();
        break;
      case LONG:
        b = SchemaBuilder.int64();
        break;
      case FLOAT:
        b = SchemaBuilder.float32();
        break;
      case DOUBLE:
        b = SchemaBuilder.float64();
        break;
      case BOOLEAN:
        b = SchemaBuilder.bool();
        break;
      case BYTES:
      case FIXED:
        b = SchemaBuilder.bytes();
        break;
      case ARRAY:
        b = SchemaBuilder.array(schema(avro.getElementType(), false));
        break;
      case MAP:
        b = SchemaBuilder.map(Schema.STRING_SCHEMA, schema(avro.getValueType(), false));
        break;
      case RECORD:
        b = SchemaBuilder.struct().name(avro.getFullName());
        for (org.apache.avro.Schema.Field f : avro.getFields()) {
          b.field(f.name(), schema(f.schema(), false));
        }
        break;
      default:
        throw new DataException("unsupported Avro type " + avro.getType());
    }
    if (optional) b.optional();
    return b.build();
  }

  static Object value(Schema connect, org.apache.avro.Schema avro, Object value) {
    if (value == null) return null;
    if (avro.getType() == org.apache.avro.Schema.Type.UNION) {
      avro = avro.getTypes().get(GenericData.get().resolveUnion(avro, value));
    }
    switch (avro.getType()) {
      case STRING:
      case ENUM:
        return value.toString();
      case INT:
      case LONG:
      case FLOAT:
      case DOUBLE:
      case BOOLEAN:
        return value;
      case BYTES: {
        ByteBuffer buf = ((ByteBuffer) value).duplicate();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        return bytes;
      }
      case FIXED:
        return ((GenericFixed) value).bytes().clone();
      case ARRAY: {
        List<Object> out = new ArrayList<>();
        for (Object o : (List<?>) value) out.add(value(connect.valueSchema(), avro.getElementType(), o));
        return out;
      }
      case MAP: {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
          out.put(e.getKey().toString(), value(connect.valueSchema(), avro.getValueType(), e.getValue()));
        }
        return out;
      }
      case RECORD: {
        GenericRecord record = (GenericRecord) value;
        Struct struct = new Struct(connect);
        for (Field f : connect.fields()) {
          org.apache.avro.Schema.Field af = avro.getField(f.name());
          struct.put(f, value(f.schema(), af.schema(), record.get(af.pos())));
        }
        return struct;
      }
      default:
        throw new DataException("unsupported Avro type " + avro.getType());
    }
  }
}
