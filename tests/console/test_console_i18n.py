"""The Russian and Kazakh catalogues: complete, compiled, and covering every label and page."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

import backbone.console

CONSOLE = Path(backbone.console.__file__).parent
LANGUAGES = ("ru", "kk")
_TRANSLATE = re.compile(r"""\{% translate "([^"]+)"(?: as \w+)? %\}""")


def _po(language: str) -> polib.POFile:
    return polib.pofile(str(CONSOLE / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language: str) -> None:
    po = _po(language)
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert not po.metadata_is_fuzzy  # a fuzzy header drops the charset from the .mo
    assert len(po.translated_entries()) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language: str) -> None:
    source = {(e.msgctxt, e.msgid): e.msgstr for e in _po(language).translated_entries()}
    mo = polib.mofile(str(CONSOLE / "locale" / language / "LC_MESSAGES" / "django.mo"))
    assert {(e.msgctxt, e.msgid): e.msgstr for e in mo if e.msgid} == source


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_string_is_in_the_catalogue(language: str) -> None:
    known = {e.msgid for e in _po(language)}
    used = {
        text
        for template in (CONSOLE / "templates").rglob("*.html")
        for text in _TRANSLATE.findall(template.read_text())
    }
    assert used and used <= known, sorted(used - known)


def test_every_rule_and_event_type_has_a_label() -> None:
    """The console never shows a raw rule id or event type: every national rule and every
    catalogue event type has a translated label."""
    from backbone.audit.rules import load_rules
    from backbone.console.i18n import LABELS
    from backbone.domain.catalogue import CATALOGUE

    assert {rule.id for rule in load_rules([]).rules} <= set(LABELS["rule"])
    assert set(CATALOGUE) <= set(LABELS["event"])
