"""Golden tests of the volume detector on small seeded synthetic series."""

from __future__ import annotations

import copy
import itertools
import math
import pickle

import numpy as np
import pytest

from detectors.volume import VolumeDetector

DAY_MS = 86_400_000
# Monday 2024-01-01 00:00 UTC.
START_MS = 1_704_067_200_000


def daily_rate(t_ms: int, mean: float) -> float:
    """A daily cycle: quiet at night, busy in the afternoon (x 0.3 to x 1.7)."""
    phase = 2.0 * math.pi * ((t_ms % DAY_MS) / DAY_MS - 0.375)
    return mean * (1.0 + 0.7 * math.sin(phase))


def neg_binomial(rng: np.random.Generator, mean: float, dispersion: float) -> float:
    """A negative-binomial draw with variance ``mean + dispersion * mean**2``."""
    shape = 1.0 / dispersion
    return float(rng.poisson(rng.gamma(shape, mean / shape)))


def feed_calm(
    det: VolumeDetector,
    rng: np.random.Generator,
    *,
    days: float,
    mean: float,
    start_ms: int = START_MS,
    dispersion: float = 0.05,
) -> tuple[int, list[float]]:
    """Feed ``days`` of seasonal negative-binomial counts; return the last end and scores."""
    scores = []
    t = start_ms
    for _ in range(round(days * DAY_MS / det.bin_ms)):
        t += det.bin_ms
        det.update(neg_binomial(rng, daily_rate(t - det.bin_ms // 2, mean), dispersion), end_ms=t)
        scores.append(det.score)
    return t, scores


def bins_to_alarm(
    det: VolumeDetector,
    rng: np.random.Generator,
    t: int,
    *,
    mean: float,
    factor: float,
    max_bins: int = 30,
) -> int | None:
    """Feed ``factor`` times the normal rate; return how many bins until the alarm."""
    for i in range(1, max_bins + 1):
        t += det.bin_ms
        rate = factor * daily_rate(t - det.bin_ms // 2, mean)
        det.update(neg_binomial(rng, rate, 0.05), end_ms=t)
        if det.score >= det.alarm_score:
            return i
    return None


BINS = [pytest.param(60_000, 4.0, id="1min"), pytest.param(300_000, 20.0, id="5min")]


@pytest.mark.parametrize(("bin_ms", "mean"), BINS)
def test_calm_seasonal_stream_stays_quiet(bin_ms: int, mean: float) -> None:
    det = VolumeDetector(bin_ms=bin_ms)
    rng = np.random.default_rng(1)
    _, scores = feed_calm(det, rng, days=3, mean=mean)
    assert det.warm
    warm = scores[len(scores) // 3 :]
    # Rare isolated false alarms are possible in principle; none in this seeded series.
    assert max(warm) < det.alarm_score
    # The baseline follows the daily cycle: expected count near the true rate.
    t = START_MS + 3 * DAY_MS
    assert det.expected == pytest.approx(daily_rate(t - bin_ms // 2, mean), rel=0.35)


@pytest.mark.parametrize(("bin_ms", "mean"), BINS)
def test_step_of_five_times_alarms_within_a_few_bins(bin_ms: int, mean: float) -> None:
    det = VolumeDetector(bin_ms=bin_ms)
    rng = np.random.default_rng(2)
    t, _ = feed_calm(det, rng, days=3, mean=mean)
    delay = bins_to_alarm(det, rng, t, mean=mean, factor=5.0)
    # Within ten minutes (the same rate, 4 a minute, at both bin widths).
    assert delay is not None and delay * bin_ms <= 600_000


@pytest.mark.parametrize(("bin_ms", "mean"), BINS)
def test_single_spike_alarms_at_once(bin_ms: int, mean: float) -> None:
    det = VolumeDetector(bin_ms=bin_ms)
    rng = np.random.default_rng(3)
    t, _ = feed_calm(det, rng, days=3, mean=mean)
    det.update(20.0 * det.expected + 10.0, end_ms=t + bin_ms)
    assert det.score >= det.alarm_score


@pytest.mark.parametrize(("bin_ms", "mean"), BINS)
def test_a_crisis_alarms_at_its_onset_not_at_every_bin(bin_ms: int, mean: float) -> None:
    det = VolumeDetector(bin_ms=bin_ms)
    rng = np.random.default_rng(11)
    t, _ = feed_calm(det, rng, days=3, mean=mean)
    alarms = 0
    for _ in range(3_600_000 // bin_ms):  # an hour at 5x
        t += bin_ms
        det.update(neg_binomial(rng, 5.0 * daily_rate(t - bin_ms // 2, mean), 0.05), end_ms=t)
        alarms += det.score >= det.alarm_score
        # The baseline is not dragged up by the crisis.
        assert det.expected < 2.0 * daily_rate(t - bin_ms // 2, mean)
    assert 1 <= alarms <= 2
    assert det.regime > 2.0  # the crisis level is what the detector now expects


@pytest.mark.parametrize(("bin_ms", "mean"), BINS)
def test_past_burst_does_not_desensitise(bin_ms: int, mean: float) -> None:
    det = VolumeDetector(bin_ms=bin_ms)
    rng = np.random.default_rng(4)
    t, _ = feed_calm(det, rng, days=3, mean=mean)
    t_before = t
    # A two-hour burst at 5x.
    for _ in range(2 * 3_600_000 // bin_ms):
        t += bin_ms
        det.update(neg_binomial(rng, 5.0 * daily_rate(t - bin_ms // 2, mean), 0.05), end_ms=t)
    # Twelve calm hours.
    t, scores = feed_calm(det, rng, days=0.5, mean=mean, start_ms=t)
    # The burst left the baseline nearly where it was, and the alarm cleared.
    assert det.expected == pytest.approx(daily_rate(t - bin_ms // 2, mean), rel=0.5)
    assert max(scores[len(scores) // 4 :]) < det.alarm_score
    # A new 5x step is caught as fast as before.
    delay = bins_to_alarm(det, rng, t, mean=mean, factor=5.0)
    assert delay is not None and delay * bin_ms <= 600_000
    assert t > t_before


def test_low_counts_need_more_evidence_than_high_counts() -> None:
    # Three mentions instead of 0.3 expected is not a crisis on its own.
    det = VolumeDetector(bin_ms=60_000)
    rng = np.random.default_rng(5)
    t, _ = feed_calm(det, rng, days=2, mean=0.3)
    det.update(3.0, end_ms=t + 60_000)
    assert det.score < det.alarm_score


def test_threshold_is_the_count_that_reaches_alarm_score() -> None:
    det = VolumeDetector(bin_ms=300_000)
    rng = np.random.default_rng(6)
    t, _ = feed_calm(det, rng, days=2, mean=20.0)
    det.update(25.0, end_ms=t + 300_000)
    threshold = det.threshold
    assert threshold > det.expected
    # Replay the same bin from the state before it, at and just below the threshold.
    for count, reaches in ((threshold * 1.001, True), (threshold * 0.99, False)):
        replay = VolumeDetector(bin_ms=300_000)
        rng = np.random.default_rng(6)
        feed_calm(replay, rng, days=2, mean=20.0)
        replay.update(count, end_ms=t + 300_000)
        assert (replay.score >= replay.alarm_score) is reaches


@pytest.mark.parametrize("alarm_score", [0.3, 0.9])
def test_threshold_at_other_alarm_scores(alarm_score: float) -> None:
    def replay(count: float) -> VolumeDetector:
        det = VolumeDetector(bin_ms=300_000, alarm_score=alarm_score)
        t, _ = feed_calm(det, np.random.default_rng(12), days=2, mean=20.0)
        det.update(count, end_ms=t + 300_000)
        return det

    threshold = replay(20.0).threshold
    assert replay(threshold * 1.001).score >= alarm_score
    assert replay(threshold * 0.99).score < alarm_score


def test_pickle_round_trip_mid_stream_gives_identical_scores() -> None:
    det = VolumeDetector(bin_ms=60_000)
    rng = np.random.default_rng(7)
    t, _ = feed_calm(det, rng, days=1.5, mean=5.0)
    twin = pickle.loads(pickle.dumps(det))
    counts = [neg_binomial(rng, 5.0, 0.05) for _ in range(500)] + [40.0] * 5 + [5.0] * 100
    alarmed = False
    for i, count in enumerate(counts, start=1):
        det.update(count, end_ms=t + i * 60_000)
        twin.update(count, end_ms=t + i * 60_000)
        assert (twin.score, twin.expected, twin.threshold, twin.anomaly_score) == (
            det.score,
            det.expected,
            det.threshold,
            det.anomaly_score,
        )
        alarmed = alarmed or det.score >= det.alarm_score
    assert alarmed  # the stream did exercise an alarm and its aftermath


def test_reset_equals_a_fresh_detector() -> None:
    det = VolumeDetector(bin_ms=300_000, shift_ratio=3.0)
    rng = np.random.default_rng(8)
    feed_calm(det, rng, days=1, mean=10.0)
    det.reset()
    fresh = det.clone()
    assert repr(fresh) == repr(det)
    assert pickle.dumps(det) == pickle.dumps(fresh)
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    _, scores_a = feed_calm(det, rng_a, days=1, mean=10.0)
    _, scores_b = feed_calm(fresh, rng_b, days=1, mean=10.0)
    assert scores_a == scores_b


def test_memory_is_bounded() -> None:
    det = VolumeDetector(bin_ms=60_000)
    rng = np.random.default_rng(10)
    t, _ = feed_calm(det, rng, days=1, mean=5.0)
    size_day = len(pickle.dumps(det))
    feed_calm(det, rng, days=8, mean=5.0, start_ms=t)
    # Same state, whatever the run length (a few bytes more for bigger counters).
    assert abs(len(pickle.dumps(det)) - size_day) <= 16
    assert len(pickle.dumps(det)) < 4096


def test_zero_counts_and_silence() -> None:
    det = VolumeDetector(bin_ms=60_000)
    for i in range(1, 3000):
        det.update(0.0, end_ms=START_MS + i * 60_000)
    assert det.score == 0.0
    assert det.expected >= 0.0
    assert math.isfinite(det.threshold)
    det.update(50.0, end_ms=START_MS + 3000 * 60_000)
    assert det.score >= det.alarm_score  # fifty mentions out of silence


def test_not_warm_before_warmup() -> None:
    det = VolumeDetector(bin_ms=60_000, warmup_ms=3_600_000)
    assert not det.warm
    for i in range(1, 60):
        det.update(3.0, end_ms=START_MS + i * 60_000)
    assert not det.warm
    det.update(3.0, end_ms=START_MS + 61 * 60_000)
    assert det.warm


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bin_ms": 0}, "bin_ms=0 is not valid"),
        ({"shift_ratio": 1.0}, "shift_ratio=1.0 is not valid"),
        ({"alarm_score": 1.0}, "alarm_score=1.0 is not valid"),
        ({"level_half_life_ms": -1}, "level_half_life_ms=-1 is not valid"),
        ({"decision_nats": 0.0}, "decision_nats=0.0 is not valid"),
        ({"burst_ratio": 1.0}, "burst_ratio=1.0 is not valid"),
        ({"anomaly_escalation": 0.5}, "anomaly_escalation=0.5 is not valid"),
        ({"anomaly_memory_ms": 0}, "anomaly_memory_ms=0 is not valid"),
        # so long a half-life that a bin weighs nothing (it would divide by zero)
        ({"dispersion_half_life_ms": 1e300}, r"dispersion_half_life_ms=1e\+300 is not valid"),
        ({"outage_mentions": 0.0}, "outage_mentions=0.0 is not valid"),
    ],
)
def test_invalid_parameters_raise(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        VolumeDetector(**kwargs)  # type: ignore[arg-type]


def test_invalid_updates_raise() -> None:
    det = VolumeDetector()
    det.update(1.0, end_ms=120_000)
    with pytest.raises(ValueError, match="end_ms=120000 is not valid"):
        det.update(1.0, end_ms=120_000)
    with pytest.raises(ValueError, match=r"count=-1\.0 is not valid"):
        det.update(-1.0, end_ms=180_000)
    state = copy.deepcopy(det)
    assert pickle.dumps(state) == pickle.dumps(det)  # a refused update changed nothing


# --------------------------------------------------------------------------- burst test


def test_burst_test_catches_a_sharp_surge_sooner() -> None:
    # Eight times the rate out of a quiet minute-binned brand: the burst test (log 8
    # nats a mention) alarms before the doubling test alone would (log 2 a mention).
    def bins(det: VolumeDetector) -> int | None:
        rng = np.random.default_rng(13)
        t, _ = feed_calm(det, rng, days=2, mean=0.8)
        return bins_to_alarm(det, rng, t, mean=0.8, factor=8.0)

    both = bins(VolumeDetector(bin_ms=60_000))
    gradual = bins(VolumeDetector(bin_ms=60_000, burst_ratio=2.0))  # <= shift_ratio: off
    assert both is not None and gradual is not None
    assert both < gradual


# --------------------------------------------------------------------------- anomaly score


def test_anomaly_score_is_silent_while_warming_up() -> None:
    det = VolumeDetector(bin_ms=60_000)
    for i in range(1, 600):
        det.update(50.0 if i % 100 == 0 else 2.0, end_ms=START_MS + i * 60_000)
        assert det.anomaly_score == 0.0
    assert not det.warm


@pytest.mark.parametrize(("bin_ms", "mean"), BINS)
def test_anomaly_is_reported_at_the_burst_once_per_doubling(bin_ms: int, mean: float) -> None:
    det = VolumeDetector(bin_ms=bin_ms)
    rng = np.random.default_rng(14)
    t, _ = feed_calm(det, rng, days=4, mean=mean)
    calm = []
    for _ in range(round(DAY_MS / bin_ms)):  # a calm day, recorded
        t += bin_ms
        det.update(neg_binomial(rng, daily_rate(t - bin_ms // 2, mean), 0.05), end_ms=t)
        calm.append(det.anomaly_score)
    burst = []
    reports: list[tuple[int, float]] = []  # (bin, anomaly_z) of each report
    for i in range(2 * 3_600_000 // bin_ms):  # two hours at 4x
        t += bin_ms
        det.update(neg_binomial(rng, 4.0 * daily_rate(t - bin_ms // 2, mean), 0.05), end_ms=t)
        burst.append(det.anomaly_score)
        if det.anomaly_score > 0.0:
            reports.append((i, det.anomaly_z))
    # The burst outranks the whole calm day.
    assert max(burst) > max(calm)
    # Reported at its start and then only when the hourly elevation doubles (against
    # the last report, decayed): a few reports, not one per bin.
    assert 1 <= len(reports) < len(burst) // 4
    for (i0, z0), (i1, z1) in itertools.pairwise(reports):
        decay = 0.5 ** ((i1 - i0) * bin_ms / det.anomaly_hold_ms)
        assert z1 > det.anomaly_escalation * z0 * decay


def test_anomaly_is_relative_to_the_brands_own_swings() -> None:
    # The same 3x hour is more unusual for a steady brand than for one whose volume
    # often jumps (a 3x hour every day).
    def peak(jumpy: bool) -> float:
        det = VolumeDetector(bin_ms=300_000)
        rng = np.random.default_rng(15)
        t = START_MS
        for i in range(round(6 * DAY_MS / 300_000)):
            t += 300_000
            factor = 3.0 if jumpy and i % 288 in range(150, 162) else 1.0
            det.update(neg_binomial(rng, factor * daily_rate(t - 150_000, 20.0), 0.05), end_ms=t)
        best = 0.0
        for _ in range(12):
            t += 300_000
            det.update(neg_binomial(rng, 3.0 * daily_rate(t - 150_000, 20.0), 0.05), end_ms=t)
            best = max(best, det.anomaly_score)
        return best

    assert peak(jumpy=False) > peak(jumpy=True) > 0.0


def test_anomaly_z_is_the_same_at_one_and_five_minute_bins() -> None:
    # The same hour-long 3x rise, at 1-minute and at 5-minute bins of the same rate:
    # the hourly elevation, in the brand's own units, does not depend on the bin width.
    def z_after_rise(bin_ms: int) -> float:
        det = VolumeDetector(bin_ms=bin_ms)
        rng = np.random.default_rng(16)
        per_bin = 5.0 * bin_ms / 60_000
        t, _ = feed_calm(det, rng, days=4, mean=per_bin)
        for _ in range(3_600_000 // bin_ms):
            t += bin_ms
            rate = 3.0 * daily_rate(t - bin_ms // 2, per_bin)
            det.update(neg_binomial(rng, rate, 0.05), end_ms=t)
        return det.anomaly_z

    one, five = z_after_rise(60_000), z_after_rise(300_000)
    assert one > 0.0 and five > 0.0
    assert one == pytest.approx(five, rel=0.3)


def test_state_pickled_by_an_older_version_still_loads() -> None:
    # A brand's state saved before the burst test and the anomaly score existed:
    # it loads with those parts fresh and keeps its learnt baseline.
    det = VolumeDetector(bin_ms=60_000)
    rng = np.random.default_rng(17)
    t, _ = feed_calm(det, rng, days=8, mean=5.0)  # past the drift's first week
    added = {k for k in det.__dict__ if "anomaly" in k or "burst" in k}
    added |= {"_hour_count", "_hour_expected", "_dev_sq", "_dev_n", "_reported"}
    added |= {"_hour_gain", "_dev_gain", "_hold_decay"}
    added |= {"_slow_level", "_hour_slow", "_drift_gain", "drift_half_life_ms"}
    old_state = copy.deepcopy({k: v for k, v in det.__dict__.items() if k not in added})
    restored = VolumeDetector.__new__(VolumeDetector)
    restored.__setstate__(old_state)
    assert restored.burst_ratio == det.burst_ratio  # the new parameters' defaults
    restored.update(5.0, end_ms=t + 60_000)
    det.update(5.0, end_ms=t + 60_000)
    assert restored.expected == det.expected  # the learnt baseline is kept
    assert restored.anomaly_score == 0.0  # the new hourly means start afresh
    # the week's normal starts from the learnt baseline, not from nothing
    assert restored.drift < 1.5


def test_a_rise_over_days_shows_in_the_drift_not_in_the_elevation() -> None:
    # A controversy that grows over three days to six times the normal volume: the
    # one-day baseline follows it, so the elevation stays under the alert's 2.5;
    # against the last week's normal the drift stands out. It says nothing (1.0) during
    # the first week, and stays low on calm days after it.
    det = VolumeDetector(bin_ms=300_000)
    rng = np.random.default_rng(23)
    day = DAY_MS // det.bin_ms
    t = START_MS

    def feed(days: int, growth: float) -> tuple[list[float], list[float]]:
        nonlocal t
        elevation, drift = [], []
        for i in range(1, days * day + 1):
            t += det.bin_ms
            factor = 1.0 + (growth - 1.0) * (i / (days * day)) ** 2
            rate = factor * daily_rate(t - det.bin_ms // 2, 4.0)
            det.update(neg_binomial(rng, rate, 0.05), end_ms=t)
            elevation.append(det.elevation)
            drift.append(det.drift)
        return elevation, drift

    _, first_week = feed(7, 1.0)
    assert set(first_week[:-1]) == {1.0}
    _, calm = feed(3, 1.0)
    elevation, drift = feed(3, 6.0)
    assert max(calm) < 1.5
    assert max(elevation[-day:]) < 2.5
    assert max(drift[-day:]) >= 3.0


@pytest.mark.parametrize("silent_days", [1, 3, 6])
def test_the_usual_volume_after_an_outage_is_not_a_rise(silent_days: int) -> None:
    # A collector down for days (no bin holds a mention), then the brand's usual
    # traffic: the baseline did not learn the outage's zeros, so nothing looks up.
    # A quiet night of a small brand, where few mentions were expected, is learnt.
    det = VolumeDetector(bin_ms=300_000)
    rng = np.random.default_rng(29)
    t, _ = feed_calm(det, rng, days=7, mean=10.0)
    before = det.expected
    for _ in range(silent_days * DAY_MS // det.bin_ms):
        t += det.bin_ms
        det.update(0.0, end_ms=t)
    t, scores = feed_calm(det, rng, days=1, mean=10.0, start_ms=t)
    assert max(scores) < det.alarm_score
    assert det.elevation < 1.5 and det.drift < 1.5
    assert det.expected == pytest.approx(before, rel=0.3)


def test_a_brand_that_became_quiet_is_learnt_quiet() -> None:
    # Not an outage: the usual traffic falls from 10 to 0.5 mentions a bin (zero
    # runs stay plausible at the new rate): within three days the baseline follows.
    det = VolumeDetector(bin_ms=300_000)
    rng = np.random.default_rng(31)
    t, _ = feed_calm(det, rng, days=7, mean=10.0)
    feed_calm(det, rng, days=3, mean=0.5, start_ms=t)
    assert det.expected < 1.5
