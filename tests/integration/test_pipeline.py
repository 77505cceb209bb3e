"""End to end on the embedded broker: mentions in, alerts and dead letters out.

Every test runs real ``tocsin worker`` processes against a real Kafka-protocol
broker (Tansu), with its own topics and consumer group.
"""

from __future__ import annotations

import collections
import json
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from streams.agent import EXIT_AGENT_FAILED
from streams.schemas import load_schema
from streams.statecodec import loads_state
from streams.tansu import EmbeddedBroker, free_port, true_end_offsets_sync
from streams.topics import ensure_topics
from tests.kafka_helpers import (
    WorkerProcess,
    headers_of,
    isolated_settings,
    latest_by_key,
    mention_producer,
    read_topic,
    wait_drained,
)
from tests.synthetic import T0, baseline_then_burst, stream

pytestmark = pytest.mark.timeout(600)


def publish(settings, mentions, *, batch_max: int = 200) -> int:
    ensure_topics(settings)
    with mention_producer(
        settings,
        batch_max=batch_max,
        linger_ms=50,
    ) as producer:
        producer.send_many(mentions)
    return len(mentions)


def brand_totals(settings) -> dict[str, tuple[int, int]]:
    """(accepted, late) per brand, from the last changelog record of each brand."""
    changelog = f"{settings.app_id}-brand-state-changelog"
    out = {}
    for key, value in latest_by_key(read_topic(settings, changelog)).items():
        record = loads_state(value)
        out[key.decode()] = (record.state.bins.accepted_total, record.state.bins.late_total)
    return out


def test_burst_raises_an_alert_that_matches_the_schema(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    settings = isolated_settings(broker, "burst")
    mentions = baseline_then_burst("acme", days=2, seed=1)
    calm = stream("calmco", minutes=2 * 1440 + 25, rate_per_min=6, seed=9)
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        n = publish(settings, sorted(mentions + calm, key=lambda m: m["ts"]))
        worker.wait_for(
            "tocsin_mentions_processed_total", len(mentions) - 50, timeout_s=240, brand="acme"
        )
        worker.wait_for("tocsin_alerts_emitted_total", 1, timeout_s=60, level="3")
    finally:
        assert worker.stop() == 0, worker.tail_log()
    alerts = read_topic(settings, settings.alerts_topic)
    assert alerts, "no alert on the alerts topic"
    schema = load_schema("alert")
    by_brand = collections.defaultdict(list)
    for record in alerts:
        alert = json.loads(record.value)
        jsonschema.validate(alert, schema)
        headers = headers_of(record)
        assert headers["ce_id"].decode() == alert["alert_id"]
        assert headers["ce_specversion"] == b"1.0"
        assert record.key.decode() == alert["brand"]
        by_brand[alert["brand"]].append(alert)
    assert "calmco" not in by_brand or max(a["level"] for a in by_brand["calmco"]) < 2
    acme = by_brand["acme"]
    top = max(acme, key=lambda a: a["level"])
    assert top["level"] >= 2
    burst_start = T0 + 2 * 1440 * 60_000
    assert top["event_time"] >= "2026-01-03T00:00"  # RFC 3339 UTC strings sort as times
    signals = {s["name"]: s for s in top["signals"]}
    assert signals["volume"]["value"] > signals["volume"]["baseline"]
    assert signals["negative_share"]["value"] > signals["negative_share"]["baseline"]
    ev = top["evidence"]
    assert "#recall" in ev["top_terms"][:3]
    assert ev["top_authors"] and 0 < len(ev["sample_mention_ids"]) <= 10
    burst_ids = {m["id"] for m in mentions if m["ts"] >= burst_start - 15 * 60_000}
    assert set(ev["sample_mention_ids"]) <= burst_ids
    assert n == len(mentions) + len(calm)


def test_sigkill_mid_stream_resumes_exactly(broker: EmbeddedBroker, tmp_path: Path) -> None:
    mentions = []
    for i, brand in enumerate(("alpha", "beta", "gamma", "delta")):
        days = 1.5
        mentions += baseline_then_burst(brand, days=days, rate_per_min=4, seed=20 + i)
    mentions.sort(key=lambda m: m["ts"])

    # the reference: one uninterrupted run
    ref = isolated_settings(broker, "ref")
    w = WorkerProcess(ref, tmp_path / "ref.log").start()
    try:
        publish(ref, mentions, batch_max=50)
        w.wait_for("tocsin_mentions_processed_total", 1, timeout_s=120, brand="delta")
        wait_drained([w])
    finally:
        assert w.stop() == 0, w.tail_log()
    expected_totals = brand_totals(ref)
    expected_alerts = [json.loads(r.value)["alert_id"] for r in read_topic(ref, ref.alerts_topic)]

    # the same stream, with a SIGKILL in the middle
    run = isolated_settings(broker, "killed", take_max=200)
    first = WorkerProcess(run, tmp_path / "first.log").start()
    publish(run, mentions, batch_max=50)
    first.wait_for("tocsin_messages_consumed_total", len(mentions) // 50 // 2, timeout_s=120)
    first.kill()
    second = WorkerProcess(run, tmp_path / "second.log").start()
    try:
        _wait_for_totals(run, expected_totals, second)
        levels = _brand_gauges(second)
    finally:
        assert second.stop() == 0, second.tail_log()
    assert len([k for k in levels if k.startswith("tocsin_brand_level{")]) == 4

    # A restart with nothing new to read shows every brand's level and scores at once.
    third = WorkerProcess(run, tmp_path / "third.log").start()
    try:
        third.wait_for("tocsin_assigned_partitions", 1, timeout_s=60)
        deadline = time.monotonic() + 30
        while _brand_gauges(third) != levels and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _brand_gauges(third) == levels, third.tail_log()
    finally:
        assert third.stop() == 0, third.tail_log()

    assert brand_totals(run) == expected_totals
    alert_ids = [json.loads(r.value)["alert_id"] for r in read_topic(run, run.alerts_topic)]
    assert len(alert_ids) == len(set(alert_ids)), "an alert was published twice"
    assert sorted(alert_ids) == sorted(expected_alerts)
    assert any(json.loads(r.value)["level"] >= 2 for r in read_topic(run, run.alerts_topic))


def test_a_failing_agent_stops_the_worker_and_the_next_one_loses_nothing(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """A send the producer refuses stops the worker at once (status 70), instead of
    Faust restarting the agent in a process that then consumes nothing more; the next
    worker, with sound settings, counts every mention once."""
    mentions = baseline_then_burst("acme", days=0.2, rate_per_min=2, seed=3)
    sound = isolated_settings(broker, "failstop")
    publish(sound, mentions, batch_max=1)  # creates the topics with sound settings
    # Brand records (kilobytes) and minute records beyond what the producer may send.
    small = sound.replace(max_message_bytes=2048)
    first = WorkerProcess(small, tmp_path / "first.log").start()
    assert _exit_status(first) == EXIT_AGENT_FAILED, first.tail_log()
    assert "detection agent failed (ProducerSendError" in first.tail_log()
    second = WorkerProcess(sound, tmp_path / "second.log").start()
    try:
        _wait_for_totals(sound, {"acme": (len(mentions), 0)}, second)
    finally:
        assert second.stop() == 0, second.tail_log()


def _exit_status(worker: WorkerProcess, timeout_s: float = 120) -> int:
    """Wait for a worker that should stop by itself; its exit status."""
    try:
        return worker.proc.wait(timeout=timeout_s)
    finally:
        worker.stop()


def _brand_gauges(worker: WorkerProcess) -> dict[str, float]:
    """The worker's per-brand level and score series."""
    return {k: v for k, v in worker.metrics().items() if k.startswith("tocsin_brand_")}


def _wait_for_totals(settings, expected: dict, worker: WorkerProcess) -> None:  # type: ignore[no-untyped-def]
    """Wait until the changelog holds ``expected`` per-brand totals (fail with the log)."""
    import time

    deadline = time.monotonic() + 240
    totals: dict = {}
    while time.monotonic() < deadline:
        totals = brand_totals(settings)
        if totals == expected:
            return
        time.sleep(1.0)
    raise AssertionError(f"totals {totals} != {expected}\n{worker.tail_log()}\n{_stacks(worker)}")


def _stacks(worker: WorkerProcess) -> str:
    """The worker's Python stacks, when py-spy (the ``bench`` extra) is installed."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return "(py-spy not installed: no stacks)"
    done = subprocess.run(
        [spy, "dump", "--pid", str(worker.proc.pid)], capture_output=True, text=True, timeout=60
    )
    return done.stdout + done.stderr


def bad(i: int, drop: str | None = None, **changes: object) -> bytes:
    """A mention with some fields changed (or one dropped), as JSON bytes."""
    doc: dict[str, object] = {
        "id": f"bad{i}",
        "brand": "acme",
        "ts": T0,
        "text": "t",
        "platform": "x",
        "author": {"id": "a", "followers": 1},
    }
    doc.update(changes)
    doc.pop(drop or "", None)
    return json.dumps(doc).encode()


DAY_AFTER_NOW_MS = int(time.time() * 1000) + 2 * 86_400_000

#: kind of malformed message -> (how to make the i-th one, the reason expected)
BAD_KINDS = {
    "not_json": (lambda i: b"{this is not json " + str(i).encode(), "not_json"),
    "empty": (lambda i: b"", "not_json"),
    "wrong_shape": (lambda i: json.dumps(f"just a string {i}").encode(), "wrong_shape"),
    "missing_brand": (lambda i: bad(i, drop="brand"), "missing_field"),
    "wrong_type": (lambda i: bad(i, id=i), "wrong_type"),
    "absurd_ts": (lambda i: bad(i, ts=253_000_000_000_000), "timestamp_out_of_range"),
    "future_ts": (lambda i: bad(i, ts=DAY_AFTER_NOW_MS), "timestamp_out_of_range"),
    "bad_ts": (lambda i: bad(i, ts="yesterday"), "bad_timestamp"),
    "negative_followers": (
        lambda i: bad(i, author={"id": "a", "followers": -5}),
        "bad_value",
    ),
    "bad_kind": (
        lambda i: bad(i, author={"id": "a", "followers": 5, "kind": "alien"}),
        "bad_value",
    ),
    "sentiment_out_of_range": (lambda i: bad(i, sentiment=3), "bad_value"),
    "huge_text": (lambda i: bad(i, text="x" * 1_000_000), "too_large"),
    "other_brand": (lambda i: bad(i, brand="globex"), "key_mismatch"),
    # Poison pills that once stopped the worker at every restart:
    "broken_batch": (lambda i: b"[42, " + bad(i)[:-3], "not_json"),
    "bad_utf8": (lambda i: bad(i, text="@@").replace(b"@@", b"h\xe9llo"), "not_json"),
    "deep_nesting": (
        lambda i: bad(i)[:-1] + b', "x": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "not_json",
    ),
}


def make_bad(i: int) -> tuple[str, bytes]:
    kind = list(BAD_KINDS)[i % len(BAD_KINDS)]
    return kind, BAD_KINDS[kind][0](i)


def _committed(settings) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """The group's committed offsets on the mentions topic, by partition."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        offsets = admin.list_group_offsets(settings.app_id).get(settings.app_id, {})
    finally:
        admin.close()
    return {
        tp.partition: meta.offset
        for tp, meta in offsets.items()
        if tp.topic == settings.mentions_topic and meta.offset >= 0
    }


def _publish_and_wait(
    worker: WorkerProcess, mentions: list[dict[str, Any]], *, brand: str, timeout_s: float
) -> None:
    """Publish ``mentions`` of one brand and wait until ``worker`` has processed them."""
    publish(worker.settings, mentions, batch_max=50)
    worker.wait_for(
        "tocsin_mentions_processed_total", len(mentions), timeout_s=timeout_s, brand=brand
    )


def test_no_offset_is_committed_before_the_state_it_led_to_is_written(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """Changed records wait in memory (``state_flush_interval_s``); their mentions'
    offsets wait with them. A worker killed before writing has committed nothing, and
    the next one reads every mention again and counts each once."""
    mentions = stream("calmco", minutes=6 * 60, rate_per_min=2, seed=5)
    held = isolated_settings(broker, "held", state_flush_interval_s=3600.0)
    first = WorkerProcess(held, tmp_path / "held.log").start()
    try:
        _publish_and_wait(first, mentions, brand="calmco", timeout_s=120)
        time.sleep(4.0)  # past Faust's commit interval (2.8 s)
        written = first.metric("tocsin_state_records_written_total")
        committed = _committed(held)
    finally:
        first.kill()
    assert (written, committed, brand_totals(held)) == (0.0, {}, {})

    again = held.replace(state_flush_interval_s=0.5, metrics_port=free_port())
    second = WorkerProcess(again, tmp_path / "again.log").start()
    try:
        _wait_for_totals(again, {"calmco": (len(mentions), 0)}, second)
        wait_drained([second])
        committed = _committed(again)
        duplicates = second.metric("tocsin_mentions_duplicate_total")
    finally:
        assert second.stop() == 0, second.tail_log()
    ends = true_end_offsets_sync(
        again.bootstrap_servers, [(again.mentions_topic, p) for p in range(again.partitions)]
    )
    assert committed == {p: end for (_, p), end in ends.items() if end > 0}
    assert duplicates == 0


def test_alerts_delivered_before_a_crash_are_not_sent_again(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """A brand's record is written with its new alerts in the outbox before they are
    sent; the emptied outbox waits for the next flush. Killed in between, the next
    worker recovers the outbox, finds every alert on the alerts topic and sends none.
    Nothing was committed, and the outbox check makes the recovery last about a second:
    the second worker reads its backlog only if stream partitions with no committed
    offset are sought back after the recovery (streams/faust_transport.py)."""
    mentions = baseline_then_burst("acme", days=1.5, rate_per_min=4, seed=3)
    settings = isolated_settings(broker, "outbox", state_flush_interval_s=3600.0)
    first = WorkerProcess(settings, tmp_path / "first.log").start()
    try:
        _publish_and_wait(first, mentions, brand="acme", timeout_s=180)
        first.wait_for("tocsin_alerts_emitted_total", 1, timeout_s=30, level="3")
    finally:
        first.kill()
    sent = [json.loads(r.value)["alert_id"] for r in read_topic(settings, settings.alerts_topic)]
    changelog = f"{settings.app_id}-brand-state-changelog"
    recovered = loads_state(latest_by_key(read_topic(settings, changelog))[b"acme"])
    assert recovered.outbox, "the crash did not fall between delivery and the emptied write"

    # A worker whose recovery fails stops at once (Faust would log the error and run
    # on, the outbox unsent until the next rebalance). Here its alerts topic does not
    # hold the recovered alerts, and its producer refuses to send them again (too
    # large for its max_message_bytes).
    small = settings.replace(
        metrics_port=free_port(), max_message_bytes=2048, alerts_topic="alerts-elsewhere"
    )
    failing = WorkerProcess(small, tmp_path / "failing.log").start()
    assert _exit_status(failing) == EXIT_AGENT_FAILED, failing.tail_log()
    assert "in _on_recover" in failing.log_path.read_text()

    second = WorkerProcess(settings.replace(metrics_port=free_port()), tmp_path / "second.log")
    second.start()
    try:
        second.wait_for("tocsin_assigned_partitions", settings.partitions, timeout_s=120)
        wait_drained([second])
        time.sleep(2.0)
    finally:
        assert second.stop() == 0, second.tail_log()
    again = [json.loads(r.value)["alert_id"] for r in read_topic(settings, settings.alerts_topic)]
    assert sent and sorted(again) == sorted(sent), "an alert was sent again, or lost"
    assert "not on the alerts topic" in second.log_path.read_text()
    final = loads_state(latest_by_key(read_topic(settings, changelog))[b"acme"])
    assert final.outbox == []


def test_malformed_messages_go_to_deadletter_and_valid_ones_count(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    from kafka import KafkaProducer

    settings = isolated_settings(broker, "dlq")
    valid = stream("acme", minutes=600, rate_per_min=5, seed=5)
    producer = KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, max_request_size=4_000_000, linger_ms=5
    )
    ensure_topics(settings)
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    sent_bad: collections.Counter[str] = collections.Counter()
    assert len(valid) > 1000
    try:
        for j, m in enumerate(valid):  # valid and malformed messages interleaved
            producer.send(settings.mentions_topic, key=b"acme", value=json.dumps(m).encode())
            if j < 1000:
                kind, value = make_bad(j)
                trace = [("trace-id", f"t{j}".encode())]  # kept in the dead letter
                producer.send(settings.mentions_topic, key=b"acme", value=value, headers=trace)
                sent_bad[kind] += 1
        # a tombstone: its dead letter is one too (null value), headers kept
        producer.send(settings.mentions_topic, key=b"acme", headers=[("trace-id", b"tomb")])
        producer.flush()
        worker.wait_for("tocsin_messages_consumed_total", len(valid) + 1001, timeout_s=300)
        processed = worker.metric("tocsin_mentions_processed_total", brand="acme")
        late = worker.metric("tocsin_mentions_late_total")
        # kafka-python partitions by murmur2 of the key, as the worker expects
        misrouted = worker.metric("tocsin_messages_misrouted_total")
        invalid = {
            r: worker.metric("tocsin_mentions_invalid_total", reason=r)
            for r in {reason for _, reason in BAD_KINDS.values()}
        }
    finally:
        producer.close()
        assert worker.stop() == 0, worker.tail_log()
    assert (processed, late, misrouted) == (len(valid), 0, 0)
    dead = read_topic(settings, settings.deadletter_topic)
    (tomb,) = [r for r in dead if r.value is None]
    assert headers_of(tomb)["trace-id"] == b"tomb"
    assert headers_of(tomb)["tocsin.errors.reason"] == b"not_json"
    dead = [r for r in dead if r.value is not None]
    assert sorted(headers_of(r)["trace-id"] for r in dead) == sorted(
        f"t{j}".encode() for j in range(1000)
    )

    assert len(dead) == 1000
    assert len({headers_of(r)["tocsin.errors.offset"] for r in dead}) == 1000
    reasons = collections.Counter(headers_of(r)["tocsin.errors.reason"].decode() for r in dead)
    expected = collections.Counter()
    for kind, n in sent_bad.items():
        expected[BAD_KINDS[kind][1]] += n
    assert reasons == expected
    assert {k: int(v) for k, v in invalid.items() if v} == dict(
        expected + collections.Counter({"not_json": 1})
    )
    for r in dead[:50]:
        h = headers_of(r)
        assert h["tocsin.errors.topic"].decode() == settings.mentions_topic
        assert int(h["tocsin.errors.offset"]) >= 0 and int(h["tocsin.errors.partition"]) >= 0
        assert r.key == b"acme"
    originals = {make_bad(i)[1] for i in range(1000)}
    assert all(r.value in originals for r in dead)  # unchanged bytes


def test_a_quiet_brand_alone_on_the_topic_has_its_bins_closed_by_the_timer(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """One brand, nothing else on the topic: once the worker has read its partition
    to the end, no batch comes, and only the worker's timer can close the brand's
    open bins (``quiet_after_ms`` after its last mention, by the worker's clock)."""
    settings = isolated_settings(
        broker, "idle", bin_ms=1000, grace_ms=0, quiet_after_ms=2000, evidence_bins=5
    )
    start = int(time.time() * 1000) // 1000 * 1000 - 120_000
    mentions = stream("solo", start_ms=start, minutes=1, rate_per_min=40, seed=3)
    newest = max(m["ts"] for m in mentions)
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    try:
        publish(settings, mentions)
        worker.wait_for(
            "tocsin_mentions_processed_total", len(mentions), timeout_s=120, brand="solo"
        )
        worker.wait_for("tocsin_quiet_bins_closed_total", 1, timeout_s=30)
        consumed = worker.metric("tocsin_messages_consumed_total")
    finally:
        assert worker.stop() == 0, worker.tail_log()
    assert consumed == len(read_topic(settings, settings.mentions_topic))  # nothing more came
    closed = [
        minute
        for record in read_topic(settings, settings.minutes_topic)
        for minute in json.loads(record.value)["minutes"]
    ]
    starts = [minute[0] for minute in closed]  # Minute arrays: start, mentions, ...
    assert newest // 1000 * 1000 in starts  # the bin of the last mention closed
    assert sum(minute[1] for minute in closed) == len(mentions)


def test_mentions_fetched_during_a_restart_are_not_taken_for_silence(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """Mentions published while the worker was down are fetched at once by the next
    one, then wait up to ``take_within_s`` for their batch: meanwhile the partition
    is not read to its end, and the brand, silent by its record since before the
    downtime, is not advanced past them (they would count as late)."""
    settings = isolated_settings(
        broker,
        "idlerestart",
        bin_ms=1000,
        grace_ms=0,
        quiet_after_ms=2000,
        evidence_bins=5,
        take_within_s=2.0,
    )
    ensure_topics(settings)
    producer = mention_producer(
        settings,
        batch_max=200,
        linger_ms=50,
    )

    def live(prefix: str, n: int) -> list[dict]:
        """``n`` mentions dated within the last second (a live collector), sent."""
        now = int(time.time() * 1000)
        mentions = stream("solo", start_ms=now - 61_000, minutes=1, rate_per_min=60, seed=3)
        mentions = [
            dict(m, id=f"{prefix}{i}", ts=now - 1000 + 50 * i) for i, m in enumerate(mentions[:n])
        ]
        producer.send_many(mentions)
        producer.flush()
        return mentions

    # The first worker leaves the brand's last bin open (it never advances brands).
    worker = WorkerProcess(settings.replace(quiet_after_ms=0), tmp_path / "first.log").start()
    try:
        worker.wait_for("tocsin_assigned_partitions", 2, timeout_s=60)
        first = live("first-", 10)
        worker.wait_for("tocsin_mentions_processed_total", len(first), timeout_s=60, brand="solo")
    finally:
        assert worker.stop() == 0, worker.tail_log()
    second = live("second-", 10)
    time.sleep(3.0)  # the downtime outlasts quiet_after_ms
    worker = WorkerProcess(settings, tmp_path / "second.log").start()
    try:
        deadline = time.monotonic() + 120
        processed = late = 0.0
        while processed + late < len(second) and time.monotonic() < deadline:
            time.sleep(0.2)
            processed = worker.metric("tocsin_mentions_processed_total", brand="solo")
            late = worker.metric("tocsin_mentions_late_total")
        worker.wait_for("tocsin_quiet_bins_closed_total", 1, timeout_s=30)  # then it falls
    finally:
        producer.close()
        assert worker.stop() == 0, worker.tail_log()
    assert (processed, late) == (len(second), 0)


def test_a_refused_message_too_large_to_forward_whole_is_cut_not_fatal(
    broker: EmbeddedBroker, tmp_path: Path
) -> None:
    """Refused messages near the size limit, with a long key (8 kB) or a huge one
    (3 MB): their dead letters (the key copied, headers added) would pass the limit and
    stop the worker at every restart. They are cut, with headers saying from what size,
    and the worker goes on."""
    from kafka import KafkaProducer

    settings = isolated_settings(broker, "dlbig", partitions=1)
    limit = settings.max_message_bytes
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, max_request_size=limit)
    ensure_topics(settings)
    worker = WorkerProcess(settings, tmp_path / "worker.log").start()
    long_key, huge_key = b"k" * 8192, b"h" * 3_000_000
    try:
        worker.wait_for("tocsin_assigned_partitions", 1, timeout_s=90)
        topic = settings.mentions_topic
        producer.send(topic, key=long_key, value=b"\xff" * (limit - 8192 - 200)).get(30)
        producer.send(topic, key=huge_key, value=b"\xff" * (limit - len(huge_key) - 200)).get(30)
        after = stream("acme", minutes=30, rate_per_min=5, seed=9)
        for m in after:
            producer.send(topic, key=b"acme", value=json.dumps(m).encode())
        producer.flush()
        worker.wait_for("tocsin_messages_consumed_total", 2 + len(after), timeout_s=120)
        processed = worker.metric("tocsin_mentions_processed_total", brand="acme")
    finally:
        producer.close()
        assert worker.stop() == 0, worker.tail_log()
    assert processed > 0  # the mentions after them were processed
    dead = read_topic(settings, settings.deadletter_topic)
    assert len(dead) == 2
    first, second = dead
    assert first.key == long_key
    assert int(headers_of(first)["tocsin.errors.value.truncated.from"]) == limit - 8192 - 200
    assert len(first.value) < limit - 8192 - 200
    assert int(headers_of(second)["tocsin.errors.key.truncated.from"]) == len(huge_key)
    assert huge_key.startswith(second.key) and len(second.key) < len(huge_key)
    assert len(second.value) == limit - len(huge_key) - 200  # then the value fits whole
    for r in dead:
        assert len(r.key) + len(r.value) < limit
