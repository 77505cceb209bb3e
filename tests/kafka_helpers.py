"""Helpers for integration tests: real broker, real worker processes, real topics."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from streams.producer import MentionProducer
from streams.settings import Settings, load_settings
from streams.tansu import EmbeddedBroker, free_port, true_end_offsets_sync

ROOT = Path(__file__).resolve().parents[1]


def isolated_settings(broker: EmbeddedBroker, name: str, **overrides: Any) -> Settings:
    """Settings isolating one test: its own group, topics and metrics port."""
    values: dict[str, Any] = {
        "broker_url": broker.url,
        "broker_kind": "tansu",
        "app_id": f"t-{name}",
        "mentions_topic": f"{name}-mentions",
        "alerts_topic": f"{name}-alerts",
        "deadletter_topic": f"{name}-deadletter",
        "incidents_topic": f"{name}-incidents",
        "minutes_topic": f"{name}-minutes",
        "commands_topic": f"{name}-commands",
        "partitions": 2,
        "session_timeout_s": 6.0,
        "metrics_port": free_port(),
        "take_within_s": 0.1,
        "log_level": "info",
    }
    values.update(overrides)
    return load_settings(environ={}, **values)


def mention_producer(settings: Settings, **options: Any) -> MentionProducer:
    """A :class:`MentionProducer` to the mentions topic of ``settings`` (``options``:
    its framing, ``batch_max``, ``linger_ms``...)."""
    return MentionProducer(
        bootstrap_servers=settings.bootstrap_servers, topic=settings.mentions_topic, **options
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    env.update(settings.to_env())
    env["PYTHONUNBUFFERED"] = "1"
    return env


@dataclass
class WorkerProcess:
    """A ``tocsin worker`` child process."""

    settings: Settings
    log_path: Path
    proc: subprocess.Popen[bytes] = field(init=False)

    def start(self) -> WorkerProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            cwd=ROOT,
            env=settings_env(self.settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self

    def metrics(self) -> dict[str, float]:
        """Current samples of /metrics, by 'name{labels}'."""
        url = f"http://{self.settings.metrics_host}:{self.settings.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=2) as resp:
            text = resp.read().decode()
        out: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
                out[f"{s.name}{{{labels}}}"] = s.value
        return out

    def metric(self, name: str, **labels: str) -> float:
        key = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        try:
            return self.metrics().get(f"{name}{{{key}}}", 0.0)
        except OSError:
            return 0.0

    def wait_for(self, name: str, value: float, *, timeout_s: float, **labels: str) -> float:
        """Wait until a metric reaches ``value``; return it (fail with the log otherwise)."""
        deadline = time.monotonic() + timeout_s
        got = 0.0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"worker exited ({self.proc.returncode}):\n{self.tail_log()}")
            got = self.metric(name, **labels)
            if got >= value:
                return got
            time.sleep(0.2)
        raise AssertionError(
            f"{name}{labels} = {got} < {value} after {timeout_s} s:\n{self.tail_log()}"
        )

    def kill(self) -> None:
        """SIGKILL: no flush, no commit, no goodbye."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        """SIGTERM and wait for a clean exit."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        return int(self.proc.returncode)

    def tail_log(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def wait_drained(
    workers: Iterable[WorkerProcess],
    *,
    timeout_s: float = 240.0,
    poll_s: float = 0.2,
    stable_polls: int = 15,
) -> None:
    """Wait until the workers have consumed every message: their summed consumer lag
    is zero and their consumed count has not moved for ``stable_polls`` polls in a
    row (fail with their logs otherwise)."""
    workers = list(workers)
    deadline = time.monotonic() + timeout_s
    last, stable = -1.0, 0
    while time.monotonic() < deadline:
        consumed, lags = 0.0, []
        for w in workers:
            try:
                samples = w.metrics()
            except OSError:  # not serving yet
                samples = {}
            for k, v in samples.items():
                if k.startswith("tocsin_messages_consumed_total"):
                    consumed += v
                elif k.startswith("tocsin_consumer_lag_messages{"):
                    lags.append(v)
        if consumed == last and consumed > 0 and lags and sum(lags) == 0:
            stable += 1
            if stable >= stable_polls:
                return
        else:
            stable = 0
        last = consumed
        time.sleep(poll_s)
    raise AssertionError("not drained:\n" + "\n".join(w.tail_log() for w in workers))


def read_topic(settings: Settings, topic: str, *, timeout_s: float = 120.0) -> list[Any]:
    """Every record of ``topic`` up to its true end (kafka-python records)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        group_id=None,
        max_partition_fetch_bytes=16 * 1_048_576,
        fetch_max_bytes=64 * 1_048_576,
    )
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        found = true_end_offsets_sync(settings.bootstrap_servers, [(topic, p) for p in partitions])
        ends = {tp: found[(tp.topic, tp.partition)] for tp in tps}
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(consumer.position(tp) < ends[tp] for tp in tps):
            for recs in consumer.poll(timeout_ms=200).values():
                records.extend(recs)
        short = {
            tp: (consumer.position(tp), ends[tp]) for tp in tps if consumer.position(tp) < ends[tp]
        }
        if short:
            raise AssertionError(f"{topic} not read to its end in {timeout_s} s: {short}")
        return records
    finally:
        consumer.close()


def headers_of(record: Any) -> Mapping[str, bytes]:
    return dict(record.headers or ())


def latest_by_key(records: Iterable[Any]) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    for r in records:
        out[r.key] = r.value
    return out
