"""What every measured consumer of ``benchmarks/e2e.py`` shares.

Each peer runs in its own process, reads one pre-filled topic from the
beginning in its own consumer group, counts mentions, and writes one JSON
result file when it has processed every expected mention (or when its time
budget, counted from the first mention processed, is spent):

``{"name", "mentions", "messages", "t_first", "t_last", "complete", "peak_rss_bytes", ...}``

``t_first`` is the wall time (``time.time()``) at which the handling of the
first mention began, ``t_last`` the time at which the last counted one was done
(a ``<out>.started`` file, written at ``t_first``, holds the CPU seconds used
before it); the parent
computes ``mentions / (t_last - t_first)``. ``peak_rss_bytes`` is the process's
``VmHWM`` from ``/proc/self/status`` at that moment. The parent then stops the
process; a peer never has to shut down cleanly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def vm_hwm_bytes(pid: int | str = "self") -> int | None:
    """Peak resident set size (``VmHWM``) of a process, from ``/proc``; None if unreadable."""
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def parser(description: str) -> argparse.ArgumentParser:
    """Arguments every peer takes."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--broker", required=True, help="host:port")
    p.add_argument("--topic", required=True)
    p.add_argument("--group", required=True, help="consumer group (fresh per run)")
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--expect-mentions", type=int, required=True)
    p.add_argument("--budget-s", type=float, default=0.0, help="stop after this long (0: never)")
    p.add_argument("--out", required=True, help="result file (JSON)")
    p.add_argument("--workdir", default="/tmp/e2e")
    return p


class Tally:
    """Counts mentions and time-stamps the first and the last one."""

    def __init__(self, name: str, args: argparse.Namespace) -> None:
        self.name = name
        self.args = args
        self.expect = args.expect_mentions
        self.budget = args.budget_s
        self.mentions = 0
        self.messages = 0
        self.t_first = 0.0
        self.t_last = 0.0
        self.done = False
        self.extra: dict[str, Any] = {}

    def begin(self) -> None:
        """Mark the start of the first piece of work (once); ``add`` does it when not done."""
        if self.t_first:
            return
        self.t_first = time.time()
        cpu = os.times()
        # tells the parent the measurement started, and the CPU used before it
        Path(f"{self.args.out}.started").write_text(str(cpu.user + cpu.system))

    def add(self, mentions: int, messages: int = 1) -> bool:
        """Count; return True once the run is over (all expected, or budget spent)."""
        if not self.t_first:
            self.begin()
        now = time.time()
        self.mentions += mentions
        self.messages += messages
        self.t_last = now
        if self.done:
            return True
        if self.mentions >= self.expect or (self.budget and now - self.t_first >= self.budget):
            self.finish()
        return self.done

    def finish(self) -> None:
        """Write the result file (once)."""
        if self.done:
            return
        self.done = True
        result = {
            "name": self.name,
            "mentions": self.mentions,
            "messages": self.messages,
            "t_first": self.t_first,
            "t_last": self.t_last,
            "complete": self.mentions >= self.expect,
            "peak_rss_bytes": vm_hwm_bytes(),
            "pid": os.getpid(),
            **self.extra,
        }
        out = Path(self.args.out)
        tmp = out.with_suffix(".tmp")
        tmp.write_text(json.dumps(result), encoding="utf-8")
        tmp.replace(out)


def faust_app_options(session_timeout_s: float = 6.0) -> dict[str, Any]:
    """The Faust settings Tocsin's worker uses (``streams/app.py``) that shape consumption."""
    return {
        "store": "memory://",
        "datadir": tempfile.mkdtemp(prefix="tocsin-bench-"),
        "autodiscover": False,
        "web_enabled": False,
        "broker_session_timeout": session_timeout_s,
        "broker_heartbeat_interval": max(0.5, session_timeout_s / 10),
        "broker_rebalance_timeout": max(10.0, session_timeout_s * 2),
        "topic_allow_declare": True,
        "producer_acks": -1,
        "processing_guarantee": "at_least_once",
        "consumer_auto_offset_reset": "earliest",
        "stream_wait_empty": False,
        "table_standby_replicas": 0,
    }
