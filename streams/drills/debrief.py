"""The debrief of a drill: what Tocsin said, against what the drill deserved.

Inputs are the ground truth (:func:`streams.drills.ground_truth`) and the level
changes Tocsin emitted (alerts: brand, level, previous level, event time). The
same function debriefs a live drill (alerts read from the topic) and an offline
run (``benchmarks/drills.py``).

Rules
    An event's *window* runs from ``onset - before_ms`` to ``end + after_ms``.
    The *peak* is the highest level the brand held in the window. An event that
    deserves alert or crisis (``min_level >= 2``) is *detected* when the peak
    reaches 2; its *delay* is from onset to the first alert at or above the
    deserved level (and, separately, at or above 2). An event that deserves at
    most watch (a campaign, spam) is *wrongly raised* when, in its window, the
    level rises to 2 or more outside any crisis of the same brand (from that
    crisis' onset to ``after_ms`` past its end). A *false alarm* is a rise to 2 or more outside
    every window of the brand's events. Calm time is the brand's time outside
    those windows.

    How long the alert *outlives* a crisis: the brand's crisis events whose
    spans (onset to end) overlap form one episode; from the episode's end (the
    last minute it adds traffic), the time until the level is first below 2,
    the brand's next episode begins, or the drill ends (if it never fell and no
    episode followed, the level was left *stuck*). It is reported on the
    episode's event that ends last (``None`` on the others, on events deserving
    less than alert, on episodes never detected, and on episodes still going
    when the drill ends). A level that falls, then rises again after the end,
    is not counted here (nor as a false alarm while within ``after_ms``). An
    alert that outlives the crisis by hours pages people for nothing.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from streams.drills.truth import GroundTruthEvent

__all__ = ["Debrief", "EventOutcome", "LevelChange", "debrief", "format_debrief"]

WEEK_MS: Final = 7 * 86_400_000
LEVELS: Final = ("calm", "watch", "alert", "crisis")


@dataclass(frozen=True, slots=True)
class LevelChange:
    """A level change as the alerts topic carries it.

    ``emitted_ms``: when the worker sent it, if known on the drill's clock; a change
    is dated by its bin (``event_time_ms``) but known only once that bin closes.
    """

    brand: str
    event_time_ms: int
    level: int
    previous_level: int
    emitted_ms: int | None = None

    @classmethod
    def from_alert(
        cls, alert: Mapping[str, Any], *, sent_on_drill_clock: bool = False
    ) -> LevelChange:
        """From a decoded alert message.

        ``sent_on_drill_clock``: the worker's clock ran on the drill's event time (an
        offline run), so the alert's ``emitted_at`` says when the change was known. A
        live drill's worker stamps wall-clock time: it is then ignored.
        """
        from streams.alerts import ms_of

        emitted = alert.get("emitted_at") if sent_on_drill_clock else None
        return cls(
            brand=str(alert["brand"]),
            event_time_ms=ms_of(str(alert["event_time"])),
            level=int(alert["level"]),
            previous_level=int(alert["previous_level"]),
            emitted_ms=None if emitted is None else ms_of(str(emitted)),
        )

    @property
    def known_ms(self) -> int:
        """When the change could be known: sent, or else the end of its bin."""
        t = self.event_time_ms
        return t if self.emitted_ms is None or self.emitted_ms < t else self.emitted_ms


@dataclass(frozen=True, slots=True)
class EventOutcome:
    """How Tocsin did on one labelled event."""

    event: GroundTruthEvent
    peak_level: int
    detected: bool | None  # None for events deserving less than alert
    wrongly_raised: bool
    delay_min: float | None  # onset to the first alert at the deserved level
    delay_alert_min: float | None  # onset to the first level >= 2
    alert_after_end_min: float | None = None  # episode's end to the level below 2
    stuck: bool = False  # still at 2 or more when the drill ended
    # At alert or more when it began (a surge within a crisis already paged): detected at
    # delay 0, which says nothing of how fast Tocsin detects; medians leave it out.
    began_raised: bool = False


@dataclass(frozen=True, slots=True)
class Debrief:
    """Outcomes per event, false alarms, and the figures benchmarks report."""

    events: tuple[EventOutcome, ...]
    false_alarms: tuple[LevelChange, ...]
    calm_brand_ms: int
    watch_alarms: tuple[LevelChange, ...] = ()

    @property
    def crisis_events(self) -> list[EventOutcome]:
        """Events deserving alert or crisis."""
        return [o for o in self.events if o.detected is not None]

    @property
    def crisis_detected_share(self) -> float | None:
        """Share of alert-or-crisis events that reached level 2."""
        events = self.crisis_events
        return sum(bool(o.detected) for o in events) / len(events) if events else None

    @property
    def from_calm(self) -> list[EventOutcome]:
        """Crisis events that began below alert: those whose delays say how fast
        Tocsin detects."""
        return [o for o in self.crisis_events if not o.began_raised]

    @property
    def delays_min(self) -> list[float]:
        """Delays to the deserved level of the events from calm that reached it."""
        return [o.delay_min for o in self.from_calm if o.delay_min is not None]

    @property
    def alert_after_end_min(self) -> list[float]:
        """How long the alert outlived each crisis episode (0: it fell before the end)."""
        return [o.alert_after_end_min for o in self.events if o.alert_after_end_min is not None]

    @property
    def false_alarms_per_brand_week(self) -> float:
        """False alarms per brand-week of calm traffic."""
        weeks = self.calm_brand_ms / WEEK_MS
        return len(self.false_alarms) / weeks if weeks > 0 else 0.0

    @property
    def positive_spikes_raised(self) -> int:
        """Events deserving at most watch that were raised to alert or crisis."""
        return sum(o.wrongly_raised for o in self.events)


def _levels_at(changes: Sequence[LevelChange], t_ms: int) -> int:
    level = 0
    for c in changes:
        if c.event_time_ms > t_ms:
            break
        level = c.level
    return level


def _outlived(
    series: Sequence[LevelChange], episode_end_ms: int, stop_ms: int, drill_end_ms: int
) -> tuple[float, bool]:
    """Minutes at 2 or more after ``episode_end_ms`` (counted up to ``stop_ms``: the
    brand's next episode, or the drill's end), and whether the level was still at 2 or
    more when the drill ended with no other episode since.

    The level is below 2 from when its fall could be known (:attr:`LevelChange.known_ms`):
    a fall dated by a bin that closed hours later left the alert up for those hours."""
    known = [c.level for c in series if c.known_ms <= episode_end_ms]
    if not known or known[-1] < 2:  # below alert as far as anyone could know at the end
        return 0.0, False
    fall = next((c for c in series if c.known_ms > episode_end_ms and c.level < 2), None)
    until = stop_ms if fall is None else min(fall.known_ms, stop_ms)
    stuck = until == drill_end_ms and (fall is None or fall.known_ms >= drill_end_ms)
    return (until - episode_end_ms) / 60_000, stuck


def _episodes(events: Sequence[GroundTruthEvent]) -> dict[int, tuple[int, int | None]]:
    """A brand's crisis events with overlapping spans form one episode. For each
    episode: the index (in ``events``, sorted by onset) of the event that ends last,
    the episode's end, and the onset of the brand's next episode (None if none)."""
    by_brand: dict[str, list[int]] = {}
    for i, ev in enumerate(events):
        if ev.min_level >= 2:
            by_brand.setdefault(ev.brand, []).append(i)
    out: dict[int, tuple[int, int | None]] = {}
    for indices in by_brand.values():
        episodes: list[tuple[int, int, int]] = []  # onset, end, index of the last-ending
        for i in sorted(indices, key=lambda i: events[i].onset_ms):
            ev = events[i]
            if episodes and ev.onset_ms <= episodes[-1][1]:  # overlaps the episode so far
                onset, end, last = episodes[-1]
                episodes[-1] = (onset, ev.end_ms, i) if ev.end_ms >= end else (onset, end, last)
            else:
                episodes.append((ev.onset_ms, ev.end_ms, i))
        for k, (_, end, last) in enumerate(episodes):
            nxt = episodes[k + 1][0] if k + 1 < len(episodes) else None
            out[last] = (end, nxt)
    return out


def debrief(
    truth: Iterable[GroundTruthEvent],
    changes: Iterable[LevelChange],
    *,
    brands: Iterable[str],
    start_ms: int,
    end_ms: int,
    before_ms: int = 3_600_000,
    after_ms: int = 2 * 3_600_000,
) -> Debrief:
    """Compare level changes with the ground truth of a drill.

    Examples
    --------
    >>> from streams.drills.truth import GroundTruthEvent
    >>> ev = GroundTruthEvent("recall", "acme", "crisis", 3, 3, 10_000_000, 12_000_000, 20_000_000)
    >>> ch = [LevelChange("acme", 10_600_000, 2, 0), LevelChange("acme", 10_900_000, 3, 2),
    ...       LevelChange("acme", 90_000_000, 2, 0)]
    >>> d = debrief([ev], ch, brands=["acme"], start_ms=0, end_ms=100_000_000)
    >>> o = d.events[0]
    >>> o.detected, o.peak_level, o.delay_alert_min, o.delay_min, len(d.false_alarms)
    (True, 3, 10.0, 15.0, 1)
    >>> round(o.alert_after_end_min), o.stuck  # never fell: at 2 or more until the drill ended
    (1333, True)
    """
    events = sorted(truth, key=lambda e: e.onset_ms)
    episodes = _episodes(events)
    by_brand: dict[str, list[LevelChange]] = {b: [] for b in brands}
    for c in sorted(changes, key=lambda c: c.event_time_ms):
        by_brand.setdefault(c.brand, []).append(c)
    windows: dict[str, list[tuple[int, int]]] = {b: [] for b in by_brand}
    crisis_spans: dict[str, list[tuple[int, int]]] = {}
    for ev in events:
        if ev.min_level >= 2:
            crisis_spans.setdefault(ev.brand, []).append((ev.onset_ms, ev.end_ms + after_ms))
    outcomes = []
    for k, ev in enumerate(events):
        lo, hi = ev.onset_ms - before_ms, ev.end_ms + after_ms
        windows.setdefault(ev.brand, []).append((lo, hi))
        series = by_brand.get(ev.brand, [])
        inside = [c for c in series if lo <= c.event_time_ms <= hi]
        # Detection counts from the onset: an alert that rose and fell in the hour
        # before it does not detect it (nor is it a false alarm: the window covers it).
        since_onset = [c for c in inside if c.event_time_ms >= ev.onset_ms]
        at_onset = _levels_at(series, ev.onset_ms)
        peak = max([at_onset, *(c.level for c in since_onset)])
        first_deserved = next((c for c in since_onset if c.level >= max(ev.level, 2)), None)
        first_alert = next((c for c in since_onset if c.level >= 2), None)
        if at_onset >= max(ev.level, 2):  # already there when it began (a surge in a crisis)
            first_deserved = LevelChange(ev.brand, ev.onset_ms, at_onset, at_onset)
        if at_onset >= 2:
            first_alert = (
                first_deserved
                if at_onset >= max(ev.level, 2)
                else LevelChange(ev.brand, ev.onset_ms, at_onset, at_onset)
            )
        crisis = ev.min_level >= 2
        # A rise to alert inside a positive event's window, not explained by a crisis
        # of the same brand overlapping it, is the positive event wrongly raised.
        unexplained = [
            c
            for c in inside
            if c.level >= 2
            and c.level > ev.level
            and not any(
                lo2 <= c.event_time_ms <= hi2 for lo2, hi2 in crisis_spans.get(ev.brand, [])
            )
        ]
        outlived: float | None = None
        stuck = False
        if crisis and k in episodes and episodes[k][0] < end_ms and peak >= 2:
            episode_end, next_onset = episodes[k]  # an episode detected, over in the drill
            stop = end_ms if next_onset is None else min(next_onset, end_ms)
            outlived, stuck = _outlived(series, episode_end, stop, end_ms)
        outcomes.append(
            EventOutcome(
                event=ev,
                peak_level=peak,
                detected=(peak >= 2) if crisis else None,
                wrongly_raised=(not crisis) and bool(unexplained),
                delay_min=None
                if first_deserved is None or not crisis
                else (first_deserved.event_time_ms - ev.onset_ms) / 60_000,
                delay_alert_min=None
                if first_alert is None or not crisis
                else (first_alert.event_time_ms - ev.onset_ms) / 60_000,
                alert_after_end_min=outlived,
                stuck=stuck,
                began_raised=crisis and at_onset >= 2,
            )
        )
    false_alarms = []
    watch_alarms = []
    calm_ms = 0
    for brand, series in by_brand.items():
        spans = sorted(windows.get(brand, []))
        for c in series:
            rise = c.level >= 2 and c.previous_level < 2
            outside = not any(lo <= c.event_time_ms <= hi for lo, hi in spans)
            if rise and outside:
                false_alarms.append(c)
            elif outside and c.level == 1 and c.previous_level == 0:
                watch_alarms.append(c)
        covered, cursor = 0, start_ms
        for lo, hi in spans:
            lo, hi = max(lo, cursor, start_ms), min(hi, end_ms)
            if hi > lo:
                covered += hi - lo
                cursor = hi
        calm_ms += max(0, end_ms - start_ms - covered)
    return Debrief(tuple(outcomes), tuple(false_alarms), calm_ms, tuple(watch_alarms))


def format_debrief(d: Debrief, *, title: str = "") -> str:
    """The debrief as a readable table."""
    lines = [title] if title else []
    lines.append(
        f"{'event':<28} {'brand':<18} {'kind':<9} {'deserved':<9} {'peak':<8} "
        f"{'outcome':<14} delay to deserved / to alert, alert after the end"
    )
    for o in d.events:
        ev = o.event
        if o.detected is None:
            outcome = "RAISED" if o.wrongly_raised else "ok"
        else:
            outcome = "detected" if o.detected else "MISSED"
            if o.began_raised:
                outcome = "at onset"  # already at alert: not in the medians
        delay = "-" if o.delay_min is None else f"{o.delay_min:.0f} min"
        to_alert = "-" if o.delay_alert_min is None else f"{o.delay_alert_min:.0f} min"
        deserved = (
            LEVELS[ev.level]
            if ev.min_level == ev.level
            else (f"{LEVELS[ev.min_level]}-{LEVELS[ev.level]}")
        )
        after = ""
        if o.alert_after_end_min is not None:
            after = f", {o.alert_after_end_min:.0f} min" + (" (STUCK)" if o.stuck else "")
        lines.append(
            f"{ev.id:<28} {ev.brand:<18} {ev.kind:<9} {deserved:<9} "
            f"{LEVELS[o.peak_level]:<8} {outcome:<14} {delay} / {to_alert}{after}"
        )
    weeks = d.calm_brand_ms / WEEK_MS
    lines.append(
        f"false alarms (level >= 2 outside events): {len(d.false_alarms)} "
        f"in {weeks:.1f} brand-weeks of calm traffic"
    )
    for c in d.false_alarms:
        from streams.alerts import rfc3339

        lines.append(
            f"  {c.brand} {LEVELS[c.previous_level]} -> {LEVELS[c.level]} at "
            f"{rfc3339(c.event_time_ms)}"
        )
    if d.delays_min:
        lines.append(
            f"median delay to the deserved level: {statistics.median(d.delays_min):.1f} min"
        )
    return "\n".join(lines)
