"""Evolution: how fast volume and reach grow, and whether the growth speeds up.

Two exponential means of the per-bin value are kept, a fast one
(``fast_half_life_ms``) and a slow one (``slow_half_life_ms``). On a series
growing as ``exp(g t)`` an exponential mean with rate ``l = ln 2 / half-life``
settles at ``l / (l + g)`` of the current value, so the ratio ``r`` of the fast
mean to the slow one gives ``g = lf ls (r - 1) / (lf - r ls)``: 0 for a flat
series, ``ln 2`` per hour when the value doubles every hour, negative when it
decays (growth beyond what the two means can tell apart is capped). Both means
are padded with ``floor_per_min`` (per minute of bin) so that going from one
mention to three at night is not explosive growth. Acceleration is the change
of that rate per hour, smoothed by the fast mean.

The score maps growth to [0, 1): ``1 - 2 ** (-growth / ln2_per_hour)`` for
growth above zero, that is 0.5 when the value doubles every hour, 0.75 when it
doubles every half hour.
"""

from __future__ import annotations

import math
from typing import Final

from detectors.base import Detector, check_positive, check_positive_int

__all__ = ["EvolutionDetector", "Growth"]

_LN2: Final = math.log(2.0)
_HOUR_MS: Final = 3_600_000
_MAX_RATE_H: Final = 24 * _LN2  # doubling every 2.5 minutes: as fast as it reads


class Growth:
    """Growth rate and acceleration of one series (mention count, or reach)."""

    __slots__ = ("_accel", "_fast", "_rate", "_slow", "_started")

    def __init__(self) -> None:
        self._fast = 0.0
        self._slow = 0.0
        self._rate = 0.0
        self._accel = 0.0
        self._started = False

    def __getstate__(self) -> tuple[float, float, float, float, bool]:
        return (self._fast, self._slow, self._rate, self._accel, self._started)

    def __setstate__(self, state: tuple[float, float, float, float, bool]) -> None:
        self._fast, self._slow, self._rate, self._accel, self._started = state

    def update(
        self,
        x: float,
        fast_gain: float,
        slow_gain: float,
        floor: float,
        fast_rate_h: float,
        slow_rate_h: float,
        dt_h: float,
        /,
    ) -> None:
        """Fold in one bin's value (rates: ``ln 2 / half-life`` per hour).

        Positional only (called twice per closed bin): the value, the two means'
        gains over the gap, the floor added to both, their rates, the gap in hours.
        """
        if not self._started:
            self._fast = self._slow = x
            self._started = True
            return
        self._fast += fast_gain * (x - self._fast)
        self._slow += slow_gain * (x - self._slow)
        r = (self._fast + floor) / (self._slow + floor)
        lf, ls = fast_rate_h, slow_rate_h
        cap = _MAX_RATE_H
        rate = cap if r * ls >= lf else min(cap, lf * ls * (r - 1.0) / (lf - r * ls))
        if dt_h > 0:
            self._accel += fast_gain * ((rate - self._rate) / dt_h - self._accel)
        self._rate = rate

    @property
    def per_hour(self) -> float:
        """Growth rate in e-folds per hour (``ln 2`` = doubling every hour)."""
        return self._rate

    @property
    def acceleration(self) -> float:
        """Change of the growth rate per hour, per hour."""
        return self._accel

    @property
    def doubling_min(self) -> float:
        """Minutes to double at the current rate (inf when not growing)."""
        return 60.0 * _LN2 / self._rate if self._rate > 0 else math.inf

    @property
    def score(self) -> float:
        """0 when not growing, 0.5 when doubling every hour, towards 1 faster."""
        return 1.0 - math.pow(2.0, -self._rate / _LN2) if self._rate > 0 else 0.0


class EvolutionDetector(Detector):
    """Growth and acceleration of a brand's volume and reach.

    Parameters
    ----------
    bin_ms
        Width of a bin.
    fast_half_life_ms, slow_half_life_ms
        Half-lives of the two means whose ratio gives the growth rate.
    floor_per_min
        Mentions per minute added to both volume means (damps tiny counts).
    reach_floor_per_min
        Followers per minute added to both reach means.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(5)
    >>> evo = EvolutionDetector()
    >>> t = 0
    >>> for _ in range(300):                                # five flat hours
    ...     t += 60_000
    ...     evo.update(float(rng.poisson(10)), float(rng.poisson(10) * 500), end_ms=t)
    >>> abs(evo.volume.per_hour) < 0.5
    True
    >>> for k in range(40):                                 # doubling every 10 minutes
    ...     t += 60_000
    ...     evo.update(10 * 2 ** (k / 10), 5000 * 2 ** (k / 10), end_ms=t)
    >>> round(evo.volume.doubling_min) <= 20, evo.volume.score > 0.9
    (True, True)
    """

    def __init__(
        self,
        *,
        bin_ms: int = 60_000,
        fast_half_life_ms: int = 5 * 60_000,
        slow_half_life_ms: int = 30 * 60_000,
        floor_per_min: float = 1.0,
        reach_floor_per_min: float = 1_000.0,
    ) -> None:
        check_positive_int("bin_ms", bin_ms)
        check_positive("fast_half_life_ms", fast_half_life_ms)
        check_positive("slow_half_life_ms", slow_half_life_ms)
        if slow_half_life_ms <= fast_half_life_ms:
            raise ValueError(
                f"slow_half_life_ms={slow_half_life_ms!r} is not valid; valid values: "
                f"a number > fast_half_life_ms ({fast_half_life_ms})"
            )
        check_positive("floor_per_min", floor_per_min)
        check_positive("reach_floor_per_min", reach_floor_per_min)
        self.bin_ms = bin_ms
        self.fast_half_life_ms = fast_half_life_ms
        self.slow_half_life_ms = slow_half_life_ms
        self.floor_per_min = floor_per_min
        self.reach_floor_per_min = reach_floor_per_min
        super().__init__()

    def _init_state(self) -> None:
        self._last_end_ms: int | None = None
        self.volume = Growth()
        self.reach = Growth()

    def update(self, count: float, reach: float, *, end_ms: int) -> None:
        """Fold in one closed bin: its mentions and its reach (followers summed)."""
        dt_ms = self.bin_ms if self._last_end_ms is None else max(1, end_ms - self._last_end_ms)
        self._last_end_ms = end_ms
        fast = 1.0 - math.pow(0.5, dt_ms / self.fast_half_life_ms)
        slow = 1.0 - math.pow(0.5, dt_ms / self.slow_half_life_ms)
        lf = _LN2 * _HOUR_MS / self.fast_half_life_ms
        ls = _LN2 * _HOUR_MS / self.slow_half_life_ms
        floor_scale = self.bin_ms / 60_000  # the floors are per minute of bin
        dt_h = dt_ms / _HOUR_MS
        self.volume.update(count, fast, slow, self.floor_per_min * floor_scale, lf, ls, dt_h)
        self.reach.update(reach, fast, slow, self.reach_floor_per_min * floor_scale, lf, ls, dt_h)
