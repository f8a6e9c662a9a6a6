package kz.referral.contract;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * Verifies, opens or refuses an envelope in the order of envelope.md, section 6, each failure with
 * its reason code. A reader is one consumer: an agency reading its inbox (holds a keyring, needs
 * the body) or a consumer of the whole event log (router, audit: opens nothing).
 */
public final class EnvelopeReader {
    /** What the consumer knows of the Kafka record besides its value. */
    public record RecordContext(byte[] key, Long logAppendTimeMicros) {
        /** A record keyed by this child_ref (UTF-8), append time unknown. */
        public static RecordContext keyedBy(String childRef) {
            return new RecordContext(childRef.getBytes(StandardCharsets.UTF_8), null);
        }
    }

    /** A verified envelope; payload and plaintext only where this consumer opened the body. */
    public record Opened(
            Map<String, Object> header,
            byte[] headerBytes,
            ContractSchemas.Version payloadWriterSchema,
            List<String> readers,
            Certificate signer,
            byte[] plaintext,
            Map<String, Object> payload,
            byte[] contentDigest,
            boolean repeat) {

        /** The plain JSON form of the event (events.md, section 1), with its payload if opened. */
        public Map<String, Object> event() {
            Map<String, Object> event = new LinkedHashMap<>(header);
            if (payload != null) {
                event.put("payload", payload);
            }
            return event;
        }
    }

    /** The checks of envelope.md, section 6, in the order this reader makes them, with their reasons. */
    public static final List<Map.Entry<String, Reason>> CHECKS = List.of(
            Map.entry("1", Reason.MALFORMED_ENVELOPE),
            Map.entry("2", Reason.SCHEMA_UNKNOWN),
            Map.entry("2a", Reason.MALFORMED_ENVELOPE),
            Map.entry("3", Reason.UNKNOWN_KEY),
            Map.entry("4", Reason.SIGNATURE_INVALID),
            Map.entry("5", Reason.MALFORMED_ENVELOPE),
            Map.entry("6", Reason.HEADER_INVALID),
            Map.entry("7", Reason.SIGNER_MISMATCH),
            Map.entry("8", Reason.KEY_REVOKED),
            Map.entry("9", Reason.KEY_NOT_VALID_AT_EVENT_TIME),
            Map.entry("10", Reason.SCHEMA_UNKNOWN),
            Map.entry("11", Reason.SCHEMA_MISMATCH),
            Map.entry("12", Reason.MALFORMED_ENVELOPE),
            Map.entry("12a", Reason.NOT_A_READER),
            Map.entry("13", Reason.READER_KEY_MISSING),
            Map.entry("14", Reason.CIPHERTEXT_DAMAGED),
            Map.entry("15", Reason.PAYLOAD_MALFORMED),
            Map.entry("16", Reason.HEADER_INVALID),
            Map.entry("17", Reason.KEY_MISMATCH),
            Map.entry("18", Reason.DUPLICATE_EVENT),
            Map.entry("19", Reason.NOT_AUTHORISED));

    private final KeyDirectory directory;
    private final ContractSchemas schemas;
    private final Keyring keyring;
    private final boolean needsBody;
    private final Map<String, byte[]> seen = new HashMap<>();

    private EnvelopeReader(KeyDirectory directory, ContractSchemas schemas, Keyring keyring, boolean needsBody) {
        this.directory = directory;
        this.schemas = schemas;
        this.keyring = keyring;
        this.needsBody = needsBody;
    }

    /** An agency reading its inbox: opens the body, refuses what it is not a reader of. */
    public static EnvelopeReader forAgency(KeyDirectory directory, ContractSchemas schemas, Keyring keyring) {
        return new EnvelopeReader(directory, schemas, keyring, true);
    }

    /**
     * An agency that verifies and opens when it is a reader, and otherwise still verifies the
     * envelope and sees the header (envelope.md, section 4).
     */
    public static EnvelopeReader forAgencyHeaderOnly(KeyDirectory directory, ContractSchemas schemas, Keyring keyring) {
        return new EnvelopeReader(directory, schemas, keyring, false);
    }

    /** A consumer of the whole event log (router, audit): verifies, never opens. */
    public static EnvelopeReader forEventLog(KeyDirectory directory, ContractSchemas schemas) {
        return new EnvelopeReader(directory, schemas, null, false);
    }

    /** Checks 1 to 19 in the order of envelope.md, section 6 (1, 2, 2a, 3 … 12, 12a, 13 … 19). */
    public Opened read(byte[] value, RecordContext record) throws Rejected {
        return read(value, record, true);
    }

    /**
     * Section 6a: the same envelope verified again without opening the body (checks 1 to 12, 16,
     * 17 and 19; this re-verification neither de-duplicates nor remembers the event), as an agency
     * does before answering with an EnvelopeUnreadable.
     */
    public Opened verifyWithoutOpening(byte[] value, RecordContext record) throws Rejected {
        return read(value, record, false);
    }

    private Opened read(byte[] bytes, RecordContext record, boolean open) throws Rejected {
        // 1, 2, 2a: framing
        if (bytes.length < 10 || bytes[0] != (byte) 0xC3 || bytes[1] != 0x01) {
            throw new Rejected(Reason.MALFORMED_ENVELOPE, "shorter than 10 bytes or not C3 01");
        }
        byte[] envelopeFingerprint = Arrays.copyOfRange(bytes, 2, 10);
        if (!schemas.isEnvelopeFingerprint(envelopeFingerprint)) {
            throw new Rejected(Reason.SCHEMA_UNKNOWN, "envelope fingerprint " + Hex.encode(envelopeFingerprint) + " is unknown");
        }
        if (bytes.length < 98) {
            throw new Rejected(Reason.MALFORMED_ENVELOPE, "shorter than 98 bytes");
        }
        // 3
        byte[] signerKeyId = Arrays.copyOfRange(bytes, 10, 26);
        Optional<Certificate> found = directory.bySigningKeyId(signerKeyId);
        if (found.isEmpty()) {
            throw new Rejected(Reason.UNKNOWN_KEY, "signer key id " + Hex.encode(signerKeyId) + " is not in the directory");
        }
        Certificate signer = found.get();
        // 4
        byte[] signed = Arrays.copyOfRange(bytes, 0, bytes.length - Primitives.SIGNATURE_BYTES);
        byte[] signature = Arrays.copyOfRange(bytes, bytes.length - Primitives.SIGNATURE_BYTES, bytes.length);
        if (!Primitives.verify(signer.signingPublicKey(), Primitives.concat(Primitives.ENVELOPE_DOMAIN, signed), signature)) {
            throw new Rejected(Reason.SIGNATURE_INVALID, "signature of key " + Hex.encode(signerKeyId) + " does not verify");
        }
        // 5
        EnvelopeLayout layout;
        try {
            layout = EnvelopeLayout.parse(bytes, schemas.byFingerprint(envelopeFingerprint).orElseThrow().schema());
        } catch (IllegalArgumentException e) {
            throw new Rejected(Reason.MALFORMED_ENVELOPE, e.getMessage());
        }
        Map<String, Object> header = new LinkedHashMap<>();
        List<HeaderGrammar.Problem> attributeProblems = headerAsJson(layout.header(), header);
        String eventType = (String) header.get("event_type");
        String producer = (String) header.get("producer");
        String eventId = (String) header.get("event_id");
        String ids = "event " + (HeaderGrammar.isUuid(eventId) ? eventId : "(id not canonical)");
        // 6. The exact v1.1 grammar of occurred_at, as the reference applies it here too
        // (contracts/envelope.md, section 6, check 6).
        Catalogue.EventType type = Catalogue.TYPES.get(eventType);
        if (type == null) {
            throw new Rejected(Reason.HEADER_INVALID, "event_type: not an event type of the catalogue");
        }
        Long occurredAt = HeaderGrammar.epochMicros((String) header.get("occurred_at"));
        if (occurredAt == null) {
            throw new Rejected(Reason.HEADER_INVALID, "occurred_at: not an RFC 3339 time with its offset");
        }
        // 7
        if (!signer.subject().equals(producer)) {
            throw new Rejected(Reason.SIGNER_MISMATCH,
                    ids + ": key " + Hex.encode(signerKeyId) + " is certified to " + signer.subject() + ", not to the producer");
        }
        // 8
        Long revokedAt = signer.revokedAt();
        Long appended = record == null ? null : record.logAppendTimeMicros();
        if (revokedAt != null && (occurredAt >= revokedAt || appended != null && appended >= revokedAt)) {
            throw new Rejected(Reason.KEY_REVOKED, ids + ": key " + Hex.encode(signerKeyId) + " is revoked");
        }
        // 9
        if (occurredAt < signer.notBefore() || signer.notAfter() != null && occurredAt >= signer.notAfter()) {
            throw new Rejected(Reason.KEY_NOT_VALID_AT_EVENT_TIME,
                    ids + ": key " + Hex.encode(signerKeyId) + " is not valid at occurred_at");
        }
        // 10: any schema of schemas/avro; 11: a version of this event type's payload schema
        Optional<ContractSchemas.Version> payloadSchema = schemas.byFingerprint(layout.payloadSchema());
        if (payloadSchema.isEmpty()) {
            throw new Rejected(Reason.SCHEMA_UNKNOWN, ids + ": payload schema " + Hex.encode(layout.payloadSchema()) + " is unknown");
        }
        if (!payloadSchema.get().area().equals("payloads") || !payloadSchema.get().name().equals(eventType)) {
            throw new Rejected(Reason.SCHEMA_MISMATCH,
                    ids + ": payload schema " + payloadSchema.get().key() + " is not a payload of " + eventType);
        }
        // 12
        List<String> readers = new ArrayList<>();
        for (GenericRecord reader : layout.readers()) {
            readers.add(reader.get("agency").toString());
        }
        String readersProblem = readersProblem(readers, producer, header.get("recipients"));
        if (readersProblem != null) {
            throw new Rejected(Reason.MALFORMED_ENVELOPE, ids + ": readers " + readersProblem);
        }
        byte[] headerBytes = Arrays.copyOfRange(bytes, EnvelopeLayout.HEADER_START, layout.headerEnd());
        boolean isReader = keyring != null && readers.contains(keyring.agency());
        byte[] plaintext = null;
        Map<String, Object> payload = null;
        // 12a: a consumer that needs the body is a reader
        if (needsBody && open && !isReader) {
            throw new Rejected(Reason.NOT_A_READER, ids + ": " + (keyring == null ? "this consumer" : keyring.agency())
                    + " is not among the readers");
        }
        if (open && isReader) {
            GenericRecord entry = layout.readers().get(readers.indexOf(keyring.agency()));
            byte[] encryptionKeyId = ((GenericFixed) entry.get("encryption_key_id")).bytes();
            // 13
            Optional<byte[][]> key = keyring.encryptionKey(encryptionKeyId);
            if (key.isEmpty()) {
                throw new Rejected(Reason.READER_KEY_MISSING,
                        ids + ": no secret for encryption key " + Hex.encode(encryptionKeyId) + " of " + keyring.agency());
            }
            // 14
            byte[] contentKey = Primitives.sealOpen(((GenericFixed) entry.get("sealed_key")).bytes(), key.get()[0], key.get()[1]);
            byte[] associatedData = Primitives.concat(Primitives.BODY_DOMAIN, Arrays.copyOfRange(bytes, 0, layout.headerEnd()));
            plaintext = contentKey == null || contentKey.length != Primitives.CONTENT_KEY_BYTES ? null
                    : Primitives.aeadDecrypt(layout.ciphertext(), associatedData, layout.nonce(), contentKey);
            if (plaintext == null) {
                throw new Rejected(Reason.CIPHERTEXT_DAMAGED,
                        ids + ": " + (contentKey == null ? "the sealed key does not open" : "the body does not decrypt"));
            }
            // 15
            try {
                ContractSchemas.Version current = schemas.latest("payloads", eventType);
                Object datum = AvroJson.readSingleObject(schemas, plaintext, layout.payloadSchema(), current.schema());
                @SuppressWarnings("unchecked")
                Map<String, Object> json = (Map<String, Object>) AvroJson.toJson(current.schema(), datum);
                payload = json;
            } catch (IllegalArgumentException e) {
                throw new Rejected(Reason.PAYLOAD_MALFORMED, ids + ": payload " + e.getMessage());
            }
        }
        // 16
        List<HeaderGrammar.Problem> problems = new ArrayList<>(attributeProblems);
        problems.addAll(HeaderGrammar.check(header));
        if (!problems.isEmpty()) {
            throw new Rejected(Reason.HEADER_INVALID,
                    problems.stream().map(HeaderGrammar.Problem::toString).collect(Collectors.joining("; ")));
        }
        // 17
        byte[] recordKey = record == null ? null : record.key();
        if (recordKey == null) {
            throw new Rejected(Reason.KEY_MISMATCH, "record has no key; an envelope is keyed by its header's child_ref");
        }
        if (!Arrays.equals(recordKey, ((String) header.get("child_ref")).getBytes(StandardCharsets.UTF_8))) {
            throw new Rejected(Reason.KEY_MISMATCH, "record key is not the header's child_ref");
        }
        // 18: de-duplication (a repeat with the same digest is accepted as a repeat, to be skipped)
        byte[] digest = Primitives.blake2b(32, Primitives.DIGEST_DOMAIN, layout.payloadSchema(), headerBytes,
                plaintext == null ? new byte[0] : plaintext);
        byte[] before = open ? seen.get(eventId) : null;
        if (before != null && !Arrays.equals(before, digest)) {
            throw new Rejected(Reason.DUPLICATE_EVENT, ids + ": seen before with another content digest");
        }
        // 19: authorisation by the catalogue (the lifecycle is judged by consumers of the whole log)
        if (Catalogue.isSlaEvent(eventType)) {
            throw new Rejected(Reason.NOT_AUTHORISED, ids + ": " + eventType + " is the audit's output, refused on the event log");
        }
        String agencyType = HeaderGrammar.agencyType(producer);
        if (!type.emitters().contains(agencyType)) {
            throw new Rejected(Reason.NOT_AUTHORISED, "an agency of type " + agencyType + " may not emit " + eventType);
        }
        if (open) {
            seen.putIfAbsent(eventId, digest);
        }
        return new Opened(header, headerBytes, payloadSchema.get(), List.copyOf(readers), signer, plaintext, payload,
                digest, before != null);
    }

    /** The header record as the plain JSON form; problems of the attribute array's order. */
    static List<HeaderGrammar.Problem> headerAsJson(GenericRecord record, Map<String, Object> out) {
        List<HeaderGrammar.Problem> problems = new ArrayList<>();
        for (String key : List.of("event_id", "event_type", "occurred_at", "producer", "child_ref", "referral_id")) {
            Object value = record.get(key);
            out.put(key, value == null ? null : value.toString());
        }
        List<String> recipients = new ArrayList<>();
        for (Object recipient : (Iterable<?>) record.get("recipients")) {
            recipients.add(recipient.toString());
        }
        out.put("recipients", recipients);
        out.put("region", record.get("region").toString());
        Map<String, Object> attributes = new LinkedHashMap<>();
        String previous = null;
        for (Object item : (Iterable<?>) record.get("attributes")) {
            GenericRecord attribute = (GenericRecord) item;
            String name = attribute.get("name").toString();
            if (previous != null && compareBytes(previous, name) >= 0) {
                problems.add(new HeaderGrammar.Problem("attributes", "not sorted by name, names unique"));
            }
            previous = name;
            attributes.put(name, attribute.get("value").toString());
        }
        out.put("attributes", attributes);
        for (String key : List.of("causation_id", "correlation_id")) {
            Object value = record.get(key);
            out.put(key, value == null ? null : value.toString());
        }
        return problems.isEmpty() ? problems : List.of(problems.get(0));
    }

    /** Check 12: sorted by agency id (byte order), unique, agency ids, producer and recipients among them. */
    static String readersProblem(List<String> readers, String producer, Object recipients) {
        for (int i = 0; i < readers.size(); i++) {
            if (!HeaderGrammar.isAgencyId(readers.get(i))) {
                return "name something that is not an agency id";
            }
            if (i > 0 && compareBytes(readers.get(i - 1), readers.get(i)) >= 0) {
                return "are not sorted by agency id and unique";
            }
        }
        if (!readers.contains(producer)) {
            return "do not include the producer";
        }
        for (Object recipient : (Iterable<?>) recipients) {
            if (!readers.contains(recipient.toString())) {
                return "do not include every recipient";
            }
        }
        return null;
    }

    static int compareBytes(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
