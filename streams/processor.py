"""What a worker does with one batch of Kafka messages, free of Faust.

:meth:`Processor.process` decodes the messages, refuses what is invalid (to the
dead-letter topic), groups the valid mentions by brand, skips what the brand's
state already holds, runs each brand's columnar batch through
:meth:`detectors.state.BrandState.update`, and returns what must be written and
sent. The Faust agent (:mod:`streams.agent`) does the writing and sending.

Exactly-once effects on top of at-least-once delivery
    Faust commits source offsets only after the producer is flushed, so the
    changelog always holds at least what the committed offsets cover. Each
    :class:`BrandRecord` (the table value) keeps the last source offset applied
    per partition; after a crash, redelivered messages at or below it are
    skipped (``tocsin_mentions_duplicate_total``) instead of being counted twice.
    Alerts go through an outbox kept in the same record: the record, with the
    new alerts in its outbox, is made durable before the alerts are sent, and
    the outbox is emptied after the broker acknowledged them. A record that
    comes back from recovery with a non-empty outbox may or may not have had its
    alerts delivered: :mod:`streams.agent` looks for their ids on the alerts
    topic and sends only the missing ones. Alert ids are deterministic, so the
    same bin always yields the same id.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass, field

import msgspec

from detectors.batch import MentionBatch
from detectors.lexicon import ToneScorer
from detectors.state import BrandState, DetectionSettings
from streams.alerts import alert_from_change, cloudevent_headers
from streams.codec import MentionDecoder, Reject
from streams.columns import to_batch
from streams.mention import Mention
from streams.metrics import Metrics

__all__ = [
    "BrandRecord",
    "DeadLetter",
    "Message",
    "Output",
    "PendingAlert",
    "Processor",
    "deadletter_headers",
]


@dataclass(frozen=True, slots=True)
class Message:
    """One Kafka message of the mentions topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True, slots=True)
class PendingAlert:
    """An alert ready to send: its id, and the Kafka key, value and headers."""

    alert_id: str
    level: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass(slots=True)
class BrandRecord:
    """The table value of a brand: its detection state and delivery bookkeeping."""

    state: BrandState
    offsets: dict[int, int] = field(default_factory=dict)
    outbox: list[PendingAlert] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A refused message or batch element, as it goes to the dead-letter topic."""

    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    reason: str


@dataclass(slots=True)
class Output:
    """What :meth:`Processor.process` asks its caller to write and send."""

    dirty: dict[str, int] = field(default_factory=dict)  # brand -> partition of its record
    alerts: list[tuple[str, PendingAlert]] = field(default_factory=list)
    deadletters: list[DeadLetter] = field(default_factory=list)
    mentions: int = 0
    late: int = 0
    duplicates: int = 0


def deadletter_headers(msg: Message, reject: Reject) -> list[tuple[str, bytes]]:
    """Headers of a dead letter, in the manner of Kafka Connect's ``__connect.errors.*``."""
    headers = [
        ("tocsin.errors.reason", reject.reason.encode()),
        ("tocsin.errors.topic", msg.topic.encode()),
        ("tocsin.errors.partition", str(msg.partition).encode()),
        ("tocsin.errors.offset", str(msg.offset).encode()),
        ("tocsin.errors.stage", b"validate" if reject.reason != "not_json" else b"decode"),
        ("tocsin.errors.exception.class.name", (reject.exception or "Reject").encode()),
        ("tocsin.errors.exception.message", reject.detail[:1000].encode("utf-8", "replace")),
    ]
    if reject.index is not None:
        headers.append(("tocsin.errors.batch.index", str(reject.index).encode()))
    return headers


class Processor:
    """Turns batches of Kafka messages into state updates, alerts and dead letters.

    Parameters
    ----------
    records
        Brand records by brand (the Faust table's data, or a dict).
    decoder, scorer, metrics
        Decoding, tone scoring for mentions without sentiment, and metrics.
    detection
        Detection settings for brands seen for the first time.
    source
        CloudEvents ``source`` of the alerts (the worker's identity).
    clock_ms
        Wall clock, for ``emitted_at`` and latency (replaceable in tests).
    """

    def __init__(
        self,
        *,
        records: MutableMapping[str, BrandRecord],
        decoder: MentionDecoder,
        scorer: ToneScorer,
        metrics: Metrics,
        detection: DetectionSettings,
        source: str,
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self.records = records
        self.decoder = decoder
        self.scorer = scorer
        self.metrics = metrics
        self.detection = detection
        self.source = source
        self.clock_ms = clock_ms
        self.watermarks: dict[str, int] = {}
        self._encode = msgspec.json.Encoder()

    def process(self, messages: Sequence[Message]) -> Output:
        """Apply a batch of messages; return what to write and send."""
        out = Output()
        metrics = self.metrics
        decode = self.decoder.decode
        groups: dict[str, list[tuple[Message, list[Mention]]]] = {}
        truncated = 0
        for msg in messages:
            decoded = decode(msg.key, msg.value, record_ts_ms=msg.timestamp_ms)
            truncated += decoded.truncated
            for reject in decoded.rejects:
                out.deadletters.append(
                    DeadLetter(msg.key, reject.raw, deadletter_headers(msg, reject), reject.reason)
                )
                metrics.invalid[reject.reason].inc()
            if decoded.mentions:
                brand = decoded.mentions[0].brand
                groups.setdefault(brand, []).append((msg, decoded.mentions))
        if truncated:
            metrics.truncated.inc(truncated)
        metrics.messages.inc(len(messages))
        for brand, items in groups.items():
            self._apply(brand, items, out)
        if out.late:
            metrics.late.inc(out.late)
        if out.duplicates:
            metrics.duplicates.inc(out.duplicates)
        if messages:
            oldest = min(m.timestamp_ms for m in messages)
            metrics.latency.observe(max(0.0, (self.clock_ms() - oldest) / 1000.0))
        metrics.brands.set(len(self.records))
        return out

    def _apply(self, brand: str, items: list[tuple[Message, list[Mention]]], out: Output) -> None:
        record = self.records.get(brand)
        if record is None:
            record = BrandRecord(BrandState(brand=brand, settings=self.detection))
            self.records[brand] = record
        offsets = record.offsets
        fresh: list[Mention] = []
        partition = items[-1][0].partition
        for msg, mentions in items:
            done = offsets.get(msg.partition, -1)
            if msg.offset <= done:
                out.duplicates += len(mentions)
                continue
            fresh.extend(mentions)
            offsets[msg.partition] = msg.offset
            partition = msg.partition
        if not fresh:
            return
        batch: MentionBatch = to_batch(fresh, self.scorer)
        state = record.state
        update = state.update(batch)
        out.mentions += update.accepted
        out.late += update.late
        out.dirty[brand] = partition
        metrics = self.metrics
        if update.accepted:
            metrics.processed(brand).inc(update.accepted)
        wm = state.bins.watermark_ms
        if wm is not None:
            self.watermarks[brand] = wm
        scores = state.scores
        metrics.set_brand(
            brand,
            level=state.level,
            onset=scores.onset,
            elevation=scores.elevation,
            negative=scores.negative,
            aggressive=scores.aggressive,
            growth=state.evolution.volume.score,
            negative_share=state.tone.negative.share,
        )
        if update.changes:
            now = self.clock_ms()
            key = brand.encode()
            for change in update.changes:
                alert = alert_from_change(change, emitted_at_ms=now)
                pending = PendingAlert(
                    alert_id=alert.alert_id,
                    level=alert.level,
                    key=key,
                    value=self._encode.encode(alert),
                    headers=cloudevent_headers(alert, source=self.source),
                )
                record.outbox.append(pending)
                out.alerts.append((brand, pending))
