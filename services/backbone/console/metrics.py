"""The console's own measurements, shown on its health page and exported to Prometheus.

Every call to the audit API (``audit/<endpoint>``) and every page (``page/<url name>``, by the
``middleware``) is recorded here with its duration and whether it succeeded. The health page
shows ``snapshot()``; ``Exporter`` serves the same snapshot on the console's metrics port as
``backbone_console_calls{call}`` (a summary: count and seconds) and
``backbone_console_failures_total{call}``. A ``call`` label is a URL name or an audit endpoint
name, never a path with a child_ref in it. ``SIGN_INS`` counts refused sign-ins and locks begun
(``throttle``), shown on the health page and exported as
``backbone_console_sign_in_failures_total`` and ``backbone_console_sign_in_lockouts_total``:
counts only, never a user name or an address. The notifier's rounds and e-mails are calls too
(``notify/round``, ``notify/email``), and its e-mails are also counted by outcome:
``backbone_console_emails_total{outcome="sent"|"failed"}`` (never an address or a user).
Thread-safe: waitress serves from several threads, the notifier from its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace

from prometheus_client.core import CounterMetricFamily, Metric, SummaryMetricFamily

EMAIL_CALL = "notify/email"  # one notification e-mail, failed if the server did not accept it


@dataclass(frozen=True)
class Timing:
    count: int = 0
    failures: int = 0
    total_seconds: float = 0.0
    last_seconds: float = 0.0

    @property
    def mean_ms(self) -> float:
        return round(1000 * self.total_seconds / self.count, 1) if self.count else 0.0

    @property
    def last_ms(self) -> float:
        return round(1000 * self.last_seconds, 1)


class Measurements:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._timings: dict[str, Timing] = {}

    def record(self, name: str, seconds: float, ok: bool = True) -> None:
        with self._lock:
            known = self._timings.get(name, Timing())
            self._timings[name] = replace(
                known,
                count=known.count + 1,
                failures=known.failures + (0 if ok else 1),
                total_seconds=known.total_seconds + seconds,
                last_seconds=seconds,
            )

    def snapshot(self) -> dict[str, Timing]:
        with self._lock:
            return dict(sorted(self._timings.items()))


@dataclass(frozen=True)
class SignInCounts:
    failures: int = 0  # sign-ins refused: a wrong user name or password, or a locked pair
    lockouts: int = 0  # locks begun: a user name at an address reached the failure limit


class SignIns:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = SignInCounts()

    def failed(self) -> None:
        with self._lock:
            self._counts = replace(self._counts, failures=self._counts.failures + 1)

    def locked(self) -> None:
        with self._lock:
            self._counts = replace(self._counts, lockouts=self._counts.lockouts + 1)

    def snapshot(self) -> SignInCounts:
        with self._lock:
            return self._counts


class Exporter:
    """A Prometheus collector over a ``Measurements`` and ``SignIns`` (read at each scrape)."""

    def __init__(self, measurements: Measurements, sign_ins: SignIns) -> None:
        self._measurements = measurements
        self._sign_ins = sign_ins

    def collect(self) -> Iterator[Metric]:
        calls = SummaryMetricFamily(
            "backbone_console_calls",
            "Console pages served and audit API calls made, and their seconds",
            labels=["call"],
        )
        failures = CounterMetricFamily(
            "backbone_console_failures",
            "Pages answered with a server error and audit calls that failed",
            labels=["call"],
        )
        emails = CounterMetricFamily(
            "backbone_console_emails",
            "Notification e-mails the SMTP server accepted (sent) or not (failed)",
            labels=["outcome"],
        )
        snapshot = self._measurements.snapshot()
        for name, timing in snapshot.items():
            calls.add_metric([name], count_value=timing.count, sum_value=timing.total_seconds)
            failures.add_metric([name], timing.failures)
        mail = snapshot.get(EMAIL_CALL, Timing())
        emails.add_metric(["sent"], mail.count - mail.failures)
        emails.add_metric(["failed"], mail.failures)
        yield calls
        yield failures
        counts = self._sign_ins.snapshot()
        yield CounterMetricFamily(
            "backbone_console_sign_in_failures",
            "Sign-ins refused: a wrong user name or password, or a user name locked at an address",
            value=counts.failures,
        )
        yield CounterMetricFamily(
            "backbone_console_sign_in_lockouts",
            "Locks begun: a user name reached the failure limit at an address",
            value=counts.lockouts,
        )
        yield emails


MEASUREMENTS = Measurements()
SIGN_INS = SignIns()
