package kz.referral.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.DynamicNode;

/** An envelope vector file (envelope.md, section 10), checked from the primitives up. */
final class EnvelopeVectors {
    static final Set<String> SECTIONS = Set.of(
            "warning", "description", "domains", "root", "agencies", "schemas", "certificates", "event",
            "payload_soe_hex", "header_avro_hex", "aead", "envelope", "rejections");

    static boolean understands(Map<String, Object> vectors) {
        return vectors.containsKey("root") && vectors.containsKey("certificates") && vectors.containsKey("agencies");
    }

    private final String file;
    private final Map<String, Object> v;
    private final ContractSchemas schemas = ContractSchemas.load();

    EnvelopeVectors(String file, Map<String, Object> vectors) {
        this.file = file;
        this.v = vectors;
    }

    static byte[] hex(Object value) {
        return Hex.decode((String) value);
    }

    static Map<String, Object> obj(Object value) {
        return Json.object(value);
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        return (List<Object>) value;
    }

    List<DynamicNode> tests() {
        List<DynamicNode> tests = new ArrayList<>();
        for (String section : v.keySet()) {
            if (!SECTIONS.contains(section)) {
                tests.add(dynamicTest("section " + section, () -> fail(file + ": section '" + section
                        + "' is of no shape this suite knows; teach EnvelopeVectors what it means")));
            }
        }
        tests.add(dynamicTest("domain prefixes", this::domains));
        tests.add(dynamicTest("root and agency keys follow from the seeds", this::keys));
        if (v.containsKey("schemas")) {
            tests.add(dynamicTest("schema canonical forms and fingerprints", this::schemaFingerprints));
        }
        tests.add(dynamicTest("certificates: bytes, root signatures, fields, admission", this::certificates));
        if (v.containsKey("event")) {
            tests.add(dynamicTest("the event obeys the header grammar; payload and header bytes", this::eventBytes));
        }
        if (v.containsKey("aead")) {
            tests.add(dynamicTest("AEAD: associated data and ciphertext", this::aead));
        }
        if (v.containsKey("envelope")) {
            tests.add(dynamicTest("the envelope verifies and opens for every reader", this::envelope));
            tests.add(dynamicTest("Java rebuilds the envelope's deterministic parts", this::rebuild));
        }
        if (v.containsKey("rejections")) {
            for (Object item : list(v.get("rejections"))) {
                Map<String, Object> rejection = obj(item);
                tests.add(dynamicTest("refused: " + rejection.get("case") + " -> " + rejection.get("reason"),
                        () -> rejection(rejection)));
            }
        }
        return tests;
    }

    // ---- the parts ------------------------------------------------------------------------

    void domains() {
        Map<String, Object> d = obj(v.get("domains"));
        assertEquals(Set.of("envelope_signature", "body_associated_data", "certificate_signature", "content_digest"), d.keySet());
        assertArrayEquals(Primitives.ENVELOPE_DOMAIN, hex(d.get("envelope_signature")));
        assertArrayEquals(Primitives.BODY_DOMAIN, hex(d.get("body_associated_data")));
        assertArrayEquals(Primitives.CERTIFICATE_DOMAIN, hex(d.get("certificate_signature")));
        assertArrayEquals(Primitives.DIGEST_DOMAIN, hex(d.get("content_digest")));
    }

    void keys() {
        Map<String, Object> root = obj(v.get("root"));
        byte[] rootPublic = Primitives.ed25519PublicKey(hex(root.get("seed_hex")));
        assertEquals(root.get("public_key_hex"), Hex.encode(rootPublic));
        assertEquals(root.get("key_id_hex"), Hex.encode(Primitives.keyId(rootPublic)));
        for (Map.Entry<String, Object> agency : obj(v.get("agencies")).entrySet()) {
            Map<String, Object> k = obj(agency.getValue());
            byte[] signing = Primitives.ed25519PublicKey(hex(k.get("signing_seed_hex")));
            byte[] encryption = Primitives.x25519PublicKey(hex(k.get("encryption_secret_hex")));
            assertEquals(k.get("signing_public_key_hex"), Hex.encode(signing), agency.getKey());
            assertEquals(k.get("encryption_public_key_hex"), Hex.encode(encryption), agency.getKey());
            assertEquals(k.get("signing_key_id_hex"), Hex.encode(Primitives.keyId(signing)), agency.getKey());
            assertEquals(k.get("encryption_key_id_hex"), Hex.encode(Primitives.keyId(encryption)), agency.getKey());
        }
    }

    void schemaFingerprints() {
        for (Map.Entry<String, Object> entry : obj(v.get("schemas")).entrySet()) {
            ContractSchemas.Version version = schemas.byKey(entry.getKey())
                    .orElseThrow(() -> new AssertionError("no schemas/avro/" + entry.getKey() + ".avsc"));
            Map<String, Object> expected = obj(entry.getValue());
            assertEquals(expected.get("canonical_form"), version.canonicalForm(), entry.getKey());
            assertEquals(expected.get("fingerprint_hex"), Hex.encode(version.fingerprint()), entry.getKey());
        }
    }

    KeyDirectory directory() {
        KeyDirectory directory = new KeyDirectory(hex(obj(v.get("root")).get("public_key_hex")), schemas);
        for (Object item : list(v.get("certificates"))) {
            Map<String, Object> c = obj(item);
            try {
                directory.add(hex(c.get("certificate_hex")), hex(c.get("root_signature_hex")));
            } catch (KeyDirectory.Refused e) {
                throw new AssertionError("certificate of " + obj(c.get("fields")).get("subject") + " refused: " + e.getMessage());
            }
        }
        return directory;
    }

    Keyring keyring(String agency) {
        Map<String, Object> k = obj(obj(v.get("agencies")).get(agency));
        assertNotNull(k, "no keys for " + agency + " in the vectors");
        return new Keyring(agency).add(hex(k.get("signing_seed_hex")), hex(k.get("encryption_secret_hex")));
    }

    void certificates() throws Exception {
        byte[] rootSeed = hex(obj(v.get("root")).get("seed_hex"));
        for (Object item : list(v.get("certificates"))) {
            Map<String, Object> c = obj(item);
            byte[] bytes = hex(c.get("certificate_hex"));
            assertArrayEquals(Primitives.concat(Primitives.CERTIFICATE_DOMAIN, bytes), hex(c.get("signed_bytes_hex")));
            // Ed25519 is deterministic: the root's signature is reproduced exactly.
            assertEquals(c.get("root_signature_hex"), Hex.encode(Primitives.sign(rootSeed, hex(c.get("signed_bytes_hex")))));
            Certificate decoded = Certificate.of((GenericRecord) AvroJson.readSingleObject(schemas, bytes,
                    schemas.latest("directory", "Certificate").fingerprint(), null), bytes, hex(c.get("root_signature_hex")));
            Map<String, Object> f = obj(c.get("fields"));
            Map<String, Object> actual = new LinkedHashMap<>();
            actual.put("subject", decoded.subject());
            actual.put("device", decoded.device());
            actual.put("agency_type", decoded.agencyType());
            actual.put("region", decoded.region());
            actual.put("display_name", decoded.displayName());
            actual.put("funding", decoded.funding());
            actual.put("signing_key_id", Hex.encode(decoded.signingKeyId()));
            actual.put("encryption_key_id", Hex.encode(decoded.encryptionKeyId()));
            actual.put("not_before", decoded.notBefore());
            actual.put("not_after", decoded.notAfter());
            actual.put("revoked_at", decoded.revokedAt());
            actual.put("revocation_reason", decoded.revocationReason());
            actual.put("issued_at", decoded.issuedAt());
            Map<String, Object> expected = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : f.entrySet()) {
                Object value = e.getValue();
                if (value != null && Set.of("not_before", "not_after", "revoked_at", "issued_at").contains(e.getKey())) {
                    value = HeaderGrammar.epochMicros((String) value);
                }
                expected.put(e.getKey(), value);
            }
            assertEquals(expected, actual, "certificate fields");
        }
        directory();
    }

    void eventBytes() {
        Map<String, Object> event = obj(v.get("event"));
        assertEquals(List.of(), HeaderGrammar.check(event));
        String type = (String) event.get("event_type");
        ContractSchemas.Version payload = schemas.latest("payloads", type);
        if (v.containsKey("payload_soe_hex")) {
            assertEquals(v.get("payload_soe_hex"),
                    Hex.encode(AvroJson.singleObject(payload, AvroJson.fromJson(payload.schema(), event.get("payload"), "payload"))));
        }
        if (v.containsKey("header_avro_hex")) {
            Schema headerSchema = schemas.latest("envelope", "Envelope").schema().getField("header").schema();
            assertEquals(v.get("header_avro_hex"),
                    Hex.encode(AvroJson.binary(headerSchema, EnvelopeWriter.headerRecord(headerSchema, event))));
        }
    }

    void aead() {
        Map<String, Object> a = obj(v.get("aead"));
        byte[] ciphertext = Primitives.aeadEncrypt(hex(a.get("plaintext_hex")), hex(a.get("associated_data_hex")),
                hex(a.get("nonce_hex")), hex(a.get("content_key_hex")));
        assertEquals(a.get("ciphertext_hex"), Hex.encode(ciphertext));
        assertArrayEquals(hex(a.get("plaintext_hex")), Primitives.aeadDecrypt(ciphertext, hex(a.get("associated_data_hex")),
                hex(a.get("nonce_hex")), hex(a.get("content_key_hex"))));
        if (v.containsKey("envelope")) {
            byte[] envelope = hex(obj(v.get("envelope")).get("hex"));
            EnvelopeLayout layout = EnvelopeLayout.parse(envelope, schemas.latest("envelope", "Envelope").schema());
            assertArrayEquals(Primitives.concat(Primitives.BODY_DOMAIN, Arrays.copyOfRange(envelope, 0, layout.headerEnd())),
                    hex(a.get("associated_data_hex")));
            assertEquals(a.get("ciphertext_hex"), Hex.encode(layout.ciphertext()));
            assertEquals(a.get("nonce_hex"), Hex.encode(layout.nonce()));
        }
    }

    EnvelopeReader.RecordContext keyedByEvent() {
        return EnvelopeReader.RecordContext.keyedBy((String) obj(v.get("event")).get("child_ref"));
    }

    void envelope() throws Exception {
        Map<String, Object> e = obj(v.get("envelope"));
        byte[] bytes = hex(e.get("hex"));
        assertArrayEquals(Primitives.concat(Primitives.ENVELOPE_DOMAIN, Arrays.copyOf(bytes, bytes.length - 64)),
                hex(e.get("signed_bytes_hex")));
        assertEquals(e.get("signature_hex"), Hex.encode(Arrays.copyOfRange(bytes, bytes.length - 64, bytes.length)));
        KeyDirectory directory = directory();
        Map<String, Object> event = obj(v.get("event"));
        List<Object> readers = list(e.get("readers"));
        // A consumer of the whole log verifies without opening: same header, digest without the body.
        EnvelopeReader.Opened logged = EnvelopeReader.forEventLog(directory, schemas).read(bytes, keyedByEvent());
        assertEquals(readers, logged.readers());
        assertEquals(withoutPayload(event), logged.event());
        for (Object reader : readers) {
            String agency = (String) reader;
            EnvelopeReader.Opened opened = EnvelopeReader.forAgency(directory, schemas, keyring(agency)).read(bytes, keyedByEvent());
            assertEquals(normalise(event), opened.event(), agency + " gets the event back");
            if (e.containsKey("content_digest_hex")) {
                assertEquals(e.get("content_digest_hex"), Hex.encode(opened.contentDigest()), agency);
            }
            if (v.containsKey("aead")) {
                EnvelopeLayout layout = EnvelopeLayout.parse(bytes, schemas.latest("envelope", "Envelope").schema());
                GenericRecord entry = layout.readers().get(readers.indexOf(agency));
                Keyring keys = keyring(agency);
                byte[][] pair = keys.encryptionKey(((GenericFixed) entry.get("encryption_key_id")).bytes()).orElseThrow();
                assertEquals(obj(v.get("aead")).get("content_key_hex"),
                        Hex.encode(Primitives.sealOpen(((GenericFixed) entry.get("sealed_key")).bytes(), pair[0], pair[1])));
            }
        }
        // An agency that is not a reader: not_a_reader when it needs the body, the header otherwise.
        for (String agency : obj(v.get("agencies")).keySet()) {
            if (!readers.contains(agency)) {
                ContractVectorsTest.assertRefused(Reason.NOT_A_READER,
                        () -> EnvelopeReader.forAgency(directory, schemas, keyring(agency)).read(bytes, keyedByEvent()), agency);
            }
        }
    }

    /** Java builds the same header, plaintext and ciphertext, and signs the same bytes alike. */
    void rebuild() throws Exception {
        Map<String, Object> e = obj(v.get("envelope"));
        byte[] original = hex(e.get("hex"));
        Map<String, Object> event = obj(v.get("event"));
        byte[] producerSeed = hex(obj(obj(v.get("agencies")).get(event.get("producer"))).get("signing_seed_hex"));
        assertEquals(e.get("signature_hex"), Hex.encode(Primitives.sign(producerSeed, hex(e.get("signed_bytes_hex")))));
        if (!v.containsKey("aead")) {
            return;
        }
        Map<String, Object> a = obj(v.get("aead"));
        KeyDirectory directory = directory();
        Keyring producer = keyring((String) event.get("producer"));
        long issuedAt = HeaderGrammar.epochMicros((String) event.get("occurred_at"));
        List<String> more = new ArrayList<>();
        for (Object reader : list(e.get("readers"))) {
            more.add((String) reader);
        }
        byte[] rebuilt = new EnvelopeWriter(directory, schemas, producer)
                .write(event, more, issuedAt, hex(a.get("content_key_hex")), hex(a.get("nonce_hex")));
        EnvelopeLayout mine = EnvelopeLayout.parse(rebuilt, schemas.latest("envelope", "Envelope").schema());
        EnvelopeLayout theirs = EnvelopeLayout.parse(original, schemas.latest("envelope", "Envelope").schema());
        assertArrayEquals(Arrays.copyOf(original, theirs.headerEnd()), Arrays.copyOf(rebuilt, mine.headerEnd()), "prefix");
        assertArrayEquals(theirs.ciphertext(), mine.ciphertext(), "ciphertext");
        assertArrayEquals(theirs.nonce(), mine.nonce(), "nonce");
        assertEquals(theirs.readers().size(), mine.readers().size());
        for (int i = 0; i < mine.readers().size(); i++) {
            assertEquals(theirs.readers().get(i).get("agency").toString(), mine.readers().get(i).get("agency").toString());
            assertArrayEquals(((GenericFixed) theirs.readers().get(i).get("encryption_key_id")).bytes(),
                    ((GenericFixed) mine.readers().get(i).get("encryption_key_id")).bytes());
        }
        assertEquals(original.length, rebuilt.length, "only the sealed keys and the signature differ");
    }

    void rejection(Map<String, Object> r) {
        for (String key : r.keySet()) {
            assertTrue(Set.of("case", "hex", "reason").contains(key),
                    file + ": rejection field '" + key + "' is of no shape this suite knows");
        }
        Reason reason = Reason.fromCode((String) r.get("reason"));
        byte[] bytes = hex(r.get("hex"));
        KeyDirectory directory = directory();
        String what = (String) r.get("case");
        ContractVectorsTest.assertRefused(reason,
                () -> EnvelopeReader.forEventLog(directory, schemas).read(bytes, keyedByEvent()), what + " (event log)");
        for (String agency : obj(v.get("agencies")).keySet()) {
            ContractVectorsTest.assertRefused(reason,
                    () -> EnvelopeReader.forAgency(directory, schemas, keyring(agency)).read(bytes, keyedByEvent()),
                    what + " (" + agency + ")");
        }
    }

    // ---- the plain JSON form ---------------------------------------------------------------

    /** The event as a reader gives it back: every header key (absent = null), the payload. */
    static Map<String, Object> normalise(Map<String, Object> event) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String key : HeaderGrammar.KEYS) {
            if (!key.equals("payload")) {
                out.put(key, event.get(key));
            }
        }
        if (event.get("payload") != null) {
            out.put("payload", event.get("payload"));
        }
        return out;
    }

    static Map<String, Object> withoutPayload(Map<String, Object> event) {
        Map<String, Object> out = normalise(event);
        out.remove("payload");
        return out;
    }
}
