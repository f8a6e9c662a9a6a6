"""Field devices of mobile groups: enrolment, an offline queue of complete envelopes, sending.

How data flows (docs/field-intake.md has the protocol)::

    directory administrator: enrol ──▶ device folder (own key pair, root.pub, directory copy)
    device: record ── EnvelopeCodec.encode (signed and encrypted here) ──▶ queue/
    device: send ── HTTP POST, oldest first ──▶ intake ──▶ referral.events.v1
                      └── refused by the intake (4xx) ──▶ refused/ with the reason

Modules: ``enrolment`` (the device certificate), ``folder`` (what the device holds), ``queue``
(durable, one file per envelope), ``recorder`` (plain events to queued envelopes), ``sender``
(the retry rules), ``cli`` (``backbone device ...``).
"""
