"""``backbone scenario write`` and ``bench/write_synthetic.py``: files the audit replay reads."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import write_synthetic
from scenario_checks import STORY_START

from backbone.cli import main
from backbone.domain.events import parse_event


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _synthetic(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = write_synthetic.main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _replay(capsys: pytest.CaptureFixture[str], path: Path, as_of: str) -> dict[str, Any]:
    status, out, err = _run(
        capsys, "audit", "replay", "--events", str(path), "--as-of", as_of, "--json"
    )
    assert status == 0, err
    report: dict[str, Any] = json.loads(out)
    return report


def test_written_story_replays_with_met_late_open_and_pending(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "story.jsonl"
    status, out, _ = _run(
        capsys, "scenario", "write", "--out", str(path), "--start", STORY_START.isoformat()
    )
    summary = json.loads(out)
    report = _replay(capsys, path, summary["as_of"])

    assert status == 0
    assert summary["events"] == 61 == len(path.read_text("utf-8").splitlines())
    assert summary["as_of"] == "2026-02-16T18:00:00+05:00"
    assert report["rejected"] == []
    assert Counter(o["status"] for o in report["obligations"]) == {
        "met": 27, "late": 1, "open": 1, "pending": 3
    }  # fmt: skip
    (stalled,) = [o for o in report["obligations"] if o["status"] == "open"]
    assert (stalled["rule"], stalled["owed_by"], stalled["level"]) == (
        "referral-decision", "social.turkestan", 2
    )  # fmt: skip
    breaches = [o for o in report["obligations"] if o["status"] in ("open", "late")]
    assert [
        {key: value for key, value in b.items() if key in o} for b, o in
        zip(summary["expected_breaches"], breaches, strict=True)
    ] == breaches  # fmt: skip


def test_story_without_start_is_placed_before_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _run(capsys, "scenario", "write", "--out", str(tmp_path / "s.jsonl"))

    assert status == 0
    assert datetime.fromisoformat(json.loads(out)["as_of"]) <= datetime.now(UTC)


def test_story_to_stdout_keeps_the_summary_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(
        capsys, "scenario", "write", "--out", "-", "--start", STORY_START.isoformat()
    )

    assert status == 0
    events = [parse_event(json.loads(line)) for line in out.splitlines()]
    assert len(events) == 61
    assert events[0].event_type == "ChildIdentified"
    assert json.loads(err)["events"] == 61


def test_synthetic_file_is_the_same_for_the_same_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (first, second):
        status, out, _ = _synthetic(capsys, "--children", "50", "--seed", "8", "--out", str(path))
        assert status == 0
        assert json.loads(out)["events"] == len(path.read_text("utf-8").splitlines())

    assert first.read_bytes() == second.read_bytes()


def test_synthetic_invalid_fraction_reaches_the_replay_as_rejections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dirty.jsonl"
    args = ("--children", "40", "--seed", "2", "--invalid-fraction", "1", "--out", str(path))
    _synthetic(capsys, *args)
    report = _replay(capsys, path, "2027-06-01T00:00:00+05:00")

    assert len(report["rejected"]) == 40


@pytest.mark.parametrize(
    "args",
    [
        ("scenario", "write", "--out", "x.jsonl", "--start", "2026-02-02"),
        ("scenario", "write", "--out", "x.jsonl", "--start", "2026-02-02T10:30:00"),
        ("synthetic", "--children", "-1", "--seed", "1", "--out", "x.jsonl"),
        ("synthetic", "--children", "5", "--seed", "1", "--out", "x.jsonl",
         "--invalid-fraction", "2"),
        ("synthetic", "--children", "5", "--seed", "1", "--out", "x.jsonl",
         "--start", "2026-01-05"),
    ],
)  # fmt: skip
def test_unusable_arguments_exit_with_status_2(
    args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exited:
        if args[0] == "synthetic":
            write_synthetic.main(list(args[1:]))
        else:
            main(list(args))

    assert exited.value.code == 2
    assert not (tmp_path / "x.jsonl").exists()


def test_unwritable_output_exits_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, "scenario", "write", "--out", str(tmp_path / "no" / "x.jsonl"))

    assert (status, out) == (2, "")
    assert "cannot write" in err


def test_synthetic_to_an_unwritable_file_exits_with_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("--children", "1", "--seed", "1", "--out", str(tmp_path / "no" / "x.jsonl"))
    status, out, err = _synthetic(capsys, *args)

    assert (status, out) == (2, "")
    assert err.startswith("write_synthetic: --out: cannot write")
