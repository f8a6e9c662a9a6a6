package kz.referral.contract;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/** Builds and signs an envelope (envelope.md, section 5) for one producer's keyring. */
public final class EnvelopeWriter {
    private final KeyDirectory directory;
    private final ContractSchemas schemas;
    private final Keyring producer;

    public EnvelopeWriter(KeyDirectory directory, ContractSchemas schemas, Keyring producer) {
        this.directory = directory;
        this.schemas = schemas;
        this.producer = producer;
    }

    /**
     * The envelope of one plain JSON event (events.md, section 1), readable by the producer, every
     * recipient, and {@code moreReaders}; sealed to each reader's newest certificate usable now.
     */
    public byte[] write(Map<String, ?> event, Collection<String> moreReaders) {
        byte[] contentKey = Primitives.random(Primitives.CONTENT_KEY_BYTES);
        byte[] nonce = Primitives.random(Primitives.NONCE_BYTES);
        return write(event, moreReaders, nowMicros(), contentKey, nonce);
    }

    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /** As {@link #write(Map, Collection)} at the given time, with the content key and nonce given (tests). */
    public byte[] write(Map<String, ?> event, Collection<String> moreReaders, long nowMicros, byte[] contentKey, byte[] nonce) {
        return write(event, moreReaders, nowMicros, contentKey, nonce, Map.of());
    }

    /**
     * As {@link #write(Map, Collection)} with every random input given: the content key, the
     * nonce and, per reader, the sealed box's ephemeral X25519 secret (drawn at random for a
     * reader not in {@code ephemeralSecrets}). Test vectors rebuild byte for byte with this.
     */
    public byte[] write(Map<String, ?> event, Collection<String> moreReaders, long nowMicros, byte[] contentKey,
            byte[] nonce, Map<String, byte[]> ephemeralSecrets) {
        List<HeaderGrammar.Problem> problems = HeaderGrammar.check(event);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("the event does not follow events.md: " + problems);
        }
        String eventType = (String) event.get("event_type");
        String agency = (String) event.get("producer");
        if (!agency.equals(producer.agency())) {
            throw new IllegalArgumentException("the event's producer is not this keyring's agency");
        }
        if (!Catalogue.TYPES.get(eventType).emitters().contains(HeaderGrammar.agencyType(agency))) {
            throw new IllegalArgumentException("an agency of type " + HeaderGrammar.agencyType(agency) + " may not emit " + eventType);
        }
        long occurredAt = HeaderGrammar.epochMicros((String) event.get("occurred_at"));

        // The signing key: the producer's, certified to it, usable now and at occurred_at.
        Keyring.SigningKey signingKey = null;
        for (Keyring.SigningKey key : producer.signingKeys()) {
            Optional<Certificate> certificate = directory.bySigningKeyId(key.keyId());
            if (certificate.isPresent() && certificate.get().subject().equals(agency)
                    && certificate.get().usableAt(nowMicros) && certificate.get().usableAt(occurredAt)) {
                if (signingKey == null || certificate.get().notBefore()
                        > directory.bySigningKeyId(signingKey.keyId()).orElseThrow().notBefore()) {
                    signingKey = key;
                }
            }
        }
        if (signingKey == null) {
            throw new IllegalStateException(agency + " holds no signing key certified for now and for occurred_at");
        }

        // 1. plaintext: the payload's single-object encoding with its event type's current schema.
        ContractSchemas.Version payloadSchema = schemas.latest("payloads", eventType);
        Object payloadJson = event.get("payload") == null ? Map.of() : event.get("payload");
        byte[] plaintext = AvroJson.singleObject(payloadSchema, AvroJson.fromJson(payloadSchema.schema(), payloadJson, "payload"));

        // 2. prefix: C3 01, Envelope fingerprint, signer key id, payload fingerprint, header.
        ContractSchemas.Version envelope = schemas.latest("envelope", "Envelope");
        Schema headerSchema = envelope.schema().getField("header").schema();
        byte[] header = AvroJson.binary(headerSchema, headerRecord(headerSchema, event));
        byte[] prefix = Primitives.concat(AvroJson.SOE_MARKER, envelope.fingerprint(), signingKey.keyId(),
                payloadSchema.fingerprint(), header);

        // 4. the body, bound to the prefix.
        byte[] ciphertext = Primitives.aeadEncrypt(plaintext, Primitives.concat(Primitives.BODY_DOMAIN, prefix), nonce, contentKey);

        // 5. readers: sorted by agency id (byte order), unique, producer and recipients included.
        TreeSet<String> names = new TreeSet<>(EnvelopeReader::compareBytes);
        names.add(agency);
        for (Object recipient : (List<?>) event.get("recipients")) {
            names.add((String) recipient);
        }
        names.addAll(moreReaders);
        Schema readersSchema = envelope.schema().getField("readers").schema();
        Schema readerSchema = readersSchema.getElementType();
        GenericData.Array<Object> readers = new GenericData.Array<>(names.size(), readersSchema);
        for (String name : names) {
            if (!HeaderGrammar.isAgencyId(name)) {
                throw new IllegalArgumentException("a reader is not an agency id");
            }
            Certificate certificate = directory.currentOf(name, nowMicros)
                    .orElseThrow(() -> new IllegalStateException(name + " has no certificate usable now"));
            GenericData.Record reader = new GenericData.Record(readerSchema);
            reader.put("agency", name);
            reader.put("encryption_key_id", new GenericData.Fixed(readerSchema.getField("encryption_key_id").schema(),
                    certificate.encryptionKeyId()));
            reader.put("sealed_key", new GenericData.Fixed(readerSchema.getField("sealed_key").schema(),
                    Primitives.seal(contentKey, certificate.encryptionPublicKey(),
                            ephemeralSecrets.getOrDefault(name, Primitives.random(32)))));
            readers.add(reader);
        }

        // 6. unsigned = prefix ‖ Avro(readers) ‖ nonce ‖ Avro-bytes(ciphertext); 7. sign it.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(prefix);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            new GenericDatumWriter<Object>(readersSchema).write(readers, encoder);
            encoder.writeFixed(nonce);
            encoder.writeBytes(ByteBuffer.wrap(ciphertext));
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] unsigned = out.toByteArray();
        byte[] signature = Primitives.sign(signingKey.seed(), Primitives.concat(Primitives.ENVELOPE_DOMAIN, unsigned));
        return Primitives.concat(unsigned, signature);
    }

    /** The Header record of an event: its keys as Avro fields, attributes sorted by name. */
    static GenericData.Record headerRecord(Schema headerSchema, Map<String, ?> event) {
        GenericData.Record header = new GenericData.Record(headerSchema);
        for (String key : List.of("event_id", "event_type", "occurred_at", "producer", "child_ref", "referral_id",
                "region", "causation_id", "correlation_id")) {
            header.put(key, event.get(key));
        }
        header.put("recipients", new ArrayList<>((List<?>) event.get("recipients")));
        Schema attributeSchema = headerSchema.getField("attributes").schema().getElementType();
        List<Object> attributes = new ArrayList<>();
        TreeMap<String, Object> sorted = new TreeMap<>(EnvelopeReader::compareBytes);
        sorted.putAll((Map<String, ?>) event.get("attributes"));
        for (Map.Entry<String, Object> entry : sorted.entrySet()) {
            GenericData.Record attribute = new GenericData.Record(attributeSchema);
            attribute.put("name", entry.getKey());
            attribute.put("value", entry.getValue());
            attributes.add(attribute);
        }
        header.put("attributes", attributes);
        return header;
    }
}
