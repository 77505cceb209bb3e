"""(c) A naive Faust app: one event at a time into a tumbling windowed table.

What the Faust documentation leads a user to write: JSON values, an agent
iterating the stream event by event, and a table of counts per brand in
60-second tumbling windows on the mention's own time (``ts``, epoch ms).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import faust
from common import Tally, faust_app_options, parser


def _event_time(event: Any) -> float:
    value = event.value
    if isinstance(value, list):
        value = value[-1]
    return float(value["ts"]) / 1000.0


def main() -> None:
    p = parser(__doc__.split("\n")[0])
    args = p.parse_args()
    tally = Tally("naive_faust", args)
    app = faust.App(args.group, broker=f"tansu://{args.broker}", **faust_app_options())
    topic = app.topic(args.topic, key_type=str, value_serializer="json", partitions=args.partitions)
    windowed: Any = app.Table("counts", default=int, partitions=args.partitions).tumbling(
        60.0, expires=timedelta(hours=1)
    )
    counts = windowed.relative_to(_event_time)  # the mention's ts, not the Kafka timestamp

    @app.agent(topic, name="count")
    async def count(stream: Any) -> None:
        async for value in stream:
            items = value if isinstance(value, list) else [value]
            for mention in items:
                counts[mention["brand"]] += 1
            tally.add(len(items))

    faust.Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
