"""The worker's metrics: per-brand series come and go with the brand."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from streams.metrics import Metrics


def brand_series(registry: CollectorRegistry, brand: str) -> set[str]:
    return {
        sample.name
        for family in registry.collect()
        for sample in family.samples
        if sample.labels.get("brand") == brand
    }


def test_forget_removes_every_series_of_the_brand_and_only_its_own() -> None:
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    for brand in ("acme", "globex"):
        metrics.processed(brand).inc()
        metrics.set_brand(
            brand,
            level=2,
            onset=0.7,
            elevation=3.0,
            negative=0.95,
            aggressive=0.1,
            growth=0.4,
            drift=2.0,
            negative_share=0.6,
        )
    kept = brand_series(registry, "globex")
    assert "tocsin_brand_volume_drift" in brand_series(registry, "acme")
    metrics.forget("acme")
    assert brand_series(registry, "acme") == set()
    assert brand_series(registry, "globex") == kept
