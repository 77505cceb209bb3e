"""Tocsin's record of a brand, read from the topics or from a JSON-lines archive.

An archive is a JSON-lines file, one line per message:
``{"topic": "alerts" | "incidents" | "brand-minutes", "key": "<brand>", "value": {...}}``.
``tocsin report`` reads the topics (or such a file); offline runs and
``tocsin record`` write one, so a crisis can be analysed after the topics'
retention or away from the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec

from streams.settings import Settings

__all__ = ["ArchiveLine", "BrandRecordSet", "read_archive", "read_topics", "write_archive"]

Stream = Literal["alerts", "incidents", "brand-minutes"]


class ArchiveLine(msgspec.Struct, frozen=True):
    """One archived message."""

    topic: Stream
    key: str
    value: dict[str, Any]


@dataclass(slots=True)
class BrandRecordSet:
    """Alerts, incident events and minutes of the brands an archive holds."""

    alerts: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    minutes: list[dict[str, Any]] = field(default_factory=list)  # BrandMinutes messages

    def add(self, line: ArchiveLine) -> None:
        """File a line under its stream."""
        {"alerts": self.alerts, "incidents": self.incidents, "brand-minutes": self.minutes}[
            line.topic
        ].append(line.value)

    def lines(self) -> Iterator[ArchiveLine]:
        """Everything, as archive lines."""
        for topic, values in (
            ("alerts", self.alerts),
            ("incidents", self.incidents),
            ("brand-minutes", self.minutes),
        ):
            for v in values:
                yield ArchiveLine(topic=topic, key=str(v.get("brand", "")), value=v)  # type: ignore[arg-type]


def write_archive(path: str | Path, lines: Iterable[ArchiveLine]) -> int:
    """Write archive lines; return how many."""
    encode = msgspec.json.encode
    n = 0
    with Path(path).open("wb") as f:
        for line in lines:
            f.write(encode(line) + b"\n")
            n += 1
    return n


def read_archive(path: str | Path, *, brand: str | None = None) -> BrandRecordSet:
    """Read an archive (only ``brand``'s lines when given)."""
    decoder = msgspec.json.Decoder(ArchiveLine)
    out = BrandRecordSet()
    with Path(path).open("rb") as f:
        for raw in f:
            if raw.strip():
                line = decoder.decode(raw)
                if brand is None or line.key == brand:
                    out.add(line)
    return out


def read_topics(settings: Settings, *, brand: str | None = None) -> BrandRecordSet:
    """Read the alerts, incidents and brand-minutes topics to their end."""
    from kafka import KafkaConsumer, TopicPartition

    from streams.tansu import log_end_offsets_sync

    out = BrandRecordSet()
    topics: dict[str, Stream] = {
        settings.alerts_topic: "alerts",
        settings.incidents_topic: "incidents",
        settings.minutes_topic: "brand-minutes",
    }
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        group_id=None,
        max_partition_fetch_bytes=16 * 1_048_576,
    )
    decode = msgspec.json.Decoder(dict[str, Any]).decode
    try:
        tps = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(consumer.partitions_for_topic(t) or ())
        ]
        if not tps:
            return out
        ends = log_end_offsets_sync(
            consumer,
            tps,
            broker_kind=settings.broker_kind,
            bootstrap_servers=settings.bootstrap_servers,
        )
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            for tp, records in consumer.poll(timeout_ms=500).items():
                for r in records:
                    key = r.key.decode("utf-8", "replace") if r.key else ""
                    if brand is None or key == brand:
                        out.add(ArchiveLine(topic=topics[tp.topic], key=key, value=decode(r.value)))
    finally:
        consumer.close()
    return out
