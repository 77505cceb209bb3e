"""Drill generation: valid mentions, reproducible, with the statistics asked for."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

from streams.drills import (
    Scenario,
    export,
    generate,
    generate_arrivals,
    ground_truth,
    list_scenarios,
    load_scenario,
    parse_scenario,
    schedule,
)
from streams.drills.rates import baseline_rate
from streams.drills.texts import AGGRESSIVE_WORDS
from streams.mention import Mention

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
DECODE = msgspec.json.Decoder(Mention)
ENCODE = msgspec.json.Encoder()

# Two weeks from a Monday, one brand, ~40,000 mentions: enough for the statistics.
STATS = """\
name: stats
start: 2024-03-04T00:00:00+01:00
duration: 14d
out_of_order: {share: 0.05, min_delay: 2s, max_delay: 60s}
brands:
  - name: acme
    baseline:
      rate: 120
      daily: social
      weekend: 0.7
      holidays: [{date: 2024-03-13, factor: 0.5}]
      noise: {dispersion: 0.05, period: 1h}
      platforms: {twitter: 0.5, facebook: 0.3, tiktok: 0.2}
      languages: {fr: 0.7, en: 0.3}
      authors: {public: 0.95, media: 0.03, employee: 0.02}
      reshare: 0.25
      reply: 0.15
      tone: {positive: 0.3, negative: 0.2, aggressive: 0.05}
"""


@cache
def stats_run() -> tuple[Scenario, list[tuple[int, dict[str, Any]]]]:
    sc = parse_scenario(STATS)
    return sc, list(generate_arrivals(sc, seed=3, labels=True))


def mentions() -> list[dict[str, Any]]:
    return [m for _, m in stats_run()[1]]


def hourly_counts() -> tuple[np.ndarray, np.ndarray]:
    """Observed and expected mentions per hour of the stats drill."""
    sc, _ = stats_run()
    ts = np.array([m["ts"] for m in mentions()])
    hours = sc.duration_ms // HOUR_MS
    observed = np.bincount((ts - sc.start_ms) // HOUR_MS, minlength=hours)
    expected = baseline_rate(sc.brands[0], sc, np.arange(hours * 60)).reshape(hours, 60).sum(1)
    return observed, expected


def crop(sc: Scenario) -> Scenario:
    """The part of a bundled drill around its events (a calm day if none), to keep tests fast."""
    if not sc.events:
        return replace(sc, end_ms=sc.start_ms + DAY_MS)
    first = min(e.start_ms for e in sc.events)
    last = max([e.start_ms for e in sc.events] + [r.at_ms for e in sc.events for r in e.responses])
    return replace(sc, start_ms=first - 6 * HOUR_MS, end_ms=min(sc.end_ms, last + 12 * HOUR_MS))


@cache
def run(name: str) -> tuple[Scenario, list[dict[str, Any]]]:
    """A bundled drill, cropped around its events, generated with labels."""
    sc = crop(load_scenario(name))
    return sc, list(generate(sc, seed=4, labels=True))


def check_stream(stream: list[dict[str, Any]]) -> None:
    """Every mention decodes as a Mention; ids unique; links point to earlier mentions."""
    seen: dict[str, int] = {}
    for mention in stream:
        decoded = DECODE.decode(ENCODE.encode(mention))
        assert decoded.id not in seen
        for link in (decoded.reply_to, decoded.share_of):
            if link is not None:
                assert link in seen, "reply_to / share_of must name an earlier mention"
                assert seen[link] <= decoded.ts_ms
        seen[decoded.id] = decoded.ts_ms


# ------------------------------------------------------------------ validity
def test_stats_stream_is_valid() -> None:
    check_stream(mentions())


@pytest.mark.parametrize("name", list_scenarios())
def test_bundled_scenario_generates_valid_mentions(name: str) -> None:
    sc, stream = run(name)
    assert len(stream) > 100
    check_stream(stream)
    assert {m["brand"] for m in stream} <= {b.name for b in sc.brands}
    assert all(sc.start_ms <= m["ts"] < sc.end_ms for m in stream)
    for event in sc.events:
        assert any(m["drill"]["event"] == event.id for m in stream), event.id
        kinds = {m["author"]["kind"] for m in stream if m["drill"]["event"] == event.id}
        assert ("official" in kinds) == bool(event.responses)


def test_sentiment_can_be_omitted() -> None:
    sc = crop(load_scenario("demo-live"))
    omitted = replace(sc, sentiment=replace(sc.sentiment, mode="omit"))
    assert all("sentiment" not in m for m in generate(omitted, seed=1))


def test_filled_sentiment_is_noisy_but_follows_the_tone() -> None:
    by_tone: dict[str, list[float]] = {}
    for m in mentions():
        by_tone.setdefault(m["drill"]["tone"], []).append(m["sentiment"])
    means = {tone: float(np.mean(v)) for tone, v in by_tone.items()}
    assert means["aggressive"] < means["negative"] < means["neutral"] < means["positive"]
    positive = np.array(by_tone["positive"])
    assert 0.02 < np.mean(positive < 0) < 0.1  # scorer errors: not the exact truth
    assert len(set(by_tone["negative"])) > 100


# -------------------------------------------------------------- determinism
def test_export_is_byte_identical_for_a_seed(tmp_path: Path) -> None:
    sc = crop(load_scenario("demo-live"))
    first = export(sc, tmp_path / "a.jsonl", seed=11)
    again = export(sc, tmp_path / "b.jsonl", seed=11)
    other = export(sc, tmp_path / "c.jsonl", seed=12)
    assert first.path.read_bytes() == again.path.read_bytes()
    assert first.path.read_bytes() != other.path.read_bytes()
    assert first.count == len(first.path.read_bytes().splitlines())
    # the ground truth is written beside the export
    assert first.truth_path == tmp_path / "a.truth.json"
    truth = json.loads(first.truth_path.read_text(encoding="utf-8"))
    assert truth["scenario"] == "demo-live"
    assert truth["seed"] == 11
    assert truth["mentions"] == first.count
    assert [e["id"] for e in truth["events"]] == [t.id for t in ground_truth(sc)]
    assert truth["events"][0]["level"] == 3
    assert truth["live_from_ms"] == sc.playback.live_from_ms
    lines = first.path.read_bytes().splitlines()
    for line in lines[:200]:
        DECODE.decode(line)


def test_seed_must_be_a_non_negative_int() -> None:
    with pytest.raises(ValueError, match="seed"):
        generate(load_scenario("demo-live"), seed=-1)


# ---------------------------------------------------------------- statistics
def test_mean_rate() -> None:
    observed, expected = hourly_counts()
    # the holiday lowers the total; the expectation includes it
    assert observed.sum() == pytest.approx(expected.sum(), rel=0.04)
    assert expected.sum() / len(expected) == pytest.approx(120 * (1 - 0.5 / 14 / 0.9143), rel=0.01)


def test_daily_seasonality_peak_to_trough() -> None:
    observed, _ = hourly_counts()
    by_hour = observed.reshape(-1, 24).sum(0)  # the drill starts at local midnight
    profile = np.asarray(stats_run()[0].brands[0].baseline.daily)
    assert by_hour.max() / by_hour.min() == pytest.approx(profile.max() / profile.min(), rel=0.2)
    assert np.argmin(by_hour) in (3, 4)
    assert np.corrcoef(by_hour, profile)[0, 1] > 0.98


def test_weekend_factor_and_holiday() -> None:
    observed, _ = hourly_counts()
    days = observed.reshape(-1, 24).sum(1)  # Monday 4 March .. Sunday 17 March
    weekend = days[[5, 6, 12, 13]].mean()
    weekdays = days[[0, 1, 3, 4, 7, 8, 10, 11]].mean()
    assert weekend / weekdays == pytest.approx(0.7, rel=0.12)
    # Wednesday 13 March is a holiday at 0.5, against Wednesday 6 March
    assert days[9] / days[2] == pytest.approx(0.5, rel=0.15)


def test_over_dispersion() -> None:
    """Hourly counts are negative binomial: Var = mu + d mu^2, not Poisson."""
    observed, expected = hourly_counts()
    pearson = float(np.mean((observed - expected) ** 2 / expected))
    assert pearson == pytest.approx(1 + 0.05 * expected.mean(), rel=0.25)
    assert pearson > 3


def test_plain_poisson_without_dispersion() -> None:
    sc = parse_scenario(
        STATS.replace("dispersion: 0.05", "dispersion: 0").replace("duration: 14d", "duration: 4d")
    )
    ts = np.array([m["ts"] for m in generate(sc, seed=5)])
    hours = sc.duration_ms // HOUR_MS
    observed = np.bincount((ts - sc.start_ms) // HOUR_MS, minlength=hours)
    expected = baseline_rate(sc.brands[0], sc, np.arange(hours * 60)).reshape(hours, 60).sum(1)
    assert float(np.mean((observed - expected) ** 2 / expected)) == pytest.approx(1.0, abs=0.3)


def test_tone_shares() -> None:
    public = [m for m in mentions() if m["drill"]["role"] == "public"]
    tones = Counter(m["drill"]["tone"] for m in public)
    n = len(public)
    assert tones["positive"] / n == pytest.approx(0.30, abs=0.02)
    assert (tones["negative"] + tones["aggressive"]) / n == pytest.approx(0.20, abs=0.02)
    assert tones["aggressive"] / n == pytest.approx(0.05, abs=0.01)


def test_aggressive_texts_carry_insults() -> None:
    words = {w.lower() for lang in AGGRESSIVE_WORDS.values() for w in lang}
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    hits: dict[bool, list[bool]] = {True: [], False: []}
    for m in mentions():
        hits[m["drill"]["tone"] == "aggressive"].append(bool(pattern.search(m["text"].lower())))
    assert np.mean(hits[True]) > 0.95  # a few typos may hide the word
    assert np.mean(hits[False]) < 0.01


def test_language_mix() -> None:
    langs = Counter(m["lang"] for m in mentions())
    assert langs["fr"] / sum(langs.values()) == pytest.approx(0.7, abs=0.02)
    assert set(langs) == {"fr", "en"}


def test_platform_mix_of_public_authors() -> None:
    public = [m for m in mentions() if m["drill"]["role"] == "public"]
    platforms = Counter(m["platform"] for m in public)
    n = len(public)
    assert platforms["twitter"] / n == pytest.approx(0.5, abs=0.03)
    assert platforms["facebook"] / n == pytest.approx(0.3, abs=0.03)
    assert platforms["tiktok"] / n == pytest.approx(0.2, abs=0.03)
    media = [m for m in mentions() if m["author"]["kind"] == "media" and "share_of" not in m]
    assert Counter(m["platform"] for m in media)["news"] / len(media) == pytest.approx(0.7, abs=0.1)


def test_reshare_and_reply_shares() -> None:
    people = [m for m in mentions() if m["drill"]["role"] in ("public", "employee")]
    reshares = sum("share_of" in m for m in people) / len(people)
    replies = sum("reply_to" in m for m in people) / len(people)
    assert reshares == pytest.approx(0.25, abs=0.015)
    assert replies == pytest.approx(0.15, abs=0.015)
    by_id = {m["id"]: m for m in mentions()}
    for m in people[:2000]:
        if "share_of" in m:
            original = by_id[m["share_of"]]
            assert "share_of" not in original  # a reshare points at the original
            assert original["text"] in m["text"]


def test_authors_come_from_a_finite_heavy_tailed_population() -> None:
    authors = {m["author"]["id"]: m["author"]["followers"] for m in mentions()}
    public = np.array([f for a, f in authors.items() if a.startswith("u")])
    assert len(public) <= 5000
    assert np.median(public) == pytest.approx(200, rel=0.2)
    assert public.max() > 50 * np.median(public)  # heavy tail
    posts = Counter(m["author"]["id"] for m in mentions())
    assert posts.most_common(1)[0][1] > 20 * np.median(list(posts.values()))


# ------------------------------------------------------------- arrival order
def test_arrival_order_and_late_mentions() -> None:
    _, rows = stats_run()
    arrival = np.array([a for a, _ in rows])
    ts = np.array([m["ts"] for _, m in rows])
    assert np.all(np.diff(arrival) >= 0)  # yielded in arrival order
    late = arrival - ts
    assert np.mean(late > 0) == pytest.approx(0.05, abs=0.01)
    assert np.mean(late > 60_000) < 0.002  # only replies pushed behind a late target
    assert np.mean(ts[1:] < np.maximum.accumulate(ts)[:-1]) > 0.01  # ts out of order


def test_playback_schedule_of_the_demo() -> None:
    sc = load_scenario("demo-live")
    live = sc.playback.live_from_ms
    assert live is not None
    plan = list(schedule(generate(sc, seed=1), live_from_ms=live, speed=sc.playback.speed))
    delays = [t for t, _ in plan]
    assert delays == sorted(delays)
    history = sum(1 for t, m in plan if t == 0.0)
    assert history > 0.8 * len(plan)  # six days of history go out at once
    assert 100 < delays[-1] <= 120  # the last two hours play in about two minutes


# ------------------------------------------------------------------ scenarios
def test_bots_post_near_duplicates() -> None:
    sc, stream = run("bot-spam")
    bots = [m for m in stream if m["drill"]["role"] == "bot"]
    assert len(bots) > 200
    assert {m["author"]["kind"] for m in bots} == {"public"}  # bots pass for people
    assert len({m["author"]["id"] for m in bots}) <= sc.events[0].bots.accounts
    assert max(m["author"]["followers"] for m in bots) < 40
    texts = [m["text"] for m in bots]
    assert len(set(texts)) > 0.9 * len(texts)  # not exact copies...
    skeletons = {re.sub(r"https?://\S+|[^\w\s]|#\w+", "", t).split()[0:6].__str__() for t in texts}
    assert len(skeletons) < 0.05 * len(texts)  # ...but copy-paste with small variations


@pytest.mark.parametrize("name", ["employee-video", "factory-accident"])
def test_employees_react_internally(name: str) -> None:
    sc, stream = run(name)
    event = sc.events[0].id
    employees = [
        m for m in stream if m["drill"]["event"] == event and m["author"]["kind"] == "employee"
    ]
    assert len(employees) > 30
    own = [m for m in employees if "share_of" not in m and "reply_to" not in m]
    assert Counter(m["platform"] for m in own)["linkedin"] > 0.4 * len(own)
    insiders = (
        "interne",
        "inside",
        "direction",
        "management",
        "collègues",
        "colleagues",
        "salarié",
    )
    assert sum(any(w in m["text"].lower() for w in insiders) for m in own) > 0.3 * len(own)


def test_positive_campaign_is_mostly_positive() -> None:
    _, stream = run("viral-campaign")
    event = [
        m for m in stream if m["drill"]["event"] == "summer-ad" and m["author"]["kind"] == "public"
    ]
    assert Counter(m["drill"]["tone"] for m in event)["positive"] / len(event) > 0.7


def test_backfire_makes_it_angrier_and_the_apology_calms_it() -> None:
    sc, stream = run("backfire-then-calm")
    event = sc.events[0]
    denial, apology = event.responses

    def aggressive_share(lo: int, hi: int) -> tuple[int, float]:
        sel = [m for m in stream if lo <= m["ts"] < hi and m["drill"]["event"] == event.id]
        return len(sel), float(np.mean([m["drill"]["tone"] == "aggressive" for m in sel]))

    n_before, before = aggressive_share(event.start_ms, denial.at_ms)
    n_surge, surge = aggressive_share(denial.at_ms + HOUR_MS, denial.at_ms + 4 * HOUR_MS)
    _, after = aggressive_share(apology.at_ms + 2 * HOUR_MS, apology.at_ms + 8 * HOUR_MS)
    assert surge > 1.5 * before
    assert after < 0.5 * before
    assert n_surge / 3 > n_before / 4  # a new surge, bigger per hour than the first
    official = {m["id"] for m in stream if m["author"]["kind"] == "official"}
    assert len(official) == 2 * 2 * 2  # 2 responses x 2 platforms x 2 languages
    replies = [m for m in stream if m.get("reply_to") in official]
    assert len(replies) > 100


def test_scaling_to_many_brands() -> None:
    sc = crop(load_scenario("product-recall"))
    sc = replace(sc, start_ms=sc.start_ms + 5 * HOUR_MS, end_ms=sc.start_ms + 7 * HOUR_MS)
    stream = list(generate(sc, seed=2, brands=12))
    brands = Counter(m["brand"] for m in stream)
    assert len(brands) == 12
    assert len({m["id"] for m in stream}) == len(stream)
    check_stream(stream[:3000])
