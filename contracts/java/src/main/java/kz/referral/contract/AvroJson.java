package kz.referral.contract;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * The plain JSON form of a payload (events.md, section 1: "the event type's Avro payload", one to
 * one: a union is its value or null, an enum its symbol, a record an object) to and from Avro
 * generic data, and the single-object encoding {@code C3 01 ‖ fingerprint ‖ Avro binary}.
 */
public final class AvroJson {
    public static final byte[] SOE_MARKER = {(byte) 0xC3, 0x01};

    private AvroJson() {}

    /** Plain JSON value (Map, List, String, Number, Boolean, null) as Avro generic data. */
    public static Object fromJson(Schema schema, Object value, String path) {
        switch (schema.getType()) {
            case NULL:
                require(value == null, path, "null");
                return null;
            case BOOLEAN:
                require(value instanceof Boolean, path, "a boolean");
                return value;
            case INT:
                require(value instanceof Integer || value instanceof Long && (Long) value == ((Long) value).intValue(),
                        path, "an int");
                return ((Number) value).intValue();
            case LONG:
                require(value instanceof Integer || value instanceof Long, path, "a long");
                return ((Number) value).longValue();
            case FLOAT:
            case DOUBLE:
                require(value instanceof Number, path, "a number");
                return schema.getType() == Schema.Type.FLOAT ? (Object) ((Number) value).floatValue()
                        : (Object) ((Number) value).doubleValue();
            case STRING:
                require(value instanceof String, path, "a string");
                return value;
            case BYTES:
                require(value instanceof String, path, "hex bytes");
                return ByteBuffer.wrap(Hex.decode((String) value));
            case FIXED: {
                require(value instanceof String, path, "hex bytes");
                byte[] bytes = Hex.decode((String) value);
                require(bytes.length == schema.getFixedSize(), path, schema.getFixedSize() + " bytes");
                return new GenericData.Fixed(schema, bytes);
            }
            case ENUM:
                require(value instanceof String && schema.getEnumSymbols().contains(value), path,
                        "one of " + schema.getEnumSymbols());
                return new GenericData.EnumSymbol(schema, (String) value);
            case ARRAY: {
                require(value instanceof List, path, "an array");
                List<?> items = (List<?>) value;
                GenericData.Array<Object> out = new GenericData.Array<>(items.size(), schema);
                for (int i = 0; i < items.size(); i++) {
                    out.add(fromJson(schema.getElementType(), items.get(i), path + "[" + i + "]"));
                }
                return out;
            }
            case MAP: {
                require(value instanceof Map, path, "an object");
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    out.put((String) e.getKey(), fromJson(schema.getValueType(), e.getValue(), path + "." + e.getKey()));
                }
                return out;
            }
            case UNION: {
                if (value == null) {
                    for (Schema branch : schema.getTypes()) {
                        if (branch.getType() == Schema.Type.NULL) {
                            return null;
                        }
                    }
                }
                IllegalArgumentException first = null;
                for (Schema branch : schema.getTypes()) {
                    if (branch.getType() == Schema.Type.NULL) {
                        continue;
                    }
                    try {
                        return fromJson(branch, value, path);
                    } catch (IllegalArgumentException e) {
                        first = first == null ? e : first;
                    }
                }
                throw first != null ? first : new IllegalArgumentException(path + ": no branch of " + schema);
            }
            case RECORD: {
                require(value instanceof Map, path, "an object");
                Map<?, ?> object = (Map<?, ?>) value;
                for (Object key : object.keySet()) {
                    require(schema.getField(String.valueOf(key)) != null, path + "." + key, "a field of " + schema.getFullName());
                }
                GenericData.Record out = new GenericData.Record(schema);
                for (Schema.Field field : schema.getFields()) {
                    String at = path + "." + field.name();
                    if (object.containsKey(field.name())) {
                        out.put(field.pos(), fromJson(field.schema(), object.get(field.name()), at));
                    } else if (field.hasDefaultValue()) {
                        out.put(field.pos(), GenericData.get().getDefaultValue(field));
                    } else {
                        throw new IllegalArgumentException(at + ": required");
                    }
                }
                return out;
            }
            default:
                throw new IllegalArgumentException(path + ": unsupported type " + schema.getType());
        }
    }

    private static void require(boolean ok, String path, String what) {
        if (!ok) {
            throw new IllegalArgumentException(path + ": must be " + what);
        }
    }

    /** Avro generic data as its plain JSON value. */
    public static Object toJson(Schema schema, Object value) {
        switch (schema.getType()) {
            case UNION:
                return toJson(schema.getTypes().get(GenericData.get().resolveUnion(schema, value)), value);
            case RECORD: {
                GenericRecord record = (GenericRecord) value;
                Map<String, Object> out = new LinkedHashMap<>();
                for (Schema.Field field : schema.getFields()) {
                    out.put(field.name(), toJson(field.schema(), record.get(field.pos())));
                }
                return out;
            }
            case ARRAY: {
                List<Object> out = new ArrayList<>();
                for (Object item : (Iterable<?>) value) {
                    out.add(toJson(schema.getElementType(), item));
                }
                return out;
            }
            case MAP: {
                Map<String, Object> out = new LinkedHashMap<>();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                    out.put(e.getKey().toString(), toJson(schema.getValueType(), e.getValue()));
                }
                return out;
            }
            case STRING:
            case ENUM:
                return value.toString();
            case FIXED:
                return Hex.encode(((GenericFixed) value).bytes());
            case BYTES: {
                ByteBuffer buffer = ((ByteBuffer) value).duplicate();
                byte[] bytes = new byte[buffer.remaining()];
                buffer.get(bytes);
                return Hex.encode(bytes);
            }
            default:
                return value; // null, boolean, int, long, float, double
        }
    }

    /**
     * Every string of a decoded datum is valid UTF-8 (Apache Avro would otherwise read malformed
     * bytes as U+FFFD): {@link IllegalArgumentException} if one is not.
     */
    public static void requireUtf8(Object datum) {
        if (datum instanceof org.apache.avro.util.Utf8 utf8) {
            try {
                java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(utf8.getBytes(), 0, utf8.getByteLength()));
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new IllegalArgumentException("a string is not valid UTF-8");
            }
        } else if (datum instanceof GenericRecord record) {
            for (Schema.Field field : record.getSchema().getFields()) {
                requireUtf8(record.get(field.pos()));
            }
        } else if (datum instanceof Iterable<?> items) {
            for (Object item : items) {
                requireUtf8(item);
            }
        } else if (datum instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                requireUtf8(e.getKey());
                requireUtf8(e.getValue());
            }
        }
    }

    /** Avro binary of a datum (minimal varints, one array block: what writers produce). */
    public static byte[] binary(Schema schema, Object datum) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            new GenericDatumWriter<Object>(schema).write(datum, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Single-object encoding with the given schema version. */
    public static byte[] singleObject(ContractSchemas.Version version, Object datum) {
        return Primitives.concat(SOE_MARKER, version.fingerprint(), binary(version.schema(), datum));
    }

    /**
     * Reads a single-object encoding whose fingerprint must be {@code expectedFingerprint} (null:
     * any known one), with the writer schema that fingerprint names resolved into {@code reader}
     * (null: the writer schema itself). Nothing may be left over.
     */
    public static Object readSingleObject(ContractSchemas schemas, byte[] bytes, byte[] expectedFingerprint, Schema reader) {
        if (bytes.length < 10 || bytes[0] != SOE_MARKER[0] || bytes[1] != SOE_MARKER[1]) {
            throw new IllegalArgumentException("not a single-object encoding (C3 01)");
        }
        byte[] fingerprint = Arrays.copyOfRange(bytes, 2, 10);
        if (expectedFingerprint != null && !Arrays.equals(fingerprint, expectedFingerprint)) {
            throw new IllegalArgumentException("fingerprint " + Hex.encode(fingerprint) + " is not " + Hex.encode(expectedFingerprint));
        }
        ContractSchemas.Version writer = schemas.byFingerprint(fingerprint)
                .orElseThrow(() -> new IllegalArgumentException("unknown schema fingerprint " + Hex.encode(fingerprint)));
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, 10, bytes.length - 10, null);
        try {
            Object datum = new GenericDatumReader<Object>(writer.schema(), reader == null ? writer.schema() : reader)
                    .read(null, decoder);
            if (!decoder.isEnd()) {
                throw new IllegalArgumentException("bytes left over after the " + writer.key() + " record");
            }
            requireUtf8(datum);
            return datum;
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("does not decode as " + writer.key() + ": " + e.getMessage(), e);
        }
    }
}
