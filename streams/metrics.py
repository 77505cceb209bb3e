"""Prometheus metrics of a worker, built in one place on a given registry.

Names follow Prometheus practice: ``tocsin_`` prefix, base units (seconds),
``_total`` for counters. Labels are bounded: ``reason`` takes the values of
:data:`streams.codec.REASONS`, ``level`` 0-3, ``signal`` the four of :data:`SIGNALS`, and
``brand`` the watched brands (one series per brand and metric: size your
Prometheus for the number of brands you watch). Label children are resolved
once and cached; the hot path only calls ``inc``/``set``/``observe``.

Brand gauges that must stay true while nothing happens (event-time lag) are
computed at scrape time by a collector instead of being set on updates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from streams.codec import REASONS

__all__ = ["SIGNALS", "Metrics"]

#: Values of the ``signal`` label of ``tocsin_brand_score``.
SIGNALS: Final = ("volume_onset", "negative", "aggressive", "volume_growth")

_LATENCY_BUCKETS: Final = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
    600.0,
    1800.0,
)


@dataclass(frozen=True, slots=True)
class _BrandChildren:
    processed: Counter
    level: Gauge
    onset: Gauge
    negative: Gauge
    aggressive: Gauge
    growth: Gauge
    elevation: Gauge
    drift: Gauge
    negative_share: Gauge


class _WatermarkCollector(Collector):
    """``tocsin_event_time_lag_seconds{brand}``: wall clock minus the brand's watermark."""

    def __init__(self, watermarks: Callable[[], Mapping[str, int]]) -> None:
        self._watermarks = watermarks

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tocsin_event_time_lag_seconds",
            "Wall-clock time minus the brand's event-time watermark (newest mention time).",
            labels=["brand"],
        )
        now = time.time()
        for brand, wm_ms in sorted(self._watermarks().items()):
            family.add_metric([brand], now - wm_ms / 1000.0)
        yield family


class _ConsumerLagCollector(Collector):
    """``tocsin_consumer_lag_messages{partition}``: log end offset minus this worker's position."""

    def __init__(self, lag: Callable[[], Mapping[int, int]]) -> None:
        self._lag = lag

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "tocsin_consumer_lag_messages",
            "Messages of the mentions topic after this worker's committed offset, by partition.",
            labels=["partition"],
        )
        for partition, lag in sorted(self._lag().items()):
            family.add_metric([str(partition)], lag)
        yield family


class _UnacknowledgedCollector(Collector):
    """``tocsin_incidents_unacknowledged{level}``: open incidents nobody acknowledged,
    counted by level; ``tocsin_brand_unacknowledged_level{brand}``: the level of each,
    0 for the brands without one (a series per brand held, so that an alert rule's
    ``for`` runs per brand, and an acknowledgement ends it at once even in a rule that
    bridges the gap of a brand moving to another worker)."""

    def __init__(self, levels: Callable[[], Mapping[str, int | None]]) -> None:
        self._levels = levels

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = GaugeMetricFamily(
            "tocsin_incidents_unacknowledged",
            "Open incidents of this worker's brands that nobody acknowledged, by current level.",
            labels=["level"],
        )
        by_brand = GaugeMetricFamily(
            "tocsin_brand_unacknowledged_level",
            "Current level of the brand's open incident while nobody acknowledged it, else 0.",
            labels=["brand"],
        )
        levels = self._levels()
        for level in range(4):
            counts.add_metric([str(level)], sum(1 for v in levels.values() if v == level))
        for brand, waiting in sorted(levels.items()):
            by_brand.add_metric([brand], 0 if waiting is None else waiting)
        yield counts
        yield by_brand


class Metrics:
    """Every metric of a worker, registered on ``registry``.

    Examples
    --------
    >>> from prometheus_client import CollectorRegistry, generate_latest
    >>> reg = CollectorRegistry()
    >>> m = Metrics(reg)
    >>> m.processed("acme").inc(3)
    >>> m.invalid["not_json"].inc()
    >>> b"tocsin_mentions_processed_total{brand=\\"acme\\"} 3.0" in generate_latest(reg)
    True
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._processed = Counter(
            "tocsin_mentions_processed",
            "Mentions accepted into a brand's event-time bins.",
            ["brand"],
            registry=registry,
        )
        invalid = Counter(
            "tocsin_mentions_invalid",
            "Mentions or messages refused at the door and sent to the dead-letter topic.",
            ["reason"],
            registry=registry,
        )
        self.invalid = {reason: invalid.labels(reason=reason) for reason in REASONS}
        self.late = Counter(
            "tocsin_mentions_late",
            "Mentions dropped because their bin had closed (beyond the grace period).",
            registry=registry,
        )
        self.truncated = Counter(
            "tocsin_mentions_truncated",
            "Mentions whose text was cut to max_text_chars.",
            registry=registry,
        )
        self.quiet_bins = Counter(
            "tocsin_quiet_bins_closed",
            "Bins closed empty because their brand went quiet (no mention accepted for "
            "quiet_after_ms while it was above calm or had an incident open).",
            registry=registry,
        )
        self.duplicates = Counter(
            "tocsin_mentions_duplicate",
            "Mentions skipped because the brand's state already held them: a message "
            "redelivered after a restart, or a mention id sent again.",
            registry=registry,
        )
        alerts = Counter(
            "tocsin_alerts_emitted",
            "Alerts published, by the level they announce.",
            ["level"],
            registry=registry,
        )
        self.alerts = {level: alerts.labels(level=str(level)) for level in range(4)}
        self._level = Gauge(
            "tocsin_brand_level",
            "Current crisis level of the brand: 0 calm, 1 watch, 2 alert, 3 crisis.",
            ["brand"],
            registry=registry,
        )
        self._score = Gauge(
            "tocsin_brand_score",
            "Score in [0, 1] of a detection signal on the brand's last closed bin.",
            ["brand", "signal"],
            registry=registry,
        )
        self._elevation = Gauge(
            "tocsin_brand_volume_elevation",
            "Recent volume of the brand over its normal volume (1 is normal).",
            ["brand"],
            registry=registry,
        )
        self._drift = Gauge(
            "tocsin_brand_volume_drift",
            "The brand's volume over the last hour over its normal of the last week (1 is "
            "normal): a rise built up over days, which the elevation's one-day baseline follows.",
            ["brand"],
            registry=registry,
        )
        self._negative_share = Gauge(
            "tocsin_brand_negative_share",
            "Share of negative mentions in the brand's recent window.",
            ["brand"],
            registry=registry,
        )
        self.latency = Histogram(
            "tocsin_processing_latency_seconds",
            "From a message's Kafka timestamp to the end of its processing.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.batch_duration = Histogram(
            "tocsin_batch_duration_seconds",
            "Time to process one batch of Kafka messages.",
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.state_writes = Counter(
            "tocsin_state_records_written",
            "Brand records written to the state table's changelog.",
            registry=registry,
        )
        self.messages = Counter(
            "tocsin_messages_consumed",
            "Kafka messages consumed from the mentions topic.",
            registry=registry,
        )
        self.misrouted = Counter(
            "tocsin_messages_misrouted",
            "Keyed messages of the mentions topic on another partition than Kafka's "
            "default partitioner (murmur2 of the key) picks: the producer partitions "
            "otherwise, and the brand's commands reach another partition.",
            registry=registry,
        )
        self.stale_messages = Counter(
            "tocsin_messages_stale",
            "Kafka messages left unprocessed because a rebalance began after they were"
            " taken; they are read again from the committed offset by their partition's owner.",
            registry=registry,
        )
        self.incident_events = Counter(
            "tocsin_incident_events",
            "Incident lifecycle events published (opened, escalated, acknowledged, ...).",
            registry=registry,
        )
        self.assigned = Gauge(
            "tocsin_assigned_partitions",
            "Partitions of the mentions topic this worker processes (set after each rebalance).",
            registry=registry,
        )
        self.brands = Gauge(
            "tocsin_brands",
            "Brands whose state this worker holds.",
            registry=registry,
        )
        self._children: dict[str, _BrandChildren] = {}

    def _brand(self, brand: str) -> _BrandChildren:
        children = self._children.get(brand)
        if children is None:
            onset, negative, aggressive, growth = (
                self._score.labels(brand=brand, signal=s) for s in SIGNALS
            )
            children = self._children[brand] = _BrandChildren(
                processed=self._processed.labels(brand=brand),
                level=self._level.labels(brand=brand),
                onset=onset,
                negative=negative,
                aggressive=aggressive,
                growth=growth,
                elevation=self._elevation.labels(brand=brand),
                drift=self._drift.labels(brand=brand),
                negative_share=self._negative_share.labels(brand=brand),
            )
        return children

    def has_brand(self, brand: str) -> bool:
        """Whether the brand's series exist (its gauges were set since it came)."""
        return brand in self._children

    def processed(self, brand: str) -> Counter:
        """The brand's processed-mentions counter."""
        return self._brand(brand).processed

    def set_brand(
        self,
        brand: str,
        *,
        level: int,
        onset: float,
        elevation: float,
        negative: float,
        aggressive: float,
        growth: float,
        drift: float,
        negative_share: float,
    ) -> None:
        """Set the brand's gauges after an update."""
        c = self._brand(brand)
        c.level.set(level)
        c.onset.set(onset)
        c.elevation.set(elevation)
        c.negative.set(negative)
        c.aggressive.set(aggressive)
        c.growth.set(growth)
        c.drift.set(drift)
        c.negative_share.set(negative_share)

    def forget(self, brand: str) -> None:
        """Drop the brand's series (its partition went to another worker)."""
        children = self._children.pop(brand, None)
        if children is None:
            return
        self._processed.remove(brand)
        self._level.remove(brand)
        self._elevation.remove(brand)
        self._drift.remove(brand)
        self._negative_share.remove(brand)
        for signal in SIGNALS:
            self._score.remove(brand, signal)

    def watch_incidents(self, unacknowledged: Callable[[], Mapping[str, int | None]]) -> None:
        """Export open incidents without acknowledgement (``unacknowledged()``: brand ->
        the incident's current level, None without one), by level and by brand,
        computed at scrape time."""
        self.registry.register(_UnacknowledgedCollector(unacknowledged))

    def watch_consumer_lag(self, lag: Callable[[], Mapping[int, int]]) -> None:
        """Export the consumer lag ``lag()`` returns (partition -> messages), at scrape time."""
        self.registry.register(_ConsumerLagCollector(lag))

    def watch_watermarks(self, watermarks: Callable[[], Mapping[str, int]]) -> None:
        """Export the event-time lag of the brands ``watermarks()`` returns, at scrape time."""
        self.registry.register(_WatermarkCollector(watermarks))
