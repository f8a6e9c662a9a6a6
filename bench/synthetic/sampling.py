"""One synthetic child's draw: its agencies, its clock, and sampled handoffs and duties.

Timing keeps every verdict certain by construction (section 6 deadlines end at 24:00 of a
working day): a prompt step falls within minutes or on a working day inside the limit; a late
one at least two working days past it; a hotline receipt within the hour or hours later.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from backbone.audit.core.calendar import ALMATY
from backbone.domain.catalogue import UNREADABLE_REASONS
from backbone.domain.events import Event
from synthetic import payloads
from synthetic import referrals as r
from synthetic.clock import Clock
from synthetic.identities import adult_name
from synthetic.profile import Profile, shares
from synthetic.track import Track

_DAY_START, _DAY_END = 9 * 60, 18 * 60  # office hours, minutes after midnight
_UNREADABLE_REASONS = sorted(UNREADABLE_REASONS)


@dataclass(frozen=True)
class RegionAgencies:
    """The agencies of one synthetic region (ids follow contracts/events.md, section 2)."""

    region: str
    police: str
    mobile: str
    guardianship: str
    social: str
    ngo_state: str
    ngo_international: str
    adaptation_centre: str
    support_centre: str
    hotline: str

    @classmethod
    def of(cls, region: str) -> RegionAgencies:
        return cls(
            region=region,
            police=f"police.{region}",
            mobile=f"mobile.{region}.raid",
            guardianship=f"guardianship.{region}",
            social=f"social.{region}",
            ngo_state=f"ngo.{region}.shelter-state",
            ngo_international=f"ngo.{region}.shelter-intl",
            adaptation_centre=f"centre.{region}.can",
            support_centre=f"centre.{region}.cpd",
            hotline="hotline.national.116-16",
        )

    def school(self, number: int) -> str:
        return f"school.{self.region}.school-{number}"

    def polyclinic(self, number: int) -> str:
        return f"phc.{self.region}.polyclinic-{number}"


class Child:
    """A child being drawn: ``now`` is the time its next step starts from."""

    def __init__(
        self, index: int, rng: random.Random, profile: Profile, clock: Clock, track: Track
    ) -> None:
        self.index = index
        self.rng = rng
        self.profile = profile
        self.clock = clock
        self.track = track
        self.agencies = RegionAgencies.of(track.region)
        self.now = clock.start

    @staticmethod
    def pick(rng: random.Random, weights: Mapping[str, float]) -> str:
        keys, values = zip(*shares(weights).items(), strict=True)
        chosen: str = rng.choices(keys, values)[0]
        return chosen

    def choose(self, weights: Mapping[str, float]) -> str:
        return self.pick(self.rng, weights)

    def chance(self, share: float) -> bool:
        return self.rng.random() < share

    def worker(self, role: str) -> str:
        return adult_name(role, f"{self.index:06d}")

    def minutes_later(self, moment: datetime, low: int, high: int) -> datetime:
        return moment + timedelta(minutes=self.rng.randint(low, high))

    def office_hours(self, day: date) -> datetime:
        """A minute in office hours on ``day``, Almaty time."""
        midnight = datetime.combine(day, time(0), tzinfo=ALMATY)
        return midnight + timedelta(minutes=self.rng.randint(_DAY_START, _DAY_END - 1))

    def working_days_later(self, moment: datetime, low: int, high: int) -> datetime:
        minute = self.rng.randint(_DAY_START, _DAY_END - 1)
        return self.clock.working_days_after(moment, self.rng.randint(low, high), minute)

    def duty(self, working_days: int) -> datetime:
        """When a duty due ``working_days`` after ``now`` is done: in time or late."""
        if self.chance(self.profile.late_duty):
            return self.working_days_later(self.now, working_days + 2, working_days + 4)
        if working_days == 1:
            return self.minutes_later(self.now, 20, 300)
        return self.working_days_later(self.now, 1, working_days)

    def duty_months(self) -> datetime:
        """When a six-month duty (R13) is done: within 30-150 days, or after 200-240 if late."""
        if self.chance(self.profile.late_duty):
            return self.now + timedelta(days=self.rng.randint(200, 240))
        return self.now + timedelta(days=self.rng.randint(30, 150))

    def handoff(
        self,
        name: str,
        issuer: str,
        recipient: str,
        kind: str,
        summary: str,
        cause: Event,
        services: Sequence[str] = (),
    ) -> Event | None:
        """Issue a referral at ``now``; return the acceptance, or None if it stops."""
        payload = payloads.referral_issued(
            summary=summary,
            urgency="urgent" if kind.endswith("alert") else "routine",
            contact_name=self.worker("Worker"),
            services=services,
        )
        issued = r.issue(self.track, name, self.now, issuer, [recipient], kind, payload, cause)
        if self.chance(self.profile.unreadable):
            issued = self._reissued(name, issued)
        u, p, hotline = self.rng.random(), self.profile, kind == "hotline_alert"
        if u < p.no_receipt:
            return None
        if u < p.no_receipt + p.late_receipt:
            received_at = (
                self.minutes_later(self.now, 90, 360)
                if hotline
                else self.working_days_later(self.now, 3, 5)
            )
        else:
            received_at = self.minutes_later(self.now, 5, 55 if hotline else 300)
        received = r.receive(self.track, issued, received_at, recipient, self.worker("Receiver"))
        v = self.rng.random()
        decided_at = self.minutes_later(received_at, 10, 600)
        if v < p.no_decision:
            return None
        if v < p.no_decision + p.decline:
            r.decline(
                self.track,
                received,
                decided_at,
                "not_in_mandate",
                "Outside our mandate; better placed with another agency (synthetic).",
            )
            return None
        accepted = r.accept(self.track, received, decided_at, self.worker("Responsible"))
        self.now = max(self.now, decided_at)
        return accepted

    def _reissued(self, name: str, issued: Event) -> Event:
        """The recipient's service cannot read ``issued`` and answers at once; the issuer
        reissues it (a 1-working-day duty, ``referral-reissue``) and ``now`` moves there."""
        (recipient,) = issued.recipients
        reason = self.rng.choice(_UNREADABLE_REASONS)
        answer = r.unreadable(
            self.track, issued, self.minutes_later(self.now, 1, 5), recipient, reason
        )
        self.now = answer.occurred_at
        self.now = self.duty(1)
        return r.reissue(self.track, f"{name}/reissue", self.now, issued, answer)
