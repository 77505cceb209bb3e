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


def test_unacknowledged_incidents_by_level_and_by_brand() -> None:
    """Read at each scrape: a brand's series shows the level of its incident while it
    waits for an acknowledgement, 0 once acknowledged (or without one), so that an alert
    rule's ``for`` runs per brand and an acknowledgement ends it at once."""
    registry = CollectorRegistry()
    waiting: dict[str, int | None] = {"acme": 3, "globex": 3, "initech": 2, "umbrella": None}
    Metrics(registry).watch_incidents(lambda: dict(waiting))
    sample = registry.get_sample_value
    assert [sample("tocsin_incidents_unacknowledged", {"level": str(k)}) for k in range(4)] == [
        0,
        0,
        1,
        2,
    ]
    assert sample("tocsin_brand_unacknowledged_level", {"brand": "globex"}) == 3
    assert sample("tocsin_brand_unacknowledged_level", {"brand": "umbrella"}) == 0
    waiting["globex"] = None  # acknowledged
    assert sample("tocsin_brand_unacknowledged_level", {"brand": "globex"}) == 0
    assert sample("tocsin_incidents_unacknowledged", {"level": "3"}) == 1
