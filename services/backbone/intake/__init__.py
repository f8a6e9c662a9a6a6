"""The field intake: an HTTP service that publishes envelopes that field devices built.

How data flows (docs/field-intake.md has the protocol)::

    device ── POST /v1/envelopes ──▶ admission: verify (signature, device certificate of the
                                     producer, schema, who may emit), then
                                     ├─ new event_id ──▶ referral.events.v1 (acks=all) ─▶ 201
                                     ├─ same event_id, same content ─────────────────────▶ 200
                                     ├─ same event_id, other content ─▶ referral.rejected.v1 ─▶ 409
                                     └─ invalid ──────────────────────▶ referral.rejected.v1 ─▶ 422

The intake holds no agency key and never opens a body: it publishes the device's bytes unchanged.

Modules: ``settings``, ``accepted`` (event ids already published, durable), ``publisher``
(the event log, and an in-memory adapter), ``live_directory`` (the key directory, refreshed),
``inflight`` (one submission per event id at a time), ``admission`` (the rules, no HTTP),
``app`` (aiohttp), ``cli`` (``backbone intake serve``, the composition root).
"""
