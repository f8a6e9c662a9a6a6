"""Nothing in a scenario or synthetic event could be mistaken for a real child or worker."""

from __future__ import annotations

import re
from itertools import chain

from scenario_checks import STORY_START, strings
from synthetic.generator import synthetic_events

from backbone.domain.agencies import REGIONS
from backbone.domain.events import Event
from backbone.scenario.story import scenario_events

PERSON_KEYS = frozenset(
    {
        "family_name", "patronymic", "name", "identified_by", "contact_name", "received_by",
        "responsible_worker", "assessor_name", "signed_by", "delivered_by", "witnessed_by",
        "escorted_by", "closed_by",
    }
)  # fmt: skip
PLACE_KEYS = frozenset({"district", "settlement", "place_description", "facility_name"})
TOKEN = re.compile(r"^[cr]-[0-9a-f]{12}$")
PLACEHOLDER_IIN = re.compile(r"^000000[0-9]{6}$")
TWELVE_DIGITS = re.compile(r"[0-9]{12}")


def _events() -> list[Event]:
    synthetic = synthetic_events(300, seed=11, invalid_fraction=0.2)
    return list(chain(scenario_events(STORY_START), synthetic))


EVENTS = _events()


def test_pseudonyms_are_prefixed_hex_never_digits() -> None:
    for event in EVENTS:
        assert TOKEN.match(event.child_ref), event.child_ref
        assert event.referral_id is None or TOKEN.match(event.referral_id), event.referral_id


def test_names_places_numbers_and_phones_are_obviously_fake() -> None:
    for event in EVENTS:
        for key, text in strings(event.payload):
            if key == "given_name":
                assert text.startswith("Test-Child-"), text
            elif key in PERSON_KEYS:
                assert "Synthetic" in text or "Test" in text, (key, text)
            elif key in PLACE_KEYS:
                assert "Synthetic" in text, (key, text)
            elif key == "iin":
                assert PLACEHOLDER_IIN.match(text), text
            elif key == "contact_phone":
                assert text.startswith("+7 000 000 "), text
            if key != "iin":
                assert not TWELVE_DIGITS.search(text), (key, text)
            assert "@" not in text


def test_clear_headers_carry_no_name_or_number() -> None:
    for event in EVENTS:
        assert event.region in REGIONS, event.region  # the case's region, never "national"
        free_text = [*event.attributes.values(), event.region, event.producer, *event.recipients]
        for text in free_text:
            assert not re.search(r"[0-9]{6}", text), text
            assert "Test" not in text and "Synthetic" not in text, text
