"""Scale a scenario to K synthetic brands, or to denser traffic, for throughput benchmarks."""

from __future__ import annotations

import math
from dataclasses import replace

from streams.drills.model import Event, Scenario

_HOUR_MS = 3_600_000

__all__ = ["scale_brands", "scale_rates"]


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


def scale_rates(scenario: Scenario, *, factor: float) -> Scenario:
    """Return ``scenario`` with every brand's baseline rate times ``factor``, shortened as much.

    The drill keeps its start and lasts ``factor`` times less, but never less than
    an hour nor longer than it was: a denser stream with fewer brand-bins per
    mention, for throughput runs. Events keep their own times (their peaks, multiples
    of the brand's rate, scale along), so those past the new end are cut off, and
    the shortened drill holds about as many mentions as the original's calm traffic did
    (fewer when the original's crisis is cut off).

    Parameters
    ----------
    scenario
        The scenario to scale.
    factor
        Rate multiplier (> 0).

    Raises
    ------
    ValueError
        When ``factor`` is not a finite number > 0.

    Examples
    --------
    >>> from streams.drills import load_scenario
    >>> sc = load_scenario("product-recall")
    >>> dense = scale_rates(sc, factor=10)
    >>> dense.brands[0].baseline.rate_per_hour / sc.brands[0].baseline.rate_per_hour
    10.0
    >>> dense.duration_ms * 10 == sc.duration_ms, dense.start_ms == sc.start_ms
    (True, True)
    """
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"factor={factor!r} is not valid; valid values: a number > 0")
    brands = tuple(
        replace(b, baseline=replace(b.baseline, rate_per_hour=b.baseline.rate_per_hour * factor))
        for b in scenario.brands
    )
    span = min(scenario.duration_ms, max(_HOUR_MS, round(scenario.duration_ms / factor)))
    return replace(scenario, brands=brands, end_ms=scenario.start_ms + span)
