"""The Russian and Kazakh catalogues: complete, compiled, and covering every label and page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    from backbone.audit.core.rules import load_rules
    from backbone.console.i18n import LABELS
    from backbone.domain.catalogue import CATALOGUE

    assert {rule.id for rule in load_rules([]).rules} <= set(LABELS["rule"])
    assert set(CATALOGUE) <= set(LABELS["event"])


# What a Russian or Kazakh reader sees for every label: Django's translation needs configured
# settings, so a child process configures the console's own settings (a state folder of the
# test's) and prints the labels as read in each language; the test process itself stays
# unconfigured. It also names the console's pages.
_READ_LABELS = """
import json, sys
from pathlib import Path
import django
from django.conf import settings
from django.utils import translation
from backbone.console import i18n
from backbone.console.config import ConsoleSettings
from backbone.console.framework import django_settings
config = ConsoleSettings(state_dir=Path(sys.argv[1]), audit_url="http://127.0.0.1:9")
settings.configure(**django_settings(config))
django.setup()
from backbone.console.urls import urlpatterns
read = {}
for language in ("en", "ru", "kk"):
    with translation.override(language):
        read[language] = {kind: {code: str(text) for code, text in labels.items()}
                          for kind, labels in i18n.LABELS.items()}
print(json.dumps({"labels": read, "pages": [p.name for p in urlpatterns if p.name]}))
"""


@pytest.fixture(scope="module")
def read_labels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    state = tmp_path_factory.mktemp("console")
    done = subprocess.run(
        [sys.executable, "-c", _READ_LABELS, str(state)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def _shown_codes(pages: list[str]) -> dict[str, set[str]]:
    """Every code the console shows a person, by label kind, taken from the modules that define
    them: regions, the catalogue's attribute names and closed code lists (the referral kinds
    among them), the judge's rejection reasons, the audit's health keys (one instance and
    several merged), the quarantine's reasons and the console's own pages (its call timings)."""
    from backbone.audit.core import merge
    from backbone.audit.core.api import Health
    from backbone.audit.core.calendar import kazakhstan_calendar
    from backbone.audit.core.projection import Projection
    from backbone.audit.core.rules import load_rules
    from backbone.audit.core.store import EventStore
    from backbone.console.catalogue_labels import value_kind
    from backbone.domain.agencies import NATIONAL, REGIONS
    from backbone.domain.catalogue import CATALOGUE, REFERRAL_KINDS
    from backbone.domain.lifecycle import Reason
    from backbone.envelope.errors import REJECTION_REASONS

    codes: dict[str, set[str]] = {"region": {*REGIONS, NATIONAL}, "attribute": set()}
    for spec in CATALOGUE.values():
        for name, allowed in spec.attributes.items():
            codes["attribute"].add(name)
            if isinstance(allowed, frozenset):  # a rule id is a code by grammar: "rule" kind
                codes.setdefault(value_kind(name), set()).update(allowed)
    assert codes[value_kind("kind")] >= REFERRAL_KINDS
    codes["rejection"] = {reason.value for reason in Reason}
    codes["quarantine"] = set(REJECTION_REASONS)
    projection = Projection(EventStore(), load_rules([]), kazakhstan_calendar())
    one = Health("audit.national", ready=True).answer(projection, 0, 0)
    two = [
        Health("audit.national", ready=True, partitions=frozenset(owned)).answer(projection, 0, 0)
        for owned in ({0}, {1, 2})
    ]
    codes["health"] = {*one[1], *merge.merge(two, "health")[1]}
    codes["page"] = {*pages, "other"}  # "other": a path that matched no page
    return codes


def test_every_code_shown_to_a_person_has_a_label(read_labels: dict[str, Any]) -> None:
    """Regions, referral kinds, attribute names and values, rejection and quarantine reasons,
    health keys and pages: none is shown as its English code."""
    labelled = read_labels["labels"]["en"]
    missing = {
        kind: sorted(codes - set(labelled.get(kind, {})))
        for kind, codes in _shown_codes(read_labels["pages"]).items()
    }
    assert {kind: codes for kind, codes in missing.items() if codes} == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_label_reads_in_russian_and_kazakh(
    read_labels: dict[str, Any], language: str
) -> None:
    """A label without a translation reads as its English text (gettext's fallback); every
    label here is words, so in Russian and Kazakh each one must read differently."""
    english, translated = read_labels["labels"]["en"], read_labels["labels"][language]
    untranslated = [
        f"{kind}/{code}: {text}"
        for kind, labels in english.items()
        for code, text in labels.items()
        if translated[kind][code] == text
    ]
    assert untranslated == []
