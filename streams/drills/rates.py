"""Expected mentions per minute: baseline seasonality, event waves, response effects.

Everything here is deterministic (no randomness): the generator multiplies
these curves by its noise and draws counts from them, and the ground truth
reads them to find when an event peaks and ends. Minute ``m`` covers
``[start + m min, start + (m + 1) min)`` and is evaluated at its centre.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import numpy.typing as npt

from streams.drills.model import Brand, Event, Response, Scenario, Tone, Wave

__all__ = [
    "MINUTE_MS",
    "baseline_rate",
    "daily_factor",
    "event_excess",
    "event_tone",
    "minute_count",
    "surge_excess",
    "surge_tone",
]

MINUTE_MS: Final = 60_000
_DAY_MS: Final = 86_400_000
_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()
_HOUR_CENTRES: Final = np.arange(24) * 60.0 + 30.0

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def minute_count(scenario: Scenario) -> int:
    """Number of minutes the drill spans (the last one may be partial)."""
    return -(-scenario.duration_ms // MINUTE_MS)


def _centres_ms(scenario: Scenario, minutes: IntArray) -> FloatArray:
    """Epoch ms of the centre of each minute."""
    return scenario.start_ms + (minutes.astype(np.float64) + 0.5) * MINUTE_MS


def daily_factor(brand: Brand, scenario: Scenario, minutes: IntArray) -> FloatArray:
    """The brand's daily profile at each minute (local time), mean 1 over a day."""
    local = _centres_ms(scenario, minutes) + scenario.utc_offset_s * 1000.0
    minute_of_day = (local / MINUTE_MS) % 1440.0
    profile = np.asarray(brand.baseline.daily, dtype=np.float64)
    return np.asarray(np.interp(minute_of_day, _HOUR_CENTRES, profile, period=1440.0))


def baseline_rate(brand: Brand, scenario: Scenario, minutes: IntArray) -> FloatArray:
    """Expected baseline mentions in each minute, before noise.

    ``rate_per_hour / 60`` times the daily profile (interpolated between hour
    centres), the weekly profile of the local day and its holiday factor.

    Examples
    --------
    >>> import numpy as np
    >>> from streams.drills import load_scenario
    >>> sc = load_scenario("calm-month")
    >>> brand = sc.brands[0]
    >>> week = baseline_rate(brand, sc, np.arange(14 * 1440, 21 * 1440))  # 13-19 May
    >>> round(float(week.sum()) / (7 * 24) / brand.baseline.rate_per_hour, 3)
    1.0
    """
    base = brand.baseline
    local = _centres_ms(scenario, minutes) + scenario.utc_offset_s * 1000.0
    day = np.floor(local / _DAY_MS).astype(np.int64)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    rate = daily_factor(brand, scenario, minutes) * np.asarray(base.weekly)[weekday]
    for holiday in base.holidays:
        rate[day == holiday.date.toordinal() - _EPOCH_ORDINAL] *= holiday.factor
    return np.asarray(rate * (base.rate_per_hour / 60.0), dtype=np.float64)


def _wave(wave: Wave, since_ms: FloatArray) -> FloatArray:
    """Excess of one wave, in multiples of the brand's mean rate."""
    tau = since_ms - wave.at_ms
    out = np.zeros_like(tau)
    rising = (tau >= 0) & (tau < wave.rise_ms)
    out[rising] = (tau[rising] / wave.rise_ms) ** wave.growth
    falling = tau >= wave.rise_ms
    out[falling] = np.exp2(-(tau[falling] - wave.rise_ms) / wave.decay_ms)
    return out * (wave.peak - 1.0)


def _calming(event: Event, centres: FloatArray, *, after_ms: int | None = None) -> FloatArray:
    """Product of the extra decays of the calming responses (1 before them)."""
    factor = np.ones_like(centres)
    for response in event.responses:
        if response.effect != "calms" or (after_ms is not None and response.at_ms <= after_ms):
            continue
        late = centres >= response.at_ms
        factor[late] *= np.exp2(-(centres[late] - response.at_ms) / response.half_life_ms)
    return factor


def event_excess(event: Event, brand: Brand, scenario: Scenario, minutes: IntArray) -> FloatArray:
    """Expected extra mentions per minute due to ``event`` (its backfire surges excluded).

    The sum of its waves (``peak`` is the brand's traffic at the top in times
    its mean rate, so a wave adds ``peak - 1`` times the mean), times the
    calming responses' extra decay, times the daily profile to the power
    ``diurnal``, cut at the event's end.
    """
    centres = _centres_ms(scenario, minutes)
    since = centres - event.start_ms
    total = np.zeros_like(centres)
    for wave in event.waves:
        total += _wave(wave, since)
    return _finish(total, event, brand, scenario, minutes, centres, after_ms=None)


def surge_excess(
    event: Event, response: Response, brand: Brand, scenario: Scenario, minutes: IntArray
) -> FloatArray:
    """Expected extra mentions per minute of the surge a backfiring response causes."""
    if response.surge is None:
        return np.zeros(len(minutes))
    centres = _centres_ms(scenario, minutes)
    total = _wave(response.surge, centres - response.at_ms)
    return _finish(total, event, brand, scenario, minutes, centres, after_ms=response.at_ms)


def _finish(
    total: FloatArray,
    event: Event,
    brand: Brand,
    scenario: Scenario,
    minutes: IntArray,
    centres: FloatArray,
    *,
    after_ms: int | None,
) -> FloatArray:
    total *= _calming(event, centres, after_ms=after_ms)
    if event.diurnal > 0:
        total *= daily_factor(brand, scenario, minutes) ** event.diurnal
    if event.end_ms is not None:
        total[centres >= event.end_ms] = 0.0
    return total * (brand.baseline.rate_per_hour / 60.0)


def _tone_arrays(tone: Tone, calm: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Positive, negative, aggressive shares per minute after calming responses.

    The aggressive share decays with the calming factor; the rest of the
    negative share keeps 40 % of itself plus 60 % times the factor.
    """
    aggressive = tone.aggressive * calm
    negative = aggressive + (tone.negative - tone.aggressive) * (0.4 + 0.6 * calm)
    positive = np.full_like(calm, tone.positive)
    return positive, negative, aggressive


def event_tone(
    event: Event, scenario: Scenario, minutes: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Positive, negative and aggressive shares of the event's mentions per minute."""
    return _tone_arrays(event.tone, _calming(event, _centres_ms(scenario, minutes)))


def surge_tone(
    event: Event, response: Response, scenario: Scenario, minutes: IntArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Tone of a backfire surge: the event's, angrier by ``response.anger``."""
    base = event.tone
    aggressive = min(0.9, base.aggressive * response.anger)
    negative = min(0.95, max(base.negative, aggressive) + 0.1)
    angry = Tone(
        positive=min(base.positive, 1.0 - negative) * 0.5,
        negative=negative,
        aggressive=aggressive,
    )
    calm = _calming(event, _centres_ms(scenario, minutes), after_ms=response.at_ms)
    return _tone_arrays(angry, calm)
