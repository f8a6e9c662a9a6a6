"""Helpers shared by the console's process tests: ``backbone console`` commands."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from backbone.audit.core.calendar import ALMATY
from backbone.console.audit_model import Obligation

BACKBONE = [sys.executable, "-m", "backbone.cli", "console"]
PASSWORD = "Synthetic-console-pass-7431"


def adduser(
    state: Path, *args: str, stdin: str = PASSWORD + "\n"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*BACKBONE, "adduser", *args, "--state-dir", str(state)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def obligation(**changes: object) -> Obligation:
    """A breach of the console's model: social's undecided referral, open at level 2, with
    ``changes`` (any field)."""
    base = Obligation(
        rule="referral-decision",
        child_ref="c-0000000000b1",
        referral_id="r-0000000000b1",
        owed_by="social.turkestan",
        trigger_event_id="00000000-0000-5000-8000-000000000001",
        deadline=datetime(2026, 2, 7, tzinfo=ALMATY),
        status="open",
        level=2,
        closed_by_event_id=None,
        triggered_at=datetime(2026, 2, 3, 9, 0, tzinfo=ALMATY),
        closed_at=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]
