"""The garbage-collector policy of a long-running Tocsin process.

CPython's cyclic collector runs a young collection every 700 net container
allocations and, every 100 of those, a full one that visits every tracked
object of the process. The per-bin pass allocates small tuples and lists by
the million while the brand states, the Faust app and its clients stay alive
for the whole run: with the default thresholds the collector spends more time
walking that long-lived heap than the detectors spend detecting
(``benchmarks/hotpath.py --python-gc`` shows how much). Tocsin's objects are
freed by reference counting; cycles are rare (asyncio futures and tracebacks)
and still collected, only less often.

The policy: freeze what exists at start-up (modules, the app; it lives as
long as the process and is never scanned again), then collect the young
generation every ``young_threshold`` allocations and the older ones 20 and
100 times less often.
"""

from __future__ import annotations

import gc

__all__ = ["apply_gc_policy"]


def apply_gc_policy(*, young_threshold: int) -> None:
    """Apply the policy; ``young_threshold=0`` keeps Python's defaults."""
    if young_threshold <= 0:
        return
    gc.freeze()
    gc.set_threshold(young_threshold, 20, 100)
