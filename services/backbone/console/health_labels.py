"""Labels of what the health and quarantine pages show: the audit's ``/health`` keys, the
quarantine's reasons (``envelope.errors``) and the console's own pages (its call timings).

The codes stay on the page beside or under their labels: operations match them with the
audit's JSON, the quarantine topic's headers and the Prometheus ``call`` label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

HEALTH_LABELS: Mapping[str, Mapping[str, Promise]] = {
    # The keys of the audit's GET /health (one instance, or several merged).
    "health": {
        "status": pgettext_lazy("audit health", "status"),
        "partitions": pgettext_lazy("audit health", "partitions of the event log covered"),
        "partition_count": pgettext_lazy("audit health", "partitions covered"),
        "agency": pgettext_lazy("audit health", "audit's agency id"),
        "events": pgettext_lazy("audit health", "events held"),
        "children": pgettext_lazy("audit health", "children"),
        "quarantined": pgettext_lazy("audit health", "records quarantined"),
        "scheduled": pgettext_lazy("audit health", "deadline checks scheduled"),
        "evaluated": pgettext_lazy("audit health", "children evaluated since the start"),
        "sla_events_emitted": pgettext_lazy(
            "audit health", "breach events emitted since the start"
        ),
        "instances": pgettext_lazy("audit health", "audit instances"),
    },
    "readiness": {"ready": _("ready"), "recovering": _("recovering")},
    # Why a record was refused (envelope.errors.REJECTION_REASONS).
    "quarantine": {
        "malformed_envelope": pgettext_lazy("quarantine", "not a well-formed envelope"),
        "header_invalid": pgettext_lazy("quarantine", "invalid clear header"),
        "payload_malformed": pgettext_lazy("quarantine", "content does not match its schema"),
        "schema_unknown": pgettext_lazy("quarantine", "unknown schema"),
        "schema_mismatch": pgettext_lazy("quarantine", "schema of another event type"),
        "signature_invalid": pgettext_lazy("quarantine", "invalid signature"),
        "unknown_key": pgettext_lazy("quarantine", "unknown signing key"),
        "key_revoked": pgettext_lazy("quarantine", "signing key revoked"),
        "key_not_valid_at_event_time": pgettext_lazy(
            "quarantine", "key not valid at the event's time"
        ),
        "signer_mismatch": pgettext_lazy("quarantine", "key of another agency"),
        "ciphertext_damaged": pgettext_lazy("quarantine", "encrypted content damaged"),
        "not_a_reader": pgettext_lazy("quarantine", "not addressed to this agency"),
        "reader_key_missing": pgettext_lazy("quarantine", "the reader's key is missing"),
        "key_mismatch": pgettext_lazy("quarantine", "record key is not the child's"),
        "not_authorised": pgettext_lazy("quarantine", "not allowed by the event catalogue"),
        "duplicate_event": pgettext_lazy("quarantine", "same event id, other content"),
    },
    # The console's pages by URL name, as its timings name them (page/<name>).
    "page": {
        "board": pgettext_lazy("console page", "breach board"),
        "board-live": pgettext_lazy("console page", "breach board, live update"),
        "board-csv": pgettext_lazy("console page", "breach board, CSV export"),
        "follow-up": pgettext_lazy("console page", "follow-up of a breach"),
        "children": pgettext_lazy("console page", "children list"),
        "children-csv": pgettext_lazy("console page", "children list, CSV export"),
        "pathway": pgettext_lazy("console page", "pathway of a child"),
        "compliance": pgettext_lazy("console page", "compliance"),
        "compliance-csv": pgettext_lazy("console page", "compliance, CSV export"),
        "funnel": pgettext_lazy("console page", "funnel"),
        "health": pgettext_lazy("console page", "health"),
        "quarantine": pgettext_lazy("console page", "quarantine"),
        "login": pgettext_lazy("console page", "sign-in"),
        "logout": pgettext_lazy("console page", "sign-out"),
        "set-language": pgettext_lazy("console page", "language switch"),
        "asset": pgettext_lazy("console page", "static file"),
        "favicon": pgettext_lazy("console page", "icon"),
        "other": pgettext_lazy("console page", "unknown address"),
    },
    # The console's other calls: the audit API's (audit/<endpoint>) and the notifier's.
    "call": {
        "audit": pgettext_lazy("console call", "audit API"),
        "notify/round": pgettext_lazy("console call", "notifications: one round"),
        "notify/email": pgettext_lazy("console call", "notifications: one e-mail"),
    },
}


def figures(body: Mapping[str, Any]) -> list[tuple[str, object]]:
    """The audit's health as (key, value) rows: its readiness labelled, a list of partitions
    written out."""
    rows: list[tuple[str, object]] = []
    for key, value in body.items():
        if key == "status":
            value = HEALTH_LABELS["readiness"].get(str(value), value)
        elif isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        rows.append((key, value))
    return rows
