"""Pace a drill for a live demo: history at full speed, then accelerated real time.

A detector needs history to learn a brand's normal traffic, but a demo lasts
minutes. The suggestion: publish every mention before ``live_from`` at once
(Tocsin works in event time, so a week of history replays in seconds and the
detectors learn their baselines), then publish the rest ``speed`` times faster
than real time. :func:`schedule` gives, for each mention, the wall-clock delay
(seconds after the start of the replay) at which to publish it; the CLI only
sleeps until then.

Example: ``demo-live`` lasts 6d2h with ``playback: {live_from: 6d, speed:
60}``: the six days of history go out in a few seconds, the last two hours
play in two minutes; the incident breaks 20 s into the live part, peaks
around 50 s, and the apology at 70 s calms it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

__all__ = ["schedule"]


def schedule(
    mentions: Iterable[dict[str, Any]], *, live_from_ms: int, speed: float
) -> Iterator[tuple[float, dict[str, Any]]]:
    """Pair each mention with the wall-clock second at which to publish it.

    History (``ts < live_from_ms``) gets 0.0. After it, the clock is the
    running maximum of ``ts`` (a late mention goes out right after the newer
    ones it arrived behind), mapped to ``(clock - live_from_ms) / 1000 / speed``.

    Parameters
    ----------
    mentions
        Mentions in arrival order, as :func:`~streams.drills.generate` yields them.
    live_from_ms
        Start of the live part (epoch ms), e.g. ``scenario.playback.live_from_ms``.
    speed
        Acceleration of the live part (60: one drill minute per second).

    Raises
    ------
    ValueError
        When ``speed`` is not positive.

    Examples
    --------
    >>> ms = [{"ts": 0}, {"ts": 5_000}, {"ts": 60_000}, {"ts": 30_000}, {"ts": 120_000}]
    >>> [t for t, _ in schedule(ms, live_from_ms=10_000, speed=10)]
    [0.0, 0.0, 5.0, 5.0, 11.0]
    """
    if not speed > 0:
        raise ValueError(f"speed={speed!r} is not valid; need a positive number")
    clock = live_from_ms
    for mention in mentions:
        ts = int(mention["ts"])
        if ts < live_from_ms and clock == live_from_ms:
            yield 0.0, mention
            continue
        clock = max(clock, ts)
        yield (clock - live_from_ms) / 1000.0 / speed, mention
