"""Publishing mentions the way Tocsin reads them fastest: per-brand batches.

A Faust worker pays a fixed cost per Kafka message (about 140 us of CPU here),
whatever the message holds. A message carrying a JSON array of 500 mentions of
one brand costs the worker that once, instead of 500 times. Every producer in
Tocsin (``tocsin produce``, drills, replays, benchmarks) goes through
:class:`MentionProducer`, which keeps one buffer per brand and sends it when it
holds ``batch_max`` mentions or its oldest mention has waited ``linger_ms``.
With ``batch_max=1`` each mention is sent alone, as a JSON object. A batch also
stays under ``max_message_bytes`` (the topic's ``max.message.bytes``); a single
mention beyond it cannot be sent at all and is counted in ``too_large``, not
sent. A background timer sends the batches whose linger ran out even when no
new mention comes (slow input), and sends that fail are counted in ``failed``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec
from kafka import KafkaProducer

from streams.codec import DECODE_ERRORS, array_elements, repair_surrogates

__all__ = ["MentionProducer", "brand_of"]


class _BrandOnly(msgspec.Struct):
    brand: str


_brand_decoder = msgspec.json.Decoder(_BrandOnly)


def brand_of(raw: bytes) -> str | None:
    """The ``brand`` of a JSON mention, or None when it cannot be read.

    >>> brand_of(b'{"id": "1", "brand": "acme", "text": "..."}')
    'acme'
    >>> brand_of(b"not json") is None
    True
    >>> brand_of(b'{"brand": "ac\\xffme"}') is None
    True
    """
    try:
        return _brand_decoder.decode(raw).brand
    except DECODE_ERRORS:  # not JSON, no brand, invalid UTF-8 in it, nested too deep
        repaired = repair_surrogates(raw)  # or half an emoji, which the worker reads
        if repaired == raw:
            return None
        return brand_of(repaired)


class MentionProducer:
    """Per-brand batching producer for the mentions topic.

    Parameters
    ----------
    bootstrap_servers
        Kafka bootstrap servers (host:port).
    topic
        The mentions topic.
    batch_max
        Mentions per message at most (1: one mention per message, as a JSON object).
    linger_ms
        Longest time a mention waits in its brand's buffer.
    max_message_bytes
        Largest message sent (a batch is sent before it would grow past it).
    clock
        Monotonic clock in seconds (replaceable in tests).
    kafka_options
        Extra keyword arguments for :class:`kafka.KafkaProducer`.
    """

    def __init__(
        self,
        *,
        bootstrap_servers: list[str],
        topic: str,
        batch_max: int = 500,
        linger_ms: int = 200,
        max_message_bytes: int = 4_194_304,
        clock: Callable[[], float] = time.monotonic,
        kafka_options: Mapping[str, Any] | None = None,
    ) -> None:
        if batch_max < 1:
            raise ValueError(f"batch_max={batch_max!r} is not valid; valid values: >= 1")
        if linger_ms < 0:
            raise ValueError(f"linger_ms={linger_ms!r} is not valid; valid values: >= 0")
        if max_message_bytes < 1024:
            raise ValueError(
                f"max_message_bytes={max_message_bytes!r} is not valid; valid values: >= 1024"
            )
        self.topic = topic
        self.batch_max = batch_max
        self.linger_ms = linger_ms
        self.max_message_bytes = max_message_bytes
        # room for the record's key and framing, as Kafka counts a message's size
        self._max_value = max_message_bytes - 1024
        self._clock = clock
        options: dict[str, Any] = {
            "acks": "all",
            "linger_ms": 5,
            "batch_size": 1_048_576,
            "max_request_size": max(8_388_608, max_message_bytes + 4096),
        }
        options.update(kafka_options or {})
        self._kafka = KafkaProducer(bootstrap_servers=bootstrap_servers, **options)
        self._buffers: dict[str, list[bytes]] = {}
        self._sizes: dict[str, int] = {}
        self._since: dict[str, float] = {}
        self._lock = threading.Lock()
        self.messages = 0
        self.mentions = 0
        self.too_large = 0
        self.failed = 0
        self._closed = threading.Event()
        self._timer: threading.Thread | None = None
        if batch_max > 1:
            self._timer = threading.Thread(target=self._tick, name="mention-linger", daemon=True)
            self._timer.start()

    def send_raw(self, raw: bytes, *, brand: str | None = None) -> None:
        """Queue one mention given as JSON bytes (its brand is read when not given).

        A mention whose brand cannot be read is sent alone, keyless: the worker
        will refuse it to the dead-letter topic with its reason.
        """
        if brand is None:
            brand = brand_of(raw)
        if len(raw) + 2 > self._max_value:  # alone in its array, it is still too large
            with self._lock:
                self.too_large += 1
            return
        with self._lock:
            if brand is None or self.batch_max == 1:
                self._publish(brand, raw, 1)
                return
            buffer = self._buffers.get(brand)
            if buffer is not None and self._sizes[brand] + len(raw) + 1 > self._max_value:
                self._flush_brand(brand)  # the batch would grow past the largest message
                buffer = None
            if buffer is None:
                buffer = self._buffers[brand] = []
                self._sizes[brand] = 1  # "[" and "]" less the first ","
                self._since[brand] = self._clock()
            buffer.append(raw)
            self._sizes[brand] += len(raw) + 1
            if len(buffer) >= self.batch_max:
                self._flush_brand(brand)

    def send_line(self, line: bytes) -> None:
        """Queue a line of a JSON-lines file: one mention, or a JSON array of them
        (an export of the mentions topic), whose elements are sent one by one and
        batched again per brand. A line that cannot be split goes as it is."""
        if line.lstrip()[:1] == b"[":
            try:
                elements = array_elements(repair_surrogates(line), line)
            except DECODE_ERRORS:
                elements = []
            for element, _ in elements:  # sent as the line had it, half emojis included
                self.send_raw(element)
            if elements:
                return
        self.send_raw(line)

    def send(self, mention: Mapping[str, Any]) -> None:
        """Queue one mention given as a mapping (one whose brand is not a non-empty
        string is sent alone, keyless, for the worker to refuse)."""
        brand = mention.get("brand")
        self.send_raw(
            msgspec.json.encode(mention), brand=brand if isinstance(brand, str) and brand else None
        )

    def send_many(self, mentions: Iterable[Mapping[str, Any]]) -> None:
        """Queue mentions given as mappings, then send the batches whose linger expired."""
        for m in mentions:
            self.send(m)
        self.poll()

    def poll(self) -> None:
        """Send the batches whose oldest mention waited ``linger_ms`` or more (the
        timer does it too; calling it between mentions keeps the linger exact)."""
        with self._lock:
            if not self._since:
                return
            limit = self._clock() - self.linger_ms / 1000.0
            for brand in [b for b, t in self._since.items() if t <= limit]:
                self._flush_brand(brand)

    def flush(self, timeout_s: float | None = 60.0) -> None:
        """Send every buffered batch and wait until the broker has them."""
        with self._lock:
            for brand in list(self._buffers):
                self._flush_brand(brand)
        self._kafka.flush(timeout=timeout_s)

    def close(self) -> None:
        """Flush and close."""
        self._closed.set()
        if self._timer is not None:
            self._timer.join()
        try:
            self.flush()
        finally:
            self._kafka.close()

    def _tick(self) -> None:
        """Timer thread: send the batches whose linger ran out, while nothing is sent."""
        period = max(0.005, min(0.05, self.linger_ms / 4000.0))
        while not self._closed.wait(period):
            self.poll()

    def __enter__(self) -> MentionProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _flush_brand(self, brand: str) -> None:
        """Send the brand's batch (the caller holds the lock)."""
        buffer = self._buffers.pop(brand, None)
        self._since.pop(brand, None)
        self._sizes.pop(brand, None)
        if buffer:
            self._publish(brand, b"[" + b",".join(buffer) + b"]", len(buffer))

    def _publish(self, brand: str | None, value: bytes, n: int) -> None:
        key = None if brand is None else brand.encode("utf-8")
        future = self._kafka.send(self.topic, key=key, value=value)
        future.add_errback(self._on_error, n)
        self.messages += 1
        self.mentions += n

    def _on_error(self, n: int, exc: BaseException) -> None:
        """A send the broker refused, or that timed out: its mentions are counted
        (called from the Kafka client's thread)."""
        with self._lock:
            self.failed += n
