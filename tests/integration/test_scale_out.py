"""Two workers in one consumer group share the partitions and lose or double nothing."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

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


def _mentions(
    brands: list[str], *, hours: int, seed: int
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Each brand's stream, merged in event-time order, and how many each sent."""
    sent: dict[str, int] = {}
    mentions: list[dict[str, Any]] = []
    for i, brand in enumerate(brands):
        ms = stream(brand, minutes=hours * 60, rate_per_min=2, seed=seed + i)
        sent[brand] = len(ms)
        mentions += ms
    mentions.sort(key=lambda m: m["ts"])
    return sent, mentions


def _assert_each_mention_once(settings, brands, sent) -> None:  # type: ignore[no-untyped-def]
    """The changelog holds every brand, each with every mention accepted once (none
    is late here): nothing lost, nothing twice."""
    changelog = f"{settings.app_id}-brand-state-changelog"
    states = {
        k.decode(): loads_state(v)
        for k, v in latest_by_key(read_topic(settings, changelog)).items()
    }
    assert set(states) == set(brands)
    for brand in brands:
        bins = states[brand].state.bins
        assert (bins.accepted_total, bins.late_total) == (sent[brand], 0), brand


def test_a_second_worker_joins_mid_stream_and_nothing_is_lost_or_doubled(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """One worker starts alone; a second joins halfway, takes over partitions with their
    state (recovered from the changelog), and the two finish the stream."""
    settings = isolated_settings(broker, "scale", partitions=4)
    ensure_topics(settings)
    brands = [f"brand-{i:02d}" for i in range(24)]
    sent, mentions = _mentions(brands, hours=12, seed=100)
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
    _assert_each_mention_once(settings, brands, sent)


def test_messages_taken_before_a_rebalance_are_left_to_the_partitions_owner(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """A worker whose take buffer holds messages when a second worker joins: Faust hands
    them over after the revocation, when their partitions may be the other worker's
    and their records dropped. They are left (counted) and read again by the
    partitions' owners from the committed offsets: the changelog holds every mention
    once, and each brand is held by one worker."""
    settings = isolated_settings(broker, "stale", partitions=4)
    ensure_topics(settings)
    brands = [f"brand-{i:02d}" for i in range(24)]
    sent, mentions = _mentions(brands, hours=6, seed=200)
    # the first worker takes what arrived within 3 s: its buffer is rarely empty
    first = WorkerProcess(settings.replace(take_within_s=3.0), tmp_path / "first.log").start()
    second = WorkerProcess(settings.replace(metrics_port=free_port()), tmp_path / "second.log")
    workers = [first]
    chunks = 40
    step = -(-len(mentions) // chunks)

    def publish() -> None:  # a steady stream over about 20 s
        with mention_producer(settings, batch_max=100, linger_ms=20) as producer:
            for lo in range(0, len(mentions), step):
                producer.send_many(mentions[lo : lo + step])
                producer.flush()
                time.sleep(0.5)

    publisher = threading.Thread(target=publish)
    try:
        first.wait_for("tocsin_assigned_partitions", 4, timeout_s=90)
        publisher.start()
        time.sleep(4)
        second.start()
        workers.append(second)
        second.wait_for("tocsin_assigned_partitions", 1, timeout_s=120)
        publisher.join(timeout=120)
        time.sleep(2)
        wait_drained(workers)
        held = [w.metric("tocsin_brands") for w in workers]
        stale = first.metric("tocsin_messages_stale_total")
    finally:
        publisher.join(timeout=120)
        for w in workers:
            assert w.stop() == 0, w.tail_log()
    assert stale > 0  # the race this guards against did happen
    assert sum(held) == len(brands), held  # each brand held by one worker
    _assert_each_mention_once(settings, brands, sent)
