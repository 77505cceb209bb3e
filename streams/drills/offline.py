"""Running a drill through the worker's own processing, without a broker.

The mentions are framed as the producers frame them (per-brand JSON arrays, in
arrival order) and handed to :class:`streams.processor.Processor`, the code the
Faust agent runs: decoding, validation, tone scoring, columns and
:meth:`detectors.state.BrandState.update`. Only Kafka is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec
from prometheus_client import CollectorRegistry

from streams.codec import MentionDecoder
from streams.drills.debrief import LevelChange
from streams.mention import event_time_ms
from streams.metrics import Metrics
from streams.processor import BrandRecord, Message, Processor
from streams.settings import Settings
from streams.tone import make_scorer

__all__ = ["OfflineRun", "frame", "run_offline"]


@dataclass(frozen=True, slots=True)
class OfflineRun:
    """What an offline run produced."""

    changes: list[LevelChange]
    alerts: list[dict[str, Any]]
    incident_events: list[dict[str, Any]]
    minutes: list[dict[str, Any]]
    mentions: int
    late: int
    invalid: int
    records: dict[str, BrandRecord]


def frame(
    mentions: Iterable[Any],
    *,
    chunk: int = 2_000,
    span_ms: int = 300_000,
    topic: str = "mentions",
) -> Iterator[list[Message]]:
    """Group arrival-ordered mentions into Kafka-like messages, per brand and chunk.

    The stream's clock is the newest event time seen so far (the worker's clock in
    an offline run); a time the schema refuses does not move it (the processor
    refuses such a mention, as a worker would). A mention dated far ahead of the
    others does move it: a file holds no produce times to tell it from a gap in
    the traffic. A chunk ends after ``chunk`` mentions, or before
    a mention that moves the clock ``span_ms`` or more past where it stood when the
    chunk began: a worker takes what arrived within a short time, so a quiet night
    is not one batch. Each chunk becomes one message per brand (a JSON array, in
    arrival order), its record timestamp the clock after its last mention, as if
    it was produced when that mention arrived. Record timestamps never go back.
    """
    encode = msgspec.json.encode
    offset = 0
    clock: int | None = None
    began: int | None = None  # the clock when the chunk began
    buffer: list[Any] = []

    def flush() -> list[Message]:
        nonlocal offset, began
        by_brand: dict[str, list[Any]] = {}
        for m in buffer:
            brand = m.get("brand") if isinstance(m, dict) else None
            by_brand.setdefault(brand if isinstance(brand, str) else "", []).append(m)
        record_ts = clock if clock is not None else 0
        out = []
        for brand, items in by_brand.items():
            out.append(Message(topic, 0, offset, record_ts, brand.encode(), encode(items)))
            offset += 1
        buffer.clear()
        began = clock
        return out

    for m in mentions:
        ts = event_time_ms(m.get("ts")) if isinstance(m, dict) else None
        if ts is not None and (clock is None or ts > clock):
            if buffer and began is not None and ts - began >= span_ms:
                yield flush()
            clock = ts
            if began is None:
                began = ts
        buffer.append(m)
        if len(buffer) >= chunk:
            yield flush()
    if buffer:
        yield flush()


def run_offline(
    mentions: Iterable[dict[str, Any]], *, settings: Settings | None = None
) -> OfflineRun:
    """Process a stream of mentions as a worker would; return the level changes.

    The worker's clock follows the stream: each chunk is processed at its record
    time (its newest event time), which alerts carry as ``emitted_at`` and quiet
    brands are measured by (:mod:`streams.processor`).
    """
    settings = settings if settings is not None else Settings()
    records: dict[str, BrandRecord] = {}
    metrics = Metrics(CollectorRegistry())
    processor = Processor(
        records=records,
        decoder=MentionDecoder(
            max_text_chars=settings.max_text_chars, max_future_ms=settings.max_future_ms
        ),
        scorer=make_scorer(settings.tone_scorer),
        metrics=metrics,
        detection=settings.detection(),
        source="tocsin://offline",
        quiet_after_ms=settings.quiet_after_ms,
        clock_ms=lambda: now_ms,
    )
    decode = msgspec.json.Decoder()
    alerts: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    minutes: list[dict[str, Any]] = []
    n = late = invalid = 0
    now_ms = 0  # the worker's clock: the stream's, as each chunk is produced
    for messages in frame(mentions):
        now_ms = messages[0].timestamp_ms
        out = processor.process(messages)
        n += out.mentions
        late += out.late
        invalid += len(out.deadletters)
        for _, pending in out.pending:
            if pending.kind == "alert":
                alerts.append(decode.decode(pending.value))
            else:
                events.append(decode.decode(pending.value))
        for brand in {b for b, _ in out.pending}:
            records[brand].outbox.clear()
        minutes += [decode.decode(value) for _, value in out.minutes]
    changes = [LevelChange.from_alert(a, sent_on_drill_clock=True) for a in alerts]
    return OfflineRun(changes, alerts, events, minutes, n, late, invalid, records)
