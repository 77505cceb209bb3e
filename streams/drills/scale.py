"""Scale a scenario to K synthetic brands, for throughput benchmarks."""

from __future__ import annotations

from dataclasses import replace

from streams.drills.model import Event, Scenario

__all__ = ["scale_brands"]


def scale_brands(scenario: Scenario, *, brands: int) -> Scenario:
    """Return ``scenario`` with ``brands`` brands, cloned in turn from its own.

    Clone ``i`` copies brand ``i % n`` (its baseline and texts) under the name
    ``<brand>-<i>`` (4 digits), and copies that brand's events (ids suffixed
    the same way), so the labelled events scale with the traffic.

    Parameters
    ----------
    scenario
        The scenario to scale.
    brands
        Number of brands wanted (>= 1).

    Raises
    ------
    ValueError
        When ``brands < 1``.

    Examples
    --------
    >>> from streams.drills import load_scenario
    >>> big = scale_brands(load_scenario("product-recall"), brands=5)
    >>> [b.name for b in big.brands][:3], len(big.events)
    (['laiterie-dupre-0000', 'fromagerie-vial-0001', 'laiterie-dupre-0002'], 3)
    """
    if brands < 1:
        raise ValueError(f"brands={brands} is not valid; need at least 1")
    templates = scenario.brands
    new_brands = []
    new_events: list[Event] = []
    for i in range(brands):
        template = templates[i % len(templates)]
        name = f"{template.name}-{i:04d}"
        new_brands.append(replace(template, name=name))
        new_events.extend(
            replace(event, id=f"{event.id}-{i:04d}", brand=name)
            for event in scenario.events
            if event.brand == template.name
        )
    events = sorted(new_events, key=lambda e: (e.start_ms, e.id))
    return replace(scenario, brands=tuple(new_brands), events=tuple(events))
