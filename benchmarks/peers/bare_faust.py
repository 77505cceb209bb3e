"""Reference for Tocsin's single-message mode: a bare Faust agent that only counts.

Same Faust settings and transport as Tocsin's worker, raw values (no decoding),
``stream.take_events(take_max, within=take_within_s)`` as Tocsin's agent reads,
and nothing per event but counting: what Faust alone costs per Kafka message.
"""

from __future__ import annotations

from typing import Any

import faust
from common import Tally, faust_app_options, parser


def main() -> None:
    p = parser(__doc__.split("\n")[0])
    p.add_argument("--take-max", type=int, default=2000)
    p.add_argument("--take-within-s", type=float, default=0.2)
    args = p.parse_args()
    tally = Tally("bare_faust", args)
    app = faust.App(args.group, broker=f"tansu://{args.broker}", **faust_app_options())
    topic = app.topic(
        args.topic, key_serializer="raw", value_serializer="raw", partitions=args.partitions
    )

    @app.agent(topic, name="count")
    async def count(stream: Any) -> None:
        async for events in stream.take_events(args.take_max, within=args.take_within_s):
            tally.add(len(events), len(events))

    faust.Worker(app, loglevel="WARNING", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
