package kz.referral.contract;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.generic.GenericRecord;

/**
 * The key directory of envelope.md, section 8: root-verified certificates merged by signing key
 * (the latest {@code issued_at} wins, an older one is ignored, a revocation is final, two
 * different certificates with one key and one {@code issued_at} are refused).
 */
public final class KeyDirectory {
    /** A certificate or a directory entry the directory refuses to admit. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message);
        }
    }

    /** What {@link #add} did with a root-verified certificate. */
    public enum Outcome { ADMITTED, SUPERSEDED_EARLIER, IGNORED_OLDER, ALREADY_HELD }

    private final byte[] rootPublicKey;
    private final byte[] rootKeyId;
    private final ContractSchemas schemas;
    private final Map<String, Certificate> bySigningKeyId = new HashMap<>();

    public KeyDirectory(byte[] rootPublicKey, ContractSchemas schemas) {
        this.rootPublicKey = rootPublicKey.clone();
        this.rootKeyId = Primitives.keyId(rootPublicKey);
        this.schemas = schemas;
    }

    /** Admits one certificate (its single-object bytes) with the root's signature over it. */
    public Outcome add(byte[] certificateBytes, byte[] rootSignature) throws Refused {
        return add(certificateBytes, rootSignature, null);
    }

    private Outcome add(byte[] certificateBytes, byte[] rootSignature, String entrySubject) throws Refused {
        if (!Primitives.verify(rootPublicKey, Primitives.concat(Primitives.CERTIFICATE_DOMAIN, certificateBytes), rootSignature)) {
            throw new Refused("certificate: the root's signature does not verify");
        }
        Certificate certificate;
        try {
            ContractSchemas.Version latest = schemas.latest("directory", "Certificate");
            certificate = Certificate.of((GenericRecord) AvroJson.readSingleObject(schemas, certificateBytes, null, latest.schema()),
                    certificateBytes, rootSignature);
            byte[] fingerprint = java.util.Arrays.copyOfRange(certificateBytes, 2, 10);
            ContractSchemas.Version writer = schemas.byFingerprint(fingerprint).orElseThrow();
            if (!writer.area().equals("directory") || !writer.name().equals("Certificate")) {
                throw new Refused("certificate: the bytes are a " + writer.key() + ", not a Certificate");
            }
        } catch (IllegalArgumentException e) {
            throw new Refused("certificate: " + e.getMessage());
        }
        if (!MessageDigest.isEqual(certificate.issuerKeyId(), rootKeyId)) {
            throw new Refused("certificate: issuer_key_id is not the root's key id");
        }
        if (!HeaderGrammar.isAgencyId(certificate.subject())
                || !certificate.subject().startsWith(certificate.agencyType() + "." + certificate.region() + ".")
                        && !certificate.subject().equals(certificate.agencyType() + "." + certificate.region())) {
            throw new Refused("certificate: subject is not an agency id of its agency_type and region");
        }
        if (entrySubject != null && !entrySubject.equals(certificate.subject())) {
            throw new Refused("directory entry: a certificate of another subject");
        }
        if (certificate.notAfter() != null && certificate.notAfter() <= certificate.notBefore()) {
            throw new Refused("certificate: not_after is not later than not_before");
        }
        if (certificate.displayName().isBlank()) {
            throw new Refused("certificate: display_name is empty");
        }
        String keyId = Hex.encode(certificate.signingKeyId());
        Certificate held = bySigningKeyId.get(keyId);
        if (held == null) {
            bySigningKeyId.put(keyId, certificate);
            return Outcome.ADMITTED;
        }
        if (certificate.sameBytes(held)) {
            return Outcome.ALREADY_HELD;
        }
        // One signing key is one key generation of one agency: the same subject, device and
        // X25519 key in every issue of its certificate.
        if (!certificate.subject().equals(held.subject()) || !java.util.Objects.equals(certificate.device(), held.device())
                || !Arrays.equals(certificate.encryptionPublicKey(), held.encryptionPublicKey())) {
            throw new Refused("certificate: signing key " + keyId + " is already certified otherwise");
        }
        if (certificate.issuedAt() < held.issuedAt()) {
            return Outcome.IGNORED_OLDER;
        }
        if (certificate.issuedAt() == held.issuedAt()) {
            throw new Refused("certificate: another certificate of signing key " + keyId + " has the same issued_at");
        }
        if (held.revokedAt() != null) {
            throw new Refused("certificate: signing key " + keyId + " is revoked; a revocation is final");
        }
        bySigningKeyId.put(keyId, certificate);
        return Outcome.SUPERSEDED_EARLIER;
    }

    /**
     * Admits every certificate of one {@code keys.directory.v1} record: key = the agency id,
     * value = single-object encoding of a DirectoryEntry.
     */
    public List<Outcome> addEntry(String recordKey, byte[] value) throws Refused {
        GenericRecord entry;
        try {
            ContractSchemas.Version latest = schemas.latest("directory", "DirectoryEntry");
            byte[] fingerprint = value.length >= 10 ? java.util.Arrays.copyOfRange(value, 2, 10) : new byte[0];
            Optional<ContractSchemas.Version> writer = schemas.byFingerprint(fingerprint);
            if (writer.isEmpty() || !writer.get().area().equals("directory") || !writer.get().name().equals("DirectoryEntry")) {
                throw new Refused("directory entry: not a DirectoryEntry");
            }
            entry = (GenericRecord) AvroJson.readSingleObject(schemas, value, null, latest.schema());
        } catch (IllegalArgumentException e) {
            throw new Refused("directory entry: " + e.getMessage());
        }
        String subject = entry.get("subject").toString();
        if (recordKey != null && !recordKey.equals(subject)) {
            throw new Refused("directory entry: subject is not the record key");
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Object item : (Iterable<?>) entry.get("certificates")) {
            GenericRecord signed = (GenericRecord) item;
            java.nio.ByteBuffer buffer = ((java.nio.ByteBuffer) signed.get("certificate")).duplicate();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            byte[] signature = ((org.apache.avro.generic.GenericFixed) signed.get("signature")).bytes();
            outcomes.add(add(bytes, signature, subject));
        }
        return outcomes;
    }

    public byte[] rootKeyId() {
        return rootKeyId.clone();
    }

    /** The certificate in force for a signing key id (envelope check 3). */
    public Optional<Certificate> bySigningKeyId(byte[] keyId) {
        return Optional.ofNullable(bySigningKeyId.get(Hex.encode(keyId)));
    }

    /** Every certificate held for an agency, oldest {@code not_before} first. */
    public List<Certificate> certificatesOf(String agency) {
        List<Certificate> out = new ArrayList<>();
        for (Certificate c : bySigningKeyId.values()) {
            if (c.subject().equals(agency)) {
                out.add(c);
            }
        }
        out.sort(Comparator.comparingLong(Certificate::notBefore).thenComparingLong(Certificate::issuedAt));
        return out;
    }

    /**
     * The agency's own (not a device's) newest certificate usable at {@code micros}, newest by
     * {@code not_before}, then {@code issued_at}: what producers seal to.
     */
    public Optional<Certificate> currentOf(String agency, long micros) {
        Certificate newest = null;
        for (Certificate c : certificatesOf(agency)) {
            if (c.device() == null && c.usableAt(micros)) {
                newest = c;
            }
        }
        return Optional.ofNullable(newest);
    }
}
