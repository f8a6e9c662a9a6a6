"""Server-rendered SVG bar charts: the geometry here, the markup in ``templates/console/chart.svg``.

A chart is a list of labelled horizontal bars, each made of coloured segments (a CSS class per
status or stage), scaled to the longest bar. No script and no external resource is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backbone.console.compliance import COUNTED, Tally

WIDTH = 760
LABEL = 260  # room for an agency id or a stage name
BAR = 22
GAP = 10
TOP = 8


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    kind: str  # the CSS class suffix: met, late, open, or stage
    count: int


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    segments: tuple[Segment, ...]
    total: int

    @property
    def text_y(self) -> float:
        return self.y + BAR * 0.7

    @property
    def end_x(self) -> float:
        return (self.segments[-1].x + self.segments[-1].width if self.segments else LABEL) + 6


@dataclass(frozen=True)
class Chart:
    bars: tuple[Bar, ...]
    width: int = WIDTH
    label_width: int = LABEL
    bar_height: int = BAR

    @property
    def height(self) -> int:
        return TOP * 2 + len(self.bars) * (BAR + GAP)


def stacked(rows: Sequence[tuple[str, Sequence[tuple[str, int]]]]) -> Chart:
    """Bars of (label, [(kind, count), ...]); segments with no count are left out."""
    longest = max((sum(n for _, n in parts) for _, parts in rows), default=0) or 1
    scale = (WIDTH - LABEL - 60) / longest
    bars = []
    for index, (label, parts) in enumerate(rows):
        x, segments = float(LABEL), []
        for kind, count in parts:
            if count:
                segments.append(Segment(round(x, 1), round(count * scale, 1), kind, count))
                x += count * scale
        y = TOP + index * (BAR + GAP)
        bars.append(Bar(label, y, tuple(segments), sum(n for _, n in parts)))
    return Chart(tuple(bars))


def compliance_chart(tallies: Sequence[Tally]) -> Chart:
    return stacked([(t.agency, [(k, getattr(t, k)) for k in COUNTED]) for t in tallies])


def funnel_chart(stages: Sequence[tuple[str, str, int]]) -> Chart:
    """One bar per stage: (label, stage id for the class, children)."""
    return stacked([(label, [(stage, count)]) for label, stage, count in stages])
