package kz.referral.contract;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;

/**
 * The directory root's side of envelope.md, section 8: a certificate's single-object bytes and
 * the root's Ed25519 signature over {@code CERTIFICATE_DOMAIN ‖ bytes}. Used by tests and the
 * interoperability tool to certify keys made in Java.
 */
public final class CertificateIssuer {
    /** The bytes and the root's signature: what a DirectoryEntry and directory.json carry. */
    public record Signed(byte[] certificate, byte[] signature) {}

    private final ContractSchemas schemas;
    private final byte[] rootSeed;

    public CertificateIssuer(ContractSchemas schemas, byte[] rootSeed) {
        this.schemas = schemas;
        this.rootSeed = rootSeed.clone();
    }

    public byte[] rootPublicKey() {
        return Primitives.ed25519PublicKey(rootSeed);
    }

    /** A certificate for one key generation of {@code subject}; times in microseconds, UTC. */
    public Signed issue(String subject, String displayName, String funding, byte[] signingPublicKey,
            byte[] encryptionPublicKey, long notBefore, Long notAfter, Long revokedAt, String revocationReason,
            long issuedAt) {
        if (!HeaderGrammar.isAgencyId(subject)) {
            throw new IllegalArgumentException("not an agency id");
        }
        String[] parts = subject.split("\\.");
        ContractSchemas.Version version = schemas.latest("directory", "Certificate");
        Schema schema = version.schema();
        GenericData.Record r = new GenericData.Record(schema);
        r.put("subject", subject);
        r.put("device", null);
        r.put("agency_type", parts[0]);
        r.put("region", parts[1]);
        r.put("display_name", displayName);
        Schema fundingSchema = schema.getField("funding").schema().getTypes().get(1);
        r.put("funding", funding == null ? null : new GenericData.EnumSymbol(fundingSchema, funding));
        r.put("signing_public_key", new GenericData.Fixed(schema.getField("signing_public_key").schema(), signingPublicKey));
        r.put("encryption_public_key", new GenericData.Fixed(schema.getField("encryption_public_key").schema(), encryptionPublicKey));
        r.put("not_before", notBefore);
        r.put("not_after", notAfter);
        r.put("revoked_at", revokedAt);
        r.put("revocation_reason", revocationReason);
        r.put("issued_at", issuedAt);
        r.put("issuer_key_id", new GenericData.Fixed(schema.getField("issuer_key_id").schema(),
                Primitives.keyId(rootPublicKey())));
        byte[] bytes = AvroJson.singleObject(version, r);
        return new Signed(bytes, Primitives.sign(rootSeed, Primitives.concat(Primitives.CERTIFICATE_DOMAIN, bytes)));
    }
}
