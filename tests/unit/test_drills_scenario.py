"""Drill scenarios: the bundled library loads, broken files fail clearly."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from streams.drills import (
    Scenario,
    ScenarioError,
    generate,
    ground_truth,
    list_scenarios,
    load_scenario,
    parse_scenario,
    scale_brands,
    scale_rates,
    scenario_path,
)

DAY_MS = 86_400_000

MINIMAL = """\
name: tiny
start: 2024-03-04T00:00:00+01:00
duration: 2d
brands:
  - name: acme
    baseline:
      rate: 30
"""

REQUIRED = {
    "calm-month",
    "viral-campaign",
    "product-recall",
    "slow-burn",
    "employee-video",
    "bot-spam",
    "factory-accident",
    "backfire-then-calm",
    "demo-live",
}


def test_library_has_the_required_scenarios() -> None:
    names = list_scenarios()
    assert set(names) >= REQUIRED
    assert len(names) >= 8
    assert "_example" not in names  # a reference, not a drill
    assert names == sorted(names)


@pytest.mark.parametrize("name", [*sorted(REQUIRED), "_example"])
def test_bundled_scenario_loads_with_a_lead_in(name: str) -> None:
    sc = load_scenario(name)
    assert sc.name == name.lstrip("_")
    assert scenario_path(name).name == f"{name}.yaml"
    assert sc.brands
    for event in sc.events:
        # a detector needs a baseline: at least a few days of calm before any event
        assert event.start_ms - sc.start_ms >= 5 * DAY_MS, event.id
        assert sc.start_ms <= event.truth.onset_ms < sc.end_ms
        for response in event.responses:
            assert event.start_ms <= response.at_ms < sc.end_ms


def test_ground_truth_of_the_library() -> None:
    def levels(name: str) -> dict[str, tuple[str, int, int]]:
        return {t.id: (t.kind, t.min_level, t.level) for t in ground_truth(load_scenario(name))}

    assert levels("calm-month") == {}
    assert levels("viral-campaign") == {"summer-ad": ("positive", 0, 1)}
    assert levels("product-recall") == {"listeria-recall": ("crisis", 3, 3)}
    assert levels("bot-spam") == {"refund-scam": ("spam", 0, 1)}
    assert levels("slow-burn")["hidden-fees"][2] >= 2
    assert levels("employee-video")["spit-video"][2] == 3
    assert levels("factory-accident")["plant-explosion"][2] == 3
    backfire = ground_truth(load_scenario("backfire-then-calm"))
    assert [t.id for t in backfire] == ["data-leak", "data-leak/denial"]
    assert backfire[1].parent == "data-leak"
    for truth in backfire:
        assert truth.onset_ms <= truth.peak_ms < truth.end_ms


def test_calm_month_has_weekends_and_holidays() -> None:
    sc = load_scenario("calm-month")
    assert sc.duration_ms == 28 * DAY_MS
    assert len(sc.brands) >= 2
    for brand in sc.brands:
        assert brand.baseline.holidays
        assert min(brand.baseline.weekly) != max(brand.baseline.weekly)


def test_demo_scenario_is_short_and_has_a_live_part() -> None:
    sc = load_scenario("demo-live")
    live = sc.playback.live_from_ms
    assert live is not None
    live_minutes = (sc.end_ms - live) / 60_000 / sc.playback.speed  # wall-clock minutes
    assert 1.5 <= live_minutes <= 3
    assert all(live < e.start_ms < sc.end_ms for e in sc.events)


def test_defaults_of_a_minimal_scenario() -> None:
    sc = parse_scenario(MINIMAL)
    brand = sc.brands[0]
    assert brand.display == "Acme"
    assert brand.handle == "@acme"
    assert sc.sentiment.mode == "fill"
    assert sc.utc_offset_s == 3600
    assert abs(sum(brand.baseline.daily) / 24 - 1) < 1e-9
    assert abs(sum(brand.baseline.weekly) / 7 - 1) < 1e-9
    assert sum(brand.baseline.languages.weights) == pytest.approx(1)


def test_anchors_and_merge_keys() -> None:
    sc = load_scenario("product-recall")
    dupre, vial = sc.brands
    assert vial.baseline.rate_per_hour == 15
    assert vial.baseline.tone == dupre.baseline.tone


def test_offsets_and_datetimes_agree() -> None:
    by_offset = parse_scenario(MINIMAL + "events:\n" + _EVENT.format(start="1d9h30m"))
    by_date = parse_scenario(MINIMAL + "events:\n" + _EVENT.format(start="2024-03-05T09:30:00"))
    assert by_offset.events[0].start_ms == by_date.events[0].start_ms


def test_scenarios_are_frozen_hashable_and_picklable() -> None:
    sc = load_scenario("backfire-then-calm")
    assert pickle.loads(pickle.dumps(sc)) == sc  # benchmarks may ship them to worker processes
    assert hash(sc) == hash(load_scenario("backfire-then-calm"))
    with pytest.raises(AttributeError):
        sc.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        sc.events[0].vocabulary["fr"] = ()  # type: ignore[index]


def test_scale_brands_clones_brands_and_events() -> None:
    big = scale_brands(load_scenario("product-recall"), brands=4)
    assert len({b.name for b in big.brands}) == 4
    assert len(big.events) == 2  # one per clone of laiterie-dupre
    assert {e.brand for e in big.events} <= {b.name for b in big.brands}
    with pytest.raises(ValueError, match="brands"):
        scale_brands(big, brands=0)


def test_scale_rates_makes_the_same_drill_denser_and_shorter() -> None:
    sc = load_scenario("product-recall")
    dense = scale_rates(sc, factor=20)
    assert dense.end_ms - dense.start_ms == sc.duration_ms // 20
    hour = sc.start_ms + 3_600_000

    def first_hour(scenario: Scenario) -> int:
        return sum(1 for m in generate(scenario, seed=3) if m["ts"] < hour)

    sparse_n, dense_n = first_hour(sc), first_hour(dense)
    assert 15 * sparse_n < dense_n < 25 * sparse_n
    assert max(m["ts"] for m in generate(dense, seed=3)) < dense.end_ms
    with pytest.raises(ValueError, match="factor"):
        scale_rates(sc, factor=0)


_EVENT = """\
  - id: boom
    kind: crisis
    start: {start}
    peak: 10
    truth: {{level: 3}}
"""

# (description, YAML, field path, line, words of the message)
BROKEN = [
    ("yaml syntax", MINIMAL + "events: [oops\n", "", 9, "starts on line 8"),
    (
        "bad indentation",
        MINIMAL.replace("      rate: 30", "      rate: 30\n     x: 1"),
        "",
        8,
        "syntax",
    ),
    (
        "negative rate",
        MINIMAL.replace("rate: 30", "rate: -3"),
        "brands[0].baseline.rate",
        7,
        "must be > 0",
    ),
    (
        "typo in a field",
        MINIMAL.replace("rate: 30", "rat: 30"),
        "brands[0].baseline.rat",
        7,
        "unknown field",
    ),
    ("missing field", MINIMAL.replace("duration: 2d\n", ""), "(top)", 1, "'duration'"),
    ("start without offset", MINIMAL.replace("+01:00", ""), "start", 2, "UTC offset"),
    ("start before 2000", MINIMAL.replace("2024-03-04", "1999-03-04"), "start", 2, "2000"),
    (
        "duration without unit",
        MINIMAL.replace("duration: 2d", "duration: 2"),
        "duration",
        3,
        "unit",
    ),
    (
        "duration in words",
        MINIMAL.replace("duration: 2d", "duration: two days"),
        "duration",
        3,
        "not a duration",
    ),
    (
        "mix not summing to 1",
        MINIMAL + "      languages: {fr: 0.7, en: 0.2}\n",
        "brands[0].baseline.languages",
        8,
        "sum to 1",
    ),
    (
        "unknown language",
        MINIMAL + "      languages: {fr: 0.5, de: 0.5}\n",
        "brands[0].baseline.languages.de",
        8,
        "unknown field",
    ),
    (
        "aggressive above negative",
        MINIMAL + "      tone: {negative: 0.1, aggressive: 0.3}\n",
        "brands[0].baseline.tone.aggressive",
        8,
        "subset",
    ),
    (
        "daily profile too short",
        MINIMAL + "      daily: [1, 2, 3]\n",
        "brands[0].baseline.daily",
        8,
        "24",
    ),
    (
        "unknown daily preset",
        MINIMAL + "      daily: nightly\n",
        "brands[0].baseline.daily",
        8,
        "valid values",
    ),
    (
        "weekly and weekend",
        MINIMAL + "      weekend: 0.5\n      weekly: [1, 1, 1, 1, 1, 1, 1]\n",
        "brands[0].baseline.weekend",
        8,
        "not both",
    ),
    (
        "bad brand name",
        MINIMAL.replace("name: acme", "name: Acme Corp"),
        "brands[0].name",
        5,
        "lowercase",
    ),
    (
        "level out of range",
        MINIMAL + "events:\n" + _EVENT.format(start="1d").replace("level: 3", "level: 4"),
        "events[0].truth.level",
        13,
        "<= 3",
    ),
    (
        "reversed level range",
        MINIMAL + "events:\n" + _EVENT.format(start="1d").replace("level: 3", "level: [2, 1]"),
        "events[0].truth.level",
        13,
        "reversed",
    ),
    (
        "event after the end",
        MINIMAL + "events:\n" + _EVENT.format(start="3d"),
        "events[0].start",
        11,
        "inside the drill",
    ),
    (
        "unknown kind",
        MINIMAL + "events:\n" + _EVENT.format(start="1d").replace("crisis", "disaster"),
        "events[0].kind",
        10,
        "valid values",
    ),
    (
        "unknown brand",
        MINIMAL + "events:\n" + _EVENT.format(start="1d") + "    brand: nobody\n",
        "events[0].brand",
        14,
        "valid values",
    ),
    (
        "peak below 1",
        MINIMAL + "events:\n" + _EVENT.format(start="1d").replace("peak: 10", "peak: 0.5"),
        "events[0].peak",
        12,
        "> 1",
    ),
    (
        "multi_wave without waves",
        MINIMAL
        + "events:\n"
        + _EVENT.format(start="1d").replace("    peak: 10\n", "    shape: multi_wave\n"),
        "events[0]",
        9,
        "'waves'",
    ),
    (
        "duplicate event id",
        MINIMAL + "events:\n" + _EVENT.format(start="1d") + _EVENT.format(start="1d2h"),
        "events[1].id",
        14,
        "duplicate",
    ),
    (
        "duplicate key",
        MINIMAL + "      rate: 40\n",
        "brands[0].baseline.rate",
        8,
        "duplicate key",
    ),
    (
        "surge on a calming response",
        MINIMAL
        + "events:\n"
        + _EVENT.format(start="1d")
        + "    responses:\n      - {at: 1d2h, effect: calms, surge: {peak: 3}}\n",
        "events[0].responses[0].surge",
        15,
        "backfires",
    ),
    (
        "bad placeholder in a bot text",
        MINIMAL
        + "events:\n"
        + _EVENT.format(start="1d")
        + "    bots:\n      texts:\n        fr: ['{marque} gratuit']\n",
        "events[0].bots.texts.fr[0]",
        16,
        "placeholder",
    ),
    (
        "late arrivals too late",
        MINIMAL + "out_of_order: {share: 0.1, max_delay: 1h}\n",
        "out_of_order.max_delay",
        8,
        "10 minutes",
    ),
    ("not a mapping", "- just\n- a list\n", "(top)", 1, "mapping"),
    ("empty", "\n", "", 1, "empty"),
]


@pytest.mark.parametrize(
    ("text", "path", "line", "words"),
    [pytest.param(text, path, line, words, id=desc) for desc, text, path, line, words in BROKEN],
)
def test_broken_scenario_names_field_and_line(text: str, path: str, line: int, words: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source="broken.yaml")
    err = caught.value
    assert err.source == "broken.yaml"
    assert err.path == path
    assert err.line == line
    assert words in err.message
    assert str(err).startswith(f"broken.yaml:{line}:")
    assert caught.value.__cause__ is None  # no raw traceback from deep inside


def test_broken_file_error_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad-drill.yaml"
    bad.write_text(MINIMAL.replace("rate: 30", "rate: lots"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"bad-drill\.yaml:7: brands\[0\]\.baseline\.rate: "):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.yaml")


def test_unknown_bundled_name_lists_the_known_ones() -> None:
    with pytest.raises(ScenarioError, match="calm-month"):
        load_scenario("no-such-drill")
