"""``tocsin demo``: broker, worker and a crisis drill, end to end, in about two minutes.

1. Starts the embedded broker (unless ``TOCSIN_BROKER_URL`` names one) and a
   worker process, exactly as a deployment would run them.
2. Plays the bundled drill ``demo-live``: days of history at full speed, so
   the detectors learn each brand's normal, then the last part in accelerated
   real time (``--speed``, scenario seconds per wall second).
3. Prints every alert as it arrives, then a summary against the drill's ground
   truth, and exits 0 when the crisis brands reached alert level and the calm
   ones did not.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
from prometheus_client.parser import text_string_to_metric_families

from streams.drills import generate, ground_truth, load_scenario, schedule
from streams.producer import MentionProducer
from streams.render import ALERT_HEADER, alert_row
from streams.settings import Settings
from streams.tail import follow
from streams.tansu import EmbeddedBroker, free_port

__all__ = ["DEMO_SCENARIO", "run_demo"]

DEMO_SCENARIO = "demo-live"
_LEVELS = ("calm", "watch", "alert", "crisis")


def _say(text: str) -> None:
    print(text, flush=True)


def _scrape(settings: Settings) -> dict[str, float]:
    url = f"http://{settings.metrics_host}:{settings.metrics_port}/metrics"
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            text = resp.read().decode()
    except OSError:
        return {}
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if not s.labels:
                out[s.name] = s.value
    return out


@contextlib.contextmanager
def _worker(settings: Settings, log_path: Path) -> Iterator[Any]:
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    env.update(settings.to_env())
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def run_demo(settings: Settings, *, speed: float = 60.0, workdir: str | None = None) -> int:
    """Run the demo; return the process exit code."""
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="tocsin-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if not settings.bootstrap_servers:
            broker = stack.enter_context(EmbeddedBroker(log_path=work / "broker.log"))
            settings = settings.replace(
                broker_url=broker.url, broker_kind="tansu", session_timeout_s=6.0
            )
            _say(f"embedded broker (Tansu) on {broker.address}")
        settings = settings.replace(
            app_id=f"{settings.app_id}-demo-{int(time.time())}",
            metrics_port=free_port() if settings.metrics_port == 9464 else settings.metrics_port,
        )
        return _play(settings, speed=speed, work=work, stack=stack)
    return 1  # pragma: no cover - ExitStack does not swallow


def _play(settings: Settings, *, speed: float, work: Path, stack: contextlib.ExitStack) -> int:
    scenario = load_scenario(DEMO_SCENARIO)
    truth = ground_truth(scenario)
    mentions = list(generate(scenario, seed=1))
    brands = sorted({m["brand"] for m in mentions})
    live_from = scenario.playback.live_from_ms
    if live_from is None:
        live_from = mentions[-1]["ts"] - 2 * 3_600_000
    history = sum(1 for m in mentions if m["ts"] < live_from)
    _say(
        f"drill {scenario.name!r}: {len(mentions):,} mentions of {', '.join(brands)} "
        f"({history:,} of history at full speed, then x{speed:g})"
    )
    proc = stack.enter_context(_worker(settings, work / "worker.log"))
    _say(f"worker started (logs: {work / 'worker.log'}), metrics on :{settings.metrics_port}")

    alerts: list[dict[str, Any]] = []
    stop = threading.Event()

    def tail() -> None:
        for record in follow(
            settings, settings.alerts_topic, from_beginning=True, stop=stop.is_set
        ):
            alert = msgspec.json.decode(record.value)
            alerts.append(alert)
            _say(alert_row(alert))

    producer = MentionProducer(
        bootstrap_servers=settings.bootstrap_servers,
        topic=settings.mentions_topic,
        batch_max=settings.produce_batch_max,
        linger_ms=settings.produce_linger_ms,
    )
    stack.callback(producer.close)
    started = time.monotonic()
    history_done: float | None = None
    tailer = threading.Thread(target=tail, daemon=True)
    tailer_started = False
    for wall_s, mention in schedule(mentions, live_from_ms=live_from, speed=speed):
        if wall_s > 0 and history_done is None:
            producer.flush()
            history_done = time.monotonic()
            _say(
                f"history published in {history_done - started:.1f} s; "
                f"waiting for the worker to catch up"
            )
            _wait_consumed(settings, producer.messages, proc, timeout_s=120)
            caught_up = time.monotonic()
            _say(
                f"worker caught up: {history:,} mentions in {caught_up - history_done:.1f} s "
                f"after publishing; playing the live part at x{speed:g}\n"
            )
            _say(ALERT_HEADER)
            tailer.start()
            tailer_started = True
            started = time.monotonic() - wall_s
        delay = started + wall_s - time.monotonic()
        if delay > 0:
            producer.poll()
            time.sleep(delay)
        producer.send(mention)
        producer.poll()
    producer.flush()
    if not tailer_started:
        _say(ALERT_HEADER)
        tailer.start()
    _wait_consumed(settings, producer.messages, proc, timeout_s=120)
    time.sleep(3.0)
    stop.set()
    tailer.join(timeout=5)
    return _summary(settings, truth, brands, alerts, producer)


def _wait_consumed(settings: Settings, messages: int, proc: Any, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the worker exited with code {proc.returncode}")
        if _scrape(settings).get("tocsin_messages_consumed_total", 0) >= messages:
            return
        time.sleep(0.2)
    raise SystemExit(f"the worker did not consume {messages} messages within {timeout_s} s")


def _summary(
    settings: Settings,
    truth: list[Any],
    brands: list[str],
    alerts: list[dict[str, Any]],
    producer: MentionProducer,
) -> int:
    metrics = _scrape(settings)
    _say("")
    _say(
        f"published {producer.mentions:,} mentions in {producer.messages:,} messages; "
        f"invalid {metrics.get('tocsin_mentions_invalid_total', 0):.0f}, "
        f"late {metrics.get('tocsin_mentions_late_total', 0):.0f}"
    )
    peak = {b: 0 for b in brands}
    for a in alerts:
        peak[a["brand"]] = max(peak.get(a["brand"], 0), a["level"])
    deserved = {b: 0 for b in brands}
    for t in truth:
        deserved[t.brand] = max(deserved.get(t.brand, 0), t.level)
    ok = True
    for b in brands:
        good = peak[b] >= 2 if deserved[b] >= 2 else peak[b] < 2
        ok &= good
        _say(
            f"  {b:<20} deserved {_LEVELS[deserved[b]]:<7} peak {_LEVELS[peak[b]]:<7} "
            f"{'ok' if good else 'MISSED' if deserved[b] >= 2 else 'FALSE ALARM'}"
        )
    _say(f"{len(alerts)} alerts; demo {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1
