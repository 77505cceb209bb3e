"""Reading Tocsin's output topics: alerts and dead letters, as they arrive."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal, TextIO

import msgspec
from kafka import KafkaConsumer, TopicPartition

from streams.render import ALERT_HEADER, alert_row
from streams.settings import Settings
from streams.tansu import log_end_offsets_sync

__all__ = ["TailTopic", "follow", "tail"]

TailTopic = Literal["alerts", "deadletter"]


def follow(
    settings: Settings,
    topic: str,
    *,
    from_beginning: bool,
    stop: Callable[[], bool] = lambda: False,
    idle_timeout_s: float | None = None,
) -> Iterator[Any]:
    """Yield the records of ``topic`` as they arrive (kafka-python records)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        group_id=None,
        consumer_timeout_ms=200,
    )
    try:
        partitions = None
        deadline = time.monotonic() + 30
        while not partitions and time.monotonic() < deadline:
            partitions = consumer.partitions_for_topic(topic)
            if not partitions:
                time.sleep(0.2)
        if not partitions:
            raise SystemExit(f"topic {topic!r} does not exist")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        if from_beginning:
            consumer.seek_to_beginning(*tps)
        else:
            ends = log_end_offsets_sync(
                consumer,
                tps,
                broker_kind=settings.broker_kind,
                bootstrap_servers=settings.bootstrap_servers,
            )
            for tp in tps:
                consumer.seek(tp, ends[tp])
        last = time.monotonic()
        while not stop():
            batch = consumer.poll(timeout_ms=200)
            if batch:
                last = time.monotonic()
            for records in batch.values():
                yield from records
            if idle_timeout_s is not None and time.monotonic() - last > idle_timeout_s:
                return
    finally:
        consumer.close()


def tail(
    settings: Settings,
    which: TailTopic,
    *,
    from_beginning: bool = False,
    as_json: bool = False,
    out: TextIO = sys.stdout,
    idle_timeout_s: float | None = None,
) -> int:
    """Print alerts (a table, or JSON lines) or dead letters; return how many."""
    topic = settings.alerts_topic if which == "alerts" else settings.deadletter_topic
    n = 0
    if which == "alerts" and not as_json:
        print(ALERT_HEADER, file=out, flush=True)
    for record in follow(
        settings, topic, from_beginning=from_beginning, idle_timeout_s=idle_timeout_s
    ):
        n += 1
        if which == "alerts":
            if as_json:
                out.write(record.value.decode("utf-8") + "\n")
            else:
                out.write(alert_row(msgspec.json.decode(record.value)) + "\n")
        else:
            headers = {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}
            line = {
                "key": record.key.decode("utf-8", "replace") if record.key else None,
                "reason": headers.get("tocsin.errors.reason"),
                "topic": headers.get("tocsin.errors.topic"),
                "partition": headers.get("tocsin.errors.partition"),
                "offset": headers.get("tocsin.errors.offset"),
                "detail": headers.get("tocsin.errors.exception.message"),
                "value": record.value[:200].decode("utf-8", "replace"),
            }
            out.write(msgspec.json.encode(line).decode() + "\n")
        out.flush()
    return n
