"""Two workers in one consumer group share the partitions and lose or double nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streams.statecodec import loads_state
from streams.tansu import EmbeddedBroker, free_port
from streams.topics import ensure_topics
from tests.kafka_helpers import (
    WorkerProcess,
    isolated_settings,
    latest_by_key,
    mention_producer,
    read_topic,
    wait_drained,
)
from tests.synthetic import stream

pytestmark = pytest.mark.timeout(600)


def _publish(settings, mentions) -> None:  # type: ignore[no-untyped-def]
    with mention_producer(
        settings,
        batch_max=100,
        linger_ms=20,
    ) as producer:
        producer.send_many(mentions)


def test_a_second_worker_joins_mid_stream_and_nothing_is_lost_or_doubled(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """One worker starts alone; a second joins halfway, takes over partitions with their
    state (recovered from the changelog), and the two finish the stream."""
    settings = isolated_settings(broker, "scale", partitions=4)
    ensure_topics(settings)
    brands = [f"brand-{i:02d}" for i in range(24)]
    sent: dict[str, int] = {}
    mentions = []
    for i, brand in enumerate(brands):
        ms = stream(brand, minutes=12 * 60, rate_per_min=2, seed=100 + i)
        sent[brand] = len(ms)
        mentions += ms
    mentions.sort(key=lambda m: m["ts"])
    half = len(mentions) // 2
    first = WorkerProcess(settings, tmp_path / "first.log").start()
    second = WorkerProcess(settings.replace(metrics_port=free_port()), tmp_path / "second.log")
    workers = [first]
    try:
        first.wait_for("tocsin_assigned_partitions", 4, timeout_s=90)
        _publish(settings, mentions[:half])
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (
                sum(first.metric("tocsin_mentions_processed_total", brand=b) for b in brands)
                >= half
            ):
                break
            time.sleep(0.5)
        second.start()
        workers.append(second)
        second.wait_for("tocsin_assigned_partitions", 1, timeout_s=120)
        _publish(settings, mentions[half:])
        time.sleep(2)
        wait_drained(workers)
        shares = [w.metric("tocsin_assigned_partitions") for w in workers]
        held = [w.metric("tocsin_brands") for w in workers]
    finally:
        for w in workers:
            assert w.stop() == 0, w.tail_log()
    assert all(s >= 1 for s in shares) and sum(shares) == 4, shares
    assert sum(held) == len(brands), held  # each brand held by one worker
    changelog = f"{settings.app_id}-brand-state-changelog"
    states = {
        k.decode(): loads_state(v)
        for k, v in latest_by_key(read_topic(settings, changelog)).items()
    }
    assert set(states) == set(brands)
    for brand in brands:
        bins = states[brand].state.bins
        # nothing lost, nothing twice: every mention was accepted once (none is late here)
        assert (bins.accepted_total, bins.late_total) == (sent[brand], 0), brand
