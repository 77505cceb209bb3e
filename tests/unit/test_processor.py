"""The worker's processing logic without Kafka: decoding, dedup by offset, outbox."""

from __future__ import annotations

import json
import pickle

import msgspec
from prometheus_client import CollectorRegistry

from detectors.lexicon import LexiconToneScorer
from detectors.state import DetectionSettings
from streams.codec import MentionDecoder
from streams.incidents import MINUTES_PER_MESSAGE
from streams.metrics import Metrics
from streams.processor import Message, Processor
from tests.synthetic import T0, baseline_then_burst, stream


def make_processor(records: dict, *, quiet_after_ms: int = 0) -> Processor:
    return Processor(
        records=records,
        decoder=MentionDecoder(max_text_chars=4000, max_future_ms=3_600_000),
        scorer=LexiconToneScorer(),
        metrics=Metrics(CollectorRegistry()),
        detection=DetectionSettings(),
        source="tocsin://test",
        quiet_after_ms=quiet_after_ms,
        clock_ms=lambda: T0 + 10 * 86_400_000,
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
    expect = {"command": "expect", "command_id": "c", "brand": "umbrella", "from_ms": T0,
              "to_ms": T0 + 1, "kind": "campaign", "at": T0}  # fmt: skip
    command = Message("tocsin-commands", 0, 6, T0, b"umbrella", msgspec.json.encode(expect))
    assert [dl.reason for dl in processor.process([command]).deadletters] == ["brand_limit"]
    assert set(records) == {"acme", "globex"}
    refused = registry.get_sample_value("tocsin_mentions_invalid_total", {"reason": "brand_limit"})
    assert refused == 4


# -- quiet brands ------------------------------------------------------------------
QUIET_MS = 15 * 60_000


def arriving(per_brand: dict[str, list[dict]], *, lag_ms: dict[str, int]) -> list[Message]:
    """Messages as a live topic gets them: mentions in arrival order (a brand's
    arrive ``lag_ms`` after their date), a brand's mentions arriving within 10 s in
    one message (a producer's linger), stamped with the arrival of its newest."""
    arrivals = sorted(
        ((m["ts"] + lag_ms.get(b, 1_000), m) for b, ms in per_brand.items() for m in ms),
        key=lambda am: am[0],
    )
    open_: dict[str, list[tuple[int, dict]]] = {}
    out: list[Message] = []

    def send(brand: str) -> None:
        chunk = open_.pop(brand)
        value = msgspec.json.encode([m for _, m in chunk])
        out.append(Message("mentions", 0, len(out), chunk[-1][0], brand.encode(), value))

    for at, m in arrivals:
        for brand in [b for b, chunk in open_.items() if at - chunk[0][0] >= 10_000]:
            send(brand)
        open_.setdefault(m["brand"], []).append((at, m))
    for brand in list(open_):
        send(brand)
    return out


def run_quiet(
    records: dict, messages: list[Message], *, quiet_after_ms: int, tracked: tuple[str, ...] = ()
) -> tuple[list[dict], Processor, list]:
    """Alerts and incident events of processing in takes of 20; the processor; the outputs."""
    processor = make_processor(records, quiet_after_ms=quiet_after_ms)
    for brand in tracked:  # as the agent does for the records it recovers
        processor.track(brand, 0)
    sent, outs = [], []
    for i in range(0, len(messages), 20):
        out = processor.process(messages[i : i + 20])
        outs.append(out)
        sent += [{**json.loads(m.value), "emitted_at": None} for _, m in out.pending]
        for brand in {b for b, _ in out.pending}:
            records[brand].outbox.clear()
    return sent, processor, outs


def crisis_then_silence() -> dict[str, list[dict]]:
    """acme: a calm day and a half, a crisis, then no mention at all; globex, on the
    same partition, goes on for four more hours."""
    acme = baseline_then_burst("acme", days=1.5, seed=4)
    minutes = int(1.5 * 1440) + 20 + 5 + 240
    return {"acme": acme, "globex": stream("globex", minutes=minutes, rate_per_min=3, seed=9)}


def test_a_brand_whose_mentions_stop_falls_back_to_calm() -> None:
    """Its partition's time closes its bins: the level falls, the incident resolves,
    and the gauge follows, without waiting for the brand's next mention."""
    messages = arriving(crisis_then_silence(), lag_ms={})
    never, _, outs_never = run_quiet({}, messages, quiet_after_ms=0)
    quiet, processor, outs = run_quiet({}, messages, quiet_after_ms=QUIET_MS)
    levels = [a["level"] for a in quiet if a["brand"] == "acme" and "alert_id" in a]
    stuck = [a["level"] for a in never if a["brand"] == "acme" and "alert_id" in a]
    assert max(stuck) >= 2 and stuck[-1] >= 2  # without: the crisis stays
    assert levels[: len(stuck)] == stuck and levels[-1] == 0  # with: the same, then calm
    types = [e.get("type") for e in quiet if e["brand"] == "acme" and "event_id" in e]
    assert "resolved" in types and "resolved" not in [
        e.get("type") for e in never if e["brand"] == "acme" and "event_id" in e
    ]
    registry = processor.metrics.registry
    assert registry.get_sample_value("tocsin_brand_level", {"brand": "acme"}) == 0
    assert sum(o.late for o in outs) == sum(o.late for o in outs_never) == 0
    # The newest mention time stays the brand's own (the event-time lag gauge).
    assert processor.watermarks["acme"] == max(m["ts"] for m in crisis_then_silence()["acme"])


def test_a_brand_that_still_arrives_late_is_not_advanced() -> None:
    """A collector 40 minutes behind the others still delivers: its mentions are
    not quiet, so none of them is counted late."""
    per_brand = crisis_then_silence()
    per_brand["initech"] = stream("initech", minutes=2000, rate_per_min=0.2, seed=11)
    messages = arriving(per_brand, lag_ms={"initech": 40 * 60_000})
    _, _, outs = run_quiet({}, messages, quiet_after_ms=QUIET_MS)
    assert sum(o.late for o in outs) == 0
    records: dict = {}
    run_quiet(records, messages, quiet_after_ms=QUIET_MS)
    assert records["initech"].state.bins.accepted_total == len(per_brand["initech"])


def test_an_advance_with_nothing_to_send_is_redone_after_a_restart() -> None:
    """A quiet brand's advance is written only with an alert or incident event;
    a worker restarting from the record written before it sends the same alerts."""
    messages = arriving(crisis_then_silence(), lag_ms={})
    full = run_quiet({}, messages, quiet_after_ms=QUIET_MS)[0]
    # Restart from the records as they stood when acme's last mention was applied.
    last = max(i for i, m in enumerate(messages) if m.key == b"acme")
    cut = (last // 20 + 1) * 20
    records: dict = {}
    before, _, _ = run_quiet(records, messages[:cut], quiet_after_ms=QUIET_MS)
    saved = pickle.loads(pickle.dumps(records))
    after = run_quiet(saved, messages[cut:], quiet_after_ms=QUIET_MS, tracked=("acme",))[0]
    assert [a for a in before + after if a["brand"] == "acme"] == [
        a for a in full if a["brand"] == "acme"
    ]
    # After acme's last mention: the batches that moved its watermark without sending
    # anything for it did not mark it to write; those that sent something did.
    records = {}
    processor = run_quiet(records, messages[:cut], quiet_after_ms=QUIET_MS)[1]
    silent, loud = 0, 0
    for i in range(cut, len(messages), 20):
        before_ms = records["acme"].state.bins.watermark_ms
        out = processor.process(messages[i : i + 20])
        records["acme"].outbox.clear()
        if any(b == "acme" for b, _ in out.pending):
            loud += 1
            assert "acme" in out.dirty
        elif records["acme"].state.bins.watermark_ms > before_ms:
            silent += 1
            assert "acme" not in out.dirty
    assert silent >= 10 and loud >= 2
