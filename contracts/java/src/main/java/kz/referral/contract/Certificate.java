package kz.referral.contract;

import java.util.Arrays;
import org.apache.avro.generic.GenericFixed;
import org.apache.avro.generic.GenericRecord;

/**
 * One key generation of one agency: a {@code kz.referral.directory.Certificate} (envelope.md,
 * section 8), with the bytes and root signature it came in. Times are microseconds since the
 * Unix epoch, UTC.
 */
public record Certificate(
        String subject,
        String device,
        String agencyType,
        String region,
        String displayName,
        String funding,
        byte[] signingPublicKey,
        byte[] encryptionPublicKey,
        long notBefore,
        Long notAfter,
        Long revokedAt,
        String revocationReason,
        long issuedAt,
        byte[] issuerKeyId,
        byte[] bytes,
        byte[] rootSignature) {

    static Certificate of(GenericRecord r, byte[] bytes, byte[] rootSignature) {
        return new Certificate(
                str(r.get("subject")),
                str(r.get("device")),
                str(r.get("agency_type")),
                str(r.get("region")),
                str(r.get("display_name")),
                str(r.get("funding")),
                ((GenericFixed) r.get("signing_public_key")).bytes().clone(),
                ((GenericFixed) r.get("encryption_public_key")).bytes().clone(),
                (Long) r.get("not_before"),
                (Long) r.get("not_after"),
                (Long) r.get("revoked_at"),
                str(r.get("revocation_reason")),
                (Long) r.get("issued_at"),
                ((GenericFixed) r.get("issuer_key_id")).bytes().clone(),
                bytes.clone(),
                rootSignature.clone());
    }

    private static String str(Object value) {
        return value == null ? null : value.toString();
    }

    public byte[] signingKeyId() {
        return Primitives.keyId(signingPublicKey);
    }

    public byte[] encryptionKeyId() {
        return Primitives.keyId(encryptionPublicKey);
    }

    /** Usable at {@code micros}: not revoked by then, {@code not_before ≤ t < not_after}. */
    public boolean usableAt(long micros) {
        return (revokedAt == null || micros < revokedAt) && notBefore <= micros && (notAfter == null || micros < notAfter);
    }

    public boolean sameBytes(Certificate other) {
        return Arrays.equals(bytes, other.bytes);
    }
}
