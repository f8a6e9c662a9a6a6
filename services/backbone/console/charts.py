"""Server-rendered SVG bar charts: the geometry here, the markup in ``templates/console/chart.svg``.

A chart is a list of labelled horizontal bars, each made of coloured segments (a CSS class per
status or stage), scaled to the longest bar. No script and no external resource is needed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from backbone.console.agency_names import shown_text
from backbone.console.compliance import COUNTED, Tally

WIDTH = 760
LABEL = 260  # room for an agency's name or a stage name
LABEL_CHARACTERS = 38  # a longer label is cut (its tooltip has it whole)
BAR = 22
GAP = 10
TOP = 8


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    kind: str  # the CSS class suffix: met, late, open, or stage
    count: int
    href: str | None = None  # where a click leads (the children behind it), if anywhere


@dataclass(frozen=True)
class Bar:
    label: str
    y: float
    segments: tuple[Segment, ...]
    total: int
    title: str = ""  # the tooltip: the whole label (an agency's name and id)
    href: str | None = None

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


def stacked(
    rows: Sequence[tuple[str, Sequence[tuple[str, int]]]],
    *,
    titles: Sequence[str] | None = None,
    links: Sequence[Callable[[str | None], str | None]] | None = None,
) -> Chart:
    """Bars of (label, [(kind, count), ...]); segments with no count are left out. ``titles``
    are the bars' tooltips (default: the label); ``links[i](kind)`` is where a click on bar
    ``i``'s segment of ``kind`` leads, ``links[i](None)`` its label's (``None``: nowhere)."""
    longest = max((sum(n for _, n in parts) for _, parts in rows), default=0) or 1
    scale = (WIDTH - LABEL - 60) / longest
    bars = []
    for index, (label, parts) in enumerate(rows):
        link = links[index] if links is not None else (lambda kind: None)
        x, segments = float(LABEL), []
        for kind, count in parts:
            if count:
                width = round(count * scale, 1)
                segments.append(Segment(round(x, 1), width, kind, count, link(kind)))
                x += count * scale
        y = TOP + index * (BAR + GAP)
        title = titles[index] if titles is not None else label
        total = sum(n for _, n in parts)
        bars.append(Bar(_cut(label), y, tuple(segments), total, title, link(None)))
    return Chart(tuple(bars))


def compliance_chart(
    tallies: Sequence[Tally],
    name: Callable[[str], str | None] = lambda agency: None,
    link: Callable[[str, str | None], str | None] | None = None,
) -> Chart:
    """One bar per agency, labelled with its ``name`` (its id without one), the id in the
    tooltip; ``link(agency, status)`` leads from a segment (``link(agency, None)``: the bar's
    label) to the children behind it."""
    return stacked(
        [(name(t.agency) or t.agency, [(k, getattr(t, k)) for k in COUNTED]) for t in tallies],
        titles=[shown_text(t.agency, name(t.agency)) for t in tallies],
        links=None if link is None else [_bound(link, t.agency) for t in tallies],
    )


def funnel_chart(
    stages: Sequence[tuple[str, str, int]], link: Callable[[str], str | None] | None = None
) -> Chart:
    """One bar per stage: (label, stage id for the class, children); ``link(stage)`` leads
    from the bar to the children at that stage."""
    return stacked(
        [(label, [(stage, count)]) for label, stage, count in stages],
        links=None if link is None else [_stage_link(link, stage) for _, stage, _ in stages],
    )


def _bound(
    link: Callable[[str, str | None], str | None], agency: str
) -> Callable[[str | None], str | None]:
    return lambda kind: link(agency, kind)


def _stage_link(
    link: Callable[[str], str | None], stage: str
) -> Callable[[str | None], str | None]:
    return lambda kind: link(stage)


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1] + "…"
