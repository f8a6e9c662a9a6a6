package kz.referral.contract;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

/**
 * The fields of an envelope's bytes (envelope.md, section 2), read with Apache Avro field by field
 * so that the header's end (34+H: the end of the prefix that the AEAD binds) is known exactly as
 * received; nothing is re-encoded.
 */
public record EnvelopeLayout(
        byte[] envelopeFingerprint,
        byte[] signerKeyId,
        byte[] payloadSchema,
        int headerEnd,
        GenericRecord header,
        List<GenericRecord> readers,
        byte[] nonce,
        byte[] ciphertext,
        byte[] signature) {

    static final List<String> FIELD_ORDER = List.of(
            "signer_key_id", "payload_schema", "header", "readers", "nonce", "ciphertext", "signature");

    /** Offset of the header: marker 2, fingerprint 8, signer key id 16, payload fingerprint 8. */
    public static final int HEADER_START = 34;

    /** Reads every field; {@link IllegalArgumentException} unless the record ends exactly at the signature. */
    public static EnvelopeLayout parse(byte[] bytes, Schema envelopeSchema) {
        List<Schema.Field> fields = envelopeSchema.getFields();
        if (fields.size() != FIELD_ORDER.size()) {
            throw new IllegalArgumentException("the Envelope schema does not have the contract's fields");
        }
        for (int i = 0; i < fields.size(); i++) {
            if (!fields.get(i).name().equals(FIELD_ORDER.get(i))) {
                throw new IllegalArgumentException("the Envelope schema does not have the contract's field order");
            }
        }
        ByteArrayInputStream in = new ByteArrayInputStream(bytes, 10, bytes.length - 10);
        BinaryDecoder decoder = DecoderFactory.get().directBinaryDecoder(in, null);
        try {
            byte[] signer = ((GenericFixed) read(fields.get(0), decoder)).bytes();
            byte[] payloadSchema = ((GenericFixed) read(fields.get(1), decoder)).bytes();
            GenericRecord header = (GenericRecord) read(fields.get(2), decoder);
            int headerEnd = bytes.length - in.available();
            List<GenericRecord> readers = new ArrayList<>();
            for (Object reader : (Iterable<?>) read(fields.get(3), decoder)) {
                readers.add((GenericRecord) reader);
            }
            byte[] nonce = ((GenericFixed) read(fields.get(4), decoder)).bytes();
            java.nio.ByteBuffer buffer = (java.nio.ByteBuffer) read(fields.get(5), decoder);
            byte[] ciphertext = new byte[buffer.remaining()];
            buffer.get(ciphertext);
            if (in.available() != Primitives.SIGNATURE_BYTES) {
                throw new IllegalArgumentException("the record does not end exactly at the signature");
            }
            byte[] signature = ((GenericFixed) read(fields.get(6), decoder)).bytes();
            AvroJson.requireUtf8(header);
            AvroJson.requireUtf8(readers);
            return new EnvelopeLayout(Arrays.copyOfRange(bytes, 2, 10), signer, payloadSchema, headerEnd, header,
                    readers, nonce, ciphertext, signature);
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw (IllegalArgumentException) e;
            }
            throw new IllegalArgumentException("the signed bytes do not decode as the Envelope record", e);
        }
    }

    private static Object read(Schema.Field field, BinaryDecoder decoder) throws IOException {
        return new GenericDatumReader<Object>(field.schema()).read(null, decoder);
    }
}
