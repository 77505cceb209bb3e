"""benchmarks/drills.py: when an alert can leave, checked against the worker's own
processing fed one mention at a time in arrival order."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import msgspec
from prometheus_client import CollectorRegistry

from streams.codec import MentionDecoder
from streams.drills import generate_arrivals, ground_truth, load_scenario
from streams.drills.debrief import LevelChange, debrief
from streams.metrics import Metrics
from streams.processor import Message, Processor
from streams.settings import Settings
from streams.tone import make_scorer

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "drills.py"


def test_an_alert_leaves_when_the_mention_that_closes_its_bin_arrives() -> None:
    spec = importlib.util.spec_from_file_location("tocsin_benchmarks_drills", _PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    scenario = load_scenario("demo-live")
    pairs = list(generate_arrivals(scenario, seed=1))
    closing = module.Closing(grace_ms=Settings().grace_ms)
    assert list(closing.record(iter(pairs))) == [m for _, m in pairs]

    settings = Settings()
    processor = Processor(
        records={},
        decoder=MentionDecoder(max_text_chars=4000, max_future_ms=settings.max_future_ms),
        scorer=make_scorer(settings.tone_scorer),
        metrics=Metrics(CollectorRegistry()),
        detection=settings.detection(),
        source="tocsin://test",
    )
    sent_at: dict[tuple[str, int], int] = {}  # (brand, bin end) -> arrival that sent it
    changes = []
    for offset, (arrival, mention) in enumerate(pairs):
        value = msgspec.json.encode([mention])
        message = Message("mentions", 0, offset, arrival, mention["brand"].encode(), value)
        for _, pending in processor.process([message]).pending:
            if pending.kind == "alert":
                change = LevelChange.from_alert(json.loads(pending.value))
                changes.append(change)
                sent_at.setdefault((change.brand, change.event_time_ms), arrival)
    d = debrief(
        ground_truth(scenario),
        changes,
        brands=[b.name for b in scenario.brands],
        start_ms=scenario.start_ms,
        end_ms=scenario.end_ms,
    )
    raised = [o for o in d.crisis_events if o.delay_alert_min]
    expected = [
        (sent_at[(o.event.brand, o.event.onset_ms + round(o.delay_alert_min * 60_000))]
         - o.event.onset_ms) / 60_000
        for o in raised
    ]  # fmt: skip
    got = closing.sent_delays_min(d)
    assert expected and got == expected
    # never before the bin's end plus the grace period
    assert all(s >= o.delay_alert_min + 1.0 for s, o in zip(got, raised, strict=True))
