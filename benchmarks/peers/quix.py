"""(b) Quix Streams: count per brand in 60-second tumbling windows on event time.

The peer a user would pick instead of Tocsin: a StreamingDataFrame over the
topic (key = brand), the mention's ``ts`` as the record's event time, and
``tumbling_window(60 s, grace 60 s).count().final()`` (RocksDB state,
changelog topics), the grace being Tocsin's default ``grace_ms``.
Batches (JSON arrays) are expanded into one row per mention first, and their
rows get their time with ``set_timestamp``.

Tansu answers DescribeConfigs with nothing, so the topic definition carries
``retention.ms`` and ``retention.bytes`` itself (Quix copies them to the
changelog topics it creates).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common import Tally, parser
from quixstreams import Application
from quixstreams.models.topics import TopicConfig


def _ts(value: Any, *_: Any) -> int:
    return int(value["ts"])


def _expand(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def main() -> None:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--batched", action="store_true", help="values are JSON arrays")
    args = p.parse_args()
    tally = Tally("quix", args)
    app = Application(
        broker_address=args.broker,
        consumer_group=args.group,
        auto_offset_reset="earliest",
        state_dir=str(Path(args.workdir) / f"quix-state-{args.group}"),
        loglevel="WARNING",
        # Tansu answers JoinGroup after about half the session timeout (45 s by default)
        consumer_extra_config={"session.timeout.ms": 6000, "heartbeat.interval.ms": 600},
    )
    topic = app.topic(
        args.topic,
        value_deserializer="json",
        key_deserializer="str",
        config=TopicConfig(
            num_partitions=args.partitions,
            replication_factor=1,
            extra_config={"retention.ms": str(7 * 86_400_000), "retention.bytes": "-1"},
        ),
        timestamp_extractor=None if args.batched else _ts,
    )
    sdf = app.dataframe(topic)
    if args.batched:
        sdf = sdf.apply(_expand, expand=True)
        sdf = sdf.set_timestamp(lambda value, key, timestamp, headers: int(value["ts"]))

    def count(_: Any) -> None:
        if tally.add(1):
            app.stop()

    sdf = sdf.update(count)
    sdf = sdf.tumbling_window(duration_ms=60_000, grace_ms=60_000).count().final()
    app.run()
    tally.finish()


if __name__ == "__main__":
    main()
