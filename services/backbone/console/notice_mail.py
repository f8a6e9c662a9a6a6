"""The text of a notice: plain text in the recipient's language, codes and labels only.

Each breach is given by its rule (label and id), the owing agency's id, its level, deadline and
status, the child's pseudonymous ``child_ref`` and a link to the child's pathway in the console.
Nothing else: no name, no payload, no free text (the audit's answers hold none anyway). Times are
Almaty's, like the console's pages.
"""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from backbone.console import i18n
from backbone.console.audit_model import Obligation
from backbone.console.notices import Notice
from backbone.console.templatetags.console import almaty


def compose(notice: Notice, as_of: datetime, console_url: str) -> tuple[str, str]:
    """``(subject, body)`` of ``notice`` as the audit saw its breaches at ``as_of``."""
    with translation.override(notice.recipient.language):
        region = i18n.label("region", notice.recipient.region)
        subject = _("Referral backbone: deadline breaches in %(region)s (%(count)s new)") % {
            "region": region,
            "count": len(notice.breaches),
        }
        intro = _(
            "Handoff deadlines breached in %(region)s, as the audit saw them at %(when)s"
            " (times in Almaty):"
        ) % {"region": region, "when": almaty(as_of)}
        items = [_item(breach, console_url) for breach in notice.breaches]
        closing = _(
            "Open a link and sign in to the console to see the case. This e-mail names no person"
            " and holds no case data: you receive it as a supervisor of %(region)s."
        ) % {"region": region}
    return subject, "\n\n".join([intro, *items, closing]) + "\n"


def _item(breach: Obligation, console_url: str) -> str:
    link = console_url + reverse("pathway", args=[breach.child_ref])
    return "\n".join(
        [
            f"- {i18n.label('rule', breach.rule)} ({breach.rule})",
            f"  {_('Owed by')}: {breach.owed_by}",
            f"  {i18n.label('level', breach.level)}",
            f"  {_('Deadline')}: {almaty(breach.deadline)}",
            f"  {_('Status')}: {i18n.label('status', breach.status)}",
            f"  {_('Child')}: {breach.child_ref}",
            f"  {link}",
        ]
    )
