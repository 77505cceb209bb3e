"""Debriefs: what counts as detected, raised, a false alarm; and offline runs."""

from __future__ import annotations

from streams.drills import generate, ground_truth, load_scenario
from streams.drills.debrief import WEEK_MS, Debrief, LevelChange, debrief
from streams.drills.offline import frame, run_offline
from streams.drills.truth import GroundTruthEvent
from streams.settings import Settings

H = 3_600_000


def event(kind: str, level: int, min_level: int, onset: int, end: int) -> GroundTruthEvent:
    return GroundTruthEvent("e", "acme", kind, level, min_level, onset, onset, end)  # type: ignore[arg-type]


def test_a_missed_crisis_and_a_false_alarm() -> None:
    truth = [event("crisis", 3, 3, 100 * H, 110 * H)]
    changes = [LevelChange("acme", 20 * H, 2, 0), LevelChange("acme", 21 * H, 0, 2)]
    d = debrief(truth, changes, brands=["acme"], start_ms=0, end_ms=2 * WEEK_MS)
    assert d.events[0].detected is False and d.events[0].peak_level == 0
    assert len(d.false_alarms) == 1
    assert d.calm_brand_ms == 2 * WEEK_MS - 13 * H  # window: onset - 1 h to end + 2 h


def test_a_positive_spike_raised_to_alert_is_counted() -> None:
    truth = [event("positive", 1, 0, 10 * H, 12 * H)]
    changes = [LevelChange("acme", 10 * H + 5, 1, 0), LevelChange("acme", 11 * H, 2, 1)]
    d = debrief(truth, changes, brands=["acme"], start_ms=0, end_ms=WEEK_MS)
    assert d.events[0].detected is None and d.events[0].wrongly_raised
    assert d.positive_spikes_raised == 1 and not d.false_alarms


def test_a_level_held_from_before_the_window_counts_as_peak() -> None:
    truth = [event("crisis", 2, 2, 10 * H, 12 * H)]
    changes = [LevelChange("acme", 8 * H, 2, 0)]
    d = debrief(truth, changes, brands=["acme"], start_ms=0, end_ms=WEEK_MS)
    assert d.events[0].peak_level == 2 and d.events[0].detected
    assert d.events[0].delay_min == 0  # already at the deserved level when it began
    assert d.events[0].began_raised and d.delays_min == []  # not in the medians


def test_an_alert_that_fell_before_the_onset_does_not_detect_the_crisis() -> None:
    """Up 50 minutes before the onset, down 10 minutes later, nothing during the crisis:
    missed, not detected 50 minutes early."""
    truth = [event("crisis", 3, 3, 10 * H, 12 * H)]
    changes = [
        LevelChange("acme", 10 * H - 50 * 60_000, 3, 0),
        LevelChange("acme", 10 * H - 40 * 60_000, 0, 3),
    ]
    d = debrief(truth, changes, brands=["acme"], start_ms=0, end_ms=WEEK_MS)
    o = d.events[0]
    assert (o.detected, o.peak_level, o.delay_alert_min, o.began_raised) == (False, 0, None, False)


def test_how_long_the_alert_outlives_a_crisis_episode() -> None:
    first = GroundTruthEvent("a", "acme", "crisis", 3, 3, 10 * H, 11 * H, 14 * H)
    surge = GroundTruthEvent("a/b", "acme", "crisis", 3, 3, 13 * H, 14 * H, 16 * H)
    later = GroundTruthEvent("c", "acme", "crisis", 2, 2, 40 * H, 41 * H, 42 * H)
    changes = [
        LevelChange("acme", 10 * H + 600_000, 3, 0),
        LevelChange("acme", 15 * H, 2, 3),  # still alert when the episode ends (16 h)
        LevelChange("acme", 16 * H + 1_800_000, 1, 2),
        LevelChange("acme", 40 * H + 600_000, 2, 1),
        LevelChange("acme", 41 * H, 0, 2),  # fell before its end
    ]
    d = debrief([first, surge, later], changes, brands=["acme"], start_ms=0, end_ms=WEEK_MS)
    outlived = {o.event.id: (o.alert_after_end_min, o.stuck) for o in d.events}
    assert outlived == {"a": (None, False), "a/b": (30.0, False), "c": (0.0, False)}
    assert d.alert_after_end_min == [30.0, 0.0]
    stuck = debrief([first, surge], changes[:2], brands=["acme"], start_ms=0, end_ms=20 * H)
    assert [(o.alert_after_end_min, o.stuck) for o in stuck.events][1] == (4 * 60.0, True)
    going = debrief([first, surge], changes[:2], brands=["acme"], start_ms=0, end_ms=16 * H)
    assert [o.alert_after_end_min for o in going.events] == [None, None]  # not ended yet


def test_the_event_that_ends_last_carries_its_episode() -> None:
    """One event inside another, spans that touch, and two episodes with the level
    up across the gap between them (the second episode takes over)."""
    big = GroundTruthEvent("big", "acme", "crisis", 3, 3, 10 * H, 11 * H, 20 * H)
    small = GroundTruthEvent("small", "acme", "crisis", 3, 3, 12 * H, 13 * H, 15 * H)
    touch = GroundTruthEvent("touch", "acme", "crisis", 3, 3, 20 * H, 21 * H, 22 * H)
    changes = [LevelChange("acme", 10 * H + 600_000, 3, 0), LevelChange("acme", 23 * H, 0, 3)]
    d = debrief([big, small, touch], changes, brands=["acme"], start_ms=0, end_ms=WEEK_MS)
    assert {o.event.id: o.alert_after_end_min for o in d.events} == {
        "big": None,
        "small": None,
        "touch": 60.0,
    }
    e1 = GroundTruthEvent("e1", "acme", "crisis", 3, 3, 10 * H, 11 * H, 12 * H)
    e2 = GroundTruthEvent("e2", "acme", "crisis", 3, 3, 14 * H, 15 * H, 16 * H)
    up = [LevelChange("acme", 10 * H + 600_000, 3, 0), LevelChange("acme", 16 * H + 600_000, 0, 3)]
    d = debrief([e1, e2], up, brands=["acme"], start_ms=0, end_ms=WEEK_MS)
    assert [(o.alert_after_end_min, o.stuck) for o in d.events] == [(120.0, False), (10.0, False)]
    d = debrief([e1, e2], up[:1], brands=["acme"], start_ms=0, end_ms=20 * H)
    assert [(o.alert_after_end_min, o.stuck) for o in d.events] == [(120.0, False), (240.0, True)]
    late_fall = debrief([e1], up, brands=["acme"], start_ms=0, end_ms=13 * H)
    assert (late_fall.events[0].alert_after_end_min, late_fall.events[0].stuck) == (60.0, True)
    missed = debrief([e1], [], brands=["acme"], start_ms=0, end_ms=WEEK_MS)
    assert missed.events[0].alert_after_end_min is None  # never detected


def drill_debrief(name: str, *, seed: int, settings: Settings | None = None) -> Debrief:
    """Run drill ``name`` offline and debrief it (checking nothing was late or invalid)."""
    scenario = load_scenario(name)
    run = run_offline(generate(scenario, seed=seed), settings=settings)
    assert run.late == 0 and run.invalid == 0
    return debrief(
        ground_truth(scenario),
        run.changes,
        brands=[b.name for b in scenario.brands],
        start_ms=scenario.start_ms,
        end_ms=scenario.end_ms,
    )


def test_offline_recall_is_detected_and_the_campaign_is_not_a_crisis() -> None:
    for name, crisis in (("product-recall", True), ("viral-campaign", False)):
        d = drill_debrief(name, seed=2)
        if crisis:
            assert all(o.detected for o in d.events)
        else:
            assert d.positive_spikes_raised == 0


def test_a_fall_counts_from_when_it_was_sent_not_from_its_bin() -> None:
    e1 = event("crisis", 3, 3, 10 * H, 12 * H)
    up = LevelChange("acme", 10 * H, 3, 0)
    # dated 12:30 (its bin) but sent at 19:00, when the brand's next mention closed it
    late = LevelChange("acme", 12 * H + H // 2, 0, 3, emitted_ms=19 * H)
    d = debrief([e1], [up, late], brands=["acme"], start_ms=0, end_ms=WEEK_MS)
    assert d.events[0].alert_after_end_min == 420.0
    on_time = LevelChange("acme", 12 * H + H // 2, 0, 3, emitted_ms=12 * H + H // 2 + 60_000)
    d = debrief([e1], [up, on_time], brands=["acme"], start_ms=0, end_ms=WEEK_MS)
    assert d.events[0].alert_after_end_min == 31.0
    # dated before the episode's end, sent long after it: the alert was still up
    early = LevelChange("acme", 12 * H - 5 * 60_000, 0, 3, emitted_ms=19 * H)
    d = debrief([e1], [up, early], brands=["acme"], start_ms=0, end_ms=WEEK_MS)
    assert d.events[0].alert_after_end_min == 420.0


def test_a_silent_night_after_a_crisis_no_longer_keeps_the_alert_up() -> None:
    """The brand of ``late-night-outrage`` posts nothing from midnight to 7:00, right
    after its crisis: its fall is known when its sister brand's traffic shows the
    silence (``quiet_after_ms``), not at its first mention in the morning."""

    def outlived(settings: Settings) -> float:
        (outcome,) = drill_debrief("late-night-outrage", seed=1, settings=settings).crisis_events
        assert outcome.detected and outcome.alert_after_end_min is not None
        return outcome.alert_after_end_min

    assert outlived(Settings()) < 60  # quiet_after_ms (15 min) and the levels' minimum times
    assert outlived(Settings(quiet_after_ms=0)) > 6 * 60  # up until the morning


def test_frame_ends_a_chunk_at_a_silence_and_its_clock_never_goes_back() -> None:
    t0 = 1_767_225_600_000

    def times(offsets: list[int], **kw: int) -> list[list[int]]:
        mentions = [{"brand": "acme", "ts": t0 + t} for t in offsets]
        return [[m.timestamp_ms - t0 for m in c] for c in frame(mentions, **kw)]

    assert times([0, 10_000, 59_000, 61_000, 3_600_000], chunk=100, span_ms=60_000) == [
        [59_000],
        [61_000],
        [3_600_000],
    ]
    assert len(times([0, 10_000, 59_000, 61_000, 3_600_000], chunk=2, span_ms=10**9)) == 3
    # a mention 10 minutes late after a full chunk: no chunk of its own, no clock going back
    late = times([0, 1000, 2000, -600_000, 3000, 4000], chunk=3, span_ms=300_000)
    assert late == [[2000], [4000]]
    last = times([0, 1000, 2000, 3000, 4000, -600_000], chunk=3, span_ms=300_000)
    assert last == [[2000], [4000]]  # a chunk ending on a late mention keeps the clock
    # a time the schema refuses does not move the clock
    mentions = [{"brand": "acme", "ts": t0}, {"brand": "acme", "ts": 5}, {"ts": "2026-W01-1"}]
    assert [m.timestamp_ms for c in frame(mentions) for m in c] == [t0, t0]


def test_the_sent_time_counts_only_on_the_drill_s_clock() -> None:
    """A live drill's worker stamps wall-clock time, years after the drill's dates."""
    alert = {
        "brand": "acme",
        "event_time": "2024-03-11T10:00:00Z",
        "emitted_at": "2024-03-11T10:07:00Z",
        "level": 0,
        "previous_level": 3,
    }
    live = LevelChange.from_alert(alert)
    assert live.emitted_ms is None and live.known_ms == live.event_time_ms
    offline = LevelChange.from_alert(alert, sent_on_drill_clock=True)
    assert offline.known_ms - offline.event_time_ms == 7 * 60_000
