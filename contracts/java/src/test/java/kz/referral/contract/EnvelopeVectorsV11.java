package kz.referral.contract;

import static kz.referral.contract.EnvelopeVectors.hex;
import static kz.referral.contract.EnvelopeVectors.list;
import static kz.referral.contract.EnvelopeVectors.obj;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.junit.jupiter.api.DynamicNode;

/**
 * An envelope vector file of the v1.1 shape (envelope.md, section 10): a directory with rotated
 * and revoked keys and DirectoryEntry bytes, positive vectors that rebuild byte for byte, and
 * negative vectors with the check that refuses each, the consumer that reads it and its record.
 */
final class EnvelopeVectorsV11 {
    static final Set<String> SECTIONS = Set.of(
            "warning", "description", "domains", "schemas", "checks", "root", "keys", "directory", "positive", "negative");
    static final Set<String> POSITIVE_FIELDS = Set.of(
            "case", "description", "event", "reader", "reader_holds", "require_body", "received_at", "record_key_hex",
            "value_hex", "signer_key_id_hex", "payload_schema_hex", "header_avro_hex", "payload_soe_hex",
            "content_key_hex", "nonce_hex", "readers", "content_digest_hex");
    static final Set<String> NEGATIVE_FIELDS = Set.of(
            "case", "check", "reason", "base", "change", "resigned_by", "reader", "reader_holds", "require_body",
            "received_at", "record_key_hex", "value_hex", "preceded_by");
    /** Checks made only by a consumer that opens bodies. */
    static final Set<String> BODY_CHECKS = Set.of("12a", "13", "14", "15");

    static boolean understands(Map<String, Object> vectors) {
        return vectors.containsKey("keys") && vectors.containsKey("directory") && vectors.containsKey("positive")
                && vectors.containsKey("negative");
    }

    private final String file;
    private final Map<String, Object> v;
    private final ContractSchemas schemas = ContractSchemas.load();

    EnvelopeVectorsV11(String file, Map<String, Object> vectors) {
        this.file = file;
        this.v = vectors;
    }

    List<DynamicNode> tests() {
        List<DynamicNode> tests = new ArrayList<>();
        for (String section : v.keySet()) {
            if (!SECTIONS.contains(section)) {
                tests.add(dynamicTest("section " + section, () -> fail(file + ": section '" + section
                        + "' is of no shape this suite knows; teach EnvelopeVectorsV11 what it means")));
            }
        }
        tests.add(dynamicTest("domain prefixes", () -> {
            Map<String, Object> d = obj(v.get("domains"));
            assertArrayEquals(Primitives.ENVELOPE_DOMAIN, hex(d.get("envelope_signature")));
            assertArrayEquals(Primitives.BODY_DOMAIN, hex(d.get("body_associated_data")));
            assertArrayEquals(Primitives.CERTIFICATE_DOMAIN, hex(d.get("certificate_signature")));
            assertArrayEquals(Primitives.DIGEST_DOMAIN, hex(d.get("content_digest")));
        }));
        tests.add(dynamicTest("schema fingerprints", () -> {
            for (Map.Entry<String, Object> e : obj(v.get("schemas")).entrySet()) {
                assertEquals(e.getValue(), Hex.encode(schemas.byKey(e.getKey()).orElseThrow().fingerprint()), e.getKey());
            }
        }));
        tests.add(dynamicTest("the checks of section 6, in this reader's order", this::checks));
        tests.add(dynamicTest("root and every key generation follow from the seeds", this::keys));
        tests.add(dynamicTest("certificates: bytes, fields, root signatures", this::certificates));
        tests.add(dynamicTest("merge rules: any order gives one directory without the superseded issues", this::mergeOrders));
        tests.add(dynamicTest("DirectoryEntry records", this::entries));
        for (Object item : list(v.get("positive"))) {
            Map<String, Object> p = obj(item);
            tests.add(dynamicTest("positive " + p.get("case") + ": verifies and opens for every reader", () -> positive(p)));
            tests.add(dynamicTest("positive " + p.get("case") + ": Java rebuilds it byte for byte", () -> rebuild(p)));
        }
        for (Object item : list(v.get("negative"))) {
            Map<String, Object> n = obj(item);
            tests.add(dynamicTest("negative " + n.get("case") + ": check " + n.get("check") + " -> " + n.get("reason"),
                    () -> negative(n)));
        }
        return tests;
    }

    void checks() {
        List<Object> rows = list(v.get("checks"));
        assertEquals(EnvelopeReader.CHECKS.size(), rows.size(), "rows");
        for (int i = 0; i < rows.size(); i++) {
            Map<String, Object> row = obj(rows.get(i));
            assertEquals(EnvelopeReader.CHECKS.get(i).getKey(), row.get("check"), "row " + i);
            assertEquals(EnvelopeReader.CHECKS.get(i).getValue().code(), row.get("reason"), "check " + row.get("check"));
        }
    }

    void keys() {
        Map<String, Object> root = obj(v.get("root"));
        byte[] rootPublic = Primitives.ed25519PublicKey(hex(root.get("seed_hex")));
        assertEquals(root.get("public_key_hex"), Hex.encode(rootPublic));
        assertEquals(root.get("key_id_hex"), Hex.encode(Primitives.keyId(rootPublic)));
        for (Object item : list(v.get("keys"))) {
            Map<String, Object> k = obj(item);
            byte[] signing = Primitives.ed25519PublicKey(hex(k.get("signing_seed_hex")));
            byte[] encryption = Primitives.x25519PublicKey(hex(k.get("encryption_secret_hex")));
            assertEquals(k.get("signing_public_key_hex"), Hex.encode(signing), (String) k.get("name"));
            assertEquals(k.get("encryption_public_key_hex"), Hex.encode(encryption), (String) k.get("name"));
            assertEquals(k.get("signing_key_id_hex"), Hex.encode(Primitives.keyId(signing)), (String) k.get("name"));
            assertEquals(k.get("encryption_key_id_hex"), Hex.encode(Primitives.keyId(encryption)), (String) k.get("name"));
        }
    }

    List<Map<String, Object>> certificateItems() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object item : list(obj(v.get("directory")).get("certificates"))) {
            out.add(obj(item));
        }
        return out;
    }

    KeyDirectory directory(List<Map<String, Object>> certificates) {
        KeyDirectory directory = new KeyDirectory(hex(obj(v.get("root")).get("public_key_hex")), schemas);
        for (Map<String, Object> c : certificates) {
            try {
                directory.add(hex(c.get("certificate_hex")), hex(c.get("root_signature_hex")));
            } catch (KeyDirectory.Refused e) {
                throw new AssertionError(c.get("generation") + " (" + c.get("role") + ") refused: " + e.getMessage());
            }
        }
        return directory;
    }

    KeyDirectory directory() {
        return directory(certificateItems());
    }

    static Map<String, Object> fields(Certificate c) {
        Map<String, Object> actual = new LinkedHashMap<>();
        actual.put("subject", c.subject());
        actual.put("device", c.device());
        actual.put("agency_type", c.agencyType());
        actual.put("region", c.region());
        actual.put("display_name", c.displayName());
        actual.put("funding", c.funding());
        actual.put("signing_key_id", Hex.encode(c.signingKeyId()));
        actual.put("encryption_key_id", Hex.encode(c.encryptionKeyId()));
        actual.put("not_before", c.notBefore());
        actual.put("not_after", c.notAfter());
        actual.put("revoked_at", c.revokedAt());
        actual.put("revocation_reason", c.revocationReason());
        actual.put("issued_at", c.issuedAt());
        return actual;
    }

    static Map<String, Object> expectedFields(Map<String, Object> f) {
        Map<String, Object> expected = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : f.entrySet()) {
            Object value = e.getValue();
            if (value != null && Set.of("not_before", "not_after", "revoked_at", "issued_at").contains(e.getKey())) {
                value = HeaderGrammar.epochMicros((String) value);
            }
            expected.put(e.getKey(), value);
        }
        return expected;
    }

    Certificate decode(byte[] bytes, byte[] signature) {
        return Certificate.of((GenericRecord) AvroJson.readSingleObject(schemas, bytes,
                schemas.latest("directory", "Certificate").fingerprint(), null), bytes, signature);
    }

    void certificates() {
        byte[] rootSeed = hex(obj(v.get("root")).get("seed_hex"));
        for (Map<String, Object> c : certificateItems()) {
            byte[] bytes = hex(c.get("certificate_hex"));
            assertEquals(c.get("root_signature_hex"),
                    Hex.encode(Primitives.sign(rootSeed, Primitives.concat(Primitives.CERTIFICATE_DOMAIN, bytes))));
            assertEquals(expectedFields(obj(c.get("fields"))), fields(decode(bytes, hex(c.get("root_signature_hex")))),
                    (String) c.get("role"));
        }
    }

    void mergeOrders() {
        List<Map<String, Object>> forward = certificateItems();
        List<Map<String, Object>> backward = new ArrayList<>(forward);
        Collections.reverse(backward);
        for (List<Map<String, Object>> order : List.of(forward, backward)) {
            KeyDirectory directory = directory(order);
            for (Map<String, Object> c : forward) {
                byte[] keyId = hex(obj(c.get("fields")).get("signing_key_id"));
                Certificate held = directory.bySigningKeyId(keyId).orElseThrow();
                boolean superseded = Boolean.TRUE.equals(c.get("superseded"));
                assertEquals(!superseded, held.sameBytes(decode(hex(c.get("certificate_hex")), hex(c.get("root_signature_hex")))),
                        c.get("role") + (order == forward ? " (in order)" : " (reversed)"));
            }
        }
    }

    void entries() throws Exception {
        for (Object item : list(obj(v.get("directory")).get("entries"))) {
            Map<String, Object> entry = obj(item);
            String subject = new String(hex(entry.get("record_key_hex")), java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(entry.get("subject"), subject);
            KeyDirectory directory = new KeyDirectory(hex(obj(v.get("root")).get("public_key_hex")), schemas);
            directory.addEntry(subject, hex(entry.get("value_hex")));
            List<Object> expected = list(entry.get("certificates"));
            List<Certificate> held = directory.certificatesOf(subject);
            assertEquals(expected.size(), held.size(), subject);
            for (Object f : expected) {
                Map<String, Object> want = expectedFields(obj(f));
                assertTrue(held.stream().anyMatch(c -> fields(c).equals(want)), subject + ": " + want);
            }
            // The entry under another record key is refused.
            KeyDirectory other = new KeyDirectory(hex(obj(v.get("root")).get("public_key_hex")), schemas);
            try {
                other.addEntry("police.turkestan".equals(subject) ? "social.turkestan" : "police.turkestan",
                        hex(entry.get("value_hex")));
                fail("a DirectoryEntry under another agency's key was admitted");
            } catch (KeyDirectory.Refused expectedRefusal) {
                // as it should be
            }
        }
    }

    // ---- consumers ------------------------------------------------------------------------

    Map<String, Object> keyByEncryptionId(String keyIdHex) {
        for (Object item : list(v.get("keys"))) {
            if (keyIdHex.equals(obj(item).get("encryption_key_id_hex"))) {
                return obj(item);
            }
        }
        throw new AssertionError("no key generation with encryption key id " + keyIdHex);
    }

    Map<String, Object> keyBySigningId(String keyIdHex) {
        for (Object item : list(v.get("keys"))) {
            if (keyIdHex.equals(obj(item).get("signing_key_id_hex"))) {
                return obj(item);
            }
        }
        throw new AssertionError("no key generation with signing key id " + keyIdHex);
    }

    /** The consumer a vector names: an agency holding exactly these X25519 secrets, or the log's. */
    EnvelopeReader consumer(KeyDirectory directory, Object reader, Object holds, Object requireBody) {
        if (reader == null) {
            return EnvelopeReader.forEventLog(directory, schemas);
        }
        Keyring keyring = new Keyring((String) reader);
        for (Object keyId : holds == null ? List.of() : list(holds)) {
            keyring.add(null, hex(keyByEncryptionId((String) keyId).get("encryption_secret_hex")));
        }
        return Boolean.TRUE.equals(requireBody) ? EnvelopeReader.forAgency(directory, schemas, keyring)
                : EnvelopeReader.forAgencyHeaderOnly(directory, schemas, keyring);
    }

    static EnvelopeReader.RecordContext record(Map<String, Object> vector) {
        Object key = vector.get("record_key_hex");
        return new EnvelopeReader.RecordContext(key == null ? null : hex(key),
                HeaderGrammar.epochMicros((String) vector.get("received_at")));
    }

    Map<String, Object> positiveCase(String name) {
        for (Object item : list(v.get("positive"))) {
            if (name.equals(obj(item).get("case"))) {
                return obj(item);
            }
        }
        throw new AssertionError("no positive vector " + name);
    }

    void positive(Map<String, Object> p) throws Exception {
        for (String key : p.keySet()) {
            assertTrue(POSITIVE_FIELDS.contains(key), file + ": positive field '" + key + "' is of no shape this suite knows");
        }
        KeyDirectory directory = directory();
        byte[] bytes = hex(p.get("value_hex"));
        Map<String, Object> event = EnvelopeVectors.normalise(obj(p.get("event")));
        EnvelopeReader.Opened opened = consumer(directory, p.get("reader"), p.get("reader_holds"), p.get("require_body"))
                .read(bytes, record(p));
        assertEquals(event, opened.event(), "the named reader gets the event back");
        assertEquals(p.get("content_digest_hex"), Hex.encode(opened.contentDigest()));
        assertFalse(opened.repeat());
        // A second copy is a repeat, not a duplicate.
        EnvelopeReader again = consumer(directory, p.get("reader"), p.get("reader_holds"), p.get("require_body"));
        again.read(bytes, record(p));
        assertTrue(again.read(bytes, record(p)).repeat(), "the same envelope again is a repeat");
        // Every reader, holding the key its entry names, opens it.
        List<String> names = new ArrayList<>();
        for (Object item : list(p.get("readers"))) {
            Map<String, Object> reader = obj(item);
            names.add((String) reader.get("agency"));
            EnvelopeReader.Opened forReader = consumer(directory, reader.get("agency"),
                    List.of(reader.get("encryption_key_id_hex")), true).read(bytes, record(p));
            assertEquals(event, forReader.event(), (String) reader.get("agency"));
            Map<String, Object> k = keyByEncryptionId((String) reader.get("encryption_key_id_hex"));
            byte[] sealed = hex(reader.get("sealed_key_hex"));
            assertArrayEquals(hex(p.get("content_key_hex")), Primitives.sealOpen(sealed,
                    hex(k.get("encryption_public_key_hex")), hex(k.get("encryption_secret_hex"))));
        }
        assertEquals(names, opened.readers());
        // A consumer of the whole log verifies it without opening.
        EnvelopeReader.Opened logged = EnvelopeReader.forEventLog(directory, schemas).read(bytes, record(p));
        Map<String, Object> header = new LinkedHashMap<>(event);
        header.remove("payload");
        assertEquals(header, logged.event());
        assertEquals(p.get("header_avro_hex"), Hex.encode(logged.headerBytes()));
    }

    void rebuild(Map<String, Object> p) {
        Map<String, Object> event = obj(p.get("event"));
        Map<String, Object> signer = keyBySigningId((String) p.get("signer_key_id_hex"));
        Keyring producer = new Keyring((String) event.get("producer")).add(hex(signer.get("signing_seed_hex")), null);
        Map<String, byte[]> ephemeral = new HashMap<>();
        List<String> readers = new ArrayList<>();
        for (Object item : list(p.get("readers"))) {
            Map<String, Object> reader = obj(item);
            readers.add((String) reader.get("agency"));
            ephemeral.put((String) reader.get("agency"), hex(reader.get("ephemeral_secret_hex")));
            Map<String, Object> k = keyByEncryptionId((String) reader.get("encryption_key_id_hex"));
            assertEquals(reader.get("sealed_key_hex"), Hex.encode(Primitives.seal(hex(p.get("content_key_hex")),
                    hex(k.get("encryption_public_key_hex")), hex(reader.get("ephemeral_secret_hex")))), "sealed key");
        }
        ContractSchemas.Version payload = schemas.latest("payloads", (String) event.get("event_type"));
        assertEquals(p.get("payload_schema_hex"), Hex.encode(payload.fingerprint()));
        assertEquals(p.get("payload_soe_hex"), Hex.encode(AvroJson.singleObject(payload,
                AvroJson.fromJson(payload.schema(), event.get("payload"), "payload"))));
        Schema headerSchema = schemas.latest("envelope", "Envelope").schema().getField("header").schema();
        assertEquals(p.get("header_avro_hex"),
                Hex.encode(AvroJson.binary(headerSchema, EnvelopeWriter.headerRecord(headerSchema, event))));
        byte[] rebuilt = new EnvelopeWriter(directory(), schemas, producer).write(event, readers,
                HeaderGrammar.epochMicros((String) p.get("received_at")), hex(p.get("content_key_hex")),
                hex(p.get("nonce_hex")), ephemeral);
        assertEquals(p.get("value_hex"), Hex.encode(rebuilt));
    }

    void negative(Map<String, Object> n) throws Exception {
        for (String key : n.keySet()) {
            assertTrue(NEGATIVE_FIELDS.contains(key), file + ": negative field '" + key + "' is of no shape this suite knows");
        }
        String check = (String) n.get("check");
        Reason reason = Reason.fromCode((String) n.get("reason"));
        assertTrue(EnvelopeReader.CHECKS.contains(Map.entry(check, reason)), "check " + check + " gives " + reason.code());
        KeyDirectory directory = directory();
        byte[] bytes = hex(n.get("value_hex"));
        EnvelopeReader consumer = consumer(directory, n.get("reader"), n.get("reader_holds"), n.get("require_body"));
        for (Object before : list(n.get("preceded_by"))) {
            Map<String, Object> p = positiveCase((String) before);
            consumer.read(hex(p.get("value_hex")), record(p));
        }
        ContractVectorsTest.assertRefused(reason, () -> consumer.read(bytes, record(n)), (String) n.get("case"));
        // A consumer that opens nothing refuses it for the same reason, unless a body check decided.
        if (!BODY_CHECKS.contains(check)) {
            EnvelopeReader log = EnvelopeReader.forEventLog(directory, schemas);
            for (Object before : list(n.get("preceded_by"))) {
                Map<String, Object> p = positiveCase((String) before);
                log.read(hex(p.get("value_hex")), record(p));
            }
            ContractVectorsTest.assertRefused(reason, () -> log.read(bytes, record(n)), n.get("case") + " (event log)");
        } else {
            try {
                EnvelopeReader.forEventLog(directory, schemas).read(bytes, record(n));
            } catch (Rejected rejected) {
                assertNotEquals(reason, rejected.reason(), "a consumer that opens nothing makes no body check");
            }
        }
    }
}
