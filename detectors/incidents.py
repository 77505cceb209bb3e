"""Incidents: from crisis levels to a managed incident, its responses and its lessons.

Steps three to five of the crisis method act on *incidents*, not on levels. This
module follows one brand's incidents, in event time, from the closed bins and
the levels the fusion gives:

* :class:`IncidentTracker`: an incident opens when the level reaches
  ``open_level`` (alert), escalates and de-escalates with the level, and is
  resolved once the level has stayed below ``open_level`` for
  ``resolve_after_ms``. Its id is stable: the brand and the end of the bin that
  opened it. Acknowledgements are recorded and carried by later events.
* :class:`ResponseMonitor`: during an incident, each official post (grouped
  with the official posts of the next ``group_ms``) is a response; when
  ``window_ms`` of event time has passed after it, volume, negative share and
  aggressive share in the window after are compared with the window before,
  and the response is judged *calmed*, *no_effect* or *backfired*.
* :class:`InsideMonitor`: mentions by employees; during an incident, an event
  when they post clearly more than their own normal.
* :class:`OfflineAdvisor`: recommends taking the conversation offline when,
  after at least one response, aggressiveness stays high while a few authors
  dominate the thread.

Everything is pure: no clock (times come in as ``*_ms``), no I/O, bounded state.
"""

from __future__ import annotations

import math
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from detectors.base import (
    Detector,
    check_fraction,
    check_positive,
    check_positive_int,
    restore_by_position,
)

__all__ = [
    "INCIDENT_NAMESPACE",
    "Acknowledgement",
    "Incident",
    "IncidentEvent",
    "IncidentTracker",
    "InsideMonitor",
    "OfflineAdvisor",
    "ResponseImpact",
    "ResponseMonitor",
    "incident_id",
]

#: Over-dispersion of mention counts, and the z-score a change must reach.
_DISPERSION: Final = 0.02
_Z: Final = 2.0
#: Newton steps of the Poisson trend fit (it converges in 4 to 6 from a flat start).
_NEWTON_STEPS: Final = 8
#: Fewer mentions than this before a response say too little for a trend: the
#: prediction is then the seasonal normal, known to within its own size.
_MIN_TREND_MENTIONS: Final = 10
#: Fewer mentions than this on either side say too little about a share.
_MIN_SHARE_MENTIONS: Final = 20
#: Half-life, in response windows, of the weight of a bin in the trend fit: the hour
#: before a response informs the slope, its last minutes the most (a peak shortly before
#: the response must not be extrapolated as a rise).
_TREND_HALF_LIFE: Final = 0.5

INCIDENT_NAMESPACE: Final = uuid.UUID("0b4e3c5e-7f0a-5f2a-8d3e-2c6e1f4a9b10")

EventType = Literal[
    "opened",
    "escalated",
    "de_escalated",
    "resolved",
    "acknowledged",
    "response_impact",
    "inside_rising",
    "offline_recommended",
]
Verdict = Literal["calmed", "no_effect", "backfired"]


def incident_id(brand: str, opened_ms: int) -> str:
    """A readable, stable incident id: ``INC-<UTC yyyymmddThhmm>-<brand>``.

    >>> incident_id("acme", 1767225600000)
    'INC-20260101T0000-acme'
    """
    minutes = opened_ms // 60_000
    days, minute = divmod(minutes, 1440)
    y, m, d = _civil_from_days(days)
    return f"INC-{y:04d}{m:02d}{d:02d}T{minute // 60:02d}{minute % 60:02d}-{brand}"


def _civil_from_days(z: int) -> tuple[int, int, int]:
    """Days since 1970-01-01 to (year, month, day) (H. Hinnant's algorithm, no clock)."""
    z += 719_468
    era = (z if z >= 0 else z - 146_096) // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return y + (m <= 2), m, d


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """Someone took the incident in hand."""

    by: str
    note: str
    at_ms: int


@dataclass(slots=True)
class Incident:
    """One incident of a brand."""

    id: str
    brand: str
    opened_ms: int
    level: int
    peak_level: int
    level_times_ms: dict[int, int] = field(default_factory=dict)  # first time at each level
    acknowledgements: list[Acknowledgement] = field(default_factory=list)
    responses: int = 0
    resolved_ms: int | None = None
    below_since_ms: int | None = None
    inside_flagged: bool = False
    offline_flagged: bool = False

    @property
    def open(self) -> bool:
        """Not resolved yet."""
        return self.resolved_ms is None

    def snapshot(self) -> Incident:
        """A copy of the incident as it stands (what an event created now reports)."""
        return replace(
            self,
            level_times_ms=dict(self.level_times_ms),
            acknowledgements=list(self.acknowledgements),
        )

    @property
    def acknowledged(self) -> bool:
        """At least one acknowledgement."""
        return bool(self.acknowledgements)


@dataclass(frozen=True, slots=True)
class ResponseImpact:
    """How the flow reacted to an official response."""

    response_id: str
    response_ms: int
    posts: int
    text: str
    verdict: Verdict
    before_mentions: float
    after_mentions: float
    predicted_after_mentions: float
    before_negative_share: float
    after_negative_share: float
    before_aggressive_share: float
    after_aggressive_share: float
    window_ms: int


@dataclass(frozen=True, slots=True)
class IncidentEvent:
    """Something that happened to an incident, at ``event_time_ms``."""

    type: EventType
    incident_id: str
    brand: str
    event_time_ms: int
    level: int
    previous_level: int
    details: dict[str, object] = field(default_factory=dict)
    #: The incident as it stood when the event happened (peak level, resolution,
    #: acknowledgements, responses): the event says the same whatever else the
    #: batch that raised it brought later. None in events pickled before it existed.
    incident: Incident | None = None

    def __setstate__(self, state: list[object]) -> None:
        """Restore by position (the last events of a tracker, from the changelog); a
        field added since the state was pickled takes its default."""
        restore_by_position(self, state)

    @property
    def event_id(self) -> str:
        """Deterministic id of the event."""
        name = f"{self.incident_id}/{self.type}/{self.event_time_ms}/{self.details.get('key', '')}"
        return str(uuid.uuid5(INCIDENT_NAMESPACE, name))


class IncidentTracker(Detector):
    """Opens, escalates, de-escalates and resolves a brand's incidents.

    Parameters
    ----------
    open_level
        Level at which an incident opens (2: alert).
    resolve_after_ms
        Event time below ``open_level`` after which an open incident is resolved.
    keep_incidents
        Past incidents kept (for late acknowledgements and reports).

    Examples
    --------
    >>> t = IncidentTracker(resolve_after_ms=30 * 60_000)
    >>> t.update("acme", level=2, previous_level=1, end_ms=60_000)
    >>> [e.type for e in t.events]
    ['opened']
    >>> t.update("acme", level=3, previous_level=2, end_ms=120_000)
    >>> [e.type for e in t.events]
    ['escalated']
    >>> t.acknowledge(t.current.id, by="ana", note="on it", at_ms=130_000).type
    'acknowledged'
    >>> t.update("acme", level=1, previous_level=3, end_ms=600_000)
    >>> [e.type for e in t.events]
    ['de_escalated']
    >>> t.update("acme", level=1, previous_level=1, end_ms=2_400_000)
    >>> [e.type for e in t.events], t.current
    (['resolved'], None)
    """

    #: A state pickled before :attr:`events` existed loads without it.
    _events: tuple[IncidentEvent, ...] = ()

    def __init__(
        self, *, open_level: int = 2, resolve_after_ms: int = 60 * 60_000, keep_incidents: int = 5
    ) -> None:
        if (
            isinstance(open_level, bool)
            or not isinstance(open_level, int)
            or open_level not in (1, 2, 3)
        ):
            raise ValueError(f"open_level={open_level!r} is not valid; valid values: 1, 2, 3")
        check_positive("resolve_after_ms", resolve_after_ms)
        check_positive_int("keep_incidents", keep_incidents)
        self.open_level = open_level
        self.resolve_after_ms = resolve_after_ms
        self.keep_incidents = keep_incidents
        super().__init__()

    def _init_state(self) -> None:
        self.current: Incident | None = None
        self.past: deque[Incident] = deque(maxlen=self.keep_incidents)
        self._events: tuple[IncidentEvent, ...] = ()

    @property
    def events(self) -> tuple[IncidentEvent, ...]:
        """Lifecycle events of the last :meth:`update` (opened, escalated, ..., resolved)."""
        return self._events

    def update(self, brand: str, *, level: int, previous_level: int, end_ms: int) -> None:
        """Fold in the level of a closed bin (ending at ``end_ms``); see :attr:`events`."""
        self._events = tuple(self._lifecycle(brand, level, previous_level, end_ms))

    def _lifecycle(
        self, brand: str, level: int, previous_level: int, end_ms: int
    ) -> list[IncidentEvent]:
        inc = self.current
        if inc is None:
            if level < self.open_level:
                return []
            inc = self.current = Incident(
                id=incident_id(brand, end_ms),
                brand=brand,
                opened_ms=end_ms,
                level=level,
                peak_level=level,
                level_times_ms={lvl: end_ms for lvl in range(1, level + 1)},
            )
            return [self._event(inc, "opened", end_ms, level, previous_level)]
        events: list[IncidentEvent] = []
        if level != inc.level:
            kind: EventType = "escalated" if level > inc.level else "de_escalated"
            before = inc.level
            inc.level = level
            inc.peak_level = max(inc.peak_level, level)
            for lvl in range(1, level + 1):
                inc.level_times_ms.setdefault(lvl, end_ms)
            events.append(self._event(inc, kind, end_ms, level, before))
        if level >= self.open_level:
            inc.below_since_ms = None
        elif inc.below_since_ms is None:
            inc.below_since_ms = end_ms
        elif end_ms - inc.below_since_ms >= self.resolve_after_ms:
            inc.resolved_ms = end_ms
            events.append(self._event(inc, "resolved", end_ms, level, level))
            self.past.append(inc)
            self.current = None
        return events

    def find(self, incident: str) -> Incident | None:
        """The open or a recent incident with this id."""
        if self.current is not None and self.current.id == incident:
            return self.current
        return next((i for i in self.past if i.id == incident), None)

    def acknowledge(self, incident: str, *, by: str, note: str, at_ms: int) -> IncidentEvent | None:
        """Record an acknowledgement; None when the incident is unknown or already has it."""
        inc = self.find(incident)
        if inc is None:
            return None
        ack = Acknowledgement(by=by, note=note, at_ms=at_ms)
        if ack in inc.acknowledgements:
            return None  # the same command delivered twice
        inc.acknowledgements.append(ack)
        return self._event(inc, "acknowledged", at_ms, inc.level, inc.level, key=f"{by}/{at_ms}")

    def _event(
        self,
        inc: Incident,
        kind: EventType,
        at_ms: int,
        level: int,
        previous: int,
        *,
        key: str = "",
        **details: object,
    ) -> IncidentEvent:
        return IncidentEvent(
            type=kind,
            incident_id=inc.id,
            brand=inc.brand,
            event_time_ms=at_ms,
            level=level,
            previous_level=previous,
            details={"key": key, **details} if key else dict(details),
            incident=inc.snapshot(),
        )


_Row = tuple[int, float, float, float, float, float]  # end, count, neg, agg, employee, expected


class _Window:
    """The last bins: end, count, negative, aggressive, employee, expected count."""

    __slots__ = ("_rows",)

    def __init__(self, size: int) -> None:
        self._rows: deque[_Row] = deque(maxlen=size)

    def __getstate__(self) -> tuple[int | None, list[_Row]]:
        return (self._rows.maxlen, list(self._rows))

    def __setstate__(self, state: tuple[int | None, list[_Row]]) -> None:
        self._rows = deque(state[1], maxlen=state[0])

    def add(self, row: _Row) -> None:
        self._rows.append(row)

    def rows(self, lo_ms: int, hi_ms: int) -> list[_Row]:
        """The bins ending in ``(lo_ms, hi_ms]``."""
        return [r for r in self._rows if lo_ms < r[0] <= hi_ms]

    def sums(self, lo_ms: int, hi_ms: int) -> tuple[float, float, float, float, int]:
        """Sums of count, negative, aggressive, employee over those bins, and how many bins."""
        rows = self.rows(lo_ms, hi_ms)
        return (
            sum(r[1] for r in rows),
            sum(r[2] for r in rows),
            sum(r[3] for r in rows),
            sum(r[4] for r in rows),
            len(rows),
        )


@dataclass(slots=True)
class _Pending:
    at_ms: int
    mention_id: str
    text: str
    posts: int


def _z_shares(p1: float, n1: float, p2: float, n2: float) -> float:
    """Two-proportion z-score of p2 against p1."""
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2) if n1 + n2 else 0.0
    se = math.sqrt(max(pooled * (1 - pooled), 1e-9) * (1 / max(n1, 1) + 1 / max(n2, 1)))
    return (p2 - p1) / se


class ResponseMonitor(Detector):
    """Judges each official response by how the flow went after it, against its trend.

    A crisis rises and decays by itself; comparing the hour after a response
    with the hour before would credit or blame the response for that. So the
    trend of the two windows before (the volume over its seasonal normal,
    fitted by Poisson regression, recent bins weighing more, its slope capped to
    a factor 1.4 per ``window_ms``) is extended over the window after: the
    *predicted* volume had nothing been said. The response *backfired* when
    the volume after is at least ``backfire_ratio`` times the prediction or
    the aggressive share rose by ``2 * share_margin``; it *calmed* when the
    volume is at most ``calm_ratio`` times the prediction, or below it with
    the aggressive share down by ``share_margin`` or the negative share down
    by ``2 * share_margin``; otherwise it had *no effect*. Each change must also be
    significant (z >= 2; over-dispersed counts plus the uncertainty of the
    trend for the volume, two-proportion test for shares), so a handful of
    posts at night, or a trend read from them, never decides: under
    ``_MIN_TREND_MENTIONS`` before the response, the prediction is the
    seasonal normal (known to within its own size), and shares decide only
    from ``_MIN_SHARE_MENTIONS`` mentions on each side.

    Parameters
    ----------
    bin_ms
        Width of the bins it is fed.
    window_ms
        Length of the windows before and after a response.
    group_ms
        Official posts within this time of a response are part of it, unless an
        incident opened between them (:meth:`seal`).
    calm_ratio, backfire_ratio
        Volume after over the volume the trend before predicted, at or below which
        a response calmed, at or above which it backfired.
    share_margin
        Rise of the aggressive share (absolute) that makes a response backfire,
        and fall of it that, with a volume that did not rise, makes it calm.

    Examples
    --------
    >>> r = ResponseMonitor(bin_ms=60_000, window_ms=10 * 60_000)
    >>> t = 0
    >>> for _ in range(10):                            # steady angry traffic
    ...     t += 60_000
    ...     r.update(end_ms=t, count=50, negative=35, aggressive=15, employee=0, expected=5)
    >>> r.add_response(response_ms=t + 1, mention_id="m1", text="We apologise.")
    >>> out = []
    >>> for _ in range(11):                            # it calms down
    ...     t += 60_000
    ...     r.update(end_ms=t, count=15, negative=6, aggressive=1, employee=0, expected=5)
    ...     out += r.judged
    >>> [(i.verdict, i.before_mentions, i.after_mentions) for i in out]
    [('calmed', 500, 150)]
    """

    #: A state pickled before :attr:`judged` existed loads without it.
    _judged: tuple[ResponseImpact, ...] = ()
    #: Time of the last :meth:`seal` (a state pickled before it existed has none).
    _sealed_ms: int | None = None

    def __init__(
        self,
        *,
        bin_ms: int = 60_000,
        window_ms: int = 30 * 60_000,
        group_ms: int = 10 * 60_000,
        calm_ratio: float = 0.77,
        backfire_ratio: float = 1.3,
        share_margin: float = 0.05,
    ) -> None:
        check_positive_int("bin_ms", bin_ms)
        check_positive("window_ms", window_ms)
        check_positive("group_ms", group_ms, allow_zero=True)
        check_fraction("calm_ratio", calm_ratio)
        check_positive("backfire_ratio", backfire_ratio)
        if backfire_ratio <= 1.0:
            raise ValueError(
                f"backfire_ratio={backfire_ratio!r} is not valid; valid values: a number > 1"
            )
        check_fraction("share_margin", share_margin)
        self.bin_ms = bin_ms
        self.window_ms = window_ms
        self.group_ms = group_ms
        self.calm_ratio = calm_ratio
        self.backfire_ratio = backfire_ratio
        self.share_margin = share_margin
        super().__init__()

    def _init_state(self) -> None:
        bins = 3 * math.ceil(self.window_ms / self.bin_ms) + 4
        self._window = _Window(bins)
        self._pending: list[_Pending] = []
        self._judged: tuple[ResponseImpact, ...] = ()
        self._sealed_ms = None

    @property
    def judged(self) -> tuple[ResponseImpact, ...]:
        """Responses whose after-window the last :meth:`update` completed, with their verdict."""
        return self._judged

    @property
    def pending(self) -> int:
        """Responses waiting for their after-window."""
        return len(self._pending)

    def seal(self, *, at_ms: int) -> None:
        """Official posts from ``at_ms`` on start new responses: an incident opened
        then, and a statement after it answers the incident, not the post before it."""
        self._sealed_ms = at_ms

    def add_response(self, *, response_ms: int, mention_id: str, text: str, posts: int = 1) -> None:
        """Register an official post (a response, or part of the last one), or the
        first of ``posts`` posted together."""
        sealed = self._sealed_ms
        for p in self._pending:
            if sealed is not None and p.at_ms < sealed <= response_ms:
                continue
            if 0 <= response_ms - p.at_ms <= self.group_ms:
                p.posts += posts
                return
        if len(self._pending) < 16:
            self._pending.append(_Pending(response_ms, mention_id, text[:280], posts))

    def update(
        self,
        *,
        end_ms: int,
        count: float,
        negative: float,
        aggressive: float,
        employee: float,
        expected: float,
    ) -> None:
        """Fold in a closed bin (and its seasonal expected count); see :attr:`judged`."""
        self._window.add((end_ms, count, negative, aggressive, employee, expected))
        if not self._pending:
            self._judged = ()
            return
        done: list[ResponseImpact] = []
        for p in list(self._pending):
            if end_ms < p.at_ms + self.window_ms:
                continue
            self._pending.remove(p)
            done.append(self._judge(p.at_ms, p.mention_id, p.text, p.posts))
        self._judged = tuple(done)

    def _judge(self, at: int, mention_id: str, text: str, posts: int) -> ResponseImpact:
        w = self.window_ms
        trend = self._window.rows(at - 2 * w, at)  # what the trend is fitted on
        before = [r for r in trend if r[0] > at - w]
        after = self._window.rows(at, at + w)
        bc = sum(r[1] for r in before)
        ac = sum(r[1] for r in after)
        b_neg = sum(r[2] for r in before) / bc if bc else 0.0
        a_neg = sum(r[2] for r in after) / ac if ac else 0.0
        b_agg = sum(r[3] for r in before) / bc if bc else 0.0
        a_agg = sum(r[3] for r in after) / ac if ac else 0.0
        predicted, predicted_var = self._predict(trend, after, at)
        ratio = (ac + 1.0) / (predicted + 1.0)
        # Significance: over-dispersed counts and the trend's own uncertainty for the
        # volume, two proportions for anger.
        z_volume = (ac - predicted) / math.sqrt(
            predicted + _DISPERSION * predicted**2 + predicted_var + 1.0
        )
        z_anger = _z_shares(b_agg, bc, a_agg, ac)
        z_negative = _z_shares(b_neg, bc, a_neg, ac)
        louder = ratio >= self.backfire_ratio and z_volume >= _Z
        shares_known = min(bc, ac) >= _MIN_SHARE_MENTIONS  # two of four is not a share
        angrier = shares_known and a_agg >= b_agg + 2 * self.share_margin and z_anger >= _Z
        quieter = ratio <= self.calm_ratio and z_volume <= -_Z
        calmer = (
            shares_known
            and ratio < 1.0
            and (
                (a_agg <= b_agg - self.share_margin and z_anger <= -_Z)
                or (a_neg <= b_neg - 2 * self.share_margin and z_negative <= -_Z)
            )
        )
        verdict: Verdict
        if louder or angrier:
            verdict = "backfired"
        elif quieter or calmer:
            verdict = "calmed"
        else:
            verdict = "no_effect"
        return ResponseImpact(
            response_id=mention_id,
            response_ms=at,
            posts=posts,
            text=text,
            verdict=verdict,
            before_mentions=bc,
            after_mentions=ac,
            predicted_after_mentions=round(predicted, 1),
            before_negative_share=round(b_neg, 4),
            after_negative_share=round(a_neg, 4),
            before_aggressive_share=round(b_agg, 4),
            after_aggressive_share=round(a_agg, 4),
            window_ms=w,
        )

    def _predict(self, before: list[_Row], after: list[_Row], at: int) -> tuple[float, float]:
        """Mentions the trend before ``at`` predicts over the bins after it, and its variance.

        The trend is a Poisson regression of the counts on time with the
        seasonal normal as offset (``count ~ (expected + 1) * exp(a + b * t)``,
        ``t`` in windows), fitted by Newton's method, each bin's likelihood
        weighted by ``0.5 ** (age / _TREND_HALF_LIFE)``: unlike least squares
        on the log of small counts it is not biased low when bins hold a few
        mentions, and a peak a quarter of an hour before the response is not
        read as a rise. The variance of the prediction comes from the fit's
        covariance, scaled by the over-dispersion the residuals show, so a
        trend read from a noisy, sparse window predicts loosely.
        """
        cs = [r[1] for r in before]
        total = sum(cs)
        if total < _MIN_TREND_MENTIONS:  # a quiet night, or no history: no trend to read
            seasonal = sum(r[5] for r in after)
            return seasonal, seasonal**2
        ts = [(r[0] - at) / self.window_ms for r in before]  # in windows, negative
        vs = [0.5 ** (-t / _TREND_HALF_LIFE) for t in ts]  # recent bins weigh more
        ws = [r[5] + 1.0 for r in before]
        a, b = math.log(total / sum(ws)), 0.0
        h00 = h01 = h11 = 0.0
        for _ in range(_NEWTON_STEPS):
            mus = [w * math.exp(a + b * t) for w, t in zip(ws, ts, strict=True)]
            g0 = sum(v * (c - m) for v, c, m in zip(vs, cs, mus, strict=True))
            g1 = sum(v * t * (c - m) for v, t, c, m in zip(vs, ts, cs, mus, strict=True))
            h00 = sum(v * m for v, m in zip(vs, mus, strict=True))
            h01 = sum(v * t * m for v, t, m in zip(vs, ts, mus, strict=True))
            h11 = sum(v * t * t * m for v, t, m in zip(vs, ts, mus, strict=True))
            det = h00 * h11 - h01 * h01
            if det <= 1e-12:
                break
            a += (h11 * g0 - h01 * g1) / det
            b += (h00 * g1 - h01 * g0) / det
        det = h00 * h11 - h01 * h01
        flat = det <= 1e-12  # one bin, or no spread in time: no slope to fit
        if flat:
            a, b = math.log(total / sum(ws)), 0.0
            h00 = total
        cap = 0.5 * math.log(2.0)  # at most x1.4 per window: a trend, not a forecast
        if not -cap <= b <= cap:
            b = max(-cap, min(cap, b))
            a = math.log(total / sum(w * math.exp(b * t) for w, t in zip(ws, ts, strict=True)))
        phi = _pearson(cs, ws, ts, a, b)
        predicted = p_t = 0.0
        for r in after:
            t = (r[0] - at) / self.window_ms
            m = (r[5] + 1.0) * math.exp(a + b * t)
            predicted += m
            p_t += t * m
        if flat:
            return predicted, phi * predicted**2 / h00
        # Var(P) = grad' Cov grad, grad = (P, P_t), Cov = phi * H^-1.
        var = phi * (h11 * predicted**2 - 2 * h01 * predicted * p_t + h00 * p_t**2) / det
        return predicted, var

    def recent_sums(self, *, end_ms: int, window_ms: int) -> tuple[float, float, float, float]:
        """Mentions, negative, aggressive and employee mentions in the last ``window_ms``."""
        c, n, a, e, _ = self._window.sums(end_ms - window_ms, end_ms)
        return c, n, a, e


def _pearson(cs: list[float], ws: list[float], ts: list[float], a: float, b: float) -> float:
    """Over-dispersion of counts around a fitted trend (Pearson chi-square per dof, >= 1)."""
    chi2 = 0.0
    for c, w, t in zip(cs, ws, ts, strict=True):
        m = w * math.exp(a + b * t)
        chi2 += (c - m) ** 2 / m
    return max(1.0, chi2 / max(len(cs) - 2, 1))


class InsideMonitor(Detector):
    """Employees' posting: their normal rate, and a rise during an incident.

    Parameters
    ----------
    window_ms
        Recent window compared with the employees' normal rate.
    baseline_half_life_ms
        Half-life of that normal rate.
    min_posts
        Employee posts in the window needed to speak of a rise.
    ratio
        Times the normal rate that makes a rise.
    keep_ids
        Employee mention ids kept as evidence.

    Examples
    --------
    >>> m = InsideMonitor()
    >>> t = 0
    >>> for _ in range(3 * 1440):                       # one employee post an hour
    ...     t += 60_000
    ...     m.update(employee=1.0 if t % 3_600_000 == 0 else 0.0, end_ms=t)
    >>> for _ in range(20):                              # then six an hour... every minute
    ...     t += 60_000
    ...     m.update(employee=1.0, end_ms=t)
    >>> m.rising, m.recent_posts, round(m.expected_posts, 1)
    (True, 21.0, 0.7)
    """

    def __init__(
        self,
        *,
        window_ms: int = 30 * 60_000,
        baseline_half_life_ms: int = 7 * 86_400_000,
        min_posts: int = 3,
        ratio: float = 3.0,
        keep_ids: int = 20,
    ) -> None:
        check_positive("window_ms", window_ms)
        check_positive("baseline_half_life_ms", baseline_half_life_ms)
        check_positive_int("min_posts", min_posts)
        check_positive("ratio", ratio)
        check_positive_int("keep_ids", keep_ids)
        self.window_ms = window_ms
        self.baseline_half_life_ms = baseline_half_life_ms
        self.min_posts = min_posts
        self.ratio = ratio
        self.keep_ids = keep_ids
        super().__init__()

    def _init_state(self) -> None:
        self._rate_per_ms = 0.0  # EW mean of employee posts per ms
        self._seen_ms = 0.0  # EW time seen (to unbias the start)
        self._last_ms: int | None = None
        self._recent: deque[tuple[int, float]] = deque()
        self.ids: deque[tuple[int, str]] = deque(maxlen=self.keep_ids)

    def add_post(self, *, ts_ms: int, mention_id: str) -> None:
        """Keep an employee mention id as evidence."""
        self.ids.append((ts_ms, mention_id))

    def update(self, *, employee: float, end_ms: int) -> None:
        """Fold in a closed bin's employee mentions."""
        last = self._last_ms
        if last is not None:
            dt = end_ms - last if end_ms > last else 0
            g = 0.5 ** (dt / self.baseline_half_life_ms)
            self._rate_per_ms = self._rate_per_ms * g + employee * (1 - g) / (dt if dt > 1 else 1)
            self._seen_ms = self._seen_ms * g + (1 - g)
        self._last_ms = end_ms
        recent = self._recent
        recent.append((end_ms, employee))
        oldest = end_ms - self.window_ms
        while recent and recent[0][0] <= oldest:
            recent.popleft()

    @property
    def recent_posts(self) -> float:
        """Employee mentions in the recent window."""
        return sum(e for _, e in self._recent)

    @property
    def expected_posts(self) -> float:
        """Employee mentions the normal rate predicts over the window."""
        rate = self._rate_per_ms / self._seen_ms if self._seen_ms > 0 else 0.0
        return rate * self.window_ms

    @property
    def rising(self) -> bool:
        """Whether employees post clearly more than their normal, as of the last bin."""
        posts = self.recent_posts
        return posts >= self.min_posts and posts >= self.ratio * max(self.expected_posts, 0.5)


class OfflineAdvisor(Detector):
    """When to take the conversation offline.

    The rule: at least one official response has been judged, and for
    ``sustain_ms`` since then the aggressive share of the flow stayed at or
    above ``aggressive_share`` while the ``top_authors`` most active authors
    wrote at least ``concentration`` of the mentions. Answering in public then
    feeds a few angry voices; a private channel (phone, direct message) serves
    them and the crowd better.

    Parameters
    ----------
    aggressive_share
        Aggressive share that counts as "still high".
    concentration
        Share of mentions by the most active authors that counts as "a few
        authors dominate".
    top_authors
        How many authors make "a few".
    sustain_ms
        How long both must hold after the last response.

    Examples
    --------
    >>> a = OfflineAdvisor(sustain_ms=20 * 60_000)
    >>> a.update(responses=1, aggressive_share=0.4, concentration=0.5, end_ms=0)
    >>> a.advised
    False
    >>> a.update(responses=1, aggressive_share=0.4, concentration=0.5, end_ms=20 * 60_000)
    >>> a.advised
    True
    >>> for reason in a.reasons:
    ...     print(reason)
    aggressive share 0.40 >= 0.25
    top 5 authors wrote 50% >= 30% of mentions
    held 20 min after 1 response
    """

    #: A state pickled before :attr:`reasons` existed loads without it.
    _reasons: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        aggressive_share: float = 0.25,
        concentration: float = 0.3,
        top_authors: int = 5,
        sustain_ms: int = 30 * 60_000,
    ) -> None:
        check_fraction("aggressive_share", aggressive_share)
        check_fraction("concentration", concentration)
        check_positive_int("top_authors", top_authors)
        check_positive("sustain_ms", sustain_ms)
        self.aggressive_share = aggressive_share
        self.concentration = concentration
        self.top_authors = top_authors
        self.sustain_ms = sustain_ms
        super().__init__()

    def _init_state(self) -> None:
        self._since_ms: int | None = None
        self._reasons: tuple[str, ...] = ()

    @property
    def advised(self) -> bool:
        """Whether the rule has held long enough, as of the last :meth:`update`."""
        return bool(self._reasons)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why to go offline, when :attr:`advised`; empty otherwise."""
        return self._reasons

    def update(
        self, *, responses: int, aggressive_share: float, concentration: float, end_ms: int
    ) -> None:
        """Fold in the state of the flow at the end of a closed bin; see :attr:`advised`."""
        holds = (
            responses > 0
            and aggressive_share >= self.aggressive_share
            and concentration >= self.concentration
        )
        if not holds:
            self._since_ms = None
            self._reasons = ()
            return
        if self._since_ms is None:
            self._since_ms = end_ms
        if end_ms - self._since_ms < self.sustain_ms:
            self._reasons = ()
            return
        self._reasons = (
            f"aggressive share {aggressive_share:.2f} >= {self.aggressive_share:.2f}",
            f"top {self.top_authors} authors wrote {concentration:.0%} >= "
            f"{self.concentration:.0%} of mentions",
            f"held {(end_ms - self._since_ms) // 60_000} min after {responses} response"
            + ("s" if responses > 1 else ""),
        )
