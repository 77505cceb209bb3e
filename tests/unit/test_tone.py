"""Golden tests of the tone-shift detector."""

from __future__ import annotations

import numpy as np

from detectors.tone import ToneDetector

MIN = 60_000


def feed(
    tone: ToneDetector,
    t: int,
    minutes: int,
    rate: float,
    neg: float,
    aggr: float,
    rng: np.random.Generator,
) -> int:
    for _ in range(minutes):
        t += MIN
        n = int(rng.poisson(rate))
        k = int(rng.binomial(n, neg))
        tone.update(n, k, int(rng.binomial(k, aggr / neg)) if neg else 0, end_ms=t)
    return t


def test_learns_the_brands_own_normal_even_when_it_is_negative() -> None:
    rng = np.random.default_rng(1)
    tone = ToneDetector()
    feed(tone, 0, 3 * 1440, rate=10, neg=0.45, aggr=0.05, rng=rng)  # a much-criticised brand
    assert abs(tone.baseline(tone.negative) - 0.45) < 0.05
    assert tone.negative.score < 0.5


def test_a_shift_is_found_within_minutes_at_moderate_volume() -> None:
    rng = np.random.default_rng(2)
    tone = ToneDetector()
    t = feed(tone, 0, 2 * 1440, rate=10, neg=0.1, aggr=0.02, rng=rng)
    scores = []
    for _ in range(10):
        t = feed(tone, t, 1, rate=30, neg=0.7, aggr=0.3, rng=rng)
        scores.append(tone.negative.score)
    assert scores[4] > 0.9


def test_a_long_crisis_does_not_become_the_baseline() -> None:
    rng = np.random.default_rng(3)
    tone = ToneDetector()
    t = feed(tone, 0, 2 * 1440, rate=10, neg=0.1, aggr=0.02, rng=rng)
    feed(tone, t, 12 * 60, rate=30, neg=0.7, aggr=0.3, rng=rng)
    assert tone.baseline(tone.negative) < 0.2
    assert tone.negative.score > 0.99


def test_a_handful_of_angry_posts_at_night_is_not_a_shift() -> None:
    rng = np.random.default_rng(4)
    tone = ToneDetector()
    t = feed(tone, 0, 2 * 1440, rate=5, neg=0.1, aggr=0.02, rng=rng)
    for _ in range(60):  # a quiet hour with two angry posts in it
        t += MIN
        tone.update(0, 0, 0, end_ms=t)
    t += MIN
    tone.update(2, 2, 2, end_ms=t)
    assert tone.aggressive.score < tone.alarm_score


def test_a_detector_pickled_before_the_burst_weight_loads_and_runs() -> None:
    """A brand's state in the changelog from before ``burst_weight``: loaded with the
    parameter at its default and a fresh typical volume, its baselines kept."""
    import pickle

    rng = np.random.default_rng(5)
    tone = ToneDetector()
    t = feed(tone, 0, 600, rate=10, neg=0.3, aggr=0.05, rng=rng)
    old = dict(tone.__dict__)
    for name in ("burst_weight", "_typical_n", "_bins"):
        del old[name]
    legacy = ToneDetector.__new__(ToneDetector)
    legacy.__dict__.update(old)
    loaded = pickle.loads(pickle.dumps(legacy))
    assert loaded.burst_weight == 3.0 and loaded._typical_n == 0.0
    assert loaded.baseline(loaded.negative) == tone.baseline(tone.negative)
    feed(loaded, t, 10, rate=10, neg=0.3, aggr=0.05, rng=rng)
    assert 0.2 < loaded.baseline(loaded.negative) < 0.4
