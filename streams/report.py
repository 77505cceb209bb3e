"""The lessons of an incident: one self-contained HTML report with figures.

``tocsin report INCIDENT --out DIR`` reads the brand's alerts, incident events
and minutes (from the topics, or from an archive written by ``tocsin record``
or an offline drill) and writes ``DIR/INCIDENT.html``: a plain-language
summary, the key times, three figures (volume against the brand's normal,
negative and aggressive shares, the level with responses and
acknowledgements marked), the phases with their top terms and authors, the
responses and their impact, employees' posts and offline recommendations.
The file needs nothing else: inline SVG and CSS, no script, no network. The
same input always gives the same bytes (no clock is read).

Definitions
-----------
First echo
    The first sign of the crisis in the record: the start of the *negative
    surplus* before the opening. Tocsin looks from one hour before the *raised
    run* (the uninterrupted run of minutes at watch or above that led to the
    opening) up to the opening, and sums minute by minute the negative mentions
    in excess of the brand's normal tone, ``negative - p * mentions - k``
    (``p``: the brand's normal negative share, measured before that hour, 0.25
    without history; ``k``: an allowance of half a standard deviation, at least
    0.25). This running sum (a CUSUM) drifts down while the tone is normal and
    climbs once an angry surplus begins: the first echo is the first minute
    after its lowest point with more mentions than expected and a clear
    negative surplus (more than ``k``). When there is none (a jump from
    nothing, or a crisis of volume alone), the first echo is the start of the
    raised run. A positive spike (a campaign) is not an echo: its tone is not
    negative.
Time to a level
    From the start of the first echo's minute to the end of the first minute
    at that level or above (when the alert was published); a level already
    held when the first echo came (a watch raised by a campaign) is reported
    as "before the first echo".
Phase
    A run of minutes at the same level, from the first echo to the resolution
    (or the end of the data), from the moment Tocsin announced the level (the
    end of its first minute) to the next announcement. Its top terms weigh each
    minute's top terms by its mentions (a phase below alert level, whose minutes
    carry no terms, takes those of the evidence of the alert that closed it);
    its top authors are those reaching the most people in the evidence (the
    15 minutes before a level change) of the alerts that opened and closed it.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any, Final

import msgspec

from streams.alerts import Alert, AlertAuthor, AlertReason, ms_of
from streams.archive import BrandRecordSet, read_archive, read_topics
from streams.commands import brand_of_incident
from streams.incidents import IncidentMessage, InsideInfo, Minute, ResponseInfo
from streams.report_svg import (
    LEVEL_COLOURS,
    LEVEL_NAMES,
    VERDICT_COLOURS,
    VERDICT_LABELS,
    Bucket,
    Frame,
    Impact,
    Marker,
    TonePoint,
    level_chart,
    tone_chart,
    volume_chart,
)
from streams.settings import Settings

__all__ = [
    "Acknowledgement",
    "FirstEcho",
    "IncidentReport",
    "InsideEvent",
    "OfflineEvent",
    "Phase",
    "ReportError",
    "Response",
    "UnknownIncidentError",
    "build_report",
    "find_first_echo",
    "find_phases",
    "load_minutes",
    "render_html",
    "report_main",
    "write_report",
]

MINUTE_MS: Final = 60_000
#: Normal negative share assumed when the record holds fewer mentions than this before.
DEFAULT_NEGATIVE_SHARE: Final = 0.25
MIN_HISTORY_MENTIONS: Final = 50
#: How far before the raised run the surplus is looked for.
ECHO_LOOKBACK_MS: Final = 60 * MINUTE_MS
#: Shown before the first echo and after the resolution.
BEFORE_MS: Final = 60 * MINUTE_MS
AFTER_MS: Final = 30 * MINUTE_MS
#: Trailing window of the tone shares, and the mentions it needs to give one.
SMOOTH_MS: Final = 10 * MINUTE_MS
SMOOTH_MAX_MS: Final = 60 * MINUTE_MS
SMOOTH_MENTIONS: Final = 30
SMOOTH_MIN_MENTIONS: Final = 10
#: At most this many bars; longer windows group minutes.
MAX_BARS: Final = 720
_BUCKET_MIN: Final = (1, 2, 5, 10, 15, 30, 60, 120, 240, 1440)
#: ``response_window_ms`` by default, in minutes (for a report without responses).
DEFAULT_RESPONSE_WINDOW_MIN: Final = Settings().response_window_ms // 60_000
_ACK_COLOUR: Final = "#1d4ed8"
_NO_OFFLINE: Final = "Taking the conversation offline was not recommended."
_ECHO_COLOUR: Final = "#7c3aed"
_EVENT_COLOUR: Final = "#374151"


class ReportError(ValueError):
    """The record cannot give a report (missing minutes, bad input)."""


class UnknownIncidentError(ReportError, LookupError):
    """No event of this incident in the record."""


# --- what the report is made of ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """Someone took the incident in hand."""

    by: str
    at_ms: int
    note: str


@dataclass(frozen=True, slots=True)
class Response:
    """An official response and its judged impact."""

    at_ms: int
    info: ResponseInfo

    @property
    def vs_trend(self) -> float | None:
        """Mentions after it over the trend's prediction, minus one (+0.78: 78 % more)."""
        p = self.info.predicted_after_mentions
        return self.info.after_mentions / p - 1.0 if p >= 1.0 else None

    @property
    def vs_before(self) -> float | None:
        """Mentions after it over mentions before it, minus one."""
        b = self.info.before_mentions
        return self.info.after_mentions / b - 1.0 if b >= 1.0 else None


@dataclass(frozen=True, slots=True)
class InsideEvent:
    """Employees posting clearly more than their normal."""

    at_ms: int
    info: InsideInfo


@dataclass(frozen=True, slots=True)
class OfflineEvent:
    """Taking the conversation offline was recommended."""

    at_ms: int
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FirstEcho:
    """The first sign of the crisis (see the module's definitions).

    ``rule`` is ``surplus`` (a surplus of mentions before the raised run) or
    ``raised`` (the start of the raised run itself).
    """

    at_ms: int
    rule: str
    raised_from_ms: int


@dataclass(frozen=True, slots=True)
class Phase:
    """A run of minutes at the same level."""

    start_ms: int
    end_ms: int
    level: int
    mentions: int
    negative: int
    aggressive: int
    top_terms: tuple[str, ...]
    top_authors: tuple[AlertAuthor, ...]


@dataclass(frozen=True, slots=True)
class IncidentReport:
    """Everything the HTML shows, computed from the record."""

    incident_id: str
    brand: str
    bin_ms: int
    opened_ms: int
    resolved_ms: int | None
    end_ms: int  # resolution, or the end of the data for an open incident
    peak_level: int
    first_echo: FirstEcho
    reached_ms: dict[int, int | None]  # level 1..3 -> end of the first minute at it or above
    acknowledgements: tuple[Acknowledgement, ...]
    responses: tuple[Response, ...]
    inside: tuple[InsideEvent, ...]
    offline: tuple[OfflineEvent, ...]
    level_changes: tuple[Alert, ...]
    phases: tuple[Phase, ...]
    window: tuple[int, int]
    minutes: tuple[Minute, ...]  # in the window
    normal_shares: tuple[float | None, float | None]  # negative, aggressive before the window
    sources: tuple[int, int, int]  # alerts, incident events, minutes read for the brand

    @property
    def duration_ms(self) -> int:
        """From opening to resolution (or to the end of the data)."""
        return self.end_ms - self.opened_ms


# --- reading the record ------------------------------------------------------------------


def load_minutes(messages: Iterable[Mapping[str, Any]], brand: str) -> tuple[int, list[Minute]]:
    """The brand's bin width and minutes, once each (the latest copy wins), in time order.

    Messages may repeat minutes (at-least-once delivery): they are deduplicated by start.
    """
    by_start: dict[int, Minute] = {}
    bin_ms = 0
    for msg in messages:
        if msg.get("brand") != brand:
            continue
        bin_ms = bin_ms or int(msg.get("bin_ms", MINUTE_MS))
        try:
            minutes = msgspec.convert(msg.get("minutes", []), list[Minute])
        except msgspec.ValidationError as exc:
            raise ReportError(f"a brand-minutes message of {brand!r} is not valid: {exc}") from exc
        by_start.update((m.start, m) for m in minutes)
    return bin_ms or MINUTE_MS, [by_start[k] for k in sorted(by_start)]


def _incident_events(records: BrandRecordSet, incident_id: str) -> list[IncidentMessage]:
    """The incident's events, once each, in event-time order."""
    seen: dict[str, IncidentMessage] = {}
    known: set[str] = set()
    for raw in records.incidents:
        known.add(str(raw.get("incident_id")))
        if raw.get("incident_id") == incident_id and raw.get("event_id") not in seen:
            seen[str(raw["event_id"])] = msgspec.convert(raw, IncidentMessage)
    if not seen:
        listed = ", ".join(sorted(known)) or "none"
        raise UnknownIncidentError(
            f"incident {incident_id!r} is not in the record; incidents found: {listed}"
        )
    return sorted(seen.values(), key=lambda e: (ms_of(e.event_time), e.event_id))


def _alerts(records: BrandRecordSet, brand: str) -> list[Alert]:
    """The brand's alerts, once each, in event-time order."""
    seen: dict[str, Alert] = {}
    for raw in records.alerts:
        if raw.get("brand") == brand and raw.get("alert_id") not in seen:
            seen[str(raw["alert_id"])] = msgspec.convert(raw, Alert)
    return sorted(seen.values(), key=lambda a: (ms_of(a.event_time), a.alert_id))


# --- analysis ----------------------------------------------------------------------------


def _raised_run_start(before: Sequence[Minute], open_start: int, bin_ms: int) -> int:
    """Start of the uninterrupted run of minutes at watch or above ending at ``open_start``."""
    start = open_start
    for m in reversed(before):
        if m.start > start:
            continue
        if m.start != start - bin_ms and m.start != start:
            break
        if m.level < 1:
            break
        start = m.start
    return start


def _normal_negative_share(minutes: Sequence[Minute]) -> float:
    """The brand's negative share over ``minutes`` (a default when they hold too few)."""
    n = sum(m.mentions for m in minutes)
    if n < MIN_HISTORY_MENTIONS:
        return DEFAULT_NEGATIVE_SHARE
    return sum(m.negative for m in minutes) / n


def _allowance(m: Minute, share: float) -> float:
    """Negative mentions a minute may exceed its normal by without counting (half a sd)."""
    return max(0.25, 0.5 * math.sqrt(max(m.expected, 0.0) * share * (1.0 - share)))


def _surplus_start(window: Sequence[Minute], share: float) -> int | None:
    """First minute after the CUSUM's lowest point with a clear negative surplus, if any."""
    total = low = 0.0
    low_at = -1
    for i, m in enumerate(window):
        total += m.negative - share * m.mentions - _allowance(m, share)
        if total <= low:
            low, low_at = total, i
    return next(
        (
            m.start
            for m in window[low_at + 1 :]
            if m.mentions > m.expected and m.negative - share * m.mentions > _allowance(m, share)
        ),
        None,
    )


def find_first_echo(
    minutes: Sequence[Minute],
    *,
    opened_ms: int,
    bin_ms: int,
    lookback_ms: int = ECHO_LOOKBACK_MS,
    incident_id: str | None = None,
) -> FirstEcho:
    """The first echo of an incident opened at ``opened_ms`` (end of the opening minute).

    See the module's definitions. ``minutes`` are deduplicated and in time order;
    the brand's normal negative share is measured on those before the search window.
    The search never reaches back into another incident of the brand (a minute
    whose ``incident_id`` is not ``incident_id``, by default the opening
    minute's): a brand that stayed at watch
    after its last incident resolved has a new story, not the old one's.
    """
    open_start = opened_ms - bin_ms
    if incident_id is None:  # the incident of the opening minute
        incident_id = next((m.incident_id for m in minutes if m.start == open_start), None)
    before = [
        m
        for m in minutes
        if m.start <= open_start and (m.incident_id is None or m.incident_id == incident_id)
    ]
    earlier = [
        m.start
        for m in minutes
        if m.start <= open_start and m.incident_id not in (None, incident_id)
    ]
    since = max(earlier) + bin_ms if earlier else None
    mine = before if since is None else [m for m in before if m.start >= since]
    raised = _raised_run_start(mine, open_start, bin_ms)
    window = [m for m in mine if m.start >= raised - lookback_ms]
    history = [m for m in before if m.start < raised - lookback_ms]
    surplus = _surplus_start(window, _normal_negative_share(history))
    if surplus is not None:
        return FirstEcho(at_ms=surplus, rule="surplus", raised_from_ms=raised)
    return FirstEcho(at_ms=raised, rule="raised", raised_from_ms=raised)


def _reached(
    minutes: Sequence[Minute],
    alerts: Sequence[Alert],
    *,
    from_ms: int,
    to_ms: int,
    opened_ms: int,
    bin_ms: int,
) -> dict[int, int | None]:
    """For watch, alert and crisis: end of the first minute at that level or above.

    From the minutes, and from the alerts (dated by the end of the bin that changed
    the level), whichever says earlier: a record missing minutes must not contradict
    its own alerts. The incident opened at alert level, so alert was reached by
    ``opened_ms`` at the latest.
    """
    out: dict[int, int | None] = {1: None, 2: None, 3: None}
    times = [(m.start + bin_ms, m.level) for m in minutes if from_ms <= m.start < to_ms]
    times += [(t, a.level) for a in alerts if from_ms < (t := ms_of(a.event_time)) <= to_ms]
    times.append((opened_ms, 2))
    for t, level in sorted(times):
        for lv in range(1, level + 1):
            if out[lv] is None:
                out[lv] = t
    return out


def _runs(minutes: Sequence[Minute], *, from_ms: int, to_ms: int) -> list[list[Minute]]:
    """Consecutive minutes at the same level, between two times."""
    runs: list[list[Minute]] = []
    for m in minutes:
        if from_ms <= m.start < to_ms:
            if runs and runs[-1][-1].level == m.level:
                runs[-1].append(m)
            else:
                runs.append([m])
    return runs


def _spans(
    runs: Sequence[list[Minute]], *, bin_ms: int, from_ms: int, to_ms: int
) -> list[tuple[int, int, list[Minute]]]:
    """Each run's time at its level, as Tocsin announced it.

    A level starts at the end of its first minute (when its alert was
    published) and lasts until the next one starts; the first run starts at
    ``from_ms``, the last ends at ``to_ms``.
    """
    out = []
    for i, run in enumerate(runs):
        start = from_ms if i == 0 else run[0].start + bin_ms
        end = runs[i + 1][0].start + bin_ms if i + 1 < len(runs) else to_ms
        out.append((start, max(end, start), run))
    return out


def _top_terms(run: Sequence[Minute], n: int = 6) -> tuple[str, ...]:
    """Terms that topped the run's minutes, each minute weighted by its mentions."""
    score: Counter[str] = Counter()
    for m in run:
        for term in m.top_terms:
            score[term] += max(m.mentions, 1)
    return tuple(t for t, _ in sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:n])


def _evidence_terms(alerts: Sequence[Alert], lo_ms: int, hi_ms: int, n: int = 6) -> tuple[str, ...]:
    """Top terms of the evidence of the alerts published in (lo, hi], earliest first.

    For a calm or watch phase: its minutes carry no terms (the worker only
    extracts them at alert level or during an incident), but the alert that
    closed it explains the minutes before it.
    """
    out: list[str] = []
    for a in sorted(alerts, key=lambda a: ms_of(a.event_time)):
        if lo_ms < ms_of(a.event_time) <= hi_ms:  # not the one that opened the phase
            out += [t for t in a.evidence.top_terms if t not in out]
    return tuple(out[:n])


def _top_authors(
    alerts: Sequence[Alert], lo_ms: int, hi_ms: int, n: int = 5
) -> tuple[AlertAuthor, ...]:
    """Authors reaching the most people in the evidence of the alerts published in [lo, hi]."""
    best: dict[str, AlertAuthor] = {}
    for a in alerts:
        if not lo_ms <= ms_of(a.event_time) <= hi_ms:
            continue
        for au in a.evidence.top_authors:
            old = best.get(au.author)
            if old is None or (au.reach, au.mentions) > (old.reach, old.mentions):
                best[au.author] = au
    return tuple(sorted(best.values(), key=lambda au: (-au.reach, au.author))[:n])


def find_phases(
    minutes: Sequence[Minute],
    alerts: Sequence[Alert],
    *,
    from_ms: int,
    to_ms: int,
    bin_ms: int,
) -> list[Phase]:
    """Runs of minutes at the same level between two times, with their terms and authors."""
    phases = []
    runs = _runs(minutes, from_ms=from_ms, to_ms=to_ms)
    for start, end, run in _spans(runs, bin_ms=bin_ms, from_ms=from_ms, to_ms=to_ms):
        phases.append(
            Phase(
                start_ms=start,
                end_ms=end,
                level=run[0].level,
                mentions=sum(m.mentions for m in run),
                negative=sum(m.negative for m in run),
                aggressive=sum(m.aggressive for m in run),
                top_terms=_top_terms(run) or _evidence_terms(alerts, start, end),
                top_authors=_top_authors(alerts, start, end),
            )
        )
    return phases


def _normal_shares(minutes: Sequence[Minute], before_ms: int) -> tuple[float | None, float | None]:
    """Negative and aggressive shares of the brand's mentions before ``before_ms``."""
    prior = [m for m in minutes if m.start < before_ms]
    n = sum(m.mentions for m in prior)
    if n < MIN_HISTORY_MENTIONS:
        return None, None
    return sum(m.negative for m in prior) / n, sum(m.aggressive for m in prior) / n


def _acknowledgements(events: Sequence[IncidentMessage]) -> tuple[Acknowledgement, ...]:
    acks = {
        Acknowledgement(by=a.by, at_ms=ms_of(a.at), note=a.note)
        for e in events
        for a in e.acknowledgements
    }
    return tuple(sorted(acks, key=lambda a: (a.at_ms, a.by, a.note)))


def _responses(events: Sequence[IncidentMessage]) -> tuple[Response, ...]:
    found = {
        e.response.response_id: Response(ms_of(e.response.response_time), e.response)
        for e in events
        if e.type == "response_impact" and e.response is not None
    }
    return tuple(sorted(found.values(), key=lambda r: (r.at_ms, r.info.response_id)))


def build_report(records: BrandRecordSet, incident_id: str) -> IncidentReport:
    """Compute the report of an incident from the brand's record.

    Raises
    ------
    UnknownIncidentError
        When the record has no event of this incident.
    ReportError
        When the record has no minutes for the brand.
    """
    brand = brand_of_incident(incident_id)
    events = _incident_events(records, incident_id)
    bin_ms, minutes = load_minutes(records.minutes, brand)
    if not minutes:
        raise ReportError(
            f"no minutes of brand {brand!r} in the record: the report needs the brand-minutes "
            "topic (or the archive's brand-minutes lines)"
        )
    alerts = _alerts(records, brand)
    opened_ms = ms_of(next(e.opened_at for e in events if e.opened_at))
    resolved = next((e.resolved_at for e in reversed(events) if e.resolved_at), None)
    resolved_ms = ms_of(resolved) if resolved else None
    end_ms = resolved_ms if resolved_ms is not None else minutes[-1].start + bin_ms
    if not minutes[0].start <= opened_ms - bin_ms <= minutes[-1].start:
        raise ReportError(
            f"the record's minutes of brand {brand!r} ({_full(minutes[0].start)} to "
            f"{_full(minutes[-1].start + bin_ms)}) do not cover the incident's opening "
            f"({_full(opened_ms)}): brand-minutes are kept for less time than incidents"
        )
    echo = find_first_echo(minutes, opened_ms=opened_ms, bin_ms=bin_ms, incident_id=incident_id)
    lo = max(min(echo.at_ms, opened_ms) - BEFORE_MS, minutes[0].start)
    hi = min(end_ms + AFTER_MS, minutes[-1].start + bin_ms)
    hi = max(hi, end_ms)
    in_window = tuple(m for m in minutes if lo <= m.start < hi)
    return IncidentReport(
        incident_id=incident_id,
        brand=brand,
        bin_ms=bin_ms,
        opened_ms=opened_ms,
        resolved_ms=resolved_ms,
        end_ms=end_ms,
        peak_level=max(e.peak_level for e in events),
        first_echo=echo,
        reached_ms=_reached(
            minutes,
            alerts,
            from_ms=min(echo.at_ms, echo.raised_from_ms),
            to_ms=end_ms,
            opened_ms=opened_ms,
            bin_ms=bin_ms,
        ),
        acknowledgements=_acknowledgements(events),
        responses=_responses(events),
        inside=tuple(
            InsideEvent(ms_of(e.event_time), e.inside) for e in events if e.inside is not None
        ),
        offline=tuple(
            OfflineEvent(ms_of(e.event_time), tuple(e.offline.reasons))
            for e in events
            if e.offline is not None
        ),
        level_changes=tuple(a for a in alerts if lo <= ms_of(a.event_time) <= hi),
        phases=tuple(find_phases(minutes, alerts, from_ms=echo.at_ms, to_ms=end_ms, bin_ms=bin_ms)),
        window=(lo, hi),
        minutes=in_window,
        normal_shares=_normal_shares(minutes, lo),
        sources=(len(alerts), len(events), len(minutes)),
    )


# --- figures -----------------------------------------------------------------------------


def _bucket_minutes(span_ms: int, bin_ms: int) -> int:
    """Minutes per bar: the smallest round width, a whole number of bins, giving at most
    :data:`MAX_BARS` bars (a bar of 5 minutes over 3-minute bins would hold one or two
    of them)."""
    widths = [b for b in _BUCKET_MIN if (b * MINUTE_MS) % bin_ms == 0]
    if not widths:  # bins wider than a day, or of odd lengths: one bin per bar
        return max(bin_ms // MINUTE_MS, 1)
    return next((b for b in widths if span_ms / (b * MINUTE_MS) <= MAX_BARS), widths[-1])


def _buckets(minutes: Sequence[Minute], lo_ms: int, bucket_ms: int) -> list[Bucket]:
    """Minutes summed per bucket (buckets without minutes are left out)."""
    groups: dict[int, list[Minute]] = {}
    for m in minutes:
        groups.setdefault(lo_ms + (m.start - lo_ms) // bucket_ms * bucket_ms, []).append(m)
    return [
        Bucket(
            start_ms=start,
            mentions=sum(m.mentions for m in ms),
            expected=sum(m.expected for m in ms),
            negative=sum(m.negative for m in ms),
            aggressive=sum(m.aggressive for m in ms),
            official=sum(m.official for m in ms),
            level=max(m.level for m in ms),
        )
        for start, ms in sorted(groups.items())
    ]


def _tone_points(
    minutes: Sequence[Minute], buckets: Sequence[Bucket], bucket_ms: int
) -> list[TonePoint]:
    """Negative and aggressive shares at each bucket's end, over the minutes before it.

    The window is the last :data:`SMOOTH_MS` (at least one bucket), stretched back
    up to :data:`SMOOTH_MAX_MS` until it holds :data:`SMOOTH_MENTIONS` mentions, so
    that quiet hours are not noise; below :data:`SMOOTH_MIN_MENTIONS`, no point.
    """
    starts = [m.start for m in minutes]
    span = max(SMOOTH_MS, bucket_ms)
    out = []
    for b in buckets:
        end = b.start_ms + bucket_ms
        n = neg = agg = 0
        j = bisect_left(starts, end)
        while j > 0 and minutes[j - 1].start >= end - max(SMOOTH_MAX_MS, span):
            j -= 1
            m = minutes[j]
            n, neg, agg = n + m.mentions, neg + m.negative, agg + m.aggressive
            if end - m.start >= span and n >= SMOOTH_MENTIONS:
                break
        if n < SMOOTH_MIN_MENTIONS:
            out.append(TonePoint(end, None, None))
        else:
            out.append(TonePoint(end, neg / n, agg / n))
    return out


def _volume_average(buckets: Sequence[Bucket], bucket_ms: int) -> list[tuple[int, float]] | None:
    """Mean mentions per bucket over the last :data:`SMOOTH_MS`, at each bucket's end.

    None when a bucket is already that long (the bars are the average).
    """
    k = -(-SMOOTH_MS // bucket_ms)
    if k <= 1:
        return None
    by_start = {b.start_ms: b.mentions for b in buckets}
    return [
        (
            b.start_ms + bucket_ms,
            sum(by_start.get(b.start_ms - i * bucket_ms, 0) for i in range(k)) / k,
        )
        for b in buckets
    ]


def _segments(report: IncidentReport) -> list[tuple[int, int, int]]:
    """(start, end, level) of each period at a level in the report's window."""
    lo, hi = report.window
    runs = _runs(report.minutes, from_ms=lo, to_ms=hi)
    return [
        (start, end, run[0].level)
        for start, end, run in _spans(runs, bin_ms=report.bin_ms, from_ms=lo, to_ms=hi)
    ]


def _response_markers(report: IncidentReport, *, detail: bool) -> list[Marker]:
    out = []
    for r in report.responses:
        v = r.info.verdict
        label = f"{_hm(r.at_ms)} response: {VERDICT_LABELS[v]}"
        if detail and r.vs_trend is not None:
            label += f" ({_pct(r.vs_trend)} vs trend)"
        out.append(
            Marker(
                r.at_ms, "response", label, VERDICT_COLOURS[v],
                data=(("data-verdict", v), ("data-response-id", r.info.response_id)),
                dashed=False,
            )
        )  # fmt: skip
    return out


def _impacts(report: IncidentReport, bucket_min: int) -> list[Impact]:
    """Each response's windows in mentions per bar of the volume chart."""
    out = []
    for r in report.responses:
        i = r.info
        per_bar = bucket_min / max(i.window_minutes, 1e-9)
        out.append(
            Impact(
                at_ms=r.at_ms,
                window_ms=round(i.window_minutes * MINUTE_MS),
                before=i.before_mentions * per_bar,
                predicted=i.predicted_after_mentions * per_bar,
                after=i.after_mentions * per_bar,
                verdict=i.verdict,
            )
        )
    return out


def _echo_marker(report: IncidentReport) -> Marker:
    return Marker(
        report.first_echo.at_ms, "echo", f"first echo {_hm(report.first_echo.at_ms)}", _ECHO_COLOUR
    )


def _level_markers(report: IncidentReport) -> list[Marker]:
    out = [_echo_marker(report), *_response_markers(report, detail=False)]
    out.append(Marker(report.opened_ms, "opened", f"opened {_hm(report.opened_ms)}", _EVENT_COLOUR))
    if report.resolved_ms is not None:
        out.append(
            Marker(
                report.resolved_ms, "resolved", f"resolved {_hm(report.resolved_ms)}", _EVENT_COLOUR
            )
        )
    out += [
        Marker(a.at_ms, "ack", f"ack {a.by} {_hm(a.at_ms)}", _ACK_COLOUR, data=(("data-by", a.by),))
        for a in report.acknowledgements
    ]
    return out


def _figures(report: IncidentReport) -> str:
    """The three figures, as HTML ``figure`` elements with inline SVG."""
    lo, hi = report.window
    bucket_min = _bucket_minutes(hi - lo, report.bin_ms)
    bucket_ms = bucket_min * MINUTE_MS
    buckets = _buckets(report.minutes, lo, bucket_ms)
    frame = Frame(lo, hi)
    window = _window_min(report)
    detailed = [_echo_marker(report), *_response_markers(report, detail=True)]
    short = [_echo_marker(report), *_response_markers(report, detail=False)]
    tone = _tone_points(report.minutes, buckets, bucket_ms)
    smooth_min = max(SMOOTH_MS, bucket_ms) // MINUTE_MS
    unit = "minute" if bucket_min == 1 else f"{bucket_min} minutes"
    return "".join(
        [
            _figure(
                "volume",
                f"1. Volume: mentions per {unit} against the brand's normal",
                volume_chart(
                    buckets,
                    frame,
                    detailed,
                    bucket_min=bucket_min,
                    average=_volume_average(buckets, bucket_ms),
                    average_min=SMOOTH_MS // MINUTE_MS,
                    impacts=_impacts(report, bucket_min),
                ),
                "Bars: mentions of the brand; dark blue line: their average over the last 10 "
                "minutes. Dashed black line: what is normal for the brand at that hour and day. "
                "Vertical lines: the first echo and each official response, coloured by its "
                "verdict. Around each response, horizontal segments compare the "
                f"{window} minutes after it (thick: actual; dotted: what the trend "
                f"before it predicted) with the {window} minutes before it (grey); "
                "'+100 % vs trend' means twice the prediction.",
                {"data-bins": len(buckets), "data-bin-minutes": bucket_min},
            ),
            _figure(
                "tone",
                "2. Tone: negative and aggressive shares of mentions",
                tone_chart(tone, frame, short, baseline=report.normal_shares),
                f"Share of the mentions of the previous {smooth_min} minutes that are negative "
                f"(orange) or aggressive (purple); in quiet hours the window stretches back (up "
                f"to {SMOOTH_MAX_MS // MINUTE_MS} minutes) to hold {SMOOTH_MENTIONS} mentions, "
                f"and the line is left out below {SMOOTH_MIN_MENTIONS}. Dashed lines: the "
                "brand's normal shares, measured before the window.",
                {"data-points": len(tone)},
            ),
            _figure(
                "level",
                "3. Level over time, with responses and acknowledgements",
                level_chart(
                    _segments(report), frame, _level_markers(report), ack_colour=_ACK_COLOUR
                ),
                "Band colour and height: the level Tocsin gave (calm, watch, alert, crisis), "
                "from the moment it announced it. Lines: first echo, opening, responses "
                "(colour: verdict), acknowledgements (blue) and resolution.",
                {
                    "data-responses": len(report.responses),
                    "data-acks": len(report.acknowledgements),
                },
            ),
        ]
    )


def _figure(fid: str, title: str, svg: str, caption: str, data: Mapping[str, object]) -> str:
    attrs = "".join(f' {k}="{escape(str(v))}"' for k, v in data.items())
    return (
        f'<figure id="{fid}"{attrs}><h3>{escape(title)}</h3>{svg}'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


# --- text --------------------------------------------------------------------------------


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _hm(ms: int) -> str:
    return _utc(ms).strftime("%H:%M")


def _day(ms: int) -> str:
    return _utc(ms).strftime("%a %d %b %Y")


def _when(ms: int, ref_ms: int) -> str:
    """``HH:MM`` on the reference day, else ``DD Mon HH:MM``."""
    if _utc(ms).date() == _utc(ref_ms).date():
        return _hm(ms)
    return _utc(ms).strftime("%d %b %H:%M")


def _full(ms: int) -> str:
    return _utc(ms).strftime("%a %d %b %Y, %H:%M UTC")


def _duration(ms: int) -> str:
    """A duration as people say it.

    >>> _duration(41 * 60_000), _duration(521 * 60_000), _duration(3 * 86_400_000 + 3_600_000)
    ('41 min', '8 h 41 min', '3 d 1 h')
    """
    minutes = round(ms / MINUTE_MS)
    if minutes < 60:
        return f"{minutes} min"
    hours, mins = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {mins:02d} min" if mins else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _pct(v: float) -> str:
    """A signed percentage, as in the summary.

    >>> _pct(0.784), _pct(-0.227)
    ('+78 %', '\u221223 %')
    """
    p = round(v * 100)
    return f"+{p} %" if p >= 0 else f"\u2212{-p} %"


def _short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def _level_sentences(r: IncidentReport) -> list[str]:
    ref = r.opened_ms
    echo = r.first_echo.at_ms
    out = [
        f"The incident opened on {_day(ref)} at {_hm(ref)} UTC; the first echo was at "
        f"{_when(echo, ref)}, {_duration(ref - echo)} earlier."
    ]
    peak_at = r.reached_ms.get(r.peak_level)
    if peak_at is not None and r.peak_level >= 2:
        after = peak_at - ref
        when = "at opening" if after <= 0 else f"{_duration(after)} after opening"
        out.append(f"It peaked at {LEVEL_NAMES[r.peak_level]} at {_when(peak_at, ref)}, {when}.")
    at_peak = [p for p in r.phases if p.level == r.peak_level]
    if len(at_peak) > 1:
        spans = ", ".join(f"{_when(p.start_ms, ref)}\u2013{_when(p.end_ms, ref)}" for p in at_peak)
        total = sum(p.end_ms - p.start_ms for p in at_peak)
        out.append(
            f"It was at {LEVEL_NAMES[r.peak_level]} {len(at_peak)} times ({spans}), "
            f"{_duration(total)} in all."
        )
    return out


def _response_sentence(resp: Response, ref_ms: int) -> str:
    i = resp.info
    head = f"The {_when(resp.at_ms, ref_ms)} response (\u201c{_short(i.text, 60)}\u201d)"
    window = f"{i.window_minutes:.0f} minutes"
    trend = f"{_pct(resp.vs_trend)} vs trend" if resp.vs_trend is not None else "no trend"
    facts = (
        f"{i.after_mentions:,.0f} mentions in the {window} after it against "
        f"{i.predicted_after_mentions:,.0f} predicted ({trend}); aggressive share "
        f"{i.before_aggressive_share:.0%} \u2192 {i.after_aggressive_share:.0%}"
    )
    verb = {"backfired": "backfired", "calmed": "calmed things", "no_effect": "had no clear effect"}
    return f"{head} {verb[i.verdict]}: {facts}."


def _ending_sentences(r: IncidentReport) -> list[str]:
    ref = r.opened_ms
    out = []
    for ev in r.inside[:1]:
        out.append(
            f"Employees posted more than usual at {_when(ev.at_ms, ref)} "
            f"({ev.info.employee_posts:.0f} posts against {ev.info.expected_posts:.1f} expected)."
        )
    for off in r.offline[:1]:
        out.append(f"Taking the conversation offline was recommended at {_when(off.at_ms, ref)}.")
    if r.acknowledgements:
        a = r.acknowledgements[0]
        out.append(
            f"First acknowledged by {a.by} at {_when(a.at_ms, ref)}, "
            f"{_duration(a.at_ms - ref)} after opening."
        )
    else:
        out.append("Nobody acknowledged the incident in Tocsin.")
    if r.resolved_ms is not None:
        out.append(
            f"Resolved at {_when(r.resolved_ms, ref)}, {_duration(r.duration_ms)} after opening."
        )
    else:
        out.append(
            f"Still open at the end of the data ({_when(r.end_ms, ref)}, "
            f"{_duration(r.duration_ms)} after opening)."
        )
    return out


def summary_sentences(report: IncidentReport) -> list[str]:
    """The plain-language summary, one sentence per fact."""
    return (
        _level_sentences(report)
        + [_response_sentence(x, report.opened_ms) for x in report.responses]
        + _ending_sentences(report)
    )


# --- HTML --------------------------------------------------------------------------------


def _table(tid: str, head: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    """A table of already-escaped cells (or a sentence when there is no row)."""
    if not rows:
        return f'<p class="empty" id="{tid}-empty">{escape(empty)}</p>'
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{tid}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _level_pill(level: int) -> str:
    name = LEVEL_NAMES[level]
    return f'<span class="pill" style="background:{LEVEL_COLOURS[level]}">{name}</span>'


def _verdict_pill(verdict: str) -> str:
    colour = VERDICT_COLOURS[verdict]
    return (
        f'<span class="pill verdict" data-verdict="{escape(verdict)}" '
        f'style="color:#fff;background:{colour}">{escape(VERDICT_LABELS[verdict])}</span>'
    )


def _responses_count(responses: Sequence[Response]) -> str:
    """``2: 1 backfired, 1 calmed`` (in time order of first verdict)."""
    if not responses:
        return "none judged"
    counts = Counter(VERDICT_LABELS[x.info.verdict] for x in responses)
    return f"{len(responses)}: " + ", ".join(f"{n} {v}" for v, n in counts.items())


def _facts(r: IncidentReport) -> str:
    ack = r.acknowledgements[0] if r.acknowledgements else None
    items = [
        ("Brand", escape(r.brand)),
        ("Responses", escape(_responses_count(r.responses))),
        ("Opened", escape(_full(r.opened_ms))),
        ("Resolved", escape(_full(r.resolved_ms)) if r.resolved_ms else "still open"),
        ("Duration", escape(_duration(r.duration_ms)) + ("" if r.resolved_ms else " so far")),
        ("Peak level", _level_pill(r.peak_level)),
        ("First echo", escape(_full(r.first_echo.at_ms))),
        (
            "First acknowledgement",
            escape(f"{ack.by}, {_duration(ack.at_ms - r.opened_ms)} after opening")
            if ack
            else "none",
        ),
    ]
    body = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in items)
    return f'<dl id="facts">{body}</dl>'


def _since_echo(at: int | None, echo: int) -> str:
    if at is None:
        return "\u2014"
    if at <= echo:
        return "before the first echo"
    return escape(_duration(at - echo))


def _times(r: IncidentReport) -> str:
    echo = r.first_echo.at_ms
    rows = []
    for level in (1, 2, 3):
        at = r.reached_ms.get(level)
        rows.append(
            [
                _level_pill(level),
                escape(_when(at, r.opened_ms)) if at else "not reached",
                _since_echo(at, echo),
            ]
        )
    ack = r.acknowledgements[0] if r.acknowledgements else None
    rows.append(
        [
            "first acknowledgement",
            escape(_when(ack.at_ms, r.opened_ms)) if ack else "none",
            _since_echo(ack.at_ms if ack else None, echo),
        ]
    )
    rule = (
        "the start of a surplus of negative mentions over the brand's normal tone "
        "(see How to read this report)"
        if r.first_echo.rule == "surplus"
        else "the first minute of the run at watch or above that led to the opening"
    )
    note = (
        f'<p class="note" id="echo-rule" data-rule="{r.first_echo.rule}">First echo: '
        f"{escape(_full(echo))}, {escape(rule)}. Times are to the end of the first minute at "
        "the level (when the alert was published).</p>"
    )
    return _table("times", ["to", "at (UTC)", "after first echo"], rows, "") + note


def _acks(r: IncidentReport) -> str:
    rows = [
        [
            escape(a.by),
            escape(_when(a.at_ms, r.opened_ms)),
            escape(_duration(a.at_ms - r.opened_ms)) if a.at_ms >= r.opened_ms else "before",
            escape(a.note),
        ]
        for a in r.acknowledgements
    ]
    return _table(
        "acks", ["who", "at (UTC)", "after opening", "note"], rows,
        "Nobody acknowledged the incident in Tocsin (tocsin ack INCIDENT --by NAME).",
    )  # fmt: skip


def _compact(n: float) -> str:
    """A count people read at a glance.

    >>> _compact(950), _compact(77_334), _compact(1_234_567)
    ('950', '77k', '1.2M')
    """
    if n >= 1e6:
        return f"{n / 1e6:.1f}M"
    if n >= 1e4:
        return f"{n / 1e3:.0f}k"
    return f"{n:,.0f}"


def _authors(authors: Sequence[AlertAuthor]) -> str:
    return ", ".join(
        f"{escape(a.author)} <span class=dim>({escape(a.kind)}, {_compact(a.reach)})</span>"
        for a in authors
    )


def _phase_note(p: Phase, r: IncidentReport) -> str:
    if p.end_ms <= r.first_echo.raised_from_ms + r.bin_ms and p.level == 0:
        return ' <span class="dim">not yet detected</span>'
    return ""


def _phases(r: IncidentReport) -> str:
    rows = [
        [
            escape(_when(p.start_ms, r.opened_ms)),
            escape(_when(p.end_ms, r.opened_ms)),
            escape(_duration(p.end_ms - p.start_ms)),
            _level_pill(p.level) + _phase_note(p, r),
            f"{p.mentions:,}",
            f"{p.negative / p.mentions:.0%}" if p.mentions else "\u2014",
            f"{p.aggressive / p.mentions:.0%}" if p.mentions else "\u2014",
            escape(", ".join(p.top_terms)) or "\u2014",
            _authors(p.top_authors) or "\u2014",
        ]
        for p in r.phases
    ]
    head = ["from", "to", "for", "level", "mentions", "negative", "aggressive", "top terms",
            "top authors (kind, reach)"]  # fmt: skip
    return _table("phases", head, rows, "No minute in the incident.")


def _responses_table(r: IncidentReport) -> str:
    rows = []
    for resp in r.responses:
        i = resp.info
        rows.append(
            [
                escape(_when(resp.at_ms, r.opened_ms)),
                str(i.posts),
                f'<span class="quote">{escape(i.text)}</span>',
                _verdict_pill(i.verdict),
                f"{i.before_mentions:,.0f}",
                f"{i.after_mentions:,.0f}",
                f"{i.predicted_after_mentions:,.0f}",
                escape(_pct(resp.vs_trend)) if resp.vs_trend is not None else "\u2014",
                f"{i.before_negative_share:.0%} \u2192 {i.after_negative_share:.0%}",
                f"{i.before_aggressive_share:.0%} \u2192 {i.after_aggressive_share:.0%}",
            ]
        )
    head = ["at (UTC)", "posts", "text", "verdict", "mentions before", "after", "predicted",
            "after vs trend", "negative share", "aggressive share"]  # fmt: skip
    return _table("responses", head, rows, "No official response was judged in this incident.")


def _inside(r: IncidentReport) -> str:
    rows = [
        [
            escape(_when(ev.at_ms, r.opened_ms)),
            f"{ev.info.employee_posts:.0f}",
            f"{ev.info.expected_posts:.1f}",
            f"{ev.info.employee_share:.1%}",
            escape(", ".join(ev.info.employee_mention_ids[:5])),
        ]
        for ev in r.inside
    ]
    offline = [
        [escape(_when(ev.at_ms, r.opened_ms)), escape("; ".join(ev.reasons))] for ev in r.offline
    ]
    head = ["at (UTC)", "employee posts (30 min)", "expected", "share of mentions",
            "sample mention ids"]  # fmt: skip
    return (
        _table("inside", head, rows, "Employees did not post more than usual.")
        + "<h3>Offline recommendations</h3>"
        + _table("offline", ["at (UTC)", "why"], offline, _NO_OFFLINE)
    )


def _reason(reason: AlertReason) -> str:
    """A rule condition in words.

    >>> _reason(AlertReason("volume_growth_per_hour", 1.88, 1.386294))
    'volume doubling every 22 min (rule: every 30 min)'
    >>> _reason(AlertReason("negative", 0.97, 0.95))
    'negative tone score 0.97 (rule: 0.95)'
    >>> _reason(AlertReason("volume_drift", 3.42, 2.5))
    "last hour's volume 3.4\u00d7 the last week's normal (rule: 2.5\u00d7)"
    """
    v, t = reason.value, reason.threshold
    if reason.signal == "volume_elevation":
        return f"volume {v:.1f}\u00d7 normal (rule: {t:.1f}\u00d7)"
    if reason.signal == "volume_drift":
        return f"last hour's volume {v:.1f}\u00d7 the last week's normal (rule: {t:.1f}\u00d7)"
    if reason.signal == "volume_growth_per_hour" and v > 0 and t > 0:
        every, rule = 60 * math.log(2) / v, 60 * math.log(2) / t
        return f"volume doubling every {every:.0f} min (rule: every {rule:.0f} min)"
    words = {"volume_onset": "sudden volume rise score", "negative": "negative tone score",
             "aggressive": "aggressive tone score"}  # fmt: skip
    return f"{words.get(reason.signal, reason.signal)} {v:.2f} (rule: {t:.2f})"


def _level_changes(r: IncidentReport) -> str:
    rows = [
        [
            escape(_when(ms_of(a.event_time), r.opened_ms)),
            f"{_level_pill(a.previous_level)} \u2192 {_level_pill(a.level)}",
            escape("; ".join(_reason(x) for x in a.reasons)) or "the level's rule no longer held",
            escape(", ".join(a.evidence.top_terms[:6])),
        ]
        for a in r.level_changes
    ]
    return _table("level-changes", ["at (UTC)", "change", "why", "top terms"], rows, "No alert.")


_METHOD: Final = (
    (
        "First echo",
        "The first sign of the crisis. From one hour before Tocsin raised the level (watch or "
        "above, without a break until the opening) up to the opening, Tocsin adds up minute by "
        "minute the negative mentions beyond the brand's normal tone (its usual negative share "
        "of the mentions, less a small allowance). The sum falls while the tone is normal and "
        "climbs once an angry surplus begins: the first echo is the first minute after its "
        "lowest point with more mentions than normal and clearly more negative ones. Without "
        "such a surplus, it is the minute Tocsin raised the level. A positive spike (a "
        "campaign) is not an echo.",
    ),
    (
        "Times",
        "A level is reached when Tocsin announced it: at the end of the first minute at that "
        "level. Times from the first echo start at the beginning of its minute.",
    ),
    (
        "Expected",
        "The brand's normal volume for that hour and day, learnt by Tocsin from its past mentions.",
    ),
    (
        "Phases",
        "Periods at one level, from one announcement to the next. Top terms: the terms that "
        "led the most-mentioned minutes. Top authors: those reaching the most people in the "
        "15 minutes before the level changes that opened and closed the phase.",
    ),
    (
        "Response verdicts",
        "Tocsin compares the window after an official response (response_window_ms, 30 "
        "minutes by default) with what the trend of the two windows before it predicted. "
        "Backfired: clearly louder than the trend predicted, or angrier. Calmed: clearly "
        "quieter, or calmer in tone. Otherwise no effect. A verdict is given one window after "
        "the response.",
    ),
)


def _window_min(report: IncidentReport) -> int:
    """The response window of the report's responses, in minutes (the default without)."""
    if report.responses:
        return round(report.responses[0].info.window_minutes)
    return DEFAULT_RESPONSE_WINDOW_MIN


def _method() -> str:
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in _METHOD)
    return f'<section id="method"><h2>How to read this report</h2><dl>{items}</dl></section>'


_CSS: Final = """
body{font-family:'Liberation Sans',Arial,Helvetica,'DejaVu Sans',sans-serif;color:#1f2328;
margin:0;background:#fff;font-size:15px;line-height:1.45}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:34px 0 10px;border-bottom:2px solid
#e5e7eb;padding-bottom:4px}h3{font-size:16px;margin:18px 0 6px}
.sub{color:#57606a;margin:0 0 18px}
#summary{background:#f6f8fa;border-left:5px solid #d9452f;padding:12px 18px;margin:14px 0}
#summary li{margin:3px 0}#summary h2{margin-top:4px}
#phases td:nth-child(-n+3),#responses td:first-child,#times td,
#level-changes td:nth-child(-n+2){white-space:nowrap}
dl#facts{display:grid;grid-template-columns:repeat(4,1fr);gap:8px 18px;margin:0}
dl#facts div{background:#f6f8fa;border-radius:6px;padding:8px 12px}
dt{font-size:12px;color:#57606a;text-transform:uppercase;letter-spacing:.04em}dd{margin:2px 0 0;
font-weight:600}
table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0}
th,td{border-bottom:1px solid #e5e7eb;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}
table#times{width:auto;min-width:520px}
.pill{display:inline-block;border-radius:10px;padding:1px 9px;font-size:13px;font-weight:600}
.dim{color:#57606a}.note,.empty,figcaption{color:#57606a;font-size:13px}
.quote{font-style:italic}
#method dt{margin-top:10px;font-size:13px}#method dd{font-weight:400;font-size:14px;color:#333}
figure{margin:18px 0 26px;padding:0}figure h3{margin:0 0 4px}
svg .grid{stroke:#e3e3e3;stroke-width:1}svg .tick{fill:#444}svg .date{font-weight:600}
svg .axis-title{fill:#444;font-style:italic}svg .legend-text{fill:#333}
@media print{main{padding:0}figure{break-inside:avoid}}
"""


def render_html(report: IncidentReport) -> str:
    """The report as one self-contained HTML document (deterministic)."""
    r = report
    window = _window_min(r)
    summary = "".join(f"<li>{escape(s)}</li>" for s in summary_sentences(r))
    alerts, events, minutes = r.sources
    sections = [
        f"<h1>Incident report: {escape(r.brand)}</h1>",
        f'<p class="sub">{escape(r.incident_id)} \u00b7 all times UTC</p>',
        _facts(r),
        f'<section id="summary"><h2>Summary</h2><ul>{summary}</ul></section>',
        f'<section id="timing"><h2>Time from first echo to each level</h2>{_times(r)}</section>',
        f'<section id="figures"><h2>Figures</h2>{_figures(r)}</section>',
        f'<section id="phase-list"><h2>Phases</h2>{_phases(r)}</section>',
        f'<section id="response-list"><h2>Responses and their impact</h2>{_responses_table(r)}'
        f'<p class="note">Before and after: the {window} minutes on each side of the '
        f"response. Predicted: the mentions the trend of the {2 * window} minutes before "
        f"the response predicted for the {window} minutes after it. Backfired: clearly "
        "louder than the trend or angrier; calmed: clearly quieter or calmer.</p></section>",
        f'<section id="ack-list"><h2>Acknowledgements</h2>{_acks(r)}</section>',
        f'<section id="inside-list"><h2>Inside: employees</h2>{_inside(r)}</section>',
        f'<section id="alert-list"><h2>Level changes</h2>{_level_changes(r)}</section>',
        _method(),
        f'<footer class="note">Generated by Tocsin from {alerts} alerts, {events} incident '
        f"events and {minutes:,} minutes of {escape(r.brand)}.</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(r.incident_id)}: incident report</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(sections)}</main></body></html>\n"
    )


def write_report(records: BrandRecordSet, incident_id: str, out_dir: Path) -> Path:
    """Write ``out_dir/<incident_id>.html``; return its path.

    Raises
    ------
    UnknownIncidentError
        When the record has no event of this incident.
    """
    html = render_html(build_report(records, incident_id))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # A brand may hold "/" (and so the incident id): the file stays in out_dir.
    name = incident_id.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C")
    if len(name.encode()) > 200:  # file names have 255 bytes at most; brands 128 characters
        digest = hashlib.sha256(incident_id.encode()).hexdigest()[:16]
        name = name.encode()[:180].decode(errors="ignore") + "-" + digest
    path = out_dir / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    return path


def report_main(
    settings: Settings, incident_id: str, out_dir: Path, *, input_path: Path | None
) -> Path:
    """``tocsin report``: read the brand's record (archive or topics), write the report."""
    brand = brand_of_incident(incident_id)
    if input_path is not None:
        records = read_archive(input_path, brand=brand)
    else:
        records = read_topics(settings, brand=brand)
    return write_report(records, incident_id, out_dir)
