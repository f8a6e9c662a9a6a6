"""Seeded synthetic pathways for benchmarks and load tests, streamed one child at a time.

``synthetic_events(children, seed)`` yields plain events with payloads; child *i* depends only
on (seed, start, profile, i), so the first 10 children of a run of 1,000 are the run of 10.
Arrivals follow ``profile.children_per_day`` (exponential gaps); each child's events come out in
time order, children one after the other, so memory holds one child at a time. Every event is
valid for the lifecycle judge unless ``invalid_fraction`` asks for some children to carry one
extra event the judge rejects (a receipt by a non-recipient, a type the producer may not emit,
or an acceptance of a referral never issued), for quarantine tests.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from backbone.audit.core.calendar import WorkingCalendar, kazakhstan_calendar
from backbone.domain.events import Event
from backbone.scenario.ids import Minter
from synthetic import payloads
from synthetic.clock import Clock, local
from synthetic.journeys import draw
from synthetic.profile import DEFAULT_PROFILE, Profile
from synthetic.sampling import Child
from synthetic.track import Track

DEFAULT_START = datetime.fromisoformat("2026-01-05T09:00:00+05:00")
INVALID_KINDS = ("not_a_recipient", "not_authorised", "unknown_referral")


def synthetic_events(
    children: int,
    seed: int,
    *,
    start: datetime = DEFAULT_START,
    profile: Profile = DEFAULT_PROFILE,
    invalid_fraction: float = 0.0,
    calendar: WorkingCalendar | None = None,
) -> Iterator[Event]:
    if children < 0:
        raise ValueError("children must be zero or more")
    if not 0 <= invalid_fraction <= 1:
        raise ValueError("invalid_fraction must be from 0 to 1")
    working = calendar or kazakhstan_calendar()
    minter = Minter(f"synthetic/{seed}/{local(start).astimezone(UTC).isoformat()}")
    arrival = local(start)
    for index in range(children):
        rng = random.Random(f"{seed}/{index}")
        arrival += timedelta(seconds=round(rng.expovariate(profile.children_per_day) * 86_400))
        region = Child.pick(rng, profile.regions)
        track = Track(minter, f"{index:06d}", region)
        child = Child(index, rng, profile, Clock(arrival, working), track)
        draw(child)
        if rng.random() < invalid_fraction:
            _invalid(child)
        yield from sorted(track.events, key=lambda e: e.sort_key)


def _invalid(child: Child) -> None:
    """One extra event the lifecycle judge rejects, of a kind drawn from ``INVALID_KINDS``."""
    t = child.track
    at = max(e.occurred_at for e in t.events) + timedelta(minutes=5)
    issued = [e for e in t.events if e.event_type == "ReferralIssued"]
    kind = child.rng.choice(INVALID_KINDS if issued else INVALID_KINDS[1:])
    receipt = payloads.referral_received(child.worker("Outsider"))
    if kind == "not_a_recipient":
        t.emit(
            "invalid/receipt",
            "ReferralReceived",
            at,
            f"school.{t.region}.outsider",
            receipt,
            referral_id=issued[0].referral_id,
        )
    elif kind == "not_authorised":
        t.emit(
            "invalid/risk",
            "RiskAssessed",
            at,
            child.agencies.police,
            payloads.risk_assessed(
                role="other",
                assessor=child.worker("Outsider"),
                factors=(),
                observations="Synthetic.",
                plan_required=False,
            ),
            attributes={"risk_level": "low"},
        )
    else:
        t.emit(
            "invalid/accept",
            "ReferralAccepted",
            at,
            child.agencies.police,
            payloads.referral_accepted(child.worker("Outsider")),
            referral_id=t.minter.referral_id(f"{t.label}/never-issued"),
        )
