package kz.referral.contract;

/**
 * An envelope refused with a reason code and a detail. The detail names fields, key ids, agency
 * and event ids, never a payload or identifying header value (contracts/envelope.md, section 9).
 */
public final class Rejected extends Exception {
    private static final long serialVersionUID = 1L;
    private final Reason reason;
    private final String detail;

    public Rejected(Reason reason, String detail) {
        super(reason.code() + ": " + detail);
        this.reason = reason;
        this.detail = detail;
    }

    public Rejected(Reason reason, String detail, Throwable cause) {
        super(reason.code() + ": " + detail, cause);
        this.reason = reason;
        this.detail = detail;
    }

    public Reason reason() {
        return reason;
    }

    public String detail() {
        return detail;
    }
}
