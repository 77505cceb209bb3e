"""ResponseMonitor: verdicts on synthetic flows whose truth is known."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from detectors.batch import MentionBatch
from detectors.incidents import IncidentEvent, ResponseMonitor
from detectors.state import BrandState, DetectionSettings
from tests.synthetic import angry_minute

_MIN = 60_000


def _verdict(rates_before: np.ndarray, rates_after: np.ndarray, *, seed: int) -> str:
    """Poisson counts at the given per-bin rates, a response between the two parts."""
    rng = np.random.default_rng(seed)
    monitor = ResponseMonitor(bin_ms=_MIN, window_ms=30 * _MIN)
    t = 0
    for rate in rates_before:
        t += _MIN
        c = float(rng.poisson(rate))
        monitor.update(
            end_ms=t, count=c, negative=c / 2, aggressive=0.0, employee=0.0, expected=0.8
        )
    monitor.add_response(response_ms=t + 1, mention_id="r", text="We are on it.")
    out = []
    for rate in rates_after:
        t += _MIN
        c = float(rng.poisson(rate))
        monitor.update(
            end_ms=t, count=c, negative=c / 2, aggressive=0.0, employee=0.0, expected=0.8
        )
        out += monitor.judged
    assert len(out) == 1
    return out[0].verdict


@pytest.mark.parametrize("rate", [3.0, 30.0])
def test_flat_flow_is_no_effect(rate: float) -> None:
    """Nothing changes after the response: a sparse or a busy flow is judged no_effect."""
    verdicts = Counter(
        _verdict(np.full(60, rate), np.full(31, rate), seed=seed) for seed in range(200)
    )
    assert verdicts["no_effect"] >= 180, verdicts


def test_natural_decay_is_not_credited_to_the_response() -> None:
    """A crisis decaying by itself (half-life 1 h) at the same pace after: no_effect."""
    minutes = np.arange(91)
    rates = 40.0 * 0.5 ** (minutes / 60.0)
    verdicts = Counter(_verdict(rates[:60], rates[60:], seed=seed) for seed in range(200))
    assert verdicts["no_effect"] >= 180, verdicts


@pytest.mark.parametrize(("factor", "expected"), [(2.0, "backfired"), (0.4, "calmed")])
def test_clear_changes_are_judged(factor: float, expected: str) -> None:
    """The flow doubles, or falls to 40 %, right after the response: judged so 9 times in 10.

    (The trend's own uncertainty, counted so that noise and natural decay are not credited
    to a response, costs some power: a fall to 40 % at 10 mentions per minute is judged
    calmed in about 46 of 50 seeds, the rest no_effect.)
    """
    verdicts = Counter(
        _verdict(np.full(60, 10.0), np.full(31, 10.0 * factor), seed=seed) for seed in range(50)
    )
    assert verdicts[expected] >= 45, verdicts


def test_a_peak_just_before_the_response_is_not_extrapolated_as_a_rise() -> None:
    """30 minutes of rise, a peak, natural decay; the response 30 minutes after the peak."""
    t = np.arange(91)
    rates = np.where(t < 30, 1.0 + 29.0 * t / 30.0, 30.0 * 0.5 ** ((t - 30) / 60.0))
    verdicts = Counter(_verdict(rates[:60], rates[60:], seed=seed) for seed in range(200))
    assert verdicts["no_effect"] >= 180, verdicts


def _judge_rows(
    before: list[tuple[float, float, float]], after: list[tuple[float, float, float]]
) -> tuple[str, float]:
    """Bins of (count, aggressive, expected), a response between the two lists."""
    monitor = ResponseMonitor(bin_ms=_MIN, window_ms=30 * _MIN)
    out = []
    t = 0
    for part in (before, after):
        if part is after:
            monitor.add_response(response_ms=t + 1, mention_id="r", text="We apologise.")
        for count, aggressive, expected in part:
            t += _MIN
            monitor.update(
                end_ms=t,
                count=count,
                negative=count,
                aggressive=aggressive,
                employee=0.0,
                expected=expected,
            )
            out += monitor.judged
    (impact,) = out
    return impact.verdict, impact.predicted_after_mentions


@pytest.mark.parametrize("night_mentions", [0, 1])
def test_an_apology_after_a_quiet_night_is_judged_against_the_normal_morning(
    night_mentions: int,
) -> None:
    """An hour of night with at most one mention says nothing of a trend: the normal
    morning that follows (5 a minute, as usual) did not make the apology backfire."""
    night = [(1.0 if k == 30 and night_mentions else 0.0, 0.0, 0.2) for k in range(60)]
    verdict, predicted = _judge_rows(night, [(5.0, 0.0, 5.0)] * 31)
    assert verdict == "no_effect"
    assert predicted == 150.0  # the seasonal normal over the half hour after


def test_two_aggressive_posts_of_four_do_not_make_a_collapse_backfire() -> None:
    """An angry thread (20 a minute) falls to 4 mentions in half an hour after the
    response, 2 of them aggressive: the flow calmed; two of four is not a share."""
    before = [(20.0, 2.0, 3.0)] * 60
    after = [
        (1.0 if k in (3, 9, 15, 21) else 0.0, 1.0 if k in (3, 9) else 0.0, 3.0) for k in range(31)
    ]
    verdict, _ = _judge_rows(before, after)
    assert verdict == "calmed"


# -- through a brand's state: which incident a response answers --------------------

_T0 = 1_704_672_000_000  # Monday 2024-01-08 00:00 UTC


def _replies(t: int, n: int) -> MentionBatch:
    """``n`` official replies within the minute starting at ``t``."""
    return MentionBatch.from_rows(
        ts_ms=[t + 1_000 + 500 * i for i in range(n)],
        followers=[100] * n,
        sentiment=[0.0] * n,
        aggression=[0.0] * n,
        kind=["official"] * n,
        ids=[f"reply-{t}-{i}" for i in range(n)],
        authors=["brand"] * n,
        texts=["We are sorry, DM us."] * n,
    )


def _surge(
    posts: set[int], *, replay: bool, flood: tuple[int, int] = (0, 0)
) -> tuple[int | None, list[IncidentEvent]]:
    """A calm day, then an angry surge (rising over 40 minutes) with an official post in
    the given minutes of it (id ``m<minute start>-0``); minute by minute, or (``replay``)
    the surge's two hours in one batch. Returns the minute of the surge the incident
    opened at, and the response verdicts."""
    rng = np.random.default_rng(11)
    state = BrandState(brand="acme", settings=DetectionSettings())
    t = _T0
    for _ in range(1440):
        state.update(angry_minute(rng, t, int(rng.poisson(3)), angry=0.02))
        t += _MIN
    surge = [
        angry_minute(
            rng,
            t + m * _MIN,
            max(1, int(rng.poisson(min(40.0, 3.0 + m)))),
            angry=0.6,
            official=m in posts,
        )
        for m in range(120)
    ]
    if flood[1]:  # that many official replies in that minute of the surge
        minute = flood[0]
        surge[minute] = MentionBatch.concat([surge[minute], _replies(t + minute * _MIN, flood[1])])
    quiet = [angry_minute(rng, t + m * _MIN, 3, angry=0.02) for m in range(120, 200)]
    events: list[IncidentEvent] = []
    for batch in [MentionBatch.concat(surge), *quiet] if replay else [*surge, *quiet]:
        events += state.update(batch).events
    opened = [e.incident.opened_ms for e in events if e.type == "opened"]
    return (opened[0] - t) // _MIN if opened else None, [
        e for e in events if e.type == "response_impact"
    ]


@pytest.mark.parametrize("replay", [False, True], ids=["live", "replay"])
def test_a_statement_after_the_opening_is_judged_apart_from_a_holding_line_before_it(
    replay: bool,
) -> None:
    opened_min, _ = _surge(set(), replay=False)
    assert opened_min is not None and opened_min >= 3
    # a holding line two minutes before the incident opened, the statement three after
    # (five minutes apart: within one response's grouping, were there no incident)
    again, impacts = _surge({opened_min - 2, opened_min + 3}, replay=replay)
    assert again == opened_min
    statement = f"m{_T0 + (1440 + opened_min + 3) * _MIN}-0"
    assert [e.details["key"] for e in impacts] == [statement]
    (impact,) = impacts
    assert impact.details["response"].posts == 1
    assert impact.incident.opened_ms <= impact.details["response"].response_ms


def test_a_flood_of_official_replies_is_judged_alike_live_and_replayed() -> None:
    """Customer care answering every minute of the crisis: in a replay every reply waits
    for its bin in the same update; none is judged before the incident's opening."""
    opened_min, _ = _surge(set(), replay=False)
    assert opened_min is not None
    posts = {opened_min - 2, *range(opened_min + 3, opened_min + 73)}
    verdicts = {}
    for replay in (False, True):
        _, impacts = _surge(posts, replay=replay)
        verdicts[replay] = [(e.details["key"], e.details["response"].posts) for e in impacts]
    assert verdicts[False] == verdicts[True]
    assert verdicts[False][0][0] == f"m{_T0 + (1440 + opened_min + 3) * _MIN}-0"


def test_a_hundred_replies_in_one_minute_are_judged_alike_live_and_replayed() -> None:
    """In the minute the incident opens (its bin closes a minute later, so live they
    wait), more official posts than a state keeps one by one: they are kept as the
    first of their minute and a count, and make the same response, after the opening
    and apart from the holding line before it."""
    opened_min, _ = _surge(set(), replay=False)
    assert opened_min is not None
    verdicts = {}
    for replay in (False, True):
        _, impacts = _surge({opened_min - 2}, replay=replay, flood=(opened_min, 100))
        verdicts[replay] = [(e.details["key"], e.details["response"].posts) for e in impacts]
    assert verdicts[False] == verdicts[True]
    assert verdicts[False][0][1] == 100
