"""The worker's processing logic without Kafka: decoding, dedup by offset, outbox."""

from __future__ import annotations

import json

import msgspec
from prometheus_client import CollectorRegistry

from detectors.lexicon import LexiconToneScorer
from detectors.state import DetectionSettings
from streams.codec import MentionDecoder
from streams.metrics import Metrics
from streams.processor import Message, Processor
from tests.synthetic import T0, baseline_then_burst


def make_processor(records: dict) -> Processor:
    return Processor(
        records=records,
        decoder=MentionDecoder(max_text_chars=4000, max_future_ms=3_600_000),
        scorer=LexiconToneScorer(),
        metrics=Metrics(CollectorRegistry()),
        detection=DetectionSettings(),
        source="tocsin://test",
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
