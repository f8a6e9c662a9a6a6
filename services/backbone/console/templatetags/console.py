"""Template filters: translated labels of codes, agencies' names, times in Almaty, a value by
key."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django import template
from django.utils.safestring import SafeString

from backbone.audit.core.calendar import ALMATY
from backbone.console import i18n
from backbone.console.agency_names import shown, shown_text
from backbone.console.wiring import services

register = template.Library()


@register.filter
def label(code: object, kind: str) -> str:
    """``{{ obligation.status|label:"status" }}``."""
    return i18n.label(kind, code)


@register.filter
def almaty(moment: datetime | None) -> str:
    """``2026-11-16 15:06`` in Asia/Almaty (the audit's own time zone)."""
    return "" if moment is None else moment.astimezone(ALMATY).strftime("%Y-%m-%d %H:%M")


@register.filter
def lookup(found: Mapping[str, Any] | None, key: str) -> Any:
    """``{{ follow_ups|lookup:o.key }}``: the value of ``key``, or ``None``."""
    return None if found is None else found.get(key)


@register.filter
def attribute_value(code: object, attribute: str) -> str:
    """``{{ value|attribute_value:name }}``: an event attribute's value as a label."""
    return i18n.attribute_value(attribute, code)


@register.filter
def call_label(call: str) -> str:
    """``{{ name|call_label }}``: a page or audit call of the health page's timings."""
    return i18n.call_label(call)


@register.filter
def agency(agency_id: str) -> SafeString:
    """``{{ o.owed_by|agency }}``: "Display name (``agency.id``)" (``agency_names.shown``)."""
    return shown(agency_id, services().agencies.name(agency_id))


@register.filter
def agency_text(agency_id: str) -> str:
    """``{{ a|agency_text }}``: the same as plain text (an ``<option>``)."""
    return shown_text(agency_id, services().agencies.name(agency_id))
