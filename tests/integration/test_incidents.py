"""Incidents on the embedded broker, from drill scenarios, with a real worker.

One worker, three drills of three brands in one stream (event time is per
brand): a response that backfires then one that calms (acknowledged midway), an
employee video, and a declared launch with a scandal inside it; plus a
declared viral campaign.
"""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from streams.commands import AckCommand, ExpectCommand, send_command
from streams.drills import generate, ground_truth, load_scenario
from streams.schemas import load_schema
from streams.tansu import EmbeddedBroker
from streams.topics import ensure_topics
from tests.kafka_helpers import WorkerProcess, isolated_settings, mention_producer, read_topic

pytestmark = pytest.mark.timeout(900)


def publish(settings: Any, mentions: list[dict[str, Any]]) -> None:
    with mention_producer(
        settings,
        batch_max=300,
        linger_ms=50,
    ) as producer:
        producer.send_many(mentions)


def incident_events(settings: Any) -> list[dict[str, Any]]:
    return [json.loads(r.value) for r in read_topic(settings, settings.incidents_topic)]


def wait_for(predicate: Any, worker: WorkerProcess, *, timeout_s: float = 180) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if worker.proc.poll() is not None:
            raise AssertionError(worker.tail_log())
        found = predicate()
        if found:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out\n{worker.tail_log()}")


def window_of(scenario_name: str, event_id: str) -> tuple[int, int]:
    truth = {t.id: t for t in ground_truth(load_scenario(scenario_name))}[event_id]
    return truth.onset_ms - 3_600_000, truth.end_ms + 3_600_000


def test_incident_lifecycle_responses_inside_and_expectations(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    settings = isolated_settings(broker, "inc", partitions=2)
    ensure_topics(settings)
    backfire = list(generate(load_scenario("backfire-then-calm"), seed=1))
    employee = list(generate(load_scenario("employee-video"), seed=1))
    launch = list(generate(load_scenario("campaign-scandal"), seed=1))
    viral = list(generate(load_scenario("viral-campaign"), seed=1))
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        worker.wait_for("tocsin_assigned_partitions", 1, timeout_s=60)
        # declare the launch and the viral campaign before their mentions arrive
        for brand, (scenario, event) in {
            "atelier-brume": ("campaign-scandal", "launch"),
            "velo-zephyr": ("viral-campaign", "summer-ad"),
        }.items():
            start, end = window_of(scenario, event)
            send_command(
                settings,
                ExpectCommand(
                    command_id=f"expect-{brand}",
                    brand=brand,
                    from_ms=start,
                    to_ms=end,
                    kind="campaign",
                    at=int(time.time() * 1000),
                ),
            )
        worker.wait_for("tocsin_messages_consumed_total", 2, timeout_s=60)
        # the backfire drill up to the first hours of its incident, and everything else
        split = window_of("backfire-then-calm", "data-leak")[0] + 4 * 3_600_000
        head = [m for m in backfire if m["ts"] < split]
        publish(settings, head + employee + launch + viral)
        opened = wait_for(
            lambda: [
                e
                for e in incident_events(settings)
                if e["brand"] == "nuage-mobile" and e["type"] == "opened"
            ],
            worker,
        )[0]
        waiting = "tocsin_brand_unacknowledged_level{brand=nuage-mobile}"
        assert worker.metrics().get(waiting, 0) >= 1  # the escalation's series, per brand
        send_command(
            settings,
            AckCommand(
                command_id="ack-1",
                incident_id=opened["incident_id"],
                by="ana",
                note="comms lead on it",
                at=int(time.time() * 1000),
            ),
        )
        wait_for(
            lambda: [e for e in incident_events(settings) if e["type"] == "acknowledged"], worker
        )
        assert worker.metrics()[waiting] == 0  # acknowledged: the escalation stops at once
        publish(settings, [m for m in backfire if m["ts"] >= split])
        wait_for(
            lambda: [
                e
                for e in incident_events(settings)
                if e["brand"] == "nuage-mobile" and e["type"] == "resolved"
            ],
            worker,
            timeout_s=300,
        )
        unacked = worker.metrics()
    finally:
        assert worker.stop() == 0, worker.tail_log()

    events = incident_events(settings)
    schema = load_schema("incident")
    for e in events:
        jsonschema.validate(e, schema)
    by_brand: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for e in events:
        by_brand[e["brand"]].append(e)

    # backfire then calm, acknowledged before the resolution, in that order
    leak = by_brand["nuage-mobile"]
    verdicts = [e["response"]["verdict"] for e in leak if e["type"] == "response_impact"]
    assert verdicts[:2] == ["backfired", "calmed"], verdicts
    kinds = [e["type"] for e in leak]
    assert kinds.index("opened") < kinds.index("acknowledged") < kinds.index("resolved")
    resolved = next(e for e in leak if e["type"] == "resolved")
    assert resolved["acknowledged"] and resolved["acknowledgements"][0]["by"] == "ana"
    assert len({e["incident_id"] for e in leak}) == 1

    # the employee video: employees posting about it
    inside = [e for e in by_brand["burger-station"] if e["type"] == "inside_rising"]
    assert inside and inside[0]["inside"]["employee_mention_ids"]

    # the declared launch raises nothing; the scandal inside its window does
    alerts = [json.loads(r.value) for r in read_topic(settings, settings.alerts_topic)]
    brume = sorted(
        (a for a in alerts if a["brand"] == "atelier-brume"), key=lambda a: a["event_time"]
    )
    scandal_onset = {t.id: t for t in ground_truth(load_scenario("campaign-scandal"))}[
        "sexist-line"
    ].onset_ms
    onset_text = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(scandal_onset / 1000))
    assert brume and all(a["event_time"] >= onset_text for a in brume), brume[:1]
    assert max(a["level"] for a in brume) >= 2
    assert not [a for a in alerts if a["brand"] == "velo-zephyr"]

    # alerts carry their incident
    assert all(a["incident_id"] for a in brume if a["level"] >= 2)
    assert "tocsin_incidents_unacknowledged{level=3}" in unacked
