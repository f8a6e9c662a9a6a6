"""Languages and the labels of the codes the console shows: the audit's (event types, statuses,
rules, stages), the domain's (``catalogue_labels``: regions, referral kinds, attribute names and
values, rejection reasons) and operations' (``health_labels``: health keys, quarantine reasons,
pages).

The console speaks English, Russian and Kazakh: Django's ``LocaleMiddleware`` picks the
language (the switch sets a cookie through ``set_language``), and the translations are gettext
catalogues in ``locale/`` (sources ``django.po``, compiled ``django.mo``; docs/console.md says
how to update them). A code without a label is shown as itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from backbone.console.catalogue_labels import CATALOGUE_LABELS, value_kind
from backbone.console.health_labels import HEALTH_LABELS

LANGUAGES = [("en", "English"), ("ru", "Русский"), ("kk", "Қазақша")]

LABELS: Mapping[str, Mapping[str, Promise]] = {
    "status": {
        "met": _("met on time"),
        "late": _("done late"),
        "open": _("open"),
        "pending": _("pending"),
        "cancelled": _("cancelled"),
    },
    "state": {
        "issued": _("issued, not received"),
        "received": _("received, no decision"),
        "accepted": _("accepted"),
        "declined": _("declined"),
        "completed": _("completed"),
        "unreadable": _("could not be read"),
    },
    "event": {
        "ChildIdentified": _("identified"),
        "RiskAssessed": _("risk assessed"),
        "ReferralIssued": _("referred"),
        "ReferralReceived": _("received"),
        "ReferralAccepted": _("accepted"),
        "ReferralDeclined": _("declined"),
        "ReferralCompleted": _("completed"),
        "ReferralWithdrawn": _("withdrawn"),
        "EnvelopeUnreadable": _("reported unreadable"),
        "ServiceApplicationReceived": _("applied for services"),
        "VictimStatusAssessed": _("victim status assessed"),
        "PlacementMade": _("placed"),
        "ChildStatusDetermined": _("status determined"),
        "ServiceContractSigned": _("service contract signed"),
        "ServiceContractExtended": _("service contract extended"),
        "ServiceContractEnded": _("service contract ended"),
        "ServiceDelivered": _("served"),
        "ConsentRecorded": _("consent recorded"),
        "ChildReturnedHome": _("returned home"),
        "FollowUpRecorded": _("followed up"),
        "CaseClosed": _("case closed"),
        "SlaBreached": _("deadline breached"),
        "SlaBreachResolved": _("breach resolved"),
    },
    "rule": {
        "referral-receipt": _("receipt of a referral"),
        "hotline-alert-receipt": _("receipt of a hotline alert"),
        "referral-decision": _("decision on a referral"),
        "identification-assessment": _("identification assessment"),
        "police-referral-to-services": _("police referral to services"),
        "service-permission-request": _("request for service permission"),
        "police-notification": _("notification of the police"),
        "guardianship-notification": _("notification of guardianship"),
        "status-determination": _("determination of status"),
        "referral-reissue": _("reissue of an unreadable referral"),
        "further-residence": _("further residence after an adaptation centre"),
        "contract-term": _("term of a service contract"),
        "contract-extension-term": _("term of a contract extension"),
        "return-follow-up": _("follow-up after a return home"),
        "follow-up-repeat": _("repeated follow-up of a child at risk"),
    },
    "stage": {  # plural: children at the stage
        "identified": pgettext_lazy("funnel stage", "identified"),
        "assessed": pgettext_lazy("funnel stage", "assessed"),
        "recognised": pgettext_lazy("funnel stage", "recognised as victims"),
        "served": pgettext_lazy("funnel stage", "served"),
        "followed_up": pgettext_lazy("funnel stage", "returned or followed up"),
    },
    "level": {
        "1": _("level 1: regional supervisor"),
        "2": _("level 2: inter-agency commission"),
    },
    **CATALOGUE_LABELS,
    **HEALTH_LABELS,
}


def label(kind: str, code: object) -> str:
    found = LABELS.get(kind, {}).get(str(code))
    return str(code) if found is None else str(found)


def attribute_value(attribute: str, code: object) -> str:
    """The label of an event attribute's value (a referral kind, a reason, an age band...)."""
    return label(value_kind(attribute), code)


def call_label(call: str) -> str:
    """A timing's name for people: ``page/board`` reads as the board's label, ``audit/breaches``
    as the audit API, ``notify/round`` as itself (the page shows the call's name beside it, as
    Prometheus has it)."""
    kind, _slash, name = call.partition("/")
    if kind == "page":
        return label("page", name)
    return label("call", kind if kind == "audit" else call)
