"""The offline recommendation, end to end through a brand's state (no Kafka).

After an official response, aggressiveness stays high while a few authors write most of
the thread: the state emits ``offline_recommended`` with its reasons. The same crisis with
the anger spread over many authors does not. Also on a drill (worker's processing, offline):
a pile-on by a few low-reach accounts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from detectors.state import BrandState, DetectionSettings
from streams.drills import generate, load_scenario
from streams.drills.offline import run_offline
from tests.synthetic import angry_minute as minute

MIN = 60_000
DAY = 1440 * MIN
T0 = 1_704_672_000_000  # Monday 2024-01-08 00:00 UTC


def events_of(*, few_after_response: float, surges: int = 1) -> list:
    rng = np.random.default_rng(7)
    state = BrandState(brand="acme", settings=DetectionSettings())
    events = []
    t = T0

    def calm(minutes: int) -> None:
        nonlocal t, events
        for _ in range(minutes):
            batch = minute(rng, t, int(rng.poisson(3)), angry=0.02, few=0.0)
            events += state.update(batch).events
            t += MIN

    calm(2 * 1440)  # two calm days
    for k in range(surges):
        if k:
            calm(1440)  # a calm day between
        response_at = t + 45 * MIN
        for _ in range(4 * 60):  # an angry surge; an official response 45 minutes in
            after = t >= response_at
            batch = minute(
                rng,
                t,
                int(rng.poisson(40)),
                angry=0.6,
                few=few_after_response if after else 0.0,
                official=t == response_at,
            )
            events += state.update(batch).events
            t += MIN
    return events


def test_a_few_loud_angry_authors_after_a_response_advise_going_offline() -> None:
    events = events_of(few_after_response=0.7)
    types = [e.type for e in events]
    assert "opened" in types and "response_impact" in types
    offline = [e for e in events if e.type == "offline_recommended"]
    assert len(offline) == 1  # once per incident
    reasons = offline[0].details["reasons"]
    assert any(r.startswith("aggressive share") for r in reasons)
    assert any(r.startswith("top 5 authors wrote") for r in reasons)
    impact = next(e for e in events if e.type == "response_impact")
    assert offline[0].event_time_ms >= impact.event_time_ms  # only once a response is judged


def test_each_incident_holds_its_own_thirty_minutes_before_advice() -> None:
    """The second crisis of a brand: its advice waits for its own response and hold,
    not the one held during the first incident."""
    events = events_of(few_after_response=0.7, surges=2)
    incidents = list(dict.fromkeys(e.incident_id for e in events if e.type == "opened"))
    assert len(incidents) == 2
    for incident in incidents:
        mine = [e for e in events if e.incident_id == incident]
        impact = next(e for e in mine if e.type == "response_impact")
        (offline,) = [e for e in mine if e.type == "offline_recommended"]
        assert offline.event_time_ms - impact.event_time_ms >= 30 * MIN
        held = int(offline.details["reasons"][-1].split()[1])  # "held N min after ..."
        assert 30 <= held < 60


def test_anger_spread_over_many_authors_does_not() -> None:
    events = events_of(few_after_response=0.0)
    assert "response_impact" in [e.type for e in events]
    assert not [e for e in events if e.type == "offline_recommended"]


PILE_ON = """
name: pile-on
title: A coordinated pile-on that official answers do not calm
start: 2025-02-03T00:00:00+01:00
duration: 9d
brands:
  - name: cafe-lumen
    baseline:
      rate: 30
events:
  - id: pile-on
    kind: crisis
    start: 7d10h
    peak: 15
    rise: 30m
    decay: 8h
    tone: {positive: 0.02, negative: 0.8, aggressive: 0.5}
    authors: {public: 0.5, bot: 0.5}
    bots: {accounts: ACCOUNTS}
    truth:
      level: 3
      note: a few accounts drive an aggressive thread
    responses:
      - {id: reply-1, at: 7d11h, effect: none}
      - {id: reply-2, at: 7d12h, effect: none}
"""


def drill_events(tmp_path: Path, accounts: int) -> list[dict[str, Any]]:
    path = tmp_path / f"pile-on-{accounts}.yaml"
    path.write_text(PILE_ON.replace("ACCOUNTS", str(accounts)))
    return run_offline(generate(load_scenario(path), seed=1)).incident_events


def test_a_pile_on_by_a_few_low_reach_accounts_advises_going_offline(tmp_path: Path) -> None:
    # Half of the angry thread comes from 8 bot accounts with few followers: the most
    # active authors, not the most followed, are those who dominate it.
    events = drill_events(tmp_path, accounts=8)
    offline = [e for e in events if e["type"] == "offline_recommended"]
    assert len(offline) == 1, [e["type"] for e in events]
    reasons = offline[0]["offline"]["reasons"]
    assert any(r.startswith("top 5 authors wrote") for r in reasons), reasons
    first_impact = next(e for e in events if e["type"] == "response_impact")
    assert offline[0]["event_time"] >= first_impact["event_time"]


def test_the_same_pile_on_by_many_accounts_does_not(tmp_path: Path) -> None:
    events = drill_events(tmp_path, accounts=2000)
    assert "response_impact" in [e["type"] for e in events]
    assert not [e for e in events if e["type"] == "offline_recommended"]
