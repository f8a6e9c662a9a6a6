"""Template filters: translated labels of codes and times in Almaty."""

from __future__ import annotations

from datetime import datetime

from django import template

from backbone.audit.calendar import ALMATY
from backbone.console import i18n

register = template.Library()


@register.filter
def label(code: object, kind: str) -> str:
    """``{{ obligation.status|label:"status" }}``."""
    return i18n.label(kind, code)


@register.filter
def almaty(moment: datetime | None) -> str:
    """``2026-11-16 15:06`` in Asia/Almaty (the audit's own time zone)."""
    return "" if moment is None else moment.astimezone(ALMATY).strftime("%Y-%m-%d %H:%M")
