"""When a brand's bin closes in a stream, and so when an alert on it can leave.

A bin closes when its brand's watermark (the newest event time among the
brand's mentions arrived so far) reaches the bin's end plus ``grace_ms``
(``detectors/bins.py``). So the alert that a bin raised leaves when the first
mention that brings the watermark there arrives. The drills benchmark times
that from the event's onset; the end-to-end benchmark measures the latency
from the moment that mention was produced.
"""

from __future__ import annotations

import bisect

__all__ = ["BinClosing"]


class BinClosing:
    """The mentions of a stream in arrival order, per brand: the watermark after
    each, and a time attached to each (its arrival, or when it was produced)."""

    def __init__(self, *, grace_ms: int) -> None:
        self.grace_ms = grace_ms
        self._watermarks: dict[str, list[int]] = {}
        self._times: dict[str, list[float]] = {}

    def note(self, brand: str, ts_ms: int, at: float) -> None:
        """The next mention of ``brand``, dated ``ts_ms``, at time ``at``."""
        watermarks = self._watermarks.setdefault(brand, [])
        watermarks.append(max(ts_ms, watermarks[-1]) if watermarks else ts_ms)
        self._times.setdefault(brand, []).append(at)

    def closed_at(self, brand: str, end_ms: int) -> float | None:
        """The time of the mention that closed ``brand``'s bin ending at ``end_ms``,
        or None if no mention noted so far closes it."""
        watermarks = self._watermarks.get(brand, [])
        k = bisect.bisect_left(watermarks, end_ms + self.grace_ms)
        return self._times[brand][k] if k < len(watermarks) else None
