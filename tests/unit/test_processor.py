"""The worker's processing logic without Kafka: decoding, dedup by offset, outbox."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec
import numpy as np
import pytest
from kafka.partitioner.default import murmur2
from prometheus_client import CollectorRegistry

import streams.processor as processor_module
from detectors.batch import MentionBatch
from detectors.fusion import LevelFusion
from detectors.lexicon import LexiconToneScorer
from detectors.state import BrandState, DetectionSettings
from streams.codec import MentionDecoder
from streams.drills.offline import run_offline
from streams.incidents import MINUTES_PER_MESSAGE
from streams.metrics import Metrics
from streams.processor import BrandRecord, Message, Processor
from streams.settings import Settings
from streams.statecodec import dumps_state, loads_state
from tests.synthetic import T0, baseline_then_burst, stream


def make_processor(
    records: dict,
    *,
    quiet_after_ms: int = 0,
    clock_ms: Callable[[], int] = lambda: T0 + 10 * 86_400_000,
) -> Processor:
    return Processor(
        records=records,
        decoder=MentionDecoder(max_text_chars=4000, max_future_ms=3_600_000),
        scorer=LexiconToneScorer(),
        metrics=Metrics(CollectorRegistry()),
        detection=DetectionSettings(),
        source="tocsin://test",
        quiet_after_ms=quiet_after_ms,
        clock_ms=clock_ms,
    )


def messages_of(mentions: list[dict], *, per_message: int, partition: int = 0) -> list[Message]:
    out = []
    for i in range(0, len(mentions), per_message):
        chunk = mentions[i : i + per_message]
        value = msgspec.json.encode(chunk if per_message > 1 else chunk[0])
        out.append(
            Message(
                topic="mentions",
                partition=partition,
                offset=len(out),
                timestamp_ms=T0 + 10 * 86_400_000,
                key=chunk[0]["brand"].encode(),
                value=value,
            )
        )
    return out


def run(records: dict, messages: list[Message], *, take: int) -> list[dict]:
    """Alerts (without their wall-clock emission time) of processing in batches of ``take``."""
    processor = make_processor(records)
    ids = []
    for i in range(0, len(messages), take):
        out = processor.process(messages[i : i + take])
        ids += [
            {**json.loads(a.value), "emitted_at": None} for _, a in out.pending if a.kind == "alert"
        ]
        for brand in {b for b, _ in out.pending}:
            records[brand].outbox.clear()
    return ids


def test_batching_and_redelivery_do_not_change_the_outcome() -> None:
    mentions = baseline_then_burst("acme", days=1.5, seed=4)
    singles = messages_of(mentions, per_message=1)
    batches = messages_of(mentions, per_message=100)

    a: dict = {}
    ids_a = run(a, batches, take=7)
    b: dict = {}
    ids_b = run(b, singles, take=1000)
    assert ids_a and ids_a == ids_b  # same alerts, evidence included
    whole: dict = {}
    assert run(whole, batches, take=len(batches)) == ids_a  # all at once
    assert a["acme"].state.bins.accepted_total == b["acme"].state.bins.accepted_total

    # redeliver the second half of the batches, as after a crash before a commit
    c: dict = {}
    half = len(batches) // 2
    ids_c = run(c, batches[: half + 10], take=5)
    ids_c += run(c, batches[half:], take=5)  # 10 messages come twice
    assert ids_c == ids_a
    assert c["acme"].state.bins.accepted_total == a["acme"].state.bins.accepted_total


def test_invalid_elements_of_a_batch_are_refused_alone() -> None:
    good = baseline_then_burst("acme", days=0.01, seed=1)[:3]
    bad = dict(good[0], id="bad", author={"id": "x", "followers": -1})
    other = dict(good[0], id="other", brand="globex")
    value = (
        b"["
        + b",".join(
            [
                msgspec.json.encode(good[0]),
                msgspec.json.encode(bad),
                msgspec.json.encode(other),
                msgspec.json.encode(good[1]),
            ]
        )
        + b"]"
    )
    records: dict = {}
    processor = make_processor(records)
    out = processor.process([Message("mentions", 1, 42, T0, b"acme", value)])
    assert out.mentions == 2
    reasons = {dl.reason: dict(dl.headers) for dl in out.deadletters}
    assert set(reasons) == {"bad_value", "key_mismatch"}
    assert reasons["bad_value"]["tocsin.errors.batch.index"] == b"1"
    assert reasons["key_mismatch"]["tocsin.errors.offset"] == b"42"
    assert reasons["key_mismatch"]["tocsin.errors.partition"] == b"1"
    values = {dl.reason: dl.value for dl in out.deadletters}
    assert json.loads(values["bad_value"])["id"] == "bad"  # the element's own bytes
    assert records["acme"].offsets == {("mentions", 1): 42}


def test_brands_processed_together_behave_as_each_alone() -> None:
    """One take mixing several brands gives each brand the alerts it gets alone."""
    per_brand = {
        "acme": baseline_then_burst("acme", days=1.5, seed=4),
        "globex": baseline_then_burst("globex", days=1.5, rate_per_min=3, seed=5),
        "initech": baseline_then_burst("initech", days=1.2, seed=6),
    }
    mixed = sorted((m for ms in per_brand.values() for m in ms), key=lambda m: m["ts"])
    # consecutive mentions of one brand share a message, brands interleave
    messages: list[Message] = []
    i = 0
    while i < len(mixed):
        j = i
        while j < len(mixed) and j - i < 50 and mixed[j]["brand"] == mixed[i]["brand"]:
            j += 1
        messages += messages_of(mixed[i:j], per_message=50)
        i = j
    messages = [
        Message(m.topic, m.partition, k, m.timestamp_ms, m.key, m.value)
        for k, m in enumerate(messages)
    ]
    together = run({}, messages, take=300)
    assert {a["brand"] for a in together} == set(per_brand)
    for brand, mentions in per_brand.items():
        alone = run({}, messages_of(mentions, per_message=50), take=100)
        assert alone and [a for a in together if a["brand"] == brand] == alone


def test_mentions_before_2000_are_refused_in_both_timestamp_forms() -> None:
    good = baseline_then_burst("acme", days=0.01, seed=1)[0]
    old_epoch = dict(good, id="e", ts=946_684_799_999)
    old_rfc = dict(good, id="r", ts="0001-01-01T00:00:00Z")
    value = msgspec.json.encode([good, old_epoch, old_rfc])
    records: dict = {}
    out = make_processor(records).process([Message("mentions", 0, 7, T0, b"acme", value)])
    assert out.mentions == 1
    refused = {json.loads(dl.value)["id"]: dl.reason for dl in out.deadletters}
    assert refused == {"e": "timestamp_out_of_range", "r": "timestamp_out_of_range"}
    assert records["acme"].state.bins.accepted_total == 1


def test_a_command_keyed_by_another_brand_is_refused() -> None:
    command = {
        "command": "expect",
        "command_id": "c1",
        "brand": "acme",
        "from_ms": T0,
        "to_ms": T0 + 3_600_000,
        "kind": "campaign",
        "at": T0,
    }
    records: dict = {}
    processor = make_processor(records)
    value = msgspec.json.encode(command)
    out = processor.process([Message("tocsin-commands", 2, 5, T0, b"globex", value)])
    assert [dl.reason for dl in out.deadletters] == ["key_mismatch"]
    assert out.deadletters[0].value == value and out.deadletters[0].key == b"globex"
    assert records == {} and out.dirty == {}
    out = processor.process([Message("tocsin-commands", 2, 6, T0, b"acme", value)])
    assert out.deadletters == [] and out.dirty == {"acme": 2}
    assert records["acme"].state.expectations


def test_minutes_of_a_long_batch_are_split_into_bounded_messages() -> None:
    """A batch closing days of one brand's bins (a backfill) gives day-sized messages."""
    mentions = baseline_then_burst("acme", days=3.2, seed=2)
    records: dict = {}
    out = make_processor(records).process(messages_of(mentions, per_message=500))
    decoded = [json.loads(value) for _, value in out.minutes]
    sizes = [len(m["minutes"]) for m in decoded]
    assert len(sizes) >= 4 and max(sizes) <= MINUTES_PER_MESSAGE
    starts = [minute[0] for m in decoded for minute in m["minutes"]]  # arrays: start first
    assert starts == sorted(starts) and len(set(starts)) == len(starts) == sum(sizes)
    assert starts[-1] - starts[0] == (len(starts) - 1) * 60_000  # contiguous, none lost


def test_brands_past_max_brands_go_to_the_deadletter_topic() -> None:
    """State and metric series stay bounded: a worker holds at most ``max_brands``."""
    records: dict = {}
    registry = CollectorRegistry()
    processor = Processor(
        records=records,
        decoder=MentionDecoder(max_text_chars=4000, max_future_ms=3_600_000),
        scorer=LexiconToneScorer(),
        metrics=Metrics(registry),
        detection=DetectionSettings(),
        source="tocsin://test",
        max_brands=2,
        clock_ms=lambda: T0,
    )
    base = baseline_then_burst("acme", days=0.01, seed=1)[0]

    def message(brand: str, offset: int) -> Message:
        value = msgspec.json.encode(dict(base, brand=brand, id=f"{brand}-{offset}"))
        return Message("mentions", 0, offset, T0, brand.encode(), value)

    out = processor.process([message("acme", 0), message("globex", 1), message("initech", 2)])
    assert set(records) == {"acme", "globex"} and out.mentions == 2
    assert [(dl.reason, dl.key) for dl in out.deadletters] == [("brand_limit", b"initech")]
    out = processor.process([message("acme", 3), message("umbrella", 4)])  # known ones still count
    assert out.mentions == 1 and [dl.key for dl in out.deadletters] == [b"umbrella"]
    # A refused brand's message goes whole, once: not its invalid elements on their own too,
    # and its long texts are not counted as truncated.
    bad = dict(base, brand="umbrella", id="bad", author={"id": "x", "followers": -1})
    long = dict(base, brand="umbrella", id="long", text="x" * 5000)
    value = msgspec.json.encode([bad, long])
    out = processor.process([Message("mentions", 0, 5, T0, b"umbrella", value)])
    assert [(dl.reason, dl.value) for dl in out.deadletters] == [("brand_limit", value)]
    assert registry.get_sample_value("tocsin_mentions_truncated_total") == 0
    # the invalid counter counts mentions (with the rates of mentions in the alert rules)
    refused = {"reason": "brand_limit"}
    assert registry.get_sample_value("tocsin_mentions_invalid_total", refused) == 1 + 1 + 2
    expect = {"command": "expect", "command_id": "c", "brand": "umbrella", "from_ms": T0,
              "to_ms": T0 + 1, "kind": "campaign", "at": T0}  # fmt: skip
    command = Message("tocsin-commands", 0, 6, T0, b"umbrella", msgspec.json.encode(expect))
    assert [dl.reason for dl in processor.process([command]).deadletters] == ["brand_limit"]
    assert set(records) == {"acme", "globex"}
    assert registry.get_sample_value("tocsin_mentions_invalid_total", refused) == 4 + 1


# -- quiet brands ------------------------------------------------------------------
QUIET_MS = 15 * 60_000
Arrival = tuple[int, Message]  # when the message reached the broker, on the worker's clock


def arriving(
    per_brand: dict[str, list[dict]],
    *,
    lag_ms: dict[str, int] | None = None,
    poll_ms: dict[str, int] | None = None,
    clock_ahead_ms: dict[str, int] | None = None,
    extra: list[tuple[int, dict]] = (),  # type: ignore[assignment]
) -> list[Arrival]:
    """Messages as a live topic gets them. A brand's mentions arrive ``lag_ms``
    after their date (1 s by default), in one message per 10 s (a producer's
    linger), or per ``poll_ms`` for a collector that polls; the record
    timestamp is the arrival by the producer's clock (``clock_ahead_ms`` ahead);
    ``extra`` mentions arrive when given."""
    lag_ms, poll_ms, clock_ahead_ms = lag_ms or {}, poll_ms or {}, clock_ahead_ms or {}
    arrivals = []
    for brand, ms in per_brand.items():
        poll = poll_ms.get(brand, 10_000)
        for m in ms:
            at = m["ts"] + lag_ms.get(brand, 1_000)
            arrivals.append(((at // poll + 1) * poll, m))
    arrivals += extra
    arrivals.sort(key=lambda am: am[0])
    out: list[Arrival] = []
    i = 0
    while i < len(arrivals):
        at, first = arrivals[i]
        j = i
        brand = first["brand"]
        while j < len(arrivals) and arrivals[j][0] == at and arrivals[j][1]["brand"] == brand:
            j += 1
        value = msgspec.json.encode([m for _, m in arrivals[i:j]])
        record_ms = at + clock_ahead_ms.get(brand, 0)
        out.append((at, Message("mentions", 0, len(out), record_ms, brand.encode(), value)))
        i = j
    return out


class Worker:
    """A processor on a simulated clock, with what it would have written to the
    changelog (each dirty record after each batch)."""

    def __init__(
        self, records: dict | None = None, *, quiet_after_ms: int = QUIET_MS, slowdown: float = 1.0
    ) -> None:
        self.now = 0
        self.slowdown = slowdown  # 2: the worker takes two seconds per second of input
        self.records = {} if records is None else records
        self.processor = make_processor(
            self.records, quiet_after_ms=quiet_after_ms, clock_ms=lambda: self.now
        )
        for brand in self.records:  # as the agent does for the records it recovers
            self.processor.track(brand, 0)
        self.changelog: dict[str, bytes] = {}
        self.sent: list[tuple[int, dict]] = []  # (batch, alert or incident event)
        self.late = 0
        self.batches = 0

    def run(self, arrivals: list[Arrival], *, take: int = 20) -> Worker:
        for i in range(0, len(arrivals), take):
            chunk = arrivals[i : i + take]
            self.now = T0 + round((chunk[-1][0] - T0) * self.slowdown)
            self._perform(self.processor.process([m for _, m in chunk]))
        return self

    def idle(self, *, until_ms: int, every_ms: int = 30_000) -> Worker:
        """No more messages: the agent's timer reports partition 0 read to its end
        every ``every_ms`` of the worker's clock, until ``until_ms``."""
        while self.now + every_ms <= until_ms:
            self.now += every_ms
            self._perform(self.processor.caught_up([0]))
        return self

    def _perform(self, out: processor_module.Output) -> None:
        self.late += out.late
        for brand, message in out.pending:
            self.sent.append((self.batches, {**json.loads(message.value), "emitted_at": None}))
            assert brand in out.dirty
        for brand in {b for b, _ in out.pending}:
            self.records[brand].outbox.clear()
        for brand in out.dirty:
            self.changelog[brand] = pickle.dumps(self.records[brand])
        self.batches += 1

    def of(self, brand: str) -> list[dict]:
        return [m for _, m in self.sent if m["brand"] == brand]

    def levels(self, brand: str) -> list[int]:
        return [m["level"] for m in self.of(brand) if "alert_id" in m]


def crisis(*, after_minutes: int = 0) -> list[dict]:
    """acme: a calm day and a half, an angry burst, and ``after_minutes`` of calm
    traffic after it (then nothing)."""
    mentions = baseline_then_burst("acme", days=1.5, seed=4)
    if after_minutes:
        start = max(m["ts"] for m in mentions) // 60_000 * 60_000 + 60_000
        mentions += stream("acme", start_ms=start, minutes=after_minutes, rate_per_min=6,
                           seed=7, id_prefix="after-")  # fmt: skip
    return mentions


def neighbour(minutes: int = int(1.5 * 1440) + 20 + 5 + 240) -> list[dict]:
    """globex, on acme's partition: busy from the same start, four hours past acme's burst."""
    return stream("globex", minutes=minutes, rate_per_min=3, seed=9)


def test_a_brand_whose_mentions_stop_falls_back_to_calm() -> None:
    """Its silence closes its bins: the level falls, the incident resolves, the
    gauge follows, without waiting for the brand's next mention."""
    arrivals = arriving({"acme": crisis(), "globex": neighbour()})
    never = Worker(quiet_after_ms=0).run(arrivals)
    quiet = Worker().run(arrivals)
    stuck = never.levels("acme")
    assert max(stuck) >= 2 and stuck[-1] >= 2  # without: the crisis stays
    levels = quiet.levels("acme")
    assert levels[: len(stuck)] == stuck and levels[-1] == 0  # with: the same, then calm
    types = [m.get("type") for m in quiet.of("acme")]
    assert "resolved" in types and "resolved" not in [m.get("type") for m in never.of("acme")]
    registry = quiet.processor.metrics.registry
    assert registry.get_sample_value("tocsin_brand_level", {"brand": "acme"}) == 0
    closed = registry.get_sample_value("tocsin_quiet_bins_closed_total")
    assert closed is not None and closed > 60  # more than the hour it took to resolve
    assert never.processor.metrics.registry.get_sample_value("tocsin_quiet_bins_closed_total") == 0
    assert quiet.late == never.late == 0
    # The lag gauge keeps reading the brand's newest mention.
    newest = max(m["ts"] for m in crisis())
    assert quiet.processor.watermarks["acme"] == newest
    # Until it is calm, acme moves as if its mentions had kept coming with their
    # delay, less quiet_after_ms (as of the last advance: within a bin and a batch).
    last = max(i for i, (_, m) in enumerate(arrivals) if m.key == b"acme")
    heard = arrivals[last][0]
    worker = Worker().run(arrivals[: last + 1], take=last + 1)
    acme, checked = worker.records["acme"], 0
    for i in range(last + 1, len(arrivals), 20):
        busy = acme.state.level > 0 or acme.state.incidents.current is not None
        worker.run(arrivals[i : i + 20])
        silence = arrivals[min(i + 20, len(arrivals)) - 1][0] - heard
        if busy and silence >= QUIET_MS + 60_000:
            behind = newest + silence - QUIET_MS - acme.state.bins.watermark_ms
            assert 0 <= behind <= 2 * 60_000
            checked += 1
    assert checked >= 5


def test_a_brand_alone_on_its_partition_falls_once_it_is_read_to_its_end() -> None:
    """No neighbour moves acme's partition: without the timer acme stays at its
    level; with it (the partition read to its end, its record time the worker's
    clock) acme falls as it does beside a busy neighbour: the same alerts and
    incident events."""
    alone = arriving({"acme": crisis()})
    heard = alone[-1][0]
    stuck = Worker().run(alone)
    assert stuck.levels("acme")[-1] >= 2
    assert Worker(quiet_after_ms=0).run(alone).idle(until_ms=heard + 6 * 3_600_000).sent == (
        stuck.sent
    )
    fell = Worker().run(alone).idle(until_ms=heard + 6 * 3_600_000)
    beside = Worker().run(arriving({"acme": crisis(), "globex": neighbour()}))
    assert fell.levels("acme")[-1] == 0
    assert [m for _, m in fell.sent] == [m for _, m in beside.sent]  # ids, evidence, events
    registry = fell.processor.metrics.registry
    assert registry.get_sample_value("tocsin_brand_level", {"brand": "acme"}) == 0


def test_a_record_recovered_on_a_silent_partition_falls_without_a_batch() -> None:
    """A worker restarted during acme's silence, with no message left on its
    partition: the timer alone lets acme fall, as the first worker would have."""
    alone = arriving({"acme": crisis()})
    heard = alone[-1][0]
    full = Worker().run(alone).idle(until_ms=heard + 6 * 3_600_000)
    first = Worker().run(alone).idle(until_ms=heard + 3_600_000)
    restored = {b: pickle.loads(data) for b, data in first.changelog.items()}
    second = Worker(restored)
    second.now, second.batches = first.now, first.batches
    second.idle(until_ms=heard + 6 * 3_600_000)
    assert [m for _, m in first.sent + second.sent] == [m for _, m in full.sent]
    assert second.levels("acme")[-1] == 0


def test_a_short_burst_then_silence_still_raises_the_level() -> None:
    """A calm brand whose burst stops within the grace period: its open bins close
    with its silence, and the burst is alerted on (it would wait for the next mention)."""
    calm = stream("acme", minutes=int(1.5 * 1440), rate_per_min=6, seed=4)
    start = T0 + int(1.5 * 1440) * 60_000
    burst = stream("acme", start_ms=start, minutes=2, rate_per_min=60, negative=0.8,
                   aggressive=0.4, seed=5, id_prefix="burst-")  # fmt: skip
    arrivals = arriving({"acme": calm + burst, "globex": neighbour()})
    assert Worker(quiet_after_ms=0).run(arrivals).levels("acme") == []
    assert max(Worker().run(arrivals).levels("acme")) >= 2


def test_late_mentions_do_not_keep_a_silent_brand_at_its_level() -> None:
    """After its crisis, acme gets only re-sent old mentions (late): no new mention
    was accepted, so it still falls to calm."""
    old = crisis()[:1]
    end = max(m["ts"] for m in crisis())
    resent = [
        (end + k * 5 * 60_000, {**old[0], "id": f"resent-{k}"}) for k in range(1, 48)
    ]  # fmt: skip
    worker = Worker().run(arriving({"acme": crisis(), "globex": neighbour()}, extra=resent))
    assert worker.late == len(resent) and worker.levels("acme")[-1] == 0


def test_a_record_dated_far_ahead_does_not_stop_the_advances() -> None:
    """One message stamped a day ahead (a producer's clock, CreateTime) counts as
    the worker's now: acme still falls to calm."""
    arrivals = arriving({"acme": crisis(), "globex": neighbour()})
    at, m = arrivals[len(arrivals) // 2 + 3000]
    arrivals[len(arrivals) // 2 + 3000] = (
        at, Message(m.topic, m.partition, m.offset, m.timestamp_ms + 86_400_000, m.key, m.value)
    )  # fmt: skip
    assert Worker().run(arrivals).levels("acme")[-1] == 0


def test_a_record_from_before_heard_is_advanced_and_written() -> None:
    """A record recovered without ``heard`` starts its silence at the next pass and
    is written then, so that a worker restarting often still lets it fall."""
    arrivals = arriving({"acme": crisis(), "globex": neighbour()})
    last = max(i for i, (_, m) in enumerate(arrivals) if m.key == b"acme")
    cut = (last // 20 + 1) * 20
    first = Worker().run(arrivals[:cut])
    first.records["acme"].heard = None  # as loaded from a record of the previous version
    second = Worker(first.records).run(arrivals[cut : cut + 20])
    assert pickle.loads(second.changelog["acme"]).heard is not None
    assert second.run(arrivals[cut + 20 :]).levels("acme")[-1] == 0


def test_a_collector_that_polls_late_mentions_is_not_advanced() -> None:
    """acme's collector delivers every 10 minutes mentions dated 40 minutes back,
    through its crisis and after: never silent for 15 minutes, never advanced, no
    mention counted late."""
    per_brand = {"acme": crisis(after_minutes=180), "globex": neighbour()}
    arrivals = arriving(per_brand, lag_ms={"acme": 40 * 60_000}, poll_ms={"acme": 10 * 60_000})
    worker = Worker().run(arrivals, take=5)
    assert max(worker.levels("acme")) >= 2 and worker.late == 0
    assert worker.records["acme"].state.bins.accepted_total == len(per_brand["acme"])


def test_a_worker_falling_behind_does_not_silence_a_brand() -> None:
    """The worker takes two seconds per second of input (its lag grows): acme's
    collector, every 10 minutes, looks 20 minutes apart on the worker's clock but
    not in record time, so acme is not advanced."""
    per_brand = {"acme": crisis(after_minutes=180), "globex": neighbour()}
    arrivals = arriving(per_brand, poll_ms={"acme": 10 * 60_000})
    worker = Worker(slowdown=2.0).run(arrivals, take=5)
    assert max(worker.levels("acme")) >= 2 and worker.late == 0


def test_a_producer_clock_ahead_does_not_silence_the_other_brands() -> None:
    """globex's producer stamps its records 20 minutes ahead (a topic with
    CreateTime): acme, in crisis and still talking, is not advanced."""
    per_brand = {"acme": crisis(after_minutes=180), "globex": neighbour()}
    arrivals = arriving(per_brand, clock_ahead_ms={"globex": 20 * 60_000})
    worker = Worker().run(arrivals, take=5)
    assert max(worker.levels("acme")) >= 2 and worker.late == 0


def test_a_restart_in_the_silence_resumes_it() -> None:
    """A worker restarted an hour into acme's silence, from what was written to the
    changelog, sends the same alerts in the same batches: the silence is kept in
    the record, not started again."""
    arrivals = arriving({"acme": crisis(), "globex": neighbour()})
    full = Worker().run(arrivals)
    last = max(i for i, (_, m) in enumerate(arrivals) if m.key == b"acme")
    cut = (last // 20 + 1) * 20
    hour = next(i for i, (at, _) in enumerate(arrivals) if at > arrivals[last][0] + 3_600_000)
    cut_late = (hour // 20 + 1) * 20
    first = Worker().run(arrivals[:cut_late])
    restored = {b: pickle.loads(data) for b, data in first.changelog.items()}
    # The advances so far were written (their bins stay closed), the silence's start
    # with them (heard).
    assert restored["acme"].state.bins.watermark_ms == first.records["acme"].state.bins.watermark_ms
    assert restored["acme"].heard == first.records["acme"].heard
    second = Worker(restored).run(arrivals[cut_late:])
    second.sent = [(b + first.batches, m) for b, m in second.sent]
    assert first.sent + second.sent == full.sent
    assert cut < cut_late and full.levels("acme")[-1] == 0


def test_a_restart_after_an_advance_keeps_what_it_made_late() -> None:
    """An advance closes acme's empty bins; a delayed acme mention dated in one of
    them comes later and is late. A worker restarted from the changelog in between
    counts it late too: the advance was written (with the partition's next flush),
    so its bins do not open again when the next batch applies its mentions first."""
    base = arriving({"acme": crisis(), "globex": neighbour()})
    at = base[11600][0]
    old = dict(crisis()[-1], id="delayed-1", ts=max(m["ts"] for m in crisis()) + 10 * 60_000)
    arrivals = arriving({"acme": crisis(), "globex": neighbour()}, extra=[(at, old)])
    k = next(i for i, (_, m) in enumerate(arrivals) if b"delayed-1" in m.value) // 20 * 20
    full = Worker().run(arrivals)
    first = Worker().run(arrivals[:k])
    restored = {b: pickle.loads(data) for b, data in first.changelog.items()}
    saved = restored["acme"].state.bins
    assert saved.closed_until_ms is not None and saved.closed_until_ms >= old["ts"] + 60_000
    second = Worker(restored)
    second.now, second.batches = first.now, first.batches
    second.run(arrivals[k:])
    assert full.late == 1  # without a restart: late, counted
    assert first.late + second.late == full.late
    assert second.sent == [(b, m) for b, m in full.sent if b >= first.batches]


def test_a_record_written_before_heard_existed_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Records in the changelog from before ``heard``: loaded with it unset."""
    record = BrandRecord(BrandState(brand="acme", settings=DetectionSettings()), heard=(1, 2, 3))
    with monkeypatch.context() as m:  # what the previous version wrote: no heard
        m.setattr(BrandRecord, "__getstate__", lambda r: (None, {
            "state": r.state, "offsets": r.offsets, "outbox": r.outbox}))  # fmt: skip
        saved = dumps_state(record)
    restored = loads_state(saved)
    assert isinstance(restored, BrandRecord) and restored.heard is None
    assert restored.state.brand == "acme" and restored.offsets == {} and restored.outbox == []
    record.offsets[("mentions", 3)] = 41
    again = loads_state(dumps_state(record))
    assert again.heard == (1, 2, 3) and again.offsets == {("mentions", 3): 41}


@dataclass(slots=True)
class BrandRecordBeforeHeard:
    """``BrandRecord`` as the version before ``heard`` defined it."""

    state: BrandState
    offsets: dict = field(default_factory=dict)
    outbox: list = field(default_factory=list)


def test_the_version_before_heard_loads_a_record_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rolling upgrades and rollbacks: a worker of the previous version loads the
    records this one writes, and its offsets still answer for the real topics."""
    record = BrandRecord(BrandState(brand="acme", settings=DetectionSettings()), heard=(1, 2, 3))
    record.offsets[("mentions", 3)] = 41
    saved = dumps_state(record)
    with monkeypatch.context() as m:
        m.setattr(processor_module, "BrandRecord", BrandRecordBeforeHeard)
        old = loads_state(saved)
    assert isinstance(old, BrandRecordBeforeHeard) and old.state.brand == "acme"
    assert old.offsets.get(("mentions", 3), -1) == 41
    assert [p for (t, p) in old.offsets if t == "mentions"] == [3]


def test_an_offline_run_lets_a_silent_brand_fall_too() -> None:
    """Replays and drills run the worker on the stream's clock: a crisis whose
    mentions stop falls to calm there as it does live."""
    mixed = sorted(crisis() + neighbour(), key=lambda m: m["ts"])
    levels = [a["level"] for a in run_offline(mixed).alerts if a["brand"] == "acme"]
    assert max(levels) >= 2 and levels[-1] == 0


def test_the_gauges_show_the_last_closed_bin_after_every_batch() -> None:
    """A brand's gauges exist from its first message and follow its level and scores,
    whether a batch closes bins or not (they are set only when one does)."""
    mentions = baseline_then_burst("acme", seed=3)
    records: dict = {}
    processor = make_processor(records)
    registry = processor.metrics.registry
    messages = messages_of(mentions, per_message=1)
    levels = set()
    for i in range(0, len(messages), 7):
        processor.process(messages[i : i + 7])
        state = records["acme"].state
        sample = registry.get_sample_value
        assert sample("tocsin_brand_level", {"brand": "acme"}) == state.level
        assert sample("tocsin_brand_volume_elevation", {"brand": "acme"}) == state.scores.elevation
        assert sample("tocsin_brand_score", {"brand": "acme", "signal": "negative"}) == (
            state.scores.negative
        )
        levels.add(state.level)
    assert max(levels) >= 2  # the level moved: the gauges were followed through changes


def test_a_new_brands_gauges_exist_before_its_first_bin_closes() -> None:
    mentions = baseline_then_burst("acme", seed=3)
    processor = make_processor({})
    out = processor.process(messages_of(mentions[:1], per_message=1))
    assert out.mentions == 1
    registry = processor.metrics.registry
    assert registry.get_sample_value("tocsin_brand_level", {"brand": "acme"}) == 0
    assert registry.get_sample_value("tocsin_brand_volume_elevation", {"brand": "acme"}) == 1.0


def test_a_record_written_with_other_level_rules_takes_the_workers() -> None:
    """Changed ``fusion_*`` settings (or new defaults) reach the brands already in
    the changelog at their next mention, and their level is kept."""
    mentions = baseline_then_burst("acme", seed=3)
    messages = messages_of(mentions, per_message=1)
    old_rules = DetectionSettings(fusion=LevelFusion(alert_tone=0.95, min_alert_ms=0))
    records = {"acme": BrandRecord(BrandState(brand="acme", settings=old_rules))}
    before = make_processor(records)
    before.detection = old_rules
    before.process(messages[:-1])
    restored = {"acme": loads_state(dumps_state(records["acme"]))}
    state = restored["acme"].state
    assert state.level >= 2 and state.fusion.alert_tone == 0.95
    processor = make_processor(restored)
    processor.process(messages[-1:])
    state = restored["acme"].state
    assert state.settings.fusion is processor.detection.fusion  # retuned once, then known
    assert state.fusion.alert_tone == DetectionSettings().fusion.alert_tone == 0.8
    assert state.fusion.min_alert_ms == DetectionSettings().fusion.min_alert_ms


def test_retuning_a_brand_keeps_its_level_and_timers() -> None:
    records: dict = {}
    make_processor(records).process(messages_of(baseline_then_burst("acme", seed=3), per_message=1))
    state = records["acme"].state
    assert state.level >= 2
    kept = (state.level, state.fusion.reasons, state.fusion._held_ms, state.fusion._onset_ms)
    state.retune(LevelFusion(alert_tone=0.95))
    assert state.fusion.alert_tone == 0.95 and state.settings.fusion.alert_tone == 0.95
    assert kept == (
        state.level,
        state.fusion.reasons,
        state.fusion._held_ms,
        state.fusion._onset_ms,
    )


def test_a_record_recovered_with_other_level_rules_is_retuned_by_the_quiet_timer() -> None:
    """A worker restarted with new ``fusion_*`` settings during acme's silence: no
    mention comes to retune acme's record, the quiet advance does it before it
    closes acme's bins."""
    old_rules = DetectionSettings(fusion=LevelFusion(alert_tone=0.95))
    alone = arriving({"acme": crisis()})
    heard = alone[-1][0]
    first = Worker()
    first.processor.detection = old_rules
    first.run(alone)
    restored = {b: pickle.loads(data) for b, data in first.changelog.items()}
    state = restored["acme"].state
    assert state.level >= 2 and state.fusion.alert_tone == 0.95
    second = Worker(restored)
    second.now, second.batches = first.now, first.batches
    second.idle(until_ms=heard + 6 * 3_600_000)
    state = restored["acme"].state
    assert state.settings.fusion is second.processor.detection.fusion
    assert state.fusion.alert_tone == 0.8
    assert second.levels("acme")[-1] == 0


# -- hostile input: nothing a message holds stops the worker --------------------------
def _good(i: int) -> dict:
    return dict(baseline_then_burst("acme", days=0.01, seed=1)[0], id=f"good-{i}")


DEEP = b"[" * 5000 + b"]" * 5000  # past any recursion limit


@pytest.mark.parametrize(
    ("value", "reasons", "kept"),
    [
        # The first element is invalid, then the JSON breaks: the split fails too.
        (b'[42, {"id": "m1"', ["not_json"], 0),
        (b"[42]x", ["not_json"], 0),
        # Invalid UTF-8 inside a string, alone or among valid elements.
        (msgspec.json.encode(_good(0)).replace(b'"text":"', b'"text":"h\xe9llo '), ["not_json"], 0),
        (
            b"[" + msgspec.json.encode(_good(1)).replace(b'"text":"', b'"text":"\xff')
            + b"," + msgspec.json.encode(_good(2)) + b"]",
            ["not_json"],
            1,
        ),
        # An ignored field nested deeper than the decoder can go; in a batch, the
        # split cannot skip it either: the whole message goes.
        (msgspec.json.encode(_good(3))[:-1] + b',"x":' + DEEP + b"}", ["not_json"], 0),
        (b"[" + msgspec.json.encode(_good(4)) + b"," + DEEP + b"]", ["not_json"], 0),
    ],
)  # fmt: skip
def test_hostile_messages_go_to_dead_letters_and_the_rest_counts(
    value: bytes, reasons: list[str], kept: int
) -> None:
    processor = make_processor({})
    out = processor.process([Message("mentions", 0, 3, T0, b"acme", value)])
    assert [dl.reason for dl in out.deadletters] == reasons and out.mentions == kept
    assert all(dl.key == b"acme" for dl in out.deadletters)
    counted = processor.metrics.registry.get_sample_value(
        "tocsin_mentions_invalid_total", {"reason": reasons[0]}
    )
    assert counted == len(reasons)


def _with_text(mention: dict, text: bytes) -> bytes:
    """``mention`` as JSON with ``text`` (JSON string content) before its own text."""
    return msgspec.json.encode(mention).replace(b'"text":"', b'"text":"' + text, 1)


def test_a_text_cut_in_the_middle_of_an_emoji_is_read_and_its_batch_kept() -> None:
    """A lone UTF-16 surrogate escape is valid JSON (what a collector that cuts a text
    in the middle of an emoji writes): it reads as U+FFFD; the other elements of its
    batch count, and an invalid one goes alone, with its own original bytes."""
    cut = _with_text(_good(0), rb"cut \ud83d")
    decoder = MentionDecoder(max_text_chars=4000, max_future_ms=3_600_000)
    (mention,) = decoder.decode(b"acme", cut, record_ts_ms=T0).mentions
    assert mention.text.startswith("cut \ufffd")
    pair = _with_text(_good(1), rb"\ud83d\ude00 ")
    assert decoder.decode(b"acme", pair, record_ts_ms=T0).mentions[0].text[0] == "\U0001f600"
    lone_low = _with_text(_good(2), rb"\ude00 x")
    escaped = _with_text(_good(3), rb"\\ud83d ")  # a backslash, then "ud83d": no escape
    assert decoder.decode(b"acme", escaped, record_ts_ms=T0).mentions[0].text[:6] == "\\ud83d"
    bad = _with_text(dict(_good(4), author={"id": "x", "followers": -1}), rb"\ud83d")
    processor = make_processor({})
    out = processor.process([Message("mentions", 0, 0, T0, b"acme", cut)])
    assert out.mentions == 1 and out.deadletters == []
    cut_again = _with_text(_good(6), rb"cut \ud83d")  # another mention (the first counted)
    value = b"[" + b",".join(
        [cut_again, pair, lone_low, escaped, bad, msgspec.json.encode(_good(5))]
    )
    out = processor.process([Message("mentions", 0, 1, T0, b"acme", value + b"]")])
    assert out.mentions == 5
    assert [(dl.reason, dl.value) for dl in out.deadletters] == [("bad_value", bad)]
    # an invalid element (no surrogate) first: the split must repair too
    invalid = msgspec.json.encode(dict(_good(8), author={"id": "x", "followers": -1}))
    value = b"[" + b",".join([invalid, _with_text(_good(7), rb"cut \ud83d")]) + b"]"
    out = processor.process([Message("mentions", 0, 2, T0, b"acme", value)])
    assert out.mentions == 1
    assert [(dl.reason, dl.value) for dl in out.deadletters] == [("bad_value", invalid)]


def test_one_mention_dated_an_hour_ahead_does_not_hide_a_crisis() -> None:
    """A collector whose clock is off by an hour (local time read as UTC): with the
    default ``max_future_ms`` its mention is refused, instead of moving the brand's
    event time 45 minutes ahead and making the burst's mentions late."""
    settings = Settings()
    mentions = baseline_then_burst("acme", days=2, seed=4)
    burst = next(i for i, m in enumerate(mentions) if m["id"].startswith("burst-"))
    ahead = dict(mentions[burst + 20], id="ahead", ts=mentions[burst + 20]["ts"] + 45 * 60_000)
    mentions.insert(burst + 20, ahead)
    processor = Processor(
        records={},
        decoder=MentionDecoder(
            max_text_chars=settings.max_text_chars, max_future_ms=settings.max_future_ms
        ),
        scorer=LexiconToneScorer(),
        metrics=Metrics(CollectorRegistry()),
        detection=settings.detection(),
        source="tocsin://test",
        clock_ms=lambda: T0 + 10 * 86_400_000,
    )
    levels, late, refused = [], 0, []
    for i in range(0, len(mentions), 50):  # live: each message stamped when it is sent
        chunk = mentions[i : i + 50]
        record_ms = max(m["ts"] for m in chunk if m["id"] != "ahead")
        value = msgspec.json.encode(chunk)
        out = processor.process([Message("mentions", 0, i, record_ms, b"acme", value)])
        late += out.late
        refused += [dl.reason for dl in out.deadletters]
        levels += [json.loads(p.value)["level"] for _, p in out.pending if p.kind == "alert"]
    assert refused == ["timestamp_out_of_range"] and late == 0
    assert max(levels) >= 2


def test_a_collector_that_sends_mentions_again_counts_each_once() -> None:
    """Polls of overlapping windows: each message carries its 50 new mentions and the
    150 before them again. The alerts are those of the stream sent once; a mention
    repeated within one message counts once too."""
    mentions = baseline_then_burst("acme", days=1, seed=6)
    once = run({}, messages_of(mentions, per_message=50), take=10)
    polls = [mentions[max(0, i - 150) : i + 50] for i in range(0, len(mentions), 50)]
    sent_again = [
        Message("mentions", 0, j, T0 + 10 * 86_400_000, b"acme", msgspec.json.encode(poll))
        for j, poll in enumerate(polls)
    ]
    assert once and run({}, sent_again, take=10) == once
    processor = make_processor({})
    value = msgspec.json.encode([_good(0)] * 50)
    out = processor.process([Message("mentions", 0, 0, T0, b"acme", value)])
    assert (out.mentions, out.duplicates, out.deadletters) == (1, 49, [])
    single = msgspec.json.encode(_good(0))
    out = processor.process([Message("mentions", 0, 1, T0, b"acme", single)])
    assert (out.mentions, out.duplicates) == (0, 1)
    assert processor.metrics.registry.get_sample_value("tocsin_mentions_duplicate_total") == 50


def test_a_message_off_its_keys_default_partition_is_counted_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A producer with another partitioner (librdkafka's default, CRC32) puts a brand
    on another partition than ``tocsin ack`` (murmur2) sends its commands to."""
    caplog.set_level("WARNING", logger="streams.processor")
    processor = Processor(
        records={},
        decoder=MentionDecoder(max_text_chars=4000, max_future_ms=3_600_000),
        scorer=LexiconToneScorer(),
        metrics=Metrics(CollectorRegistry()),
        detection=DetectionSettings(),
        source="tocsin://test",
        clock_ms=lambda: T0,
        partitions=4,
    )
    home = (murmur2(b"acme") & 0x7FFFFFFF) % 4
    value = msgspec.json.encode(_good(0))
    processor.process([Message("mentions", home, 0, T0, b"acme", value)])
    misrouted = "tocsin_messages_misrouted_total"
    assert processor.metrics.registry.get_sample_value(misrouted) == 0
    assert not caplog.records
    away = (home + 1) % 4
    for offset in (0, 1):
        value = msgspec.json.encode(_good(offset + 1))
        out = processor.process([Message("mentions", away, offset, T0, b"acme", value)])
        assert out.mentions == 1  # still processed
    assert processor.metrics.registry.get_sample_value(misrouted) == 2
    assert len([r for r in caplog.records if "murmur2_random" in r.getMessage()]) == 1


def test_a_key_must_be_the_brand_byte_for_byte() -> None:
    """Keys that are not UTF-8 do not pass for a brand that holds U+FFFD: each key
    may go to another partition than the brand's record."""
    mention = dict(_good(0), brand="acme\ufffd")
    value = msgspec.json.encode(mention)
    processor = make_processor({})
    out = processor.process([Message("mentions", 0, 0, T0, b"acme\xff", value)])
    assert [dl.reason for dl in out.deadletters] == ["key_mismatch"] and out.mentions == 0
    assert b"not UTF-8" in dict(out.deadletters[0].headers)["tocsin.errors.exception.message"]
    out = processor.process([Message("mentions", 0, 1, T0, "acme\ufffd".encode(), value)])
    assert out.deadletters == [] and out.mentions == 1


def test_a_producer_clock_far_ahead_lets_no_far_future_mention_through() -> None:
    """Record time (CreateTime) and mention dated in the year 5000: refused by the
    worker's clock; the brand's event time does not jump ahead."""
    far = 95_617_584_000_000  # 5000-01-01
    records: dict = {}
    processor = make_processor(records, clock_ms=lambda: T0)
    value = msgspec.json.encode(dict(_good(0), ts=far))
    out = processor.process([Message("mentions", 0, 0, far, b"acme", value)])
    assert [dl.reason for dl in out.deadletters] == ["timestamp_out_of_range"]
    assert out.mentions == 0 and "acme" not in records


def _command(payload: dict, *, key: bytes, offset: int = 0) -> Message:
    return Message("tocsin-commands", 0, offset, T0, key, msgspec.json.encode(payload))


@pytest.mark.parametrize(
    "payload",
    [
        # Times past the year 9999 (an alert's or incident's time could not be written).
        {"command": "ack", "command_id": "c", "incident_id": "INC-20240101T0000-acme",
         "by": "ops", "at": 1_000_000_000_000_000},
        {"command": "expect", "command_id": "c", "brand": "acme", "from_ms": T0,
         "to_ms": 2**70, "kind": "campaign", "at": T0},
        # A brand no mention could have.
        {"command": "expect", "command_id": "c", "brand": "a c m e", "from_ms": T0,
         "to_ms": T0 + 1, "kind": "campaign", "at": T0},
    ],
)  # fmt: skip
def test_commands_with_absurd_values_are_refused(payload: dict) -> None:
    records: dict = {}
    key = payload.get("brand", "acme").encode()
    out = make_processor(records).process([_command(payload, key=key)])
    assert [dl.reason for dl in out.deadletters] == ["bad_command"]
    assert records == {} and out.dirty == {}


def test_a_nested_command_is_refused() -> None:
    value = b'{"command": "expect", "x": ' + DEEP + b"}"
    out = make_processor({}).process([Message("tocsin-commands", 0, 0, T0, b"acme", value)])
    assert [dl.reason for dl in out.deadletters] == ["bad_command"]


def test_an_ack_of_an_unknown_incident_creates_no_record() -> None:
    """It would take a ``max_brands`` slot and a changelog write for nothing; it goes
    to the dead-letter topic instead, so the sender can see it was not applied."""
    records: dict = {}
    processor = make_processor(records)
    ack = {"command": "ack", "command_id": "c", "incident_id": "INC-20240101T0000-acme",
           "by": "ops", "at": T0}  # fmt: skip
    out = processor.process([_command(ack, key=b"acme")])
    assert [dl.reason for dl in out.deadletters] == ["bad_command"] and records == {}
    processor.process(messages_of(baseline_then_burst("acme", seed=3), per_message=1))
    incident = records["acme"].state.incidents.current
    assert incident is not None
    out = processor.process([_command(ack, key=b"acme", offset=1)])  # known brand, no such id
    assert [dl.reason for dl in out.deadletters] == ["bad_command"] and out.dirty == {}
    out = processor.process([_command(dict(ack, incident_id=incident.id), key=b"acme", offset=2)])
    assert out.deadletters == [] and out.dirty == {"acme": 0}
    assert records["acme"].state.incidents.current.acknowledged


# -- batching: what is sent does not depend on how mentions are cut -------------------
def _incident_events(mentions: list[dict], *, per_message: int, take: int) -> list[dict]:
    records: dict = {}
    processor = make_processor(records)
    messages = messages_of(mentions, per_message=per_message)
    events = []
    for i in range(0, len(messages), take):
        out = processor.process(messages[i : i + take])
        events += [
            {**json.loads(m.value), "emitted_at": None}
            for _, m in out.pending
            if m.kind == "incident"
        ]
        for brand in {b for b, _ in out.pending}:
            records[brand].outbox.clear()
    return events


def test_incident_events_do_not_depend_on_batching() -> None:
    """An event carries its incident as it stood at the event (peak level, resolution,
    responses, acknowledgements), not as the rest of its batch left it: the same
    event id always comes with the same content."""
    mentions = baseline_then_burst("acme", days=1.2, seed=0)
    singles = _incident_events(mentions, per_message=1, take=1)
    batched = _incident_events(mentions, per_message=100, take=7)
    assert [e["event_id"] for e in singles] == [e["event_id"] for e in batched]
    assert len(singles) >= 2 and singles == batched


def test_a_late_official_post_is_dropped_not_judged() -> None:
    """An official post arriving 2.5 hours after its date is late like any mention:
    counted, and not judged as a response on windows no longer held."""
    ms = baseline_then_burst("acme", days=1.5, seed=4)
    b0 = T0 + int(1.5 * 1440) * 60_000
    end = max(m["ts"] for m in ms) // 60_000 * 60_000 + 60_000
    ms += stream("acme", start_ms=end, minutes=180, rate_per_min=6, seed=9, id_prefix="after-")
    ms.sort(key=lambda m: m["ts"])
    official = dict(ms[0], id="official-1", ts=b0 + 10 * 60_000, text="We are sorry",
                    author={"id": "acme", "followers": 100_000, "kind": "official"})  # fmt: skip
    at = next(i for i, m in enumerate(ms) if m["ts"] > official["ts"] + 150 * 60_000)
    ms.insert(at, official)
    for per_message, take in [(1, 1), (50, 7), (len(ms), 1)]:
        events = _incident_events(ms, per_message=per_message, take=take)
        assert [e for e in events if e["type"] == "response_impact"] == [], (per_message, take)


def test_a_record_from_before_heard_keeps_its_newest_mention_time() -> None:
    """Its first batch after the upgrade brings a mention dated before the newest
    one seen (within grace): the newest time, and the lag gauge, do not go back."""
    mentions = baseline_then_burst("acme", days=0.05, seed=1)
    records: dict = {}
    processor = make_processor(records)
    processor.process(messages_of(mentions, per_message=50))
    record = records["acme"]
    newest = record.state.bins.watermark_ms
    record.heard = None  # as the version before heard wrote it
    earlier = dict(mentions[-1], id="earlier", ts=newest - 30_000)
    value = msgspec.json.encode(earlier)
    out = processor.process([Message("mentions", 0, 999, T0 + 10 * 86_400_000, b"acme", value)])
    assert out.mentions == 1 and out.late == 0
    assert record.heard is not None and record.heard[2] == newest
    assert processor.watermarks["acme"] == newest


def test_the_ids_kept_against_repeats_are_bounded_and_not_written() -> None:
    """A brand in a viral burst: the ids of its open bins stay in memory, the newest
    4096 at most; its changelog record does not carry them; bins closed by a quiet
    brand's advance forget theirs."""
    state = BrandState(brand="acme")
    rng = np.random.default_rng(5)
    for second in range(90):  # 10,000 mentions a minute for a minute and a half
        t = T0 + second * 1000
        n = 167
        state.update(
            MentionBatch.from_rows(
                ts_ms=np.sort(t + rng.integers(0, 1000, n)).tolist(),
                followers=[10] * n,
                sentiment=[0.0] * n,
                aggression=[0.0] * n,
                kind=["public"] * n,
                ids=[f"{t}-{i}" for i in range(n)],
                authors=[f"a{i}" for i in range(n)],
                texts=["x"] * n,
            )
        )
    assert 0 < state._held_ids.size <= 4096
    restored = loads_state(dumps_state(state))
    assert restored._held_ids.size == 0
    assert len(dumps_state(state)) < 60_000
    state.advance(watermark_ms=T0 + 3_600_000)
    assert state._held_ids.size == 0
