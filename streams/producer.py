"""Publishing mentions the way Tocsin reads them fastest: per-brand batches.

A Faust worker pays a fixed cost per Kafka message (about 140 us of CPU here),
whatever the message holds. A message carrying a JSON array of 500 mentions of
one brand costs the worker that once, instead of 500 times. Every producer in
Tocsin (``tocsin produce``, drills, replays, benchmarks) goes through
:class:`MentionProducer`, which keeps one buffer per brand and sends it when it
holds ``batch_max`` mentions or its oldest mention has waited ``linger_ms``.
With ``batch_max=1`` each mention is sent alone, as a JSON object.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec
from kafka import KafkaProducer

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
    """
    try:
        return _brand_decoder.decode(raw).brand
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


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
        clock: Callable[[], float] = time.monotonic,
        kafka_options: Mapping[str, Any] | None = None,
    ) -> None:
        if batch_max < 1:
            raise ValueError(f"batch_max={batch_max!r} is not valid; valid values: >= 1")
        self.topic = topic
        self.batch_max = batch_max
        self.linger_ms = linger_ms
        self._clock = clock
        options: dict[str, Any] = {
            "acks": "all",
            "linger_ms": 5,
            "batch_size": 1_048_576,
            "max_request_size": 8_388_608,
        }
        options.update(kafka_options or {})
        self._kafka = KafkaProducer(bootstrap_servers=bootstrap_servers, **options)
        self._buffers: dict[str, list[bytes]] = {}
        self._since: dict[str, float] = {}
        self.messages = 0
        self.mentions = 0

    def send_raw(self, raw: bytes, *, brand: str | None = None) -> None:
        """Queue one mention given as JSON bytes (its brand is read when not given).

        A mention whose brand cannot be read is sent alone, keyless: the worker
        will refuse it to the dead-letter topic with its reason.
        """
        if brand is None:
            brand = brand_of(raw)
        if brand is None:
            self._publish(None, raw, 1)
            return
        if self.batch_max == 1:
            self._publish(brand, raw, 1)
            return
        buffer = self._buffers.get(brand)
        if buffer is None:
            buffer = self._buffers[brand] = []
            self._since[brand] = self._clock()
        buffer.append(raw)
        if len(buffer) >= self.batch_max:
            self._flush_brand(brand)

    def send(self, mention: Mapping[str, Any]) -> None:
        """Queue one mention given as a mapping."""
        self.send_raw(msgspec.json.encode(mention), brand=str(mention.get("brand", "")) or None)

    def send_many(self, mentions: Iterable[Mapping[str, Any]]) -> None:
        """Queue mentions given as mappings, then send the batches whose linger expired."""
        for m in mentions:
            self.send(m)
        self.poll()

    def poll(self) -> None:
        """Send the batches whose oldest mention waited ``linger_ms`` or more."""
        if not self._since:
            return
        limit = self._clock() - self.linger_ms / 1000.0
        for brand in [b for b, t in self._since.items() if t <= limit]:
            self._flush_brand(brand)

    def flush(self, timeout_s: float | None = 60.0) -> None:
        """Send every buffered batch and wait until the broker has them."""
        for brand in list(self._buffers):
            self._flush_brand(brand)
        self._kafka.flush(timeout=timeout_s)

    def close(self) -> None:
        """Flush and close."""
        self.flush()
        self._kafka.close()

    def __enter__(self) -> MentionProducer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _flush_brand(self, brand: str) -> None:
        buffer = self._buffers.pop(brand, None)
        self._since.pop(brand, None)
        if buffer:
            self._publish(brand, b"[" + b",".join(buffer) + b"]", len(buffer))

    def _publish(self, brand: str | None, value: bytes, n: int) -> None:
        key = None if brand is None else brand.encode("utf-8")
        self._kafka.send(self.topic, key=key, value=value)
        self.messages += 1
        self.mentions += n
