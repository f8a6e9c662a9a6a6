package kz.referral.contract;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The interoperability tool that tests/envelope/test_java_interop.py drives:
 * {@code Interop REQUEST.json RESPONSE.json}. TEST-ONLY: the request carries the root's seed and
 * agencies' secrets so that one process can play every part.
 *
 * <pre>
 * request:  root_seed_hex; certificates [{certificate_hex, signature_hex}] (issued elsewhere);
 *           issue [{agency, display_name, signing_seed_hex, encryption_secret_hex, not_before, issued_at}];
 *           write [{signing_seed_hex, event, readers}];
 *           read  [{agency | null, secrets_hex [..], require_body, value_hex, record_key_hex | null, received_at | null}]
 * response: issued [{certificate_hex, signature_hex}]; written [hex]; read [{reason, detail, event, content_digest_hex}]
 * </pre>
 * Certificates are issued first; every write and read then uses one directory of all of them.
 */
public final class Interop {
    private Interop() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Interop REQUEST.json RESPONSE.json");
            System.exit(2);
        }
        Map<String, Object> request = Json.object(Json.read(Paths.get(args[0])));
        Json.write(Path.of(args[1]), run(request));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> run(Map<String, Object> request) throws Exception {
        ContractSchemas schemas = ContractSchemas.load();
        CertificateIssuer issuer = new CertificateIssuer(schemas, Hex.decode((String) request.get("root_seed_hex")));
        KeyDirectory directory = new KeyDirectory(issuer.rootPublicKey(), schemas);
        for (Object item : (List<Object>) request.getOrDefault("certificates", List.of())) {
            Map<String, Object> c = Json.object(item);
            directory.add(Hex.decode((String) c.get("certificate_hex")), Hex.decode((String) c.get("signature_hex")));
        }
        List<Object> issued = new ArrayList<>();
        for (Object item : (List<Object>) request.getOrDefault("issue", List.of())) {
            Map<String, Object> a = Json.object(item);
            String agency = (String) a.get("agency");
            CertificateIssuer.Signed signed = issuer.issue(agency, (String) a.get("display_name"),
                    agency.startsWith("ngo.") ? "international" : null,
                    Primitives.ed25519PublicKey(Hex.decode((String) a.get("signing_seed_hex"))),
                    Primitives.x25519PublicKey(Hex.decode((String) a.get("encryption_secret_hex"))),
                    micros(a.get("not_before")), null, null, null, micros(a.get("issued_at")));
            directory.add(signed.certificate(), signed.signature());
            issued.add(Map.of("certificate_hex", Hex.encode(signed.certificate()), "signature_hex", Hex.encode(signed.signature())));
        }
        List<Object> written = new ArrayList<>();
        for (Object item : (List<Object>) request.getOrDefault("write", List.of())) {
            Map<String, Object> w = Json.object(item);
            Map<String, Object> event = Json.object(w.get("event"));
            Keyring producer = new Keyring((String) event.get("producer"))
                    .add(Hex.decode((String) w.get("signing_seed_hex")), null);
            written.add(Hex.encode(new EnvelopeWriter(directory, schemas, producer)
                    .write(event, (List<String>) w.getOrDefault("readers", List.of()))));
        }
        List<Object> read = new ArrayList<>();
        for (Object item : (List<Object>) request.getOrDefault("read", List.of())) {
            Map<String, Object> r = Json.object(item);
            EnvelopeReader reader;
            if (r.get("agency") == null) {
                reader = EnvelopeReader.forEventLog(directory, schemas);
            } else {
                Keyring keyring = new Keyring((String) r.get("agency"));
                for (Object secret : (List<Object>) r.getOrDefault("secrets_hex", List.of())) {
                    keyring.add(null, Hex.decode((String) secret));
                }
                reader = Boolean.TRUE.equals(r.get("require_body")) ? EnvelopeReader.forAgency(directory, schemas, keyring)
                        : EnvelopeReader.forAgencyHeaderOnly(directory, schemas, keyring);
            }
            Object key = r.get("record_key_hex");
            EnvelopeReader.RecordContext record = new EnvelopeReader.RecordContext(
                    key == null ? null : Hex.decode((String) key), r.get("received_at") == null ? null : micros(r.get("received_at")));
            Map<String, Object> verdict = new LinkedHashMap<>();
            try {
                EnvelopeReader.Opened opened = reader.read(Hex.decode((String) r.get("value_hex")), record);
                verdict.put("reason", null);
                verdict.put("detail", null);
                verdict.put("event", opened.event());
                verdict.put("content_digest_hex", Hex.encode(opened.contentDigest()));
            } catch (Rejected rejected) {
                verdict.put("reason", rejected.reason().code());
                verdict.put("detail", rejected.detail());
                verdict.put("event", null);
                verdict.put("content_digest_hex", null);
            }
            read.add(verdict);
        }
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("issued", issued);
        response.put("written", written);
        response.put("read", read);
        return response;
    }

    private static long micros(Object rfc3339) {
        Long micros = HeaderGrammar.epochMicros((String) rfc3339);
        if (micros == null) {
            throw new IllegalArgumentException("not an RFC 3339 time of the v1.1 grammar");
        }
        return micros;
    }
}
