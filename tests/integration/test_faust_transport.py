"""The seek Tocsin's Faust transport does after a recovery, on the embedded broker.

Faust drops the records it fetched while its tables recovered and relies on a
seek to the committed offsets to read them again; aiokafka's seek leaves a
partition with no committed offset (or 0) where the fetches brought it.
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from streams.faust_transport import seek_to_committed
from streams.tansu import EmbeddedBroker

RECORDS = 5


def _fill(broker: EmbeddedBroker, topics: dict[str, int]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=broker.address)
    try:
        admin.create_topics([NewTopic(t, n, 1) for t, n in topics.items()])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=broker.address)
    for topic, partitions in topics.items():
        for p in range(partitions):
            for i in range(RECORDS):
                producer.send(topic, value=b"%d" % i, partition=p)
    producer.flush()
    producer.close()


async def _positions_after_seek(broker: EmbeddedBroker) -> dict[tuple[str, int], int]:
    never, at_two, at_zero = (TopicPartition("seek-stream", p) for p in range(3))
    changelog = TopicPartition("seek-changelog", 0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=broker.address,
        group_id="seek-group",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        tps = [never, at_two, at_zero, changelog]
        consumer.assign(tps)
        await consumer.commit({at_two: 2, at_zero: 0})
        for tp in tps:  # read everything, as the fetches during a recovery do
            consumer.seek(tp, 0)
        read = 0
        while read < RECORDS * len(tps):
            batch = await consumer.getmany(timeout_ms=1000)
            read += sum(len(records) for records in batch.values())
        committed = await seek_to_committed(consumer, skip_topics={"seek-changelog"})
        assert committed == {never: None, at_two: 2, at_zero: 0, changelog: None}
        return {(tp.topic, tp.partition): await consumer.position(tp) for tp in tps}
    finally:
        await consumer.stop()


def test_partitions_with_no_committed_offset_are_read_again_from_the_start(
    broker: EmbeddedBroker,
) -> None:
    _fill(broker, {"seek-stream": 3, "seek-changelog": 1})
    positions = asyncio.run(_positions_after_seek(broker))
    assert positions == {
        ("seek-stream", 0): 0,  # no committed offset: the start of the log
        ("seek-stream", 1): 2,  # the committed offset
        ("seek-stream", 2): 0,  # committed 0 (aiokafka alone does not seek)
        ("seek-changelog", 0): RECORDS,  # skipped: where the reads left it
    }
