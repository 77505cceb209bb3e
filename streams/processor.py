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
    the outbox is emptied after the broker acknowledged them (and written with the
    next flush of the brand's partition). A record that
    comes back from recovery with a non-empty outbox may or may not have had its
    alerts delivered: :mod:`streams.agent` looks for their ids on the alerts
    topic and sends only the missing ones. Alert ids are deterministic, so the
    same bin always yields the same id.

Quiet brands
    A brand's bins close when its own mentions move its watermark past them. A
    brand whose mentions stop would keep its last level (and a crisis would stay
    paged) until its next mention. So after each batch, a brand that is above
    calm, has an open incident or holds bins not yet closed, and from which no
    mention was *accepted* for ``quiet_after_ms``, has its watermark moved
    forward as if its mentions had kept arriving with the same delay, less
    ``quiet_after_ms``: to its newest mention time plus the silence minus
    ``quiet_after_ms``. Its bins close as empty, so its level falls and its
    incident resolves. The silence is the smaller of two clocks since the brand
    was last heard of: the worker's own (a producer whose clock runs ahead
    cannot shorten it) and its partition's record time, capped by the worker's
    clock (a worker catching up on a backlog cannot lengthen it); both are kept
    in the brand's record (:attr:`BrandRecord.heard`), so clean restarts and
    rebalances do not reset it (after a crash, the mentions delivered again
    start it again: the fall comes later by up to the downtime). A collector
    that delivers at least every ``quiet_after_ms``, however late its mentions
    are dated, is never advanced; one whose delay grows by more than
    ``quiet_after_ms + grace_ms`` over a silence has the mentions that come
    back counted late (raise ``quiet_after_ms`` for collectors that poll less
    often). On a topic with producers' record times (``CreateTime``; the
    embedded broker's only kind), a producer whose clock runs ahead, while the
    worker falls behind, can make both clocks overstate a silence; ``tocsin
    topics`` creates ``mentions`` with ``LogAppendTime``. A partition read to
    its end brings no batch, and its record time would stand still: the agent
    reports such partitions on a timer (:meth:`Processor.caught_up`), and their
    record time is then the worker's clock, so a brand alone on its partition
    (or on its worker) falls too. (A partition is read to its end when every
    message before its log end offset went through the processor; messages
    fetched and waiting for their batch keep it out. One whose log ends with a
    transaction marker, from a transactional upstream producer, never is: its
    quiet brands wait for the next batch.) Calm brands with nothing open are left
    alone: their silence closes with their next mention, as before. An advance
    that closes bins is written with its partition's next flush (at once when it
    raises an alert or an incident event), like a batch: after a clean restart or
    a rebalance the bins it closed stay closed, and a mention it made late stays
    late. After a crash, the advances since the last flush are redone with the
    mentions read again (their minute records may then come twice).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, cast

import msgspec
import numpy as np
from kafka.partitioner.default import murmur2

from detectors.batch import MentionBatch
from detectors.incidents import IncidentEvent
from detectors.lexicon import ToneScorer
from detectors.state import (
    BrandState,
    DetectionSettings,
    Expectation,
    StateUpdate,
    update_many,
)
from streams.alerts import alert_from_change, cloudevent_headers
from streams.codec import DECODE_ERRORS, MentionDecoder, Reason, Reject
from streams.columns import to_batch
from streams.commands import ExpectCommand, brand_of_incident, decode_command
from streams.incidents import incident_headers, incident_message, minutes_messages
from streams.mention import Mention
from streams.metrics import Metrics

log = logging.getLogger(__name__)

__all__ = [
    "BrandRecord",
    "DeadLetter",
    "Message",
    "Output",
    "PendingMessage",
    "Processor",
    "deadletter_headers",
]


#: Keys whose default partition a processor remembers (beyond, it is computed each time).
_HOMES_KEPT: Final = 100_000
#: Keys whose misrouting is logged (once each), at most.
_WARNED_KEYS: Final = 1_000


@dataclass(frozen=True, slots=True)
class Message:
    """One Kafka message of the mentions topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class PendingMessage:
    """An alert or incident event ready to send: its id, and the Kafka key, value, headers."""

    kind: Literal["alert", "incident"]
    message_id: str
    level: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


@dataclass(slots=True)
class BrandRecord:
    """The table value of a brand: its detection state and delivery bookkeeping.

    ``offsets`` maps (topic, partition) to the last offset applied; ``heard``
    serves quiet brands (see the module's docstring).
    """

    state: BrandState
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    outbox: list[PendingMessage] = field(default_factory=list)
    #: When mentions of the brand last arrived: the worker's clock, the newest
    #: record time of their messages, and the brand's newest mention time (ms).
    heard: tuple[int, int, int] | None = None

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """The record as the changelog keeps it: the fields of the first version
        only, ``heard`` riding in ``offsets`` under keys no Kafka topic can have
        (the empty topic name), so that a worker of an earlier version, during a
        rolling upgrade or after a rollback, still loads it (and ignores them)."""
        offsets = dict(self.offsets)
        if self.heard is not None:
            for i, value in enumerate(self.heard):
                offsets[(_HEARD_TOPIC, i)] = value
        return None, {"state": self.state, "offsets": offsets, "outbox": self.outbox}

    def __setstate__(self, state: tuple[None, dict[str, Any]]) -> None:
        """Restore from the changelog (any earlier version's record too)."""
        fields = state[1]
        offsets = fields["offsets"]
        heard = fields.get("heard")
        if (_HEARD_TOPIC, 0) in offsets:
            heard = tuple(offsets.pop((_HEARD_TOPIC, i)) for i in range(3))
        self.state = fields["state"]
        self.offsets = offsets
        self.outbox = fields["outbox"]
        self.heard = heard


#: Topic name of the ``offsets`` entries that carry ``BrandRecord.heard`` in the
#: changelog (Kafka forbids an empty topic name: no real offset collides).
_HEARD_TOPIC: Final = ""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A refused message or batch element, as it goes to the dead-letter topic."""

    key: bytes | None
    value: bytes | None  # None: the original was a tombstone
    headers: list[tuple[str, bytes]]
    reason: str


@dataclass(slots=True)
class Output:
    """What :meth:`Processor.process` asks its caller to write and send."""

    dirty: dict[str, int] = field(default_factory=dict)  # brand -> partition of its record
    pending: list[tuple[str, PendingMessage]] = field(default_factory=list)
    minutes: list[tuple[bytes, bytes]] = field(default_factory=list)  # key, value
    deadletters: list[DeadLetter] = field(default_factory=list)
    mentions: int = 0
    late: int = 0
    duplicates: int = 0


def deadletter_headers(msg: Message, reject: Reject) -> list[tuple[str, bytes]]:
    """Headers of a dead letter, in the manner of Kafka Connect's ``__connect.errors.*``:
    the original message's headers (but earlier ``tocsin.errors.*``), then the error's."""
    headers = [(k, v) for k, v in msg.headers if not k.startswith("tocsin.errors.")]
    headers += [
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
    commands_topic
        Messages of this topic are commands (acknowledgements, expectations).
    max_brands
        Brands this worker keeps state (and metric series) for at most: the
        messages of any further brand go to the dead-letter topic (``brand_limit``).
    quiet_after_ms
        A brand above calm (or with an incident or bins open) from which no
        mention was accepted for this long has its bins closed as if its mentions
        had kept arriving, less this long (see the module's docstring); 0 never does.
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
        commands_topic: str = "tocsin-commands",
        max_brands: int = 10_000,
        quiet_after_ms: int = 0,
        clock_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        partitions: int = 0,
    ) -> None:
        if quiet_after_ms < 0:
            raise ValueError(f"quiet_after_ms={quiet_after_ms!r}: valid values: an integer >= 0")
        self.records = records
        self.commands_topic = commands_topic
        self.max_brands = max_brands
        self.decoder = decoder
        self.scorer = scorer
        self.metrics = metrics
        self.detection = detection
        self.source = source
        self.clock_ms = clock_ms
        self.quiet_after_ms = quiet_after_ms
        # The mentions topic's partition count (0: unknown), and the partition Kafka's
        # default partitioner gives each key seen: a message elsewhere is counted.
        self.partitions = partitions
        self._home: dict[bytes, int] = {}
        self._warned: set[bytes] = set()
        # Newest mention time by brand (the event-time lag gauge reads it).
        self.watermarks: dict[str, int] = {}
        # Quiet brands (in memory only): the brands of each partition of the
        # mentions topic, the partition's record time, and the record time at
        # which its quiet brands were last advanced.
        self._brands_of: dict[int, dict[str, None]] = {}
        self._record_ms: dict[int, int] = {}
        self._advanced_ms: dict[int, int] = {}
        self._encode = msgspec.json.Encoder()

    def process(self, messages: Sequence[Message]) -> Output:
        """Apply a batch of messages; return what to write and send."""
        out = Output()
        metrics = self.metrics
        decode = self.decoder.decode
        groups: dict[str, list[tuple[Message, list[Mention]]]] = {}
        new_brands = 0  # brands of this batch without a record yet
        truncated = 0
        commands: list[Message] = []
        now = self.clock_ms()
        for msg in messages:
            if msg.topic == self.commands_topic:
                commands.append(msg)
                continue
            if self.partitions and msg.key is not None:
                self._check_partition(msg)
            # A producer's clock far ahead (CreateTime) must not let far-future
            # mentions through: their record time counts up to the worker's clock.
            decoded = decode(msg.key, msg.value, record_ts_ms=min(msg.timestamp_ms, now))
            if decoded.mentions:
                brand = decoded.mentions[0].brand
                if brand not in groups and brand not in self.records:
                    if self._full(new_brands):
                        # The whole message, invalid elements included, in one dead letter
                        # that counts every mention it holds.
                        held = len(decoded.mentions) + len(decoded.rejects)
                        detail = self._limit_detail(brand)
                        self._refuse(msg, "brand_limit", detail, "", out, mentions=held)
                        continue
                    new_brands += 1
                groups.setdefault(brand, []).append((msg, decoded.mentions))
            truncated += decoded.truncated
            for reject in decoded.rejects:
                self._dead_letter(msg, reject, out)
        if truncated:
            metrics.truncated.inc(truncated)
        metrics.messages.inc(len(messages))
        self._apply_all(groups, out)
        if self.quiet_after_ms:
            self._advance_quiet(out)
        for msg in commands:
            self._command(msg, out)
        if out.late:
            metrics.late.inc(out.late)
        if out.duplicates:
            metrics.duplicates.inc(out.duplicates)
        if messages:
            oldest = min(m.timestamp_ms for m in messages)
            metrics.latency.observe(max(0.0, (self.clock_ms() - oldest) / 1000.0))
        metrics.brands.set(len(self.records))
        return out

    def _check_partition(self, msg: Message) -> None:
        """Count a keyed message that is not on its key's partition by Kafka's default
        partitioner (murmur2, as the Java client, kafka-python, aiokafka and ``tocsin
        produce`` and ``tocsin ack`` use; librdkafka clients need
        ``partitioner=murmur2_random``): its brand's commands would reach another
        partition than its state. Logged once per key."""
        key = cast(bytes, msg.key)
        home = self._home.get(key)
        if home is None:
            home = (murmur2(key) & 0x7FFFFFFF) % self.partitions
            if len(self._home) < _HOMES_KEPT:
                self._home[key] = home
        if home == msg.partition:
            return
        self.metrics.misrouted.inc()
        if key not in self._warned and len(self._warned) < _WARNED_KEYS:
            self._warned.add(key)
            log.warning(
                "key %r on partition %d of %s, not %d (Kafka's default partitioner): "
                "the producer partitions otherwise; set partitioner=murmur2_random "
                "in librdkafka clients",
                key[:128],
                msg.partition,
                msg.topic,
                home,
            )

    def _full(self, new_brands: int = 0) -> bool:
        """Whether one more brand would pass ``max_brands`` (``new_brands`` of this
        batch already admitted)."""
        return len(self.records) + new_brands >= self.max_brands

    def _limit_detail(self, brand: str) -> str:
        return f"new brand {brand!r}: this worker holds max_brands={self.max_brands} already"

    def _record(self, brand: str) -> BrandRecord:
        record = self.records.get(brand)
        if record is None:
            record = BrandRecord(BrandState(brand=brand, settings=self.detection))
            self.records[brand] = record
        else:
            self._retune(record.state)
        return record

    def _retune(self, state: BrandState) -> None:
        """A record written with other level rules (changed ``fusion_*``, or an upgrade
        with new defaults) takes this worker's, keeping its level (once per record)."""
        if state.settings.fusion is not self.detection.fusion:
            state.retune(self.detection.fusion)

    def _apply_all(
        self, groups: dict[str, list[tuple[Message, list[Mention]]]], out: Output
    ) -> None:
        """Skip what the states already hold, then update every brand in one pass."""
        brands: list[str] = []
        records: list[BrandRecord] = []
        fresh: list[Mention] = []
        bounds: list[tuple[int, int]] = []
        partitions: list[int] = []
        record_times: list[int] = []  # newest record time of each brand's messages
        for brand, items in groups.items():
            record = self._record(brand)
            offsets = record.offsets
            start = len(fresh)
            partition = items[-1][0].partition
            record_ms = items[-1][0].timestamp_ms
            for msg, mentions in items:
                tp = (msg.topic, msg.partition)
                if msg.offset <= offsets.get(tp, -1):
                    out.duplicates += len(mentions)
                    continue
                fresh.extend(mentions)
                offsets[tp] = msg.offset
                partition = msg.partition
                record_ms = max(record_ms, msg.timestamp_ms)
            if len(fresh) > start:
                brands.append(brand)
                records.append(record)
                bounds.append((start, len(fresh)))
                partitions.append(partition)
                record_times.append(record_ms)
        if not fresh:
            return
        batch: MentionBatch = to_batch(fresh, self.scorer)
        updates = update_many([r.state for r in records], batch, bounds)
        newest = np.maximum.reduceat(batch.ts_ms, [lo for lo, _ in bounds]).tolist()
        now = self.clock_ms()
        for brand, record, partition, record_ms, newest_ms, update in zip(
            brands, records, partitions, record_times, newest, updates, strict=True
        ):
            record_ms = min(record_ms, now)  # a record dated ahead of the worker's clock
            if update.accepted:  # mentions that were all late say nothing new
                # The newest mention time so far: from heard, or for a record written
                # before heard existed (never advanced), its bins' watermark, which
                # this batch's newest mention has joined.
                watermark = record.state.bins.watermark_ms
                if record.heard is None and watermark is not None:
                    newest_ms = watermark
                elif record.heard is not None and record.heard[2] > newest_ms:
                    newest_ms = record.heard[2]
                record.heard = (now, record_ms, newest_ms)
            self.track(brand, partition)
            if record_ms > self._record_ms.get(partition, record_ms - 1):
                self._record_ms[partition] = record_ms
            self._after_update(brand, record, partition, update, out)

    def caught_up(self, partitions: Iterable[int]) -> Output:
        """Advance the quiet brands of ``partitions``, which have nothing left to read.

        A partition of the mentions topic whose every message has been processed
        brings no batch, so its record time stands still and its quiet brands
        would keep their level: a crisis that dies out on a worker (or a partition)
        that watches only that brand would stay paged until its next mention. The
        agent calls this, on a timer, with the partitions it has read to their end:
        their record time is then the worker's clock (nothing older is left to
        read), and their quiet brands are advanced as after a batch.
        """
        out = Output()
        if not self.quiet_after_ms:
            return out
        now = self.clock_ms()
        for partition in partitions:
            if self._brands_of.get(partition) and self._record_ms.get(partition, now - 1) < now:
                self._record_ms[partition] = now
        self._advance_quiet(out)
        return out

    def track(self, brand: str, partition: int) -> None:
        """Count ``brand`` (on ``partition`` of the mentions topic: heard of now, or
        a record recovered there) among the brands that may go quiet."""
        self._brands_of.setdefault(partition, {})[brand] = None

    def _advance_quiet(self, out: Output) -> None:
        """Close the bins of the quiet brands of every partition whose record time
        moved a bin or more since their last advance (see the module's docstring)."""
        quiet_ms = self.quiet_after_ms
        bin_ms = self.detection.bin_ms
        records = self.records
        now = self.clock_ms()
        for partition, record_ms in self._record_ms.items():
            if record_ms < self._advanced_ms.get(partition, record_ms - bin_ms) + bin_ms:
                continue
            self._advanced_ms[partition] = record_ms
            brands = self._brands_of.get(partition, {})
            for brand in list(brands):
                record = records.get(brand)
                if record is None:  # revoked, or forgotten
                    del brands[brand]
                    continue
                state = record.state
                if (
                    state.level == 0
                    and state.incidents.current is None
                    and not state.bins.open_bins
                ):
                    continue  # nothing to raise, lower or resolve
                watermark = state.bins.watermark_ms
                heard = record.heard
                if heard is None:  # a record written before heard existed: from now on
                    if watermark is not None:
                        record.heard = (now, record_ms, watermark)
                        out.dirty[brand] = partition  # so that a restart does not lose it
                    continue
                silence = min(now - heard[0], record_ms - heard[1])
                target = heard[2] + silence - quiet_ms
                if silence < quiet_ms or watermark is None or watermark >= target:
                    continue
                self._retune(state)
                update = state.advance(watermark_ms=target)
                self.metrics.quiet_bins.inc(update.closed_bins)
                # Written with the partition's next flush (at once when it has
                # something to send): a restart must not reopen the bins it closed,
                # or a mention it made late would count after the restart.
                durable = bool(update.closed_bins or update.changes or update.events)
                self._after_update(brand, record, partition, update, out, durable=durable)

    def _after_update(
        self,
        brand: str,
        record: BrandRecord,
        partition: int,
        update: StateUpdate,
        out: Output,
        *,
        durable: bool = True,
    ) -> None:
        state = record.state
        out.mentions += update.accepted
        out.late += update.late
        out.duplicates += update.repeated
        if durable:
            out.dirty[brand] = partition
        metrics = self.metrics
        if update.closed_bins or not metrics.has_brand(brand):
            self.publish(brand, record)  # the gauges show the last closed bin
        else:
            self._note_watermark(brand, record)
        if update.accepted:
            metrics.processed(brand).inc(update.accepted)
        now = self.clock_ms()
        key = brand.encode()
        for change in update.changes:
            alert = alert_from_change(change, emitted_at_ms=now)
            self._queue(
                record,
                brand,
                out,
                PendingMessage(
                    kind="alert",
                    message_id=alert.alert_id,
                    level=alert.level,
                    key=key,
                    value=self._encode.encode(alert),
                    headers=cloudevent_headers(alert, source=self.source),
                ),
            )
        self._queue_events(record, brand, update.events, out, now)
        for record_msg in minutes_messages(brand, state.settings.bin_ms, update.minutes):
            out.minutes.append((key, self._encode.encode(record_msg)))

    def publish(self, brand: str, record: BrandRecord) -> None:
        """Set the brand's gauges (level, scores) and newest mention time from its record."""
        state = record.state
        self._note_watermark(brand, record)
        scores = state.scores
        self.metrics.set_brand(
            brand,
            level=state.level,
            onset=scores.onset,
            elevation=scores.elevation,
            negative=scores.negative,
            aggressive=scores.aggressive,
            growth=state.evolution.volume.score,
            drift=state.volume.drift,
            negative_share=state.tone.negative.share,
        )

    def _note_watermark(self, brand: str, record: BrandRecord) -> None:
        """The brand's newest mention time, for ``tocsin_event_time_lag_seconds``."""
        if record.heard is not None:
            self.watermarks[brand] = record.heard[2]
        elif record.state.bins.watermark_ms is not None:
            self.watermarks[brand] = record.state.bins.watermark_ms

    def _queue(self, record: BrandRecord, brand: str, out: Output, message: PendingMessage) -> None:
        record.outbox.append(message)
        out.pending.append((brand, message))

    def _queue_events(
        self,
        record: BrandRecord,
        brand: str,
        events: list[IncidentEvent],
        out: Output,
        now: int,
    ) -> None:
        tracker = record.state.incidents
        for event in events:
            message = incident_message(event, tracker.find(event.incident_id), emitted_at_ms=now)
            self._queue(
                record,
                brand,
                out,
                PendingMessage(
                    kind="incident",
                    message_id=message.event_id,
                    level=message.level,
                    key=brand.encode(),
                    value=self._encode.encode(message),
                    headers=incident_headers(message, source=self.source),
                ),
            )

    def _refuse(
        self,
        msg: Message,
        reason: Reason,
        detail: str,
        exception: str,
        out: Output,
        *,
        mentions: int = 1,
    ) -> None:
        """Send a whole message (holding ``mentions``) to the dead-letter topic."""
        reject = Reject(reason, detail, exception, msg.value or b"", None)
        self._dead_letter(msg, reject, out, mentions=mentions)

    def _dead_letter(self, msg: Message, reject: Reject, out: Output, *, mentions: int = 1) -> None:
        """Queue ``reject`` (from ``msg``) for the dead-letter topic and count the
        mentions it holds (one when they cannot be told apart)."""
        value = None if msg.value is None and reject.index is None else reject.raw
        out.deadletters.append(
            DeadLetter(msg.key, value, deadletter_headers(msg, reject), reject.reason)
        )
        self.metrics.invalid[reject.reason].inc(mentions)

    def _command(self, msg: Message, out: Output) -> None:
        """Apply an acknowledgement or an expectation; refuse anything else to dead letters."""
        try:
            command = decode_command(msg.value or b"")
            brand = (
                command.brand
                if isinstance(command, ExpectCommand)
                else brand_of_incident(command.incident_id)
            )
        except (*DECODE_ERRORS, ValueError) as exc:
            self._refuse(msg, "bad_command", str(exc), type(exc).__qualname__, out)
            return
        if msg.key != brand.encode():
            # The record of a brand lives on its key's partition: a command keyed
            # otherwise would reach another record, perhaps on another worker.
            detail = f"key {msg.key!r} but the command is for brand {brand!r}"
            self._refuse(msg, "key_mismatch", detail, "", out)
            return
        if isinstance(command, ExpectCommand):
            if brand not in self.records and self._full():
                self._refuse(msg, "brand_limit", self._limit_detail(brand), "", out)
                return
        else:
            known = self.records.get(brand)
            if known is None or known.state.incidents.find(command.incident_id) is None:
                # Not an incident of this worker's brands: it would create a record.
                detail = f"no incident {command.incident_id!r} of brand {brand!r} on this worker"
                self._refuse(msg, "bad_command", detail, "", out)
                return
        record = self._record(brand)
        tp = (msg.topic, msg.partition)
        if msg.offset <= record.offsets.get(tp, -1):
            return
        record.offsets[tp] = msg.offset
        out.dirty[brand] = msg.partition
        if isinstance(command, ExpectCommand):
            record.state.expect(Expectation(command.from_ms, command.to_ms, command.kind))
            return
        event = record.state.acknowledge(
            command.incident_id, by=command.by, note=command.note, at_ms=command.at
        )
        if event is not None:
            self._queue_events(record, brand, [event], out, self.clock_ms())
