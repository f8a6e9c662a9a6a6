package kz.referral.contract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * Every schema of {@code schemas/avro/<area>/<Name>/v<N>.avsc}, each file parsed on its own (a
 * file never uses a named type twice, and two files may use one name), with its CRC-64-AVRO
 * fingerprint of the Parsing Canonical Form, 8 bytes little-endian.
 */
public final class ContractSchemas {
    private static final Pattern FILE = Pattern.compile("v([1-9][0-9]*)\\.avsc");

    /** One version of one schema. */
    public record Version(String area, String name, int version, Schema schema, byte[] fingerprint) {
        public String canonicalForm() {
            return SchemaNormalization.toParsingForm(schema);
        }

        public String key() {
            return area + "/" + name + "/v" + version;
        }
    }

    private final Map<String, Version> byKey = new TreeMap<>();
    private final Map<String, Version> byFingerprint = new HashMap<>();
    private final Map<String, Version> latest = new HashMap<>();

    public ContractSchemas(Path avroRoot) {
        try (Stream<Path> files = Files.walk(avroRoot)) {
            for (Path file : (Iterable<Path>) files.sorted()::iterator) {
                Matcher m = FILE.matcher(file.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                Path rel = avroRoot.relativize(file);
                if (rel.getNameCount() != 3) {
                    throw new IllegalStateException("not <area>/<Name>/v<N>.avsc: " + rel);
                }
                Schema schema = new Schema.Parser().parse(file.toFile());
                Version v = new Version(rel.getName(0).toString(), rel.getName(1).toString(),
                        Integer.parseInt(m.group(1)), schema, fingerprint(schema));
                byKey.put(v.key(), v);
                Version clash = byFingerprint.put(Hex.encode(v.fingerprint()), v);
                if (clash != null) {
                    throw new IllegalStateException("two schemas with one fingerprint: " + clash.key() + ", " + v.key());
                }
                latest.merge(v.area() + "/" + v.name(), v, (a, b) -> a.version() >= b.version() ? a : b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!latest.containsKey("envelope/Envelope")) {
            throw new IllegalStateException("no envelope/Envelope schema under " + avroRoot);
        }
    }

    /** The schemas of the repository this library sits in (see {@link #contractRoot()}). */
    public static ContractSchemas load() {
        return new ContractSchemas(contractRoot().resolve("schemas").resolve("avro"));
    }

    /**
     * The repository root: the system property {@code contract.root}, else the first folder
     * upwards from the working directory that has {@code schemas/avro} and {@code contracts/}.
     */
    public static Path contractRoot() {
        String configured = System.getProperty("contract.root");
        if (configured != null && !configured.isBlank()) {
            return Paths.get(configured).toAbsolutePath().normalize();
        }
        for (Path at = Paths.get("").toAbsolutePath(); at != null; at = at.getParent()) {
            if (Files.isDirectory(at.resolve("schemas/avro")) && Files.isDirectory(at.resolve("contracts"))) {
                return at;
            }
        }
        throw new IllegalStateException("set -Dcontract.root to the repository holding schemas/avro");
    }

    /** CRC-64-AVRO of the Parsing Canonical Form, little-endian, as in a single-object encoding. */
    public static byte[] fingerprint(Schema schema) {
        long crc = SchemaNormalization.parsingFingerprint64(schema);
        byte[] out = new byte[8];
        for (int i = 0; i < 8; i++) {
            out[i] = (byte) (crc >>> (8 * i));
        }
        return out;
    }

    /** Every version of every schema, ordered by area, name and version. */
    public List<Version> all() {
        return List.copyOf(byKey.values());
    }

    public Optional<Version> byKey(String key) {
        return Optional.ofNullable(byKey.get(key));
    }

    public Optional<Version> byFingerprint(byte[] fingerprint) {
        return Optional.ofNullable(byFingerprint.get(Hex.encode(fingerprint)));
    }

    /** The highest version of {@code area/name}: what writers use. */
    public Version latest(String area, String name) {
        Version v = latest.get(area + "/" + name);
        if (v == null) {
            throw new IllegalArgumentException("no schema " + area + "/" + name);
        }
        return v;
    }

    public boolean hasPayload(String eventType) {
        return latest.containsKey("payloads/" + eventType);
    }

    /** The fingerprints an envelope's bytes 2–9 may carry: every version of envelope/Envelope. */
    public boolean isEnvelopeFingerprint(byte[] fingerprint) {
        Version v = byFingerprint.get(Hex.encode(fingerprint));
        return v != null && v.area().equals("envelope") && v.name().equals("Envelope");
    }

    /** Every payload schema version, by event type. */
    public Map<String, List<Version>> payloads() {
        Map<String, List<Version>> out = new TreeMap<>();
        for (Version v : byKey.values()) {
            if (v.area().equals("payloads")) {
                out.computeIfAbsent(v.name(), k -> new ArrayList<>()).add(v);
            }
        }
        out.replaceAll((k, list) -> Collections.unmodifiableList(list));
        return out;
    }
}
