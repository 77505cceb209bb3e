"""One contract, every detector: the conformance suite.

Each detector gets a *driver*: how to build a seeded flat stream of inputs, feed
one input, and read its outputs. The suite checks pickle round trips mid-stream,
determinism, reset, clone, bounded memory over a long run, silence on a flat
stream, and parameter validation.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from detectors.base import Detector
from detectors.batch import MentionBatch
from detectors.bins import EventTimeBins
from detectors.evolution import EvolutionDetector
from detectors.fusion import LevelFusion, Scores
from detectors.incidents import IncidentTracker, InsideMonitor, OfflineAdvisor, ResponseMonitor
from detectors.tone import ToneDetector
from detectors.volume import VolumeDetector
from tests.synthetic import random_batch

MIN = 60_000
T0 = 1_767_225_600_000


@dataclass(frozen=True)
class Driver:
    make: Callable[[], Detector]
    inputs: Callable[[int, int], Iterator[Any]]  # (seed, n) -> inputs
    feed: Callable[[Any, Any], Any]  # (detector, input) -> output of the step
    outputs: Callable[[Any], tuple[Any, ...]]  # detector -> readable state
    quiet: Callable[[Any], bool]  # detector -> no alarm now
    invalid: dict[str, Any]  # a keyword argument with an invalid value
    # the flat stream of the silence test, when ``inputs`` is not flat (it then exercises
    # the detector's alarms in the other tests)
    flat: Callable[[int, int], Iterator[Any]] | None = None


def _poisson(seed: int, n: int, rate: float = 12.0) -> Iterator[tuple[float, int]]:
    rng = np.random.default_rng(seed)
    for i in range(n):
        t = T0 + (i + 1) * MIN
        daily = 1.0 + 0.5 * math.sin(2 * math.pi * (t % 86_400_000) / 86_400_000)
        yield float(rng.poisson(rate * daily)), t


def _tone_inputs(seed: int, n: int) -> Iterator[tuple[int, int, int, int]]:
    rng = np.random.default_rng(seed)
    for count, t in _poisson(seed, n):
        c = int(count)
        yield c, int(rng.binomial(c, 0.12)), int(rng.binomial(c, 0.02)), t


def _batches(seed: int, n: int) -> Iterator[MentionBatch]:
    rng = np.random.default_rng(seed)
    for count, t in _poisson(seed, n):
        k = int(count)
        ts = (t - MIN + rng.integers(-20_000, MIN, k)).tolist()
        yield random_batch(rng, ts, id_prefix=f"{t}-")


def _fusion_inputs(seed: int, n: int) -> Iterator[tuple[Scores, int]]:
    rng = np.random.default_rng(seed)
    for i in range(n):
        yield (
            Scores(
                onset=float(rng.uniform(0, 0.3)),
                elevation=float(rng.uniform(0.8, 1.3)),
                negative=float(rng.uniform(0, 0.5)),
                aggressive=float(rng.uniform(0, 0.5)),
                growth=float(rng.uniform(-0.3, 0.3)),
            ),
            T0 + (i + 1) * MIN,
        )


def _levels(seed: int, n: int) -> Iterator[tuple[int, int, int]]:
    """A calm brand's levels: watch now and then, never alert. (level, previous, end)."""
    rng = np.random.default_rng(seed)
    previous = 0
    for i in range(n):
        level = int(rng.random() < 0.05)
        yield level, previous, T0 + (i + 1) * MIN
        previous = level


def _episodes(seed: int, n: int) -> Iterator[tuple[int, int, int]]:
    """Levels with an episode of alert and crisis every few hours. (level, previous, end)."""
    rng = np.random.default_rng(seed)
    previous, until, peak = 0, -1, 0
    for i in range(n):
        if i > until and rng.random() < 1 / 300:  # an episode starts
            until, peak = i + int(rng.integers(10, 60)), int(rng.integers(2, 4))
        level = (peak if i % 7 else 2) if i <= until else int(rng.random() < 0.05)
        yield level, previous, T0 + (i + 1) * MIN
        previous = level


def _flow(seed: int, n: int) -> Iterator[tuple[tuple[float, ...], bool]]:
    """Closed bins of a flat flow, with an official response every three hours."""
    for i, (c, neg, agg, t) in enumerate(_tone_inputs(seed, n)):
        yield (float(c), float(neg), float(agg), 0.0, 12.0, float(t)), i % 180 == 90


def _feed_flow(d: ResponseMonitor, x: tuple[tuple[float, ...], bool]) -> list[str]:
    (count, negative, aggressive, employee, expected, t), respond = x
    d.update(
        end_ms=int(t),
        count=count,
        negative=negative,
        aggressive=aggressive,
        employee=employee,
        expected=expected,
    )
    if respond:
        d.add_response(response_ms=int(t) + 1, mention_id=f"r{int(t)}", text="We hear you.")
    return [i.verdict for i in d.judged]


def _employee_posts(seed: int, n: int) -> Iterator[tuple[float, int]]:
    """One employee post an hour, at a seeded minute."""
    minute = int(np.random.default_rng(seed).integers(0, 60))
    for i in range(n):
        yield (1.0 if i % 60 == minute else 0.0), T0 + (i + 1) * MIN


def _offline_inputs(seed: int, n: int) -> Iterator[tuple[int, float, float, int]]:
    """After a response, a flow whose anger stays below the rule's share."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        yield 1, float(rng.uniform(0.0, 0.2)), float(rng.uniform(0.0, 0.6)), T0 + (i + 1) * MIN


def _pile_ons(seed: int, n: int) -> Iterator[tuple[int, float, float, int]]:
    """Anger and concentration that hold for 40-minute stretches, sometimes above the rule."""
    rng = np.random.default_rng(seed)
    share = concentration = 0.0
    for i in range(n):
        if i % 40 == 0:
            share, concentration = float(rng.uniform(0.0, 0.5)), float(rng.uniform(0.0, 0.6))
        yield 1, share, concentration, T0 + (i + 1) * MIN


DRIVERS = {
    "EventTimeBins": Driver(
        make=EventTimeBins,
        inputs=_batches,
        feed=lambda d, b: (
            d.update(b),
            [(c.start_ms, c.count, c.reach) for c in d.last_update.closed],
        ),
        outputs=lambda d: (d.watermark_ms, d.closed_until_ms, d.accepted_total, d.late_total),
        quiet=lambda d: d.open_bins <= 3,
        invalid={"grace_ms": -5},
    ),
    "VolumeDetector": Driver(
        make=VolumeDetector,
        inputs=_poisson,
        feed=lambda d, x: d.update(x[0], end_ms=x[1]),
        outputs=lambda d: (d.score, d.expected, d.threshold, d.elevation, d.warm),
        quiet=lambda d: d.score < d.alarm_score,
        invalid={"alarm_score": 1.5},
    ),
    "ToneDetector": Driver(
        make=ToneDetector,
        inputs=_tone_inputs,
        feed=lambda d, x: d.update(x[0], x[1], x[2], end_ms=x[3]),
        outputs=lambda d: (d.negative.score, d.aggressive.score, d.negative.share),
        quiet=lambda d: d.negative.score < 0.9 and d.aggressive.score < 0.9,
        invalid={"margin": 0.0},
    ),
    "EvolutionDetector": Driver(
        make=EvolutionDetector,
        inputs=lambda seed, n: ((c, c * 300.0, t) for c, t in _poisson(seed, n)),
        feed=lambda d, x: d.update(x[0], x[1], end_ms=x[2]),
        outputs=lambda d: (d.volume.per_hour, d.reach.per_hour, d.volume.acceleration),
        quiet=lambda d: d.volume.doubling_min > 30,
        invalid={"slow_half_life_ms": 1},
    ),
    "LevelFusion": Driver(
        make=LevelFusion,
        inputs=_fusion_inputs,
        feed=lambda d, x: d.update(x[0], end_ms=x[1]),
        outputs=lambda d: (d.level, d.previous_level, tuple(map(str, d.reasons))),
        quiet=lambda d: d.level == 0,
        invalid={"alert_tone": 2.0},
    ),
    "IncidentTracker": Driver(
        make=IncidentTracker,
        inputs=_episodes,
        flat=_levels,
        feed=lambda d, x: (
            d.update("acme", level=x[0], previous_level=x[1], end_ms=x[2]),
            [e.type for e in d.events],
        ),
        outputs=lambda d: (d.current, tuple(d.past)),
        quiet=lambda d: d.current is None,
        invalid={"open_level": 4},
    ),
    "ResponseMonitor": Driver(
        make=ResponseMonitor,
        inputs=_flow,
        feed=_feed_flow,
        outputs=lambda d: (d.pending, d.recent_sums(end_ms=T0 + 10**12, window_ms=10**13)),
        # a response to a flat flow changed nothing, and is judged on time
        quiet=lambda d: d.pending <= 1 and all(i.verdict == "no_effect" for i in d.judged),
        invalid={"backfire_ratio": 0.5},
    ),
    "InsideMonitor": Driver(
        make=InsideMonitor,
        inputs=_employee_posts,
        feed=lambda d, x: d.update(employee=x[0], end_ms=x[1]),
        outputs=lambda d: (d.rising, d.recent_posts, d.expected_posts),
        quiet=lambda d: not d.rising,
        invalid={"min_posts": 0},
    ),
    "OfflineAdvisor": Driver(
        make=OfflineAdvisor,
        inputs=_pile_ons,
        flat=_offline_inputs,
        feed=lambda d, x: d.update(
            responses=x[0], aggressive_share=x[1], concentration=x[2], end_ms=x[3]
        ),
        outputs=lambda d: (d.advised, d.reasons),
        quiet=lambda d: not d.advised,
        invalid={"concentration": 1.5},
    ),
}
NAMES = sorted(DRIVERS)


def test_every_detector_has_a_driver() -> None:
    import importlib
    import pkgutil

    import detectors

    for module in pkgutil.iter_modules(detectors.__path__):
        importlib.import_module(f"detectors.{module.name}")

    def subclasses(cls: type) -> set[type]:
        return {c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))}

    names = {c.__name__ for c in subclasses(Detector) if c.__module__.startswith("detectors.")}
    assert names == set(DRIVERS)


def run(driver: Driver, det: Any, inputs: list[Any]) -> list[tuple[Any, ...]]:
    out = []
    for x in inputs:
        step = driver.feed(det, x)
        out.append((step, driver.outputs(det)))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_pickle_round_trip_mid_stream(name: str) -> None:
    driver = DRIVERS[name]
    inputs = list(driver.inputs(1, 3 * 1440))
    det = driver.make()
    run(driver, det, inputs[:2000])
    copy = pickle.loads(pickle.dumps(det))
    assert run(driver, copy, inputs[2000:]) == run(driver, det, inputs[2000:])


@pytest.mark.parametrize("name", NAMES)
def test_deterministic(name: str) -> None:
    driver = DRIVERS[name]
    inputs = list(driver.inputs(2, 1440))
    assert run(driver, driver.make(), inputs) == run(driver, driver.make(), inputs)


@pytest.mark.parametrize("name", NAMES)
def test_reset_forgets_everything_and_keeps_parameters(name: str) -> None:
    driver = DRIVERS[name]
    inputs = list(driver.inputs(3, 1440))
    det = driver.make()
    params = det._get_params()
    run(driver, det, list(driver.inputs(4, 1440)))
    det.reset()
    assert det._get_params() == params
    assert run(driver, det, inputs) == run(driver, driver.make(), inputs)


@pytest.mark.parametrize("name", NAMES)
def test_clone_has_the_same_parameters_and_no_state(name: str) -> None:
    driver = DRIVERS[name]
    det = driver.make()
    run(driver, det, list(driver.inputs(5, 600)))
    clone = det.clone()
    assert type(clone) is type(det) and clone._get_params() == det._get_params()
    inputs = list(driver.inputs(6, 600))
    assert run(driver, clone, inputs) == run(driver, driver.make(), inputs)
    assert repr(clone).startswith(type(det).__name__ + "(")


@pytest.mark.parametrize("name", NAMES)
def test_memory_is_bounded(name: str) -> None:
    driver = DRIVERS[name]
    det = driver.make()
    inputs = driver.inputs(7, 14 * 1440)
    sizes = []
    for _day in range(14):
        run(driver, det, [next(inputs) for _ in range(1440)])
        sizes.append(len(pickle.dumps(det)))
    assert max(sizes[7:]) <= 1.5 * max(sizes[:2]) + 512, sizes  # no trend; samples churn
    assert sizes[-1] < 64_000


@pytest.mark.parametrize("name", NAMES)
def test_silent_on_a_flat_stream(name: str) -> None:
    driver = DRIVERS[name]
    det = driver.make()
    alarms = 0
    for i, x in enumerate((driver.flat or driver.inputs)(8, 7 * 1440)):
        driver.feed(det, x)
        if i >= 1440 and not driver.quiet(det):  # after a day of learning
            alarms += 1
    assert alarms == 0


@pytest.mark.parametrize("name", NAMES)
def test_invalid_parameters_name_the_valid_values(name: str) -> None:
    driver = DRIVERS[name]
    ((arg, value),) = driver.invalid.items()
    with pytest.raises(ValueError, match=rf"{arg}=.* is not valid; valid values: "):
        type(driver.make())(**{arg: value})


@pytest.mark.parametrize("name", NAMES)
def test_every_argument_of_the_wrong_type_raises_value_error(name: str) -> None:
    """None, a string or a bool (``True`` is no duration) for any argument: a
    ValueError naming the valid values, never a TypeError or an accepted value."""
    import inspect

    cls = type(DRIVERS[name].make())
    for arg in inspect.signature(cls.__init__).parameters:
        if arg == "self":
            continue
        for bad in (None, "x", True):
            with pytest.raises(ValueError, match=rf"{arg}=.* is not valid; valid values: "):
                cls(**{arg: bad})


@pytest.mark.parametrize("name", NAMES)
def test_constructor_arguments_are_keyword_only_and_stored(name: str) -> None:
    import inspect

    det = DRIVERS[name].make()
    for param in inspect.signature(type(det).__init__).parameters.values():
        if param.name == "self":
            continue
        assert param.kind is inspect.Parameter.KEYWORD_ONLY, param.name
        assert getattr(det, param.name) == param.default, param.name
