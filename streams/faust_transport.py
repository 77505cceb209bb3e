"""Faust's Kafka transport, with the one fix Tocsin needs on any broker.

After a rebalance, faust-streaming (0.15) recovers the tables while its consumer
keeps fetching the stream partitions it has paused. When recovery ends it
resumes those partitions, seeks them to their committed offsets, then resumes
its flow control, which empties the stream queues. Records fetched during the
recovery are delivered between the first and the last step and emptied away.
A partition with a committed offset is sought back to it and reads them again;
one without (the group's first start, or a worker that crashed before the
partition's first commit) is left where the fetches brought it, and those
records are never processed. aiokafka also skips the seek when the committed
offset is 0.

:class:`Transport` (broker URL scheme ``tocsin://``, selected by
:func:`streams.app.faust_broker_url` for Apache Kafka; the embedded broker's
transport in :mod:`streams.tansu` builds on it) seeks those partitions to the
start of their log instead, what ``consumer_auto_offset_reset="earliest"``
promises. Nothing of them was processed in the new assignment yet: the seek
happens before the flow resumes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, cast

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["ConsumerThread", "Transport", "seek_to_committed"]


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's consumer thread; stream partitions with no committed offset are sought
    to the start of their log when Faust seeks to the committed offsets."""

    async def seek_to_committed(self) -> Mapping[Any, int]:
        # Faust's annotation says int; aiokafka's answer, like this one, has None too.
        return await self.call_thread(self._seek_to_committed)  # type: ignore[no-any-return]

    async def _seek_to_committed(self) -> Mapping[Any, int | None]:
        changelogs = self.consumer.app.tables.changelog_topics
        starts: dict[tuple[str, int], int] = {}
        committed = await seek_to_committed(
            self._ensure_consumer(), skip_topics=changelogs, sought=starts
        )
        cast(Consumer, self.consumer).stream_starts.update(starts)
        return committed


async def seek_to_committed(
    consumer: aiokafka.AIOKafkaConsumer,
    *,
    skip_topics: Collection[str] = (),
    sought: dict[tuple[str, int], int] | None = None,
) -> Mapping[Any, int | None]:
    """Seek every assigned partition to its committed offset, and those with none
    (or 0) to the start of their log, except partitions of ``skip_topics``.

    Every lookup comes first and every seek after, with no ``await`` in between:
    records fetched from a partition already sought could otherwise come back during
    a lookup and be dropped with the stream queues. The start of the log is what the
    worker's ``consumer_auto_offset_reset="earliest"`` asks for.

    Returns the committed offsets (None where there is none), as aiokafka's
    ``seek_to_committed`` does; ``sought`` receives the offset each partition of
    the other topics was sought to (every message before it was processed).
    """
    tps = sorted(consumer.assignment())
    committed = {tp: await consumer.committed(tp) for tp in tps}
    streams = [tp for tp in tps if tp.topic not in skip_topics]
    never = [tp for tp in streams if committed[tp] is None]
    starts = await consumer.beginning_offsets(never) if never else {}
    for tp in tps:
        offset = committed[tp]
        if offset is None and tp in starts:
            offset = starts[tp]
        elif offset is None or (offset == 0 and tp.topic in skip_topics):
            continue
        consumer.seek(tp, offset)
        if sought is not None and tp.topic not in skip_topics:
            sought[(tp.topic, tp.partition)] = offset
    return committed


class Consumer(faust_aiokafka.Consumer):
    #: The consumer thread it runs (:mod:`streams.tansu` sets its own subclass).
    thread_class: type[ConsumerThread] = ConsumerThread

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: By (topic, partition) of the streams: the offset the last seek to the
        #: committed offsets left it at. Every message before it was processed (by
        #: this worker or a previous owner), whatever was fetched since.
        self.stream_starts: dict[tuple[str, int], int] = {}

    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return self.thread_class(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with :class:`ConsumerThread` (URLs ``tocsin://``)."""

    Consumer = Consumer
