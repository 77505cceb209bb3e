"""Ground truth of a drill: which events a detector should flag, when, and how loud.

It depends on the scenario only (not on the seed): onsets and levels come from
the scenario's ``truth`` sections; peaks and ends are read from the expected
rate curves of :mod:`.rates` (the end is the last minute where the event still
adds at least 10 % of the brand's mean rate). A response that backfires adds
an entry of its own (``parent`` names the event).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np

from streams.drills.model import Event, EventKind, Level, Scenario
from streams.drills.rates import MINUTE_MS, event_excess, minute_count, surge_excess

__all__ = ["END_FRACTION", "GroundTruthEvent", "ground_truth"]

#: An event has ended when it adds less than this fraction of the brand's mean rate.
END_FRACTION: Final = 0.10


@dataclass(frozen=True, slots=True)
class GroundTruthEvent:
    """One labelled situation of a drill.

    Attributes
    ----------
    id
        The event id, or ``event/response`` for the surge of a backfire.
    brand
        The brand concerned (the Kafka key).
    kind
        ``crisis``, ``positive``, ``spam`` or ``neutral``.
    level
        The crisis level deserved: 0 calm, 1 watch, 2 alert, 3 crisis.
    min_level
        The lowest level still acceptable (``level`` unless a range was given).
    onset_ms, peak_ms, end_ms
        When it starts, peaks and stops adding traffic (epoch ms).
    parent
        For a backfire surge, the id of the event answered.
    note
        Free text from the scenario.
    """

    id: str
    brand: str
    kind: EventKind
    level: Level
    min_level: Level
    onset_ms: int
    peak_ms: int
    end_ms: int
    parent: str | None = None
    note: str = ""

    def to_dict(self, *, utc_offset_s: int = 0) -> dict[str, Any]:
        """The entry as JSON-ready data, with readable times in the drill's offset."""
        tz = dt.timezone(dt.timedelta(seconds=utc_offset_s))
        out = asdict(self)
        for key in ("onset", "peak", "end"):
            ms = out[f"{key}_ms"]
            out[key] = dt.datetime.fromtimestamp(ms / 1000, tz).isoformat(timespec="seconds")
        return out


def _span(
    scenario: Scenario, excess: np.ndarray, first: int, base_per_min: float
) -> tuple[int, int]:
    """Peak and end (epoch ms) of an excess curve computed from minute ``first``."""
    if excess.size == 0 or float(excess.max()) <= 0.0:
        start = scenario.start_ms + first * MINUTE_MS
        return start, start
    peak = first + int(np.argmax(excess))
    above = np.flatnonzero(excess >= END_FRACTION * base_per_min)
    last = first + int(above[-1]) if above.size else peak
    end_ms = min(scenario.end_ms, scenario.start_ms + (last + 1) * MINUTE_MS)
    return scenario.start_ms + peak * MINUTE_MS + MINUTE_MS // 2, end_ms


def _event_entries(scenario: Scenario, event: Event) -> list[GroundTruthEvent]:
    brand = scenario.brand(event.brand)
    base = brand.baseline.rate_per_hour / 60.0
    first = max(0, (event.start_ms - scenario.start_ms) // MINUTE_MS)
    minutes = np.arange(first, minute_count(scenario), dtype=np.int64)
    peak, end = _span(scenario, event_excess(event, brand, scenario, minutes), first, base)
    out = [
        GroundTruthEvent(
            id=event.id,
            brand=event.brand,
            kind=event.kind,
            level=event.truth.level,
            min_level=event.truth.min_level,
            onset_ms=event.truth.onset_ms,
            peak_ms=peak,
            end_ms=max(end, event.truth.onset_ms),
            note=event.truth.note,
        )
    ]
    for response in event.responses:
        if response.truth is None:
            continue
        r_first = max(0, (response.at_ms - scenario.start_ms) // MINUTE_MS)
        r_minutes = np.arange(r_first, minute_count(scenario), dtype=np.int64)
        excess = surge_excess(event, response, brand, scenario, r_minutes)
        r_peak, r_end = _span(scenario, excess, r_first, base)
        out.append(
            GroundTruthEvent(
                id=f"{event.id}/{response.id}",
                brand=event.brand,
                kind=event.kind,
                level=response.truth.level,
                min_level=response.truth.min_level,
                onset_ms=response.truth.onset_ms,
                peak_ms=r_peak,
                end_ms=max(r_end, response.truth.onset_ms),
                parent=event.id,
                note=response.truth.note or f"official response {response.id} backfires",
            )
        )
    return out


def ground_truth(scenario: Scenario) -> list[GroundTruthEvent]:
    """The labelled events of ``scenario``, by onset.

    Examples
    --------
    >>> from streams.drills import load_scenario
    >>> [(t.id, t.level) for t in ground_truth(load_scenario("backfire-then-calm"))]
    [('data-leak', 3), ('data-leak/denial', 3)]
    >>> ground_truth(load_scenario("calm-month"))
    []
    """
    entries = [entry for event in scenario.events for entry in _event_entries(scenario, event)]
    return sorted(entries, key=lambda t: (t.onset_ms, t.brand, t.id))
