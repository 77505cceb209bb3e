"""MentionProducer on the embedded broker: every mention sent once, keyed by its brand,
in batches of one brand that stay under the largest message, within their linger."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from streams.tansu import EmbeddedBroker
from streams.topics import ensure_topics
from tests.kafka_helpers import isolated_settings, mention_producer, read_topic
from tests.synthetic import T0

pytestmark = pytest.mark.timeout(300)


def mention(i: int, brand: Any, text: str = "x") -> dict[str, Any]:
    return {"id": f"m{i}", "brand": brand, "ts": T0 + i, "text": text}


def sent(settings: Any) -> list[tuple[bytes | None, list[dict[str, Any]], int]]:
    """(key, mentions, size) of every message of the mentions topic."""
    out = []
    for r in read_topic(settings, settings.mentions_topic):
        doc = json.loads(r.value)
        out.append((r.key, doc if isinstance(doc, list) else [doc], len(r.value)))
    return out


def test_batches_stay_under_the_largest_message_and_lose_nothing(broker: EmbeddedBroker) -> None:
    """100 mentions of 90 kB for one brand (9 MB) and one of another: every mention
    arrives once, in messages of one brand under max_message_bytes. A mention too
    large to send even alone is counted, and the rest still go."""
    settings = isolated_settings(broker, "prod-size")
    ensure_topics(settings)
    big = "y" * 90_000
    with mention_producer(
        settings,
        batch_max=500,
        max_message_bytes=1_048_576,
    ) as producer:
        for i in range(100):
            producer.send(mention(i, "acme", big))
        producer.send(mention(100, "acme", "z" * 2_000_000))  # alone beyond the limit
        producer.send(mention(101, "other"))
    assert producer.too_large == 1 and producer.failed == 0
    messages = sent(settings)
    ids = sorted(m["id"] for _, ms, _ in messages for m in ms)
    assert ids == sorted(f"m{i}" for i in [*range(100), 101])
    assert all(size <= 1_048_576 - 1024 for _, _, size in messages)
    for key, ms, _ in messages:
        assert key is not None and {m["brand"] for m in ms} == {key.decode()}
    assert len([k for k, _, _ in messages if k == b"acme"]) >= 9


def test_a_mention_leaves_within_its_linger_without_further_input(
    broker: EmbeddedBroker,
) -> None:
    """Slow input (a live drill between two mentions, `tocsin produce -` on a quiet
    pipe): nothing else is sent or polled, yet the batch goes when its linger runs out."""
    settings = isolated_settings(broker, "prod-linger")
    ensure_topics(settings)
    producer = mention_producer(
        settings,
        batch_max=500,
        linger_ms=100,
    )
    try:
        producer.send(mention(1, "acme"))
        deadline = time.monotonic() + 5.0
        while producer.messages == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        waited = 5.0 - (deadline - time.monotonic())
        assert producer.messages == 1 and waited < 1.0, waited
    finally:
        producer.close()
    assert [(k, [m["id"] for m in ms]) for k, ms, _ in sent(settings)] == [(b"acme", ["m1"])]


def test_a_brand_that_is_not_a_string_is_sent_alone_and_keyless(broker: EmbeddedBroker) -> None:
    settings = isolated_settings(broker, "prod-brand")
    ensure_topics(settings)
    with mention_producer(settings, batch_max=10) as producer:
        for i, brand in enumerate([None, "None", 42, "42"]):
            producer.send(mention(i, brand))
    by_key = sorted(
        ((k, [m["brand"] for m in ms]) for k, ms, _ in sent(settings)), key=lambda kv: str(kv)
    )
    assert by_key == sorted(
        [(None, [None]), (None, [42]), (b"None", ["None"]), (b"42", ["42"])],
        key=lambda kv: str(kv),
    )


def test_lines_of_arrays_and_unreadable_brands_are_sent_and_keyed_right(
    broker: EmbeddedBroker,
) -> None:
    """``tocsin produce`` lines: an array (an export of the mentions topic) is split and
    each mention keyed by its brand; a brand with invalid UTF-8 in it, or an object
    nested past the decoder's depth, goes alone and keyless (the worker refuses it)
    instead of stopping the producer."""
    settings = isolated_settings(broker, "prod-lines")
    ensure_topics(settings)
    deep = b'{"brand": "acme", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    lines = [
        json.dumps([mention(0, "acme"), mention(1, "globex"), mention(2, "acme")]).encode(),
        b'{"id": "m3", "brand": "ac\xffme", "ts": 1, "text": "x"}',
        deep,
        json.dumps(mention(4, "globex")).encode(),
        b"[1, 2",
        # half an emoji (a lone surrogate escape), alone and in an array
        b'{"id": "m5", "brand": "acme", "ts": 1, "text": "cut \\ud83d"}',
        b'[{"id": "m6", "brand": "globex", "ts": 1, "text": "cut \\ud83d"}]',
    ]
    with mention_producer(settings, batch_max=10) as producer:
        for line in lines:
            producer.send_line(line)
    assert producer.failed == 0
    keyed: dict[bytes, list[str]] = {}
    keyless = []
    records = read_topic(settings, settings.mentions_topic)
    # an array's element goes as the line had it (half an emoji included)
    assert any(b'"m6"' in r.value and b"cut \\ud83d" in r.value for r in records)
    for r in records:
        if r.key is None:
            keyless.append(r.value)
        else:
            keyed[r.key] = sorted(keyed.get(r.key, []) + [m["id"] for m in json.loads(r.value)])
    assert keyed == {b"acme": ["m0", "m2", "m5"], b"globex": ["m1", "m4", "m6"]}
    assert sorted(keyless) == sorted([*lines[1:3], lines[4]])
