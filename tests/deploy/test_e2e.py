"""End to end: a real Prometheus scrapes a live worker during a crisis drill.

The worker runs on the embedded broker; Prometheus (Debian's) scrapes it every
second with the real rule files of deploy/prometheus/rules/ and sends its alerts
to a real Alertmanager with deploy/alertmanager/alertmanager.yml's routing tree
(receivers replaced by a local webhook). The drill is product-recall: a calm
week for two dairy brands, then a listeria recall on laiterie-dupre. The history
goes out first, then the first hours of the recall, at full speed (detection
runs in event time).

Then: the crisis alert fires for laiterie-dupre only and pages the on-call
communication lead; the slower rules are pending, not firing; and every query
of the committed Grafana dashboards returns data through the HTTP API.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.drills import load_scenario
from streams.drills.generator import generate
from streams.drills.truth import ground_truth
from streams.settings import Settings
from streams.tansu import EmbeddedBroker
from streams.topics import ensure_topics
from tests.deploy.stack import AlertmanagerProcess, PrometheusProcess, WebhookSink
from tests.deploy.tools import (
    DEPLOY,
    RULE_FILES,
)
from tests.kafka_helpers import WorkerProcess, isolated_settings, mention_producer

pytestmark = pytest.mark.timeout(300)

CRISIS, CALM = "laiterie-dupre", "fromagerie-vial"
#: Event time of the recall published after the history.
CRISIS_SPAN_MS = 3 * 3_600_000
#: Grafana's variables, as they expand with "All" selected.
VARIABLES = {"$brand": ".*", "$__rate_interval": "1m"}


def _publish(settings: Settings, mentions: list[dict[str, Any]]) -> int:
    with mention_producer(
        settings,
        batch_max=settings.produce_batch_max,
        linger_ms=50,
    ) as producer:
        producer.send_many(mentions)
        producer.flush()
        return producer.messages


def _until(what: str, check: Callable[[], Any], *, timeout_s: float, log: Callable[[], str]) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.25)
    raise AssertionError(f"{what} not within {timeout_s} s\n{log()}")


def _queries(board: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]
    for note in board.get("annotations", {}).get("list", []):
        if note.get("expr"):
            yield f"annotation {note['name']}", note["expr"]


def _expand(expr: str) -> str:
    for name, value in VARIABLES.items():
        expr = expr.replace(name, value)
    return expr


def test_prometheus_alerts_and_dashboards_on_a_live_drill(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    settings = isolated_settings(broker, "prom")
    ensure_topics(settings)
    scenario = load_scenario("product-recall")
    onset = next(e.onset_ms for e in ground_truth(scenario) if e.brand == CRISIS)
    mentions = list(generate(scenario, seed=1))
    history = [m for m in mentions if m["ts"] < onset]
    recall = [m for m in mentions if onset <= m["ts"] < onset + CRISIS_SPAN_MS]

    worker = WorkerProcess(settings, tmp_path / "worker.log")
    target = f"{settings.metrics_host}:{settings.metrics_port}"
    with (
        WebhookSink() as sink,
        AlertmanagerProcess(
            tmp_path, DEPLOY / "alertmanager" / "alertmanager.yml", sink.url
        ).start() as am,
        PrometheusProcess(
            tmp_path, targets=[target], rule_files=RULE_FILES, alertmanager=f"127.0.0.1:{am.port}"
        ).start() as prom,
    ):

        def logs() -> str:
            tails = {"worker": worker.tail_log(), "prometheus": prom.tail_log()}
            tails["alertmanager"] = am.tail_log()
            return "\n".join(f"-- {name}\n{tail}" for name, tail in tails.items())

        try:
            started = time.time()
            worker.start()  # after Prometheus: the first assignment is seen as a rebalance
            worker.wait_for("tocsin_assigned_partitions", 1, timeout_s=90)
            # A calm week: learnt, scraped and recorded before the recall starts.
            sent = _publish(settings, history)
            worker.wait_for("tocsin_messages_consumed_total", sent, timeout_s=60)
            _until(
                "levels of both brands recorded",
                lambda: len(prom.query("brand:tocsin_brand_level:max")) == 2,
                timeout_s=30,
                log=logs,
            )
            sent += _publish(settings, recall)
            worker.wait_for("tocsin_brand_level", 3, timeout_s=60, brand=CRISIS)

            def crisis_alerts() -> list[dict[str, Any]]:
                return [
                    a
                    for a in prom.alerts()
                    if a["labels"]["alertname"] == "TocsinBrandCrisis" and a["state"] == "firing"
                ]

            firing = _until("TocsinBrandCrisis firing", crisis_alerts, timeout_s=30, log=logs)
            page = sink.wait_for("comms-oncall-page", timeout_s=30)
            routed = {
                r["name"]
                for a in am.get("/api/v2/alerts")
                if a["labels"]["alertname"] == "TocsinBrandCrisis"
                for r in a["receivers"]
            }
            worker.wait_for("tocsin_messages_consumed_total", sent, timeout_s=60)
            time.sleep(2)  # a few more scrapes and evaluations after the last batch
            alerts = prom.alerts()
            ended = time.time()
        finally:
            if hasattr(worker, "proc"):
                assert worker.stop() == 0, worker.tail_log()

        # The crisis brand, and only it, is at crisis: paged, and in the channel.
        assert [a["labels"]["brand"] for a in firing] == [CRISIS]
        assert firing[0]["labels"]["severity"] == "critical"
        assert page["commonLabels"]["brand"] == CRISIS
        assert routed == {"comms-oncall-page", "crisis-channel"}
        states = {(a["labels"]["alertname"], a["labels"].get("brand")): a["state"] for a in alerts}
        assert states[("TocsinBrandCrisis", CRISIS)] == "firing"
        assert ("TocsinBrandCrisis", CALM) not in states
        # Rules with a duration are pending, not firing, minutes before their time.
        assert states[("TocsinBrandAtAlertLevel", CRISIS)] == "pending"
        assert states[("TocsinBrandUnderWatch", CRISIS)] == "pending"
        # Drill mentions are dated 2024 while they keep arriving: event time is far behind.
        assert states[("TocsinEventTimeLagHigh", CRISIS)] == "pending"
        assert not any(name.startswith("TocsinWorker") for name, _ in states)

        # Every dashboard query returns data.
        empty = []
        checked = 0
        for path in sorted((DEPLOY / "grafana" / "dashboards").glob("*.json")):
            board = json.loads(path.read_text(encoding="utf-8"))
            for title, expr in _queries(board):
                result = prom.query_range(_expand(expr), started, ended, "1s")
                checked += 1
                if not result:
                    empty.append(f"{path.name}: {title}: {expr}")
        assert checked >= 20
        assert not empty, "dashboard queries without data:\n" + "\n".join(empty)
