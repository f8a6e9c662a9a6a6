package kz.referral.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every catalogue event type written by EnvelopeWriter and read back by EnvelopeReader. */
class WriterRoundTripTest {
    static final ContractSchemas SCHEMAS = ContractSchemas.load();
    static final long JAN_2026 = HeaderGrammar.epochMicros("2026-01-01T00:00:00Z");
    static final String RECIPIENT = "ngo.shymkent.test-shelter-9";

    /** A root, and agencies certified by it, all with fresh random keys made here. */
    static final class World {
        final CertificateIssuer issuer = new CertificateIssuer(SCHEMAS, Primitives.random(32));
        final KeyDirectory directory = new KeyDirectory(issuer.rootPublicKey(), SCHEMAS);
        final Map<String, Keyring> keyrings = new LinkedHashMap<>();

        Keyring agency(String id) throws KeyDirectory.Refused {
            Keyring existing = keyrings.get(id);
            if (existing != null) {
                return existing;
            }
            byte[] seed = Primitives.random(32);
            byte[] secret = Primitives.random(32);
            CertificateIssuer.Signed signed = issuer.issue(id, "Test " + id, id.startsWith("ngo.") ? "state" : null,
                    Primitives.ed25519PublicKey(seed), Primitives.x25519PublicKey(secret), JAN_2026, null, null, null, JAN_2026);
            directory.add(signed.certificate(), signed.signature());
            Keyring keyring = new Keyring(id).add(seed, secret);
            keyrings.put(id, keyring);
            return keyring;
        }
    }

    /** A payload with every required field filled and every optional one left to its default. */
    static Object minimal(Schema schema) {
        switch (schema.getType()) {
            case RECORD: {
                Map<String, Object> out = new LinkedHashMap<>();
                for (Schema.Field field : schema.getFields()) {
                    if (!field.hasDefaultValue()) {
                        out.put(field.name(), minimal(field.schema()));
                    }
                }
                return out;
            }
            case UNION:
                return schema.getTypes().get(0).getType() == Schema.Type.NULL ? null : minimal(schema.getTypes().get(0));
            case ENUM:
                return schema.getEnumSymbols().get(0);
            case ARRAY:
                return List.of();
            case STRING:
                return "Test-Value";
            case BOOLEAN:
                return Boolean.FALSE;
            case INT:
            case LONG:
                return 1;
            default:
                throw new AssertionError("no sample for " + schema.getType());
        }
    }

    static Map<String, Object> event(Catalogue.EventType type, String producer, int n) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("event_id", String.format("7e570000-0000-4000-8000-%012d", n));
        event.put("event_type", type.name());
        event.put("occurred_at", "2026-12-11T16:00:00.25+05:00");
        event.put("producer", producer);
        event.put("child_ref", "c-7e57c0000099");
        event.put("recipients", type.name().equals("ReferralIssued") ? List.of(RECIPIENT) : List.of());
        event.put("region", "turkestan");
        Map<String, Object> attributes = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(type.attributes().keySet());
        java.util.Collections.reverse(names); // the writer sorts them
        for (String name : names) {
            List<String> codes = type.attributes().get(name);
            attributes.put(name, codes.equals(List.of(Catalogue.RULE_ID)) ? "handoff-1" : codes.get(codes.size() - 1));
        }
        event.put("attributes", attributes);
        event.put("referral_id", Catalogue.isReferralType(type.name()) || type.name().equals("EnvelopeUnreadable")
                ? "r-7e57e0000099" : null);
        event.put("causation_id", type.name().equals("EnvelopeUnreadable") ? "7e570000-0000-4000-8000-000000000001" : null);
        event.put("correlation_id", null);
        Schema payload = SCHEMAS.latest("payloads", type.name()).schema();
        event.put("payload", AvroJson.toJson(payload, AvroJson.fromJson(payload, minimal(payload), "payload")));
        return event;
    }

    @TestFactory
    Stream<DynamicTest> everyEventTypeRoundTrips() throws Exception {
        World world = new World();
        world.agency(RECIPIENT);
        List<DynamicTest> tests = new ArrayList<>();
        int n = 0;
        for (Catalogue.EventType type : Catalogue.TYPES.values()) {
            String producer = new TreeSet<>(type.emitters()).first() + ".turkestan";
            Keyring keys = world.agency(producer);
            Map<String, Object> event = event(type, producer, ++n);
            tests.add(dynamicTest(type.name(), () -> {
                byte[] envelope = new EnvelopeWriter(world.directory, SCHEMAS, keys).write(event, List.of(RECIPIENT));
                EnvelopeReader.RecordContext record = EnvelopeReader.RecordContext.keyedBy("c-7e57c0000099");
                if (Catalogue.isSlaEvent(type.name())) {
                    ContractVectorsTest.assertRefused(Reason.NOT_AUTHORISED,
                            () -> EnvelopeReader.forEventLog(world.directory, SCHEMAS).read(envelope, record), type.name());
                    return;
                }
                for (String reader : List.of(producer, RECIPIENT)) {
                    EnvelopeReader.Opened opened = EnvelopeReader.forAgency(world.directory, SCHEMAS, world.keyrings.get(reader))
                            .read(envelope, record);
                    assertEquals(EnvelopeVectors.normalise(event), opened.event(), reader);
                }
                EnvelopeReader.Opened logged = EnvelopeReader.forEventLog(world.directory, SCHEMAS).read(envelope, record);
                assertEquals(List.of(producer, RECIPIENT).stream().sorted().toList(), logged.readers());
            }));
        }
        return tests.stream();
    }

    @Test
    void encryptionIsFreshAndTheContentDigestIsNot() throws Exception {
        World world = new World();
        Keyring police = world.agency("police.turkestan");
        world.agency(RECIPIENT);
        Map<String, Object> event = event(Catalogue.TYPES.get("ReferralIssued"), "police.turkestan", 1);
        EnvelopeWriter writer = new EnvelopeWriter(world.directory, SCHEMAS, police);
        byte[] first = writer.write(event, List.of());
        byte[] second = writer.write(event, List.of());
        assertFalse(java.util.Arrays.equals(first, second), "a new content key, nonce and sealed keys each time");
        EnvelopeReader inbox = EnvelopeReader.forAgency(world.directory, SCHEMAS, world.keyrings.get(RECIPIENT));
        EnvelopeReader.RecordContext record = EnvelopeReader.RecordContext.keyedBy("c-7e57c0000099");
        EnvelopeReader.Opened a = inbox.read(first, record);
        EnvelopeReader.Opened b = inbox.read(second, record);
        assertArrayEquals(a.contentDigest(), b.contentDigest());
        assertEquals(true, b.repeat(), "the same event encrypted again is a repeat");
        Map<String, Object> changed = new LinkedHashMap<>(event);
        changed.put("attributes", Map.of("kind", "other"));
        ContractVectorsTest.assertRefused(Reason.DUPLICATE_EVENT, () -> inbox.read(writer.write(changed, List.of()), record),
                "same event_id, other content");
    }

    @Test
    void rotationSealsToTheNewestKeyAndOldBodiesStillOpen() throws Exception {
        World world = new World();
        world.agency("police.turkestan");
        byte[] seed1 = Primitives.random(32);
        byte[] secret1 = Primitives.random(32);
        byte[] seed2 = Primitives.random(32);
        byte[] secret2 = Primitives.random(32);
        long switchOver = HeaderGrammar.epochMicros("2026-07-01T00:00:00Z");
        long march = HeaderGrammar.epochMicros("2026-03-01T00:00:00Z");
        String social = "social.turkestan";
        for (CertificateIssuer.Signed signed : List.of(
                world.issuer.issue(social, "Test", null, Primitives.ed25519PublicKey(seed1), Primitives.x25519PublicKey(secret1),
                        JAN_2026, switchOver, null, null, march),
                world.issuer.issue(social, "Test", null, Primitives.ed25519PublicKey(seed2), Primitives.x25519PublicKey(secret2),
                        switchOver, null, null, null, march))) {
            world.directory.add(signed.certificate(), signed.signature());
        }
        Keyring both = new Keyring(social).add(seed1, secret1).add(seed2, secret2);
        Keyring newOnly = new Keyring(social).add(null, secret2);
        Map<String, Object> event = event(Catalogue.TYPES.get("ReferralIssued"), "police.turkestan", 7);
        event.put("recipients", List.of(social));
        EnvelopeWriter police = new EnvelopeWriter(world.directory, SCHEMAS, world.keyrings.get("police.turkestan"));
        EnvelopeReader.RecordContext record = EnvelopeReader.RecordContext.keyedBy("c-7e57c0000099");
        byte[] before = police.write(event, List.of(), march, Primitives.random(32), Primitives.random(24));
        byte[] after = police.write(event, List.of(), HeaderGrammar.epochMicros("2026-12-11T00:00:00Z"),
                Primitives.random(32), Primitives.random(24));
        EnvelopeReader.forAgency(world.directory, SCHEMAS, both).read(before, record);
        EnvelopeReader.forAgency(world.directory, SCHEMAS, newOnly).read(after, record);
        ContractVectorsTest.assertRefused(Reason.READER_KEY_MISSING,
                () -> EnvelopeReader.forAgency(world.directory, SCHEMAS, newOnly).read(before, record), "old secret dropped");
        // The agency signs with the generation valid at the event's time.
        Map<String, Object> own = event(Catalogue.TYPES.get("RiskAssessed"), social, 8);
        byte[] signed = new EnvelopeWriter(world.directory, SCHEMAS, both).write(own, List.of());
        assertArrayEquals(Primitives.keyId(Primitives.ed25519PublicKey(seed2)), java.util.Arrays.copyOfRange(signed, 10, 26));
        assertNotEquals(0, EnvelopeReader.forEventLog(world.directory, SCHEMAS).read(signed,
                new EnvelopeReader.RecordContext("c-7e57c0000099".getBytes(StandardCharsets.UTF_8), null)).readers().size());
    }
}
