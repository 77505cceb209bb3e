"""(a) The limit: a plain aiokafka consumer that decodes every message with orjson.

No framework, no state: fetch, ``orjson.loads`` (a mention object or an array
of mentions), count. Whatever a stream processor does on top costs more.
"""

from __future__ import annotations

import asyncio

import orjson
from aiokafka import AIOKafkaConsumer
from common import Tally, parser


async def run(tally: Tally) -> None:
    args = tally.args
    consumer = AIOKafkaConsumer(
        args.topic,
        bootstrap_servers=args.broker,
        group_id=args.group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=8 * 1_048_576,
        fetch_max_bytes=64 * 1_048_576,
    )
    await consumer.start()
    loads = orjson.loads
    try:
        while not tally.done:
            batches = await consumer.getmany(timeout_ms=200)
            if batches:
                tally.begin()
            for records in batches.values():
                n = 0
                for r in records:
                    value = loads(r.value)
                    n += len(value) if isinstance(value, list) else 1
                if tally.add(n, len(records)):
                    break
    finally:
        await consumer.stop()


def main() -> None:
    args = parser(__doc__.split("\n")[0]).parse_args()
    asyncio.run(run(Tally("consumer", args)))


if __name__ == "__main__":
    main()
