package kz.referral.contract;

/** The reason codes of contracts/envelope.md, section 6, as written on a quarantine record. */
public enum Reason {
    MALFORMED_ENVELOPE,
    SCHEMA_UNKNOWN,
    UNKNOWN_KEY,
    SIGNATURE_INVALID,
    HEADER_INVALID,
    SIGNER_MISMATCH,
    KEY_REVOKED,
    KEY_NOT_VALID_AT_EVENT_TIME,
    SCHEMA_MISMATCH,
    READER_KEY_MISSING,
    CIPHERTEXT_DAMAGED,
    PAYLOAD_MALFORMED,
    KEY_MISMATCH,
    NOT_A_READER,
    NOT_AUTHORISED,
    DUPLICATE_EVENT;

    /** The code as the contract spells it ({@code key_not_valid_at_event_time}). */
    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Reason fromCode(String code) {
        for (Reason reason : values()) {
            if (reason.code().equals(code)) {
                return reason;
            }
        }
        throw new IllegalArgumentException("not a reason code of contracts/envelope.md: " + code);
    }
}
