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
from typing import Any

import aiokafka
from faust.transport.drivers import aiokafka as faust_aiokafka

__all__ = ["ConsumerThread", "Transport", "seek_to_committed"]


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's consumer thread; stream partitions with no committed offset are sought
    to the start of their log when Faust seeks to the committed offsets."""

    async def seek_to_committed(self) -> Mapping[Any, int]:
        return await self.call_thread(self._seek_to_committed)  # type: ignore[no-any-return]

    async def _seek_to_committed(self) -> Mapping[Any, int]:
        changelogs = self.consumer.app.tables.changelog_topics
        return await seek_to_committed(self._ensure_consumer(), skip_topics=changelogs)


async def seek_to_committed(
    consumer: aiokafka.AIOKafkaConsumer, *, skip_topics: Collection[str] = ()
) -> Mapping[Any, int]:
    """Seek every assigned partition to its committed offset, and those with none
    (or 0) to the start of their log, except partitions of ``skip_topics``.

    Returns the committed offsets (None where there is none), as aiokafka's
    ``seek_to_committed`` does.
    """
    committed: Mapping[Any, int | None] = await consumer.seek_to_committed()
    streams = [tp for tp in committed if tp.topic not in skip_topics]
    never = [tp for tp in streams if committed[tp] is None]
    if never:
        await consumer.seek_to_beginning(*never)
    for tp in streams:
        if committed[tp] == 0:
            consumer.seek(tp, 0)
    return committed  # type: ignore[return-value]


class Consumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> faust_aiokafka.AIOKafkaConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with :class:`ConsumerThread` (URLs ``tocsin://``)."""

    Consumer = Consumer
