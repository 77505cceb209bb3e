"""Inline SVG charts for the incident report: time axis, bars, lines, level bands, markers.

Pure string building with no dependencies, so the report stays one
self-contained HTML file (no script, no external font, style or image). Every
element a reader or a test may look for carries a class and ``data-``
attributes: bars (``rect.bar``), lines (``polyline.negative``), level bands
(``rect.band``) and markers (``g.marker`` with ``data-kind``, and
``data-verdict`` for responses).

Times are epoch milliseconds and are shown in UTC.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Final

__all__ = [
    "LEVEL_COLOURS",
    "LEVEL_NAMES",
    "VERDICT_COLOURS",
    "VERDICT_LABELS",
    "Bucket",
    "Frame",
    "Impact",
    "Marker",
    "TonePoint",
    "level_chart",
    "nice_step",
    "time_ticks",
    "tone_chart",
    "volume_chart",
]

LEVEL_NAMES: Final = ("calm", "watch", "alert", "crisis")
#: Fill of each level's band (calm green, watch yellow, alert orange, crisis red).
LEVEL_COLOURS: Final = ("#cfe8c6", "#f7e08a", "#f5a553", "#d9452f")
#: Colour of a response marker by verdict.
VERDICT_COLOURS: Final = {"calmed": "#17803d", "no_effect": "#5f6368", "backfired": "#c1121f"}
VERDICT_LABELS: Final = {"calmed": "calmed", "no_effect": "no effect", "backfired": "backfired"}

_FONT_PX: Final = 12
_CHAR_PX: Final = 6.2  # mean advance of a 12 px sans-serif character, for label layout
_LANE_PX: Final = 17
_MAX_LANES: Final = 4
_WIDTH: Final = 1200
_MINUTE: Final = 60_000
_TICK_STEPS_MIN: Final = (5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080)
_VOLUME_COLOUR: Final = "#9ebde3"
_AVERAGE_COLOUR: Final = "#1f4e8c"
_BEFORE_COLOUR: Final = "#8a8f98"
_EXPECTED_COLOUR: Final = "#1b1b1b"
_NEGATIVE_COLOUR: Final = "#e0620d"
_AGGRESSIVE_COLOUR: Final = "#6a3d9a"


@dataclass(frozen=True, slots=True)
class Bucket:
    """Minutes summed over one bar of the charts (one minute, or several)."""

    start_ms: int
    mentions: int
    expected: float
    negative: int
    aggressive: int
    official: int
    level: int


@dataclass(frozen=True, slots=True)
class TonePoint:
    """Smoothed tone at the end of a bucket (None: too few mentions to say)."""

    at_ms: int
    negative: float | None
    aggressive: float | None


@dataclass(frozen=True, slots=True)
class Impact:
    """A response's windows drawn on the volume chart, in mentions per bar.

    ``before`` is the mean over the window before the response, ``predicted``
    what its trend predicted for the window after, ``after`` what came.
    """

    at_ms: int
    window_ms: int
    before: float
    predicted: float
    after: float
    verdict: str


@dataclass(frozen=True, slots=True)
class Marker:
    """A moment shown as a vertical line with a label above the plot."""

    at_ms: int
    kind: str  # response, ack, echo, opened, resolved
    label: str
    colour: str
    data: tuple[tuple[str, str], ...] = ()
    dashed: bool = True


@dataclass(frozen=True, slots=True)
class Frame:
    """The shared horizontal geometry: a time window mapped on the plot's width."""

    lo_ms: int
    hi_ms: int
    width: int = _WIDTH
    left: int = 74
    right: int = 28

    def x(self, ms: float) -> float:
        """Horizontal position of a time."""
        span = max(self.hi_ms - self.lo_ms, 1)
        return self.left + (ms - self.lo_ms) / span * (self.width - self.left - self.right)

    @property
    def x1(self) -> float:
        """Right end of the plot."""
        return float(self.width - self.right)


# --- small SVG helpers -------------------------------------------------------------------


def _num(v: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros."""
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _attrs(attrs: Iterable[tuple[str, object]]) -> str:
    """Escaped attributes; floats are coordinates (one decimal) except ``data-`` values."""
    return "".join(f' {k}="{escape(_value(k, v))}"' for k, v in attrs)


def _value(key: str, v: object) -> str:
    return _num(v) if isinstance(v, float) and not key.startswith("data-") else str(v)


def _el(tag: str, *pairs: tuple[str, object], body: str | None = None) -> str:
    attrs = _attrs(pairs)
    return f"<{tag}{attrs}/>" if body is None else f"<{tag}{attrs}>{body}</{tag}>"


def _text(x: float, y: float, s: str, *pairs: tuple[str, object]) -> str:
    return _el("text", ("x", x), ("y", y), *pairs, body=escape(s))


def _label_px(s: str) -> float:
    return len(s) * _CHAR_PX + 8


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _iso(ms: int) -> str:
    return _utc(ms).strftime("%Y-%m-%dT%H:%M:%SZ")


def nice_step(top: float, *, ticks: int = 5) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about ``ticks`` ticks.

    >>> nice_step(38), nice_step(1.0), nice_step(0.3)
    (10.0, 0.2, 0.1)
    """
    raw = max(top, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * power >= raw:
            return float(m * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def time_ticks(lo_ms: int, hi_ms: int, *, most: int = 13) -> list[tuple[int, str, str]]:
    """Round UTC times in the window: (ms, clock label, date label or "").

    The date is given under the first tick and under each midnight.

    >>> for tick in time_ticks(1737367200000, 1737388800000)[:3]:
    ...     print(tick)
    (1737367200000, '10:00', 'Mon 20 Jan')
    (1737369000000, '10:30', '')
    (1737370800000, '11:00', '')
    """
    span_min = (hi_ms - lo_ms) / _MINUTE
    step = next((s for s in _TICK_STEPS_MIN if span_min / s <= most), _TICK_STEPS_MIN[-1])
    step_ms = step * _MINUTE
    t = -(-lo_ms // step_ms) * step_ms
    out: list[tuple[int, str, str]] = []
    while t <= hi_ms:
        d = _utc(t)
        first = not out
        date = d.strftime("%a %d %b") if first or (d.hour == 0 and d.minute == 0) else ""
        out.append((t, d.strftime("%H:%M"), date))
        t += step_ms
    return out


# --- shared chart parts ------------------------------------------------------------------


def _lanes(markers: Sequence[Marker], frame: Frame) -> list[int]:
    """A label row for each marker (0: nearest the plot), so that close labels do not overlap."""
    ends: list[float] = []  # right end of the labels placed in each row
    rows: list[int] = []
    for m in markers:
        x0 = _label_x(m, frame)
        row = next((i for i, end in enumerate(ends) if x0 > end + 4), None)
        if row is None:
            if len(ends) < _MAX_LANES:
                ends.append(x0)
                row = len(ends) - 1
            else:
                row = min(range(len(ends)), key=ends.__getitem__)
        ends[row] = max(ends[row], x0 + _label_px(m.label))
        rows.append(row)
    return rows


def _label_x(m: Marker, frame: Frame) -> float:
    """Left edge of a marker's label: right of its line, or left of it near the right edge."""
    x = frame.x(m.at_ms)
    w = _label_px(m.label)
    return x - w - 2 if x + w > frame.x1 + frame.right else x + 3


def _markers_svg(markers: Sequence[Marker], frame: Frame, *, top: float, bottom: float) -> str:
    """Vertical marker lines through the plot, then their labels in rows above it."""
    ordered = sorted(markers, key=lambda m: (m.at_ms, m.kind))
    rows = _lanes(ordered, frame)
    lines, labels = [], []
    for m, row in zip(ordered, rows, strict=True):
        x = frame.x(m.at_ms)
        if not frame.left <= x <= frame.x1:
            continue
        ly = top - 6 - row * _LANE_PX
        lx = _label_x(m, frame)
        lines.append(
            _el(
                "g",
                ("class", f"marker {m.kind}"),
                ("data-kind", m.kind),
                ("data-time", _iso(m.at_ms)),
                ("data-label", m.label),
                *m.data,
                body=_el("title", body=escape(m.label))
                + _el("line", ("x1", x), ("x2", x), ("y1", ly + 3), ("y2", bottom),
                      ("stroke", m.colour), ("stroke-width", 2),
                      ("stroke-dasharray", "5 3" if m.dashed else "none")),
            )
        )  # fmt: skip
        labels.append(
            _el("rect", ("x", lx - 3), ("y", ly - _FONT_PX), ("width", _label_px(m.label)),
                ("height", _FONT_PX + 4), ("rx", 3), ("fill", "#ffffff"),
                ("stroke", m.colour), ("stroke-width", 1))
            + _text(lx + 2, ly, m.label, ("fill", m.colour), ("font-weight", "600"))
        )  # fmt: skip
    return _el("g", ("class", "markers"), body="".join(lines)) + _el(
        "g", ("class", "marker-labels"), body="".join(labels)
    )


def _lane_count(rows: Sequence[int]) -> int:
    return max(rows, default=-1) + 1


def _time_axis(frame: Frame, *, top: float, bottom: float) -> str:
    """Vertical grid lines at round times, their labels under the plot, the axis title."""
    parts = []
    for t, clock, date in time_ticks(frame.lo_ms, frame.hi_ms):
        x = frame.x(t)
        parts.append(
            _el("line", ("x1", x), ("x2", x), ("y1", top), ("y2", bottom), ("class", "grid"))
        )
        parts.append(_text(x, bottom + 16, clock, ("text-anchor", "middle"), ("class", "tick")))
        if date:
            parts.append(
                _text(x, bottom + 31, date, ("text-anchor", "middle"), ("class", "tick date"))
            )
    parts.append(
        _text(frame.x1, bottom + 31, "time (UTC)", ("text-anchor", "end"), ("class", "axis-title"))
    )
    return _el("g", ("class", "x-axis"), body="".join(parts))


def _y_axis(
    frame: Frame, *, top: float, bottom: float, top_value: float, step: float, fmt: str, title: str
) -> str:
    """Horizontal grid lines and labels from 0 to ``top_value``."""
    parts = []
    v = 0.0
    while v <= top_value + 1e-9:
        y = bottom - v / top_value * (bottom - top)
        parts.append(
            _el(
                "line",
                ("x1", frame.left),
                ("x2", frame.x1),
                ("y1", y),
                ("y2", y),
                ("class", "grid"),
            )
        )
        parts.append(
            _text(frame.left - 6, y + 4, fmt.format(v), ("text-anchor", "end"), ("class", "tick"))
        )
        v += step
    cy = (top + bottom) / 2
    parts.append(
        _text(
            14, cy, title, ("text-anchor", "middle"), ("class", "axis-title"),
            ("transform", f"rotate(-90 14 {_num(cy)})"),
        )
    )  # fmt: skip
    return _el("g", ("class", "y-axis"), body="".join(parts))


LegendItem = tuple[str, str, str]  # kind (box, line, dash, dot, thick), colour, label


def _legend(items: Sequence[LegendItem], frame: Frame) -> tuple[str, float]:
    """Legend rows across the plot's width; the SVG and the baseline of its last row."""
    parts = []
    x, y = float(frame.left), 16.0
    for kind, colour, label in items:
        width = 22 + _label_px(label) + 10
        if x > frame.left and x + width > frame.x1:
            x, y = float(frame.left), y + 18
        if kind == "box":
            parts.append(_el("rect", ("x", x), ("y", y - 9), ("width", 12), ("height", 10),
                             ("fill", colour)))  # fmt: skip
        else:
            dash = {"dash": "5 3", "dot": "2 3"}.get(kind, "none")
            stroke = {"thick": 5, "dot": 3}.get(kind, 2.5)
            parts.append(_el("line", ("x1", x), ("x2", x + 18), ("y1", y - 4), ("y2", y - 4),
                             ("stroke", colour), ("stroke-width", stroke),
                             ("stroke-dasharray", dash)))  # fmt: skip
        parts.append(_text(x + 22, y, label, ("class", "legend-text")))
        x += width
    return _el("g", ("class", "legend"), body="".join(parts)), y


def _svg(height: float, label: str, body: str, frame: Frame) -> str:
    return _el(
        "svg",
        ("viewBox", f"0 0 {frame.width} {_num(height)}"),
        ("width", "100%"),
        ("role", "img"),
        ("aria-label", label),
        ("font-family", "'Liberation Sans', Arial, Helvetica, 'DejaVu Sans', sans-serif"),
        ("font-size", _FONT_PX),
        body=_el("title", body=escape(label)) + body,
    )


def _top(markers: Sequence[Marker], frame: Frame, legend_y: float) -> float:
    """Top of the plot: under the legend and the marker label rows."""
    lanes = _lane_count(_lanes(sorted(markers, key=lambda m: (m.at_ms, m.kind)), frame))
    return legend_y + 14 + lanes * _LANE_PX + (6 if lanes else 0)


def _polylines(
    points: Sequence[tuple[float, float] | None], cls: str, colour: str, **kw: str
) -> str:
    """Polylines through the points, broken where a point is None."""
    runs: list[list[tuple[float, float]]] = [[]]
    for p in points:
        if p is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(p)
    n = sum(len(r) for r in runs)
    body = "".join(
        _el("polyline", ("points", " ".join(f"{_num(x)},{_num(y)}" for x, y in run)),
            ("fill", "none"), ("stroke", colour), ("stroke-width", kw.get("width", "2.2")),
            ("stroke-dasharray", kw.get("dash", "none")), ("stroke-linejoin", "round"))
        for run in runs
        if run
    )  # fmt: skip
    return _el("g", ("class", f"series {cls}"), ("data-points", n), body=body)


# --- the three charts --------------------------------------------------------------------


def _volume_legend(
    bucket_min: int, *, average_min: int | None, impacts: Sequence[Impact]
) -> list[LegendItem]:
    unit = "minute" if bucket_min == 1 else f"{bucket_min} minutes"
    items: list[LegendItem] = [("box", _VOLUME_COLOUR, f"mentions per {unit}")]
    if average_min:
        items.append(("line", _AVERAGE_COLOUR, f"average, last {average_min} min"))
    items.append(("dash", _EXPECTED_COLOUR, "expected (the brand's normal)"))
    if impacts:
        window = f"{impacts[0].window_ms // 60_000} min"  # the setting: one for all responses
        items += [
            ("line", _BEFORE_COLOUR, f"{window} before a response"),
            ("dot", "#555555", f"{window} after: trend's prediction"),
            ("thick", "#555555", f"{window} after: actual"),
        ]
    return items


def volume_chart(
    buckets: Sequence[Bucket],
    frame: Frame,
    markers: Sequence[Marker],
    *,
    bucket_min: int,
    average: Sequence[tuple[int, float]] | None = None,
    average_min: int = 10,
    impacts: Sequence[Impact] = (),
) -> str:
    """Mentions per bucket (bars), their recent average, the brand's normal (dashed).

    Each response's impact is drawn over its windows: a grey segment for the
    mean before it, a dotted one for what its trend predicted after it, and a
    thick one in the verdict's colour for what came.
    """
    legend, legend_y = _legend(
        _volume_legend(bucket_min, average_min=average_min if average else None,
                       impacts=impacts), frame)  # fmt: skip
    top = _top(markers, frame, legend_y)
    bottom = top + 220
    peak = max(
        [b.mentions for b in buckets]
        + [b.expected for b in buckets]
        + [max(i.predicted, i.after, i.before) for i in impacts]
        + [1.0]
    )
    step = nice_step(peak)
    top_value = step * math.ceil(peak / step)
    span = bucket_min * _MINUTE

    def y(v: float) -> float:
        return bottom - v / top_value * (bottom - top)

    bar_w = max(frame.x(frame.lo_ms + span) - frame.x(frame.lo_ms) - 0.6, 0.8)
    bars = "".join(
        _el("rect", ("class", "bar"), ("x", frame.x(b.start_ms)), ("y", y(b.mentions)),
            ("width", bar_w), ("height", bottom - y(b.mentions)), ("fill", _VOLUME_COLOUR),
            ("data-start", _iso(b.start_ms)), ("data-mentions", b.mentions),
            ("data-expected", round(b.expected, 2)))
        for b in buckets
    )  # fmt: skip
    lines = _polylines(
        [(frame.x(b.start_ms + span / 2), y(b.expected)) for b in buckets],
        "expected", _EXPECTED_COLOUR, dash="6 3", width="2",
    )  # fmt: skip
    if average:
        lines += _polylines(
            [(frame.x(t), y(v)) for t, v in average], "average", _AVERAGE_COLOUR, width="2.2"
        )
    unit = "minute" if bucket_min == 1 else f"{bucket_min} min"
    body = (
        legend
        + _y_axis(frame, top=top, bottom=bottom, top_value=top_value, step=step, fmt="{:,.0f}",
                  title=f"mentions / {unit}")
        + _time_axis(frame, top=top, bottom=bottom)
        + _el("g", ("class", "bars"), ("data-count", len(buckets)), body=bars)
        + lines
        + _markers_svg(markers, frame, top=top, bottom=bottom)
        + _impacts_svg(impacts, frame, y)
    )  # fmt: skip
    return _svg(bottom + 40, f"Mentions per {unit} against the brand's normal", body, frame)


def _segment(
    cls: str, x0: float, x1: float, y: float, colour: str, width: float, *, dash: str = "none"
) -> str:
    """A horizontal segment over a white halo (readable over bars and lines)."""
    return _el(
        "g",
        ("class", cls),
        body=_el("line", ("x1", x0), ("x2", x1), ("y1", y), ("y2", y), ("stroke", "#ffffff"),
                 ("stroke-width", width + 3), ("stroke-linecap", "round"))
        + _el("line", ("x1", x0), ("x2", x1), ("y1", y), ("y2", y), ("stroke", colour),
              ("stroke-width", width), ("stroke-dasharray", dash)),
    )  # fmt: skip


def _impacts_svg(impacts: Sequence[Impact], frame: Frame, y: Callable[[float], float]) -> str:
    """Each response's before, predicted and actual levels as horizontal segments."""
    parts = []
    for i in impacts:
        colour = VERDICT_COLOURS.get(i.verdict, "#555555")
        x0, x1 = frame.x(i.at_ms - i.window_ms), frame.x(i.at_ms)
        x2 = frame.x(i.at_ms + i.window_ms)
        body = (
            _segment("before", x0, x1, y(i.before), _BEFORE_COLOUR, 4)
            + _segment("predicted", x1, x2, y(i.predicted), colour, 3, dash="2 3")
            + _segment("after", x1, x2, y(i.after), colour, 5)
        )
        parts.append(
            _el("g", ("class", "impact"), ("data-verdict", i.verdict),
                ("data-before", round(i.before, 2)), ("data-predicted", round(i.predicted, 2)),
                ("data-after", round(i.after, 2)), body=body)
        )  # fmt: skip
    return _el("g", ("class", "impacts"), body="".join(parts))


_TONES: Final = (("negative", _NEGATIVE_COLOUR), ("aggressive", _AGGRESSIVE_COLOUR))


def _baselines(
    baseline: tuple[float | None, float | None], frame: Frame, y: Callable[[float], float]
) -> str:
    """The brand's normal negative and aggressive shares as dashed lines."""
    return "".join(
        _el("line", ("class", f"baseline {cls}"), ("x1", frame.left), ("x2", frame.x1),
            ("y1", y(share)), ("y2", y(share)), ("stroke", colour), ("stroke-width", 1.5),
            ("stroke-dasharray", "6 4"), ("data-share", round(share, 4)))
        for share, (cls, colour) in zip(baseline, _TONES, strict=True)
        if share is not None
    )  # fmt: skip


def tone_chart(
    points: Sequence[TonePoint],
    frame: Frame,
    markers: Sequence[Marker],
    *,
    baseline: tuple[float | None, float | None],
) -> str:
    """Negative and aggressive shares (smoothed), with the brand's normal shares dashed."""
    items: list[LegendItem] = [("line", colour, f"{cls} share") for cls, colour in _TONES]
    items += [
        ("dash", colour, f"normal {cls} share ({share:.0%})")
        for share, (cls, colour) in zip(baseline, _TONES, strict=True)
        if share is not None
    ]
    legend, legend_y = _legend(items, frame)
    top = _top(markers, frame, legend_y)
    bottom = top + 180

    def y(v: float) -> float:
        return bottom - v * (bottom - top)

    neg = [None if p.negative is None else (frame.x(p.at_ms), y(p.negative)) for p in points]
    agg = [None if p.aggressive is None else (frame.x(p.at_ms), y(p.aggressive)) for p in points]
    body = (
        legend
        + _y_axis(frame, top=top, bottom=bottom, top_value=1.0, step=0.25, fmt="{:.0%}",
                  title="share of mentions")
        + _time_axis(frame, top=top, bottom=bottom)
        + _baselines(baseline, frame, y)
        + _polylines(neg, "negative", _NEGATIVE_COLOUR)
        + _polylines(agg, "aggressive", _AGGRESSIVE_COLOUR)
        + _markers_svg(markers, frame, top=top, bottom=bottom)
    )  # fmt: skip
    return _svg(bottom + 40, "Negative and aggressive shares of mentions", body, frame)


def _level_rows(frame: Frame, y_top: Callable[[int], float], row: float) -> str:
    """Alternating background rows with the level names on the left."""
    parts = []
    for level, name in enumerate(LEVEL_NAMES):
        yl = y_top(level)
        fill = "#f4f4f4" if level % 2 else "#fafafa"
        parts.append(_el("rect", ("x", frame.left), ("y", yl), ("width", frame.x1 - frame.left),
                         ("height", row), ("fill", fill)))  # fmt: skip
        parts.append(_text(frame.left - 8, yl + row / 2 + 4, name, ("text-anchor", "end"),
                           ("class", "tick level-name"), ("fill", "#333")))  # fmt: skip
    return "".join(parts)


def level_chart(
    segments: Sequence[tuple[int, int, int]],
    frame: Frame,
    markers: Sequence[Marker],
    *,
    ack_colour: str = "#1d4ed8",
) -> str:
    """The level over time: one coloured band per period at a level, its height the level."""
    legend, legend_y = _legend(
        [("box", c, n) for n, c in zip(LEVEL_NAMES, LEVEL_COLOURS, strict=True)]
        + [("line", VERDICT_COLOURS[v], f"response {VERDICT_LABELS[v]}") for v in VERDICT_COLOURS]
        + [("dash", ack_colour, "acknowledgement")],
        frame,
    )
    top = _top(markers, frame, legend_y)
    row = 34.0
    bottom = top + 4 * row

    def y_top(level: int) -> float:
        return bottom - (level + 1) * row

    bands = []
    line: list[tuple[float, float] | None] = []
    for start, end, level in segments:
        x0, x1 = frame.x(start), frame.x(end)
        bands.append(
            _el("rect", ("class", "band"), ("x", x0), ("y", y_top(level)),
                ("width", max(x1 - x0, 0.8)), ("height", bottom - y_top(level)),
                ("fill", LEVEL_COLOURS[level]), ("data-level", level),
                ("data-level-name", LEVEL_NAMES[level]),
                ("data-start", _iso(start)), ("data-end", _iso(end)),
                body=_el("title", body=escape(
                    f"{LEVEL_NAMES[level]} {_utc(start):%H:%M}-{_utc(end):%H:%M} UTC")))
        )  # fmt: skip
        line += [(x0, y_top(level)), (x1, y_top(level))]
    body = (
        legend
        + _level_rows(frame, y_top, row)
        + _time_axis(frame, top=top, bottom=bottom)
        + _el("g", ("class", "bands"), ("data-count", len(segments)), body="".join(bands))
        + _polylines(line, "level-line", "#202020", width="1.6")
        + _markers_svg(markers, frame, top=top, bottom=bottom)
    )
    return _svg(bottom + 40, "Crisis level over time", body, frame)
