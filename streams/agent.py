"""The Faust side of the worker: batches of events in, writes and sends out.

One agent reads the mentions topic with ``stream.take_events`` so that Faust's
per-message cost is followed by one Python pass over a whole batch; it hands
the batch to :class:`streams.processor.Processor`, then

1. for brands with new alerts: writes their record (alerts in its outbox) to
   the table's changelog and waits until the broker has it, sends the alerts,
   waits for the broker's acknowledgement and empties the outbox (the emptied
   record is written with the next flush of its partition, step 4);
2. sends dead letters and waits until the broker has them;
3. keeps every other changed brand record in memory only, and holds the batch's
   events (one more reference on each message, so Faust does not count them as
   processed);
4. partition by partition, once its oldest held event is ``state_flush_interval_s``
   old (checked after each batch, one partition per batch unless one waited
   twice that, and by a timer when no batch comes), writes each changed record
   of the partition once and, beside the next batches, waits until the broker
   has every one; only then it releases the partition's held events, so that
   Faust may commit their offsets. No offset is committed before the state it
   led to is durable.

A partition read to its end brings no batch: a timer reports such partitions to
the processor, so that their quiet brands still fall (:meth:`Processor.caught_up`),
and performs what that raises as steps 1 and 2 do, writing the changed records at
once.

So a busy brand costs one changelog record per interval, not one per batch: a
record is the brand's whole state (tens of kilobytes), and at live rates a
batch brings a brand one or two mentions. After a crash, the mentions since the
last write come again and are applied to the state as it was written; mentions
the state already holds are skipped by their offsets. When partitions are
revoked, the changed records are written before the revocation completes, so
the next owner recovers them; on a clean stop, they are written too.

After a rebalance or a restart, records recovered with a non-empty outbox have
their alerts checked against the alerts topic (:meth:`DetectionAgent.on_recover`),
and only the missing ones are sent.

If the agent raises (a send the broker or the producer refuses, or a bug), the
process exits at once with :data:`EXIT_AGENT_FAILED` (:func:`fail_stop`).
Faust's default is to restart the agent in the same process, with the batch's
records changed in memory but not written, and its stream no longer delivering
(measured: the worker stayed up, its ``/metrics`` served, consuming nothing).
Exiting leaves the changelog and the committed offsets as they were: the next
start (systemd, Kubernetes, compose's ``restart``) recovers from them and reads
the uncommitted mentions again, and the restarts show.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Mapping, MutableMapping, Sequence
from typing import Any, cast

import aiokafka
import faust
from aiokafka.structs import TopicPartition

from streams.processor import (
    BrandRecord,
    DeadLetter,
    Message,
    Output,
    PendingMessage,
    Processor,
)
from streams.settings import Settings
from streams.tansu import log_end_offsets

__all__ = ["EXIT_AGENT_FAILED", "DetectionAgent", "fail_stop"]

log = logging.getLogger(__name__)

#: Exit status of a worker whose detection agent raised (EX_SOFTWARE).
EXIT_AGENT_FAILED = 70


def fail_stop(exc: BaseException) -> None:
    """Log the error that stopped the detection agent and exit at once, with
    nothing more written or committed (see the module's docstring)."""
    log.critical(
        "detection agent failed (%s: %s): exiting with status %d; the next start "
        "recovers from the changelog and the committed offsets",
        type(exc).__name__,
        exc,
        EXIT_AGENT_FAILED,
        exc_info=exc,
    )
    logging.shutdown()  # flush the log handlers: os._exit skips them
    os._exit(EXIT_AGENT_FAILED)


#: How many of the newest messages per alerts partition are searched for
#: alerts that may or may not have been delivered before a crash.
OUTBOX_LOOKBACK = 10_000


class DetectionAgent:
    """Runs the processor over the mentions stream and performs its output.

    Parameters
    ----------
    settings
        Worker settings.
    processor
        The Faust-free processing logic.
    table
        Faust table of :class:`BrandRecord` by brand.
    alerts_topic, deadletter_topic
        Where alerts and dead letters go.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        processor: Processor,
        table: Any,
        alerts_topic: faust.TopicT,
        incidents_topic: faust.TopicT,
        minutes_topic: faust.TopicT,
        deadletter_topic: faust.TopicT,
    ) -> None:
        self.settings = settings
        self.processor = processor
        self.table = table
        self.alerts_topic = alerts_topic
        self.incidents_topic = incidents_topic
        self.minutes_topic = minutes_topic
        self.deadletter_topic = deadletter_topic
        self.batches = 0
        self._lock = asyncio.Lock()  # a batch, a flush: one at a time
        # By partition (of the mentions topic, the commands topic and the changelog
        # alike): brands whose record changed since it was last written, events held
        # until then, and when the oldest of them was held (monotonic seconds).
        self._unwritten: dict[int, dict[str, None]] = {}
        self._held: dict[int, list[faust.EventT[Any]]] = {}
        self._held_since: dict[int, float] = {}
        # By partition: the last flush whose records the broker has not acknowledged yet.
        self._writing: dict[int, asyncio.Task[None]] = {}
        # By partition of the mentions topic: the next offset to process (every
        # message before it has been through the processor).
        self._read_to: dict[int, int] = {}

    @property
    def records(self) -> MutableMapping[str, BrandRecord]:
        """Brand records as the table stores them (deserialised, in memory)."""
        return self.table.data  # type: ignore[no-any-return]

    # -- the agent -------------------------------------------------------------
    async def run(self, stream: faust.StreamT[Any]) -> None:
        """Faust agent body: process the stream batch by batch; any error ends the
        process (:func:`fail_stop`; a rebalance's cancellation is not an error)."""
        try:
            await self._consume(stream)
        except Exception as exc:
            fail_stop(exc)

    async def _consume(self, stream: faust.StreamT[Any]) -> None:
        settings = self.settings
        metrics = self.processor.metrics
        topic = settings.mentions_topic
        batches = cast(Any, stream).take_events  # in faust-streaming, not in its StreamT stub
        async for taken in batches(settings.take_max, within=settings.take_within_s):
            async with self._lock:
                self._check_writes()
                events = self._current(taken)
                if not events:
                    continue
                started = time.perf_counter()
                messages = [
                    Message(
                        topic=e.message.topic,
                        partition=e.message.partition,
                        offset=e.message.offset,
                        timestamp_ms=int(e.message.timestamp * 1000),
                        key=e.message.key,
                        value=e.message.value,
                        headers=_header_pairs(e.message.headers),
                    )
                    for e in events
                ]
                out = self.processor.process(messages)
                for m in messages:
                    if m.topic == topic and m.offset >= self._read_to.get(m.partition, 0):
                        self._read_to[m.partition] = m.offset + 1
                sends = await self._perform(out)
                # Faust acks the events when this body returns; one more reference keeps
                # them from counting as processed (their offsets from being committed)
                # until the flush that makes their state durable releases it.
                held_at = time.monotonic()
                for event in events:
                    event.message.incref()
                    partition = event.message.partition
                    self._held.setdefault(partition, []).append(event)
                    self._held_since.setdefault(partition, held_at)
                await asyncio.gather(*sends)
                # One due partition per batch, the longest held, so that the writes of
                # a busy worker spread over its batches instead of stalling one of them;
                # a partition held twice the interval is written whatever.
                now = time.monotonic()
                interval = self.settings.state_flush_interval_s
                due = self._due(now, age_s=interval)[:1]
                await self._flush(
                    due + [p for p in self._due(now, age_s=2 * interval) if p not in due]
                )
                self.batches += 1
                metrics.batch_duration.observe(time.perf_counter() - started)

    def _current(self, events: Sequence[faust.EventT[Any]]) -> Sequence[faust.EventT[Any]]:
        """The events of the current assignment, to process; the others are left.

        Faust checks an event's consumer generation when it enters the stream, not
        when a take buffer filled before a rebalance hands it over. Such an event
        may belong to a partition revoked since (its record already dropped, the
        partition perhaps another worker's), or come before the state the new
        assignment recovers; while a rebalance or recovery runs, no event is
        current. A left event is never acknowledged (Faust acks every taken event
        when the agent's body returns: one more reference keeps it from counting),
        so its offset is not committed: the partition's owner reads it again from
        the committed offset (Faust seeks there after every rebalance).
        """
        app = self.table.app
        live = app.flow_control.is_active()  # not while a rebalance or recovery runs
        generation = app.consumer_generation_id
        current: list[faust.EventT[Any]] = []
        for event in events:
            if live and event.message.generation_id == generation:
                current.append(event)
            else:
                event.message.incref()
        if len(current) < len(events):
            stale = len(events) - len(current)
            self.processor.metrics.stale_messages.inc(stale)
            log.info("left %d messages taken before a rebalance", stale)
        return current

    async def _perform(self, out: Output) -> list[Awaitable[Any]]:
        """Write and send what the processor asked for (steps 1 and 2 of the module's
        docstring; the changed records are left for their partition's flush).

        Returns the futures of the sends not awaited yet (minutes, dead letters)."""
        # The records changed: written with their partition's next flush, even
        # if a send below fails.
        for brand, partition in out.dirty.items():
            self._unwritten.setdefault(partition, {})[brand] = None
        # Minute records go out before the state that produced them is durable:
        # after a crash one may come twice (same brand and minute), never be
        # missing (the batch's events are released only once the broker has them).
        sends = await self._send_all(self.minutes_topic, out.minutes)
        if out.pending:
            brands = list(dict.fromkeys(brand for brand, _ in out.pending))
            for b in brands:
                self._unwritten[out.dirty[b]].pop(b, None)
            await asyncio.gather(*(self._put(b, out.dirty[b]) for b in brands))
            await self._deliver([m for _, m in out.pending])
            sent = {m.message_id for _, m in out.pending}
            for brand in brands:
                # The outbox without these is written with the partition's next
                # flush; until then a recovered record still lists them, and
                # recovery sends only those missing from the topics (on_recover).
                # Anything else in it (a delivery that failed) stays for recovery.
                outbox = self.records[brand].outbox
                outbox[:] = [m for m in outbox if m.message_id not in sent]
                self._unwritten[out.dirty[brand]][brand] = None
        sends += [await self._send_deadletter(dl) for dl in out.deadletters]
        return sends

    def _due(self, now: float, *, age_s: float) -> list[int]:
        """Partitions whose oldest held event is ``age_s`` old or more, the oldest first."""
        since = self._held_since
        return sorted((p for p, t in since.items() if now - t >= age_s), key=since.__getitem__)

    async def flush_if_due(self) -> None:
        """Timer: write the records of every due partition (a quiet stream brings no
        batch that would)."""
        async with self._lock:
            await self._flush(
                self._due(time.monotonic(), age_s=self.settings.state_flush_interval_s)
            )

    async def advance_idle(self) -> None:
        """Timer: advance the quiet brands of the partitions read to their end, which
        bring no batch that would (:meth:`Processor.caught_up`); what that raises
        is sent, and the changed records written, at once. An error ends the
        process, as in the agent (:func:`fail_stop`)."""
        app = self.table.app
        if app.rebalancing or getattr(app, "in_recovery", False):
            return  # records are being recovered; the stream is paused too
        try:
            async with self._lock:
                self._check_writes()
                partitions = self._read_to_end()
                if not partitions:
                    return
                out = self.processor.caught_up(partitions)
                await asyncio.gather(*await self._perform(out))
                await self._flush(sorted(set(out.dirty.values())))
        except Exception as exc:
            fail_stop(exc)

    def _read_to_end(self) -> list[int]:
        """Partitions of the mentions topic, among this worker's, with no message left
        to process: every message before the partition's end (as the last fetch
        response gave it) went through the processor, in this assignment or, before
        its first batch, before the offset the stream started from (its committed
        offset). Messages fetched but not processed yet keep a partition out."""
        try:
            consumer = self.table.app.consumer
            assignment = consumer.assignment()
        except Exception:  # the consumer has not started yet
            return []
        starts = getattr(consumer, "stream_starts", {})
        done = []
        for tp in sorted(assignment):
            if tp.topic != self.settings.mentions_topic:
                continue
            try:
                end = consumer.highwater(tp)
            except Exception:  # revoked meanwhile
                continue
            read_to = self._read_to.get(tp.partition, starts.get((tp.topic, tp.partition)))
            if end is not None and read_to is not None and read_to >= end:
                done.append(tp.partition)
        return done

    async def flush_all(
        self, sender: Any = None, /, *args: Any, signal: Any = None, **kwargs: Any
    ) -> None:
        """Write every changed record and wait until the broker has every record
        written (a batch in progress finishes first).

        Connected to Faust's rebalance (before partitions change hands, so that
        the next owner recovers them) and shutdown (the consumer has stopped: the
        held offsets are not committed, and the next start skips those mentions
        by the offsets kept in the records)."""
        async with self._lock:
            await self._flush(sorted({*self._held_since, *self._unwritten}))
            await asyncio.gather(*self._writing.values())
            # Partitions may come back read further by another worker: until their
            # next batch, where their stream starts tells how far they were read.
            self._read_to.clear()

    async def _flush(self, partitions: list[int]) -> None:
        """Write the changed records of ``partitions``; once the broker has them,
        release those partitions' held events.

        The records are serialised and queued at once; the wait for the broker's
        acknowledgement runs beside the next batches, one flush per partition at a
        time (a partition's next flush first waits for its last one). A write the
        broker refused fails the next batch or flush."""
        for p in partitions:
            last = self._writing.get(p)
            if last is not None:
                await last
        records = self.records
        for p in partitions:
            writes = [self._put(b, p) for b in self._unwritten.pop(p, {}) if b in records]
            held = self._held.pop(p, [])
            self._held_since.pop(p, None)
            if writes or held:
                self._writing[p] = asyncio.ensure_future(self._release(p, writes, held))

    def _check_writes(self) -> None:
        """Raise the error of a flush whose records the broker refused."""
        for task in list(self._writing.values()):
            if task.done() and (error := task.exception()) is not None:
                raise error

    async def _release(
        self, partition: int, writes: list[asyncio.Future[Any]], held: list[faust.EventT[Any]]
    ) -> None:
        """Wait until the broker has ``writes``, then release ``held``."""
        await asyncio.gather(*writes)
        for event in held:
            event.ack()
        if self._writing.get(partition) is asyncio.current_task():
            del self._writing[partition]

    async def _send_deadletter(self, dl: DeadLetter) -> Awaitable[Any]:
        """Send a dead letter; cut a value (or key) too large to send, and say so in a header.

        Returns the future of its delivery."""
        key, value, headers = dl.key, dl.value, list(dl.headers)
        limit = self.settings.max_message_bytes - 4096  # room for the record's framing

        def overhead() -> int:
            return len(key or b"") + sum(len(k) + len(v) for k, v in headers) + 64

        size = len(value) if value is not None else 0
        if overhead() + size > limit:
            if key is not None and len(key) > limit // 2:  # a key that leaves no room
                headers.append(("tocsin.errors.key.truncated.from", str(len(key)).encode()))
                key = key[: limit // 2]
            if overhead() > limit // 2:  # the original headers leave no room: dropped
                ours = [(k, v) for k, v in headers if k.startswith("tocsin.errors.")]
                dropped = len(headers) - len(ours)
                headers = [*ours, ("tocsin.errors.headers.dropped", str(dropped).encode())]
            if value is not None and overhead() + size > limit:
                headers.append(("tocsin.errors.value.truncated.from", str(size).encode()))
                value = value[: max(0, limit - overhead())]
        fut: Awaitable[Any] = await self.deadletter_topic.send(
            key=key, value=value, headers=headers, force=True
        )
        return fut

    def _put(self, brand: str, partition: int) -> asyncio.Future[Any]:
        """Store the brand's record and send it to the changelog, on ``partition``."""
        record = self.records[brand]
        data = self.table.data
        data[brand] = record
        key_partition = getattr(data, "_key_partition", None)
        if key_partition is not None:  # the memory store tracks it to drop revoked keys
            key_partition[brand] = partition
        fut: asyncio.Future[Any] = self.table.send_changelog(partition, brand, record)
        self.processor.metrics.state_writes.inc()
        return fut

    async def _send_all(
        self, topic: faust.TopicT, messages: list[tuple[bytes, bytes]]
    ) -> list[Awaitable[Any]]:
        """Send ``messages``; return the futures of their delivery."""
        return [await topic.send(key=k, value=v, force=True) for k, v in messages]

    async def _deliver(self, messages: Sequence[PendingMessage]) -> None:
        """Send alerts and incident events and wait until the broker has them all."""
        futures = []
        for m in messages:
            topic = self.alerts_topic if m.kind == "alert" else self.incidents_topic
            futures.append(
                await topic.send(key=m.key, value=m.value, headers=m.headers, force=True)
            )
        await asyncio.gather(*futures)
        metrics = self.processor.metrics
        for m in messages:
            if m.kind == "alert":
                metrics.alerts[m.level].inc()
            else:
                metrics.incident_events.inc()

    def unacknowledged(self) -> dict[str, int | None]:
        """For each brand held, the current level of its open incident if nobody
        acknowledged it, else None (read at scrape time)."""
        levels: dict[str, int | None] = {}
        for brand, record in list(self.records.items()):
            inc = record.state.incidents.current
            levels[brand] = inc.level if inc is not None and not inc.acknowledged else None
        return levels

    def consumer_lag(self) -> dict[int, int]:
        """Messages of the mentions topic not yet committed, per partition this worker owns."""
        app = self.table.app
        try:
            assignment = app.consumer.assignment()
        except Exception:  # the consumer has not started yet
            return {}
        out = {}
        for tp in assignment:
            if tp.topic != self.settings.mentions_topic:
                continue
            high = app.consumer.highwater(tp)  # from fetch responses: the log end offset
            committed = app.monitor.tp_committed_offsets.get(tp)  # next offset to read
            read = app.monitor.tp_read_offsets.get(tp)
            pos = committed if committed is not None else (None if read is None else read + 1)
            if high is not None and pos is None and high == 0:
                pos = 0  # an empty partition
            if high is not None and pos is not None:
                out[tp.partition] = max(0, high - pos)
        return out

    # -- recovery --------------------------------------------------------------
    async def on_recover(self) -> None:
        """After recovery: finish the delivery of alerts left in outboxes. An error
        ends the process (:func:`fail_stop`): Faust runs this callback in a task
        whose failure it does not report, and the alerts would wait for the next
        rebalance."""
        try:
            await self._on_recover()
        except Exception as exc:
            fail_stop(exc)

    async def _on_recover(self) -> None:
        app = self.table.app
        generation = app.consumer_generation_id
        assignment = app.consumer.assignment()
        mine = [tp for tp in assignment if tp.topic == self.settings.mentions_topic]
        self.processor.metrics.assigned.set(len(mine))
        # Brands of partitions now owned by another worker: their series go with them.
        held = set(self.records)
        for brand in [b for b in self.processor.watermarks if b not in held]:
            del self.processor.watermarks[brand]
            self.processor.metrics.forget(brand)
        self.processor.metrics.brands.set(len(held))
        waiting = {b: r for b, r in list(self.records.items()) if r.outbox}
        for brand, record in list(self.records.items()):
            # Gauges at once, not at the brand's next mention: a crisis stays paged.
            # (Only brands with mentions have series, and a watermark to forget them by.)
            if record.state.bins.watermark_ms is not None:
                self.processor.publish(brand, record)
            topic = self.settings.mentions_topic
            for partition in {p for (t, p) in record.offsets if t == topic}:
                self.processor.track(brand, partition)  # it may go quiet
        if not waiting:
            return
        delivered = await self._delivered_ids(self.settings.alerts_topic)
        delivered |= await self._delivered_ids(self.settings.incidents_topic)
        for brand, record in waiting.items():
            # Faust does not cancel this callback when another rebalance interrupts the
            # recovery: from then on the record may be another worker's, which
            # recovers its outbox and delivers it. Under the lock, a revocation's
            # flush waits for the brand in progress.
            async with self._lock:
                if (
                    app.consumer_generation_id != generation
                    or self.records.get(brand) is not record
                ):
                    log.info("a rebalance interrupted the recovery: its next one delivers")
                    return
                missing = [a for a in record.outbox if a.message_id not in delivered]
                log.info(
                    "brand %s: %d alerts pending after recovery, %d not on the alerts topic",
                    brand,
                    len(record.outbox),
                    len(missing),
                )
                if missing:
                    await self._deliver(missing)
                record.outbox.clear()
                await self._put(brand, self._changelog_partition(brand, record))

    def _changelog_partition(self, brand: str, record: BrandRecord) -> int:
        """The changelog partition the brand's record was recovered from (else that of
        its mentions)."""
        key_partition = getattr(self.table.data, "_key_partition", None) or {}
        if brand in key_partition:
            return int(key_partition[brand])
        partitions = [p for (t, p) in record.offsets if t == self.settings.mentions_topic]
        return partitions[0] if partitions else 0

    async def _delivered_ids(self, topic: str) -> set[str]:
        """CloudEvents ids among the newest messages of every partition of ``topic``."""
        servers = self.settings.bootstrap_servers
        consumer = aiokafka.AIOKafkaConsumer(
            bootstrap_servers=servers,
            enable_auto_commit=False,
            group_id=None,
            auto_offset_reset="earliest",  # the log's start moved under the seek: from there
        )
        await consumer.start()
        ids: set[str] = set()
        try:
            await consumer.topics()  # load metadata
            partitions = consumer.partitions_for_topic(topic) or set()
            tps = [TopicPartition(topic, p) for p in sorted(partitions)]
            if not tps:
                return ids
            consumer.assign(tps)
            ends = await log_end_offsets(
                consumer, tps, broker_kind=self.settings.broker_kind, bootstrap_servers=servers
            )
            # Retention deletes the oldest messages: the log may start past 0.
            starts = await consumer.beginning_offsets(tps)
            for tp in tps:
                consumer.seek(tp, max(starts[tp], ends[tp] - OUTBOX_LOOKBACK))
            remaining = {tp for tp in tps if ends[tp] > starts[tp]}
            while remaining:
                batch = await consumer.getmany(*remaining, timeout_ms=1000)
                if not batch:
                    break
                for tp, msgs in batch.items():
                    for m in msgs:
                        for name, value in m.headers or ():
                            if name == "ce_id":
                                ids.add(value.decode())
                        if m.offset + 1 >= ends[tp]:
                            remaining.discard(tp)
        finally:
            await consumer.stop()
        return ids


def _header_pairs(headers: Any) -> tuple[tuple[str, bytes], ...]:
    """A Kafka message's headers as (name, value) pairs (a null value as empty bytes)."""
    if not headers:
        return ()
    items = headers.items() if isinstance(headers, Mapping) else headers
    return tuple((str(k), v if v is not None else b"") for k, v in items)
