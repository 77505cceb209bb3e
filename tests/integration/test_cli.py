"""The ``tocsin`` command end to end: drills, produce, tail, on the embedded broker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from streams.settings import load_settings
from streams.tansu import EmbeddedBroker
from tests.kafka_helpers import ROOT, WorkerProcess, isolated_settings, settings_env

pytestmark = pytest.mark.timeout(600)


def tocsin(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "streams.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout + out.stderr


def test_export_is_deterministic_and_writes_the_truth(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    tocsin("drill", "export", "viral-campaign", "--out", str(a), "--seed", "3")
    tocsin("drill", "export", "viral-campaign", "--out", str(b), "--seed", "3")
    tocsin("drill", "export", "viral-campaign", "--out", str(c), "--seed", "4")
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    assert (tmp_path / "a.truth.json").exists()


def test_produce_then_tail_alerts(broker: EmbeddedBroker, tmp_path: Path) -> None:
    settings = isolated_settings(broker, "cli")
    env = settings_env(settings)
    path = tmp_path / "recall.jsonl"
    tocsin("drill", "export", "product-recall", "--out", str(path), env=env)
    tocsin("topics", env=env)
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        out = tocsin("produce", str(path), env=env)
        assert "100%" in out and "published 20," in out
        worker.wait_for("tocsin_alerts_emitted_total", 1, timeout_s=180, level="3")
        table = tocsin("tail", "alerts", "--from-beginning", "--idle-timeout", "3", env=env)
    finally:
        assert worker.stop() == 0, worker.tail_log()
    rows = [line for line in table.splitlines() if "laiterie-dupre" in line]
    assert any("-> crisis" in row for row in rows)
    # the record, archived, gives the report after the topics are gone
    archive = tmp_path / "record.jsonl"
    assert "written to" in tocsin(
        "record", "--out", str(archive), "--brand", "laiterie-dupre", env=env
    )
    incident = next(
        json.loads(line)["value"]["incident_id"]
        for line in archive.read_text().splitlines()
        if json.loads(line)["topic"] == "incidents"
    )
    report = tocsin("report", incident, "--out", str(tmp_path / "reports"), "--input", str(archive))
    assert Path(report.strip()).exists()
    # the calm brand may be watched (a dawn flurry), never alerted
    calm = [line for line in table.splitlines() if "fromagerie-vial" in line]
    assert not any("-> alert" in line or "-> crisis" in line for line in calm), calm


def test_drill_run_plays_live_and_debriefs(tmp_path: Path) -> None:
    # no broker configured: the drill starts the embedded broker and a worker itself
    env = settings_env(load_settings(environ={}))
    out = tocsin("drill", "run", "demo-live", "--speed", "900", "--workdir", str(tmp_path), env=env)
    assert "level/deserved" in out
    assert "double-charge" in out and "detected" in out
    assert "false alarms (level >= 2 outside events): 0" in out


def test_a_worker_refuses_commands_on_other_partitions_than_mentions(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """A command for a brand must reach the partition of the brand's record: a commands
    topic with another partition count than mentions stops the worker at start."""
    settings = isolated_settings(broker, "copart", partitions=2)
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        admin.create_topics([NewTopic(settings.commands_topic, 1, 1)])
    finally:
        admin.close()
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        code = worker.proc.wait(timeout=120)
    finally:
        worker.stop()
    log = worker.tail_log()
    assert code != 0, log
    assert f"topic {settings.commands_topic} has 1 partitions" in log, log
    assert f"recreate {settings.commands_topic} with 2 partitions" in log, log
