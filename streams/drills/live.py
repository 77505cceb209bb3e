"""Playing a drill live: publish in accelerated time, watch the levels, debrief.

With a broker configured (``TOCSIN_BROKER_URL``) the drill is published to its
mentions topic and the alerts are read from its alerts topic: the team's own
Tocsin workers do the detecting, as in a real exercise. Without one, an
embedded broker and a worker process are started for the drill.

The history before ``live_from`` goes out at full speed (the detectors learn
each brand's normal in seconds, since they work in event time); the rest is
published ``speed`` times faster than real time, following the drill's clock.
Alerts are printed as they arrive with, every few seconds, a status line of
each brand's level against the level the drill deserves at that moment. The
debrief (:mod:`streams.drills.debrief`) ends the run.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from prometheus_client.parser import text_string_to_metric_families

from streams.alerts import rfc3339
from streams.drills.debrief import LEVELS, Debrief, LevelChange, debrief, format_debrief
from streams.drills.generator import generate
from streams.drills.model import Scenario
from streams.drills.playback import schedule
from streams.drills.truth import GroundTruthEvent, ground_truth
from streams.producer import MentionProducer
from streams.render import ALERT_HEADER, alert_row
from streams.settings import Settings
from streams.tail import follow
from streams.tansu import EmbeddedBroker, free_port
from streams.topics import ensure_topics

__all__ = ["LiveResult", "run_drill"]

#: History kept before the first event when a scenario names no live start.
_DEFAULT_LEAD_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class LiveResult:
    """What a live drill published, the alerts it saw, and its debrief."""

    mentions: int
    messages: int
    alerts: list[dict[str, Any]]
    debrief: Debrief
    history_s: float
    catch_up_s: float | None


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
def _worker_process(settings: Settings, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
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


def _deserved(truth: list[GroundTruthEvent], brand: str, t_ms: int) -> int:
    return max(
        (e.level for e in truth if e.brand == brand and e.onset_ms <= t_ms <= e.end_ms),
        default=0,
    )


def run_drill(
    settings: Settings,
    scenario: Scenario,
    *,
    seed: int = 1,
    speed: float | None = None,
    live_from_ms: int | None = None,
    workdir: Path | None = None,
    say: Callable[[str], None] = lambda text: print(text, flush=True),
    status_every_s: float = 10.0,
) -> LiveResult:
    """Play ``scenario`` live; return what happened (the caller prints or judges it)."""
    work = workdir or Path(tempfile.mkdtemp(prefix=f"tocsin-drill-{scenario.name}-"))
    work.mkdir(parents=True, exist_ok=True)
    speed = speed or scenario.playback.speed
    truth = ground_truth(scenario)
    with contextlib.ExitStack() as stack:
        proc: subprocess.Popen[bytes] | None = None
        if not settings.bootstrap_servers:
            broker = stack.enter_context(EmbeddedBroker(log_path=work / "broker.log"))
            settings = settings.replace(
                broker_url=broker.url,
                broker_kind="tansu",
                session_timeout_s=6.0,
                app_id=f"{settings.app_id}-drill",
                metrics_port=free_port(),
            )
            say(f"embedded broker (Tansu) on {broker.address}")
            ensure_topics(settings)
            proc = stack.enter_context(_worker_process(settings, work / "worker.log"))
            say(f"worker started (log: {work / 'worker.log'}), metrics on :{settings.metrics_port}")
        else:
            ensure_topics(settings)
        mentions = list(generate(scenario, seed=seed))
        brands = [b.name for b in scenario.brands]
        if live_from_ms is None:
            live_from_ms = scenario.playback.live_from_ms
        if live_from_ms is None:
            first = min((e.onset_ms for e in truth), default=scenario.end_ms)
            live_from_ms = max(scenario.start_ms, first - _DEFAULT_LEAD_MS)
        history = sum(1 for m in mentions if m["ts"] < live_from_ms)
        live_min = (scenario.end_ms - live_from_ms) / 60_000
        say(
            f"drill {scenario.name!r}: {len(mentions):,} mentions of {', '.join(brands)}; "
            f"{history:,} of history at full speed, then {live_min:,.0f} drill minutes "
            f"at x{speed:g} (about {live_min * 60 / speed / 60:.1f} min)"
        )
        return _play(
            settings,
            scenario,
            truth,
            mentions,
            brands,
            proc=proc,
            speed=speed,
            live_from_ms=live_from_ms,
            history=history,
            say=say,
            status_every_s=status_every_s,
            stack=stack,
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _play(
    settings: Settings,
    scenario: Scenario,
    truth: list[GroundTruthEvent],
    mentions: list[dict[str, Any]],
    brands: list[str],
    *,
    proc: subprocess.Popen[bytes] | None,
    speed: float,
    live_from_ms: int,
    history: int,
    say: Callable[[str], None],
    status_every_s: float,
    stack: contextlib.ExitStack,
) -> LiveResult:
    alerts: list[dict[str, Any]] = []
    levels = dict.fromkeys(brands, 0)
    stop = threading.Event()
    wanted = set(brands)

    def tail() -> None:
        for record in follow(
            settings, settings.alerts_topic, from_beginning=proc is not None, stop=stop.is_set
        ):
            alert = msgspec.json.decode(record.value)
            if alert.get("brand") not in wanted:
                continue
            alerts.append(alert)
            levels[alert["brand"]] = alert["level"]
            say(alert_row(alert))

    producer = MentionProducer(
        bootstrap_servers=settings.bootstrap_servers,
        topic=settings.mentions_topic,
        batch_max=settings.produce_batch_max,
        linger_ms=settings.produce_linger_ms,
        max_message_bytes=settings.max_message_bytes,
    )
    stack.callback(producer.close)
    tailer = threading.Thread(target=tail, daemon=True)
    if proc is not None:
        _wait_metric(settings, "tocsin_assigned_partitions", 1, proc)
    started = time.monotonic()
    history_s = 0.0
    catch_up_s: float | None = None
    live = False
    next_status = 0.0
    clock_ms = scenario.start_ms
    for wall_s, mention in schedule(mentions, live_from_ms=live_from_ms, speed=speed):
        if wall_s > 0 and not live:
            live = True
            producer.flush()
            history_s = time.monotonic() - started
            say(f"history published in {history_s:.1f} s")
            if proc is not None:
                t0 = time.monotonic()
                _wait_consumed(settings, producer.messages, proc)
                catch_up_s = time.monotonic() - t0
                rate = history / max(history_s + catch_up_s, 1e-9)
                say(
                    f"worker caught up {catch_up_s:.1f} s after publishing "
                    f"({rate:,.0f} mentions/s from first publish to last processed)"
                )
            say(f"playing live at x{speed:g}\n\n{ALERT_HEADER}")
            tailer.start()
            started = time.monotonic() - wall_s
        clock_ms = max(clock_ms, mention["ts"])
        delay = started + wall_s - time.monotonic()
        if delay > 0:
            producer.poll()
            time.sleep(delay)
        producer.send(mention)
        producer.poll()
        if live and time.monotonic() >= next_status:
            next_status = time.monotonic() + status_every_s
            parts = [
                f"{b} {LEVELS[levels[b]]}/{LEVELS[_deserved(truth, b, clock_ms)]}" for b in brands
            ]
            say(f"  [{rfc3339(clock_ms)[:16]}] level/deserved: " + "  ".join(parts))
    producer.flush()
    if not live:
        say(ALERT_HEADER)
        tailer.start()
    if proc is not None:
        _wait_consumed(settings, producer.messages, proc)
    time.sleep(3.0)
    stop.set()
    tailer.join(timeout=5)
    result = debrief(
        truth,
        [LevelChange.from_alert(a) for a in alerts],
        brands=brands,
        start_ms=scenario.start_ms,
        end_ms=scenario.end_ms,
    )
    return LiveResult(producer.mentions, producer.messages, alerts, result, history_s, catch_up_s)


def _wait_metric(
    settings: Settings,
    name: str,
    value: float,
    proc: subprocess.Popen[bytes],
    *,
    timeout_s: float = 120,
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the worker exited with code {proc.returncode}")
        if _scrape(settings).get(name, 0) >= value:
            return
        time.sleep(0.05)
    raise SystemExit(f"the worker's {name} did not reach {value} within {timeout_s} s")


def _wait_consumed(settings: Settings, messages: int, proc: subprocess.Popen[bytes]) -> None:
    _wait_metric(settings, "tocsin_messages_consumed_total", messages, proc)


def print_debrief(result: LiveResult, scenario: Scenario) -> None:
    """Print the debrief of a live run."""
    print(
        format_debrief(
            result.debrief,
            title=f"\n== debrief of {scenario.name}: {result.mentions:,} mentions published "
            f"in {result.messages:,} messages, {len(result.alerts)} alerts",
        ),
        flush=True,
    )
