"""Small seeded mention streams for tests (the drills generate the realistic ones)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from detectors.batch import MentionBatch

DAY_MS = 86_400_000
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z

CALM = ["Just bought the new {b} phone", "{b} customer service answered quickly", "News about {b}"]
ANGRY = [
    "{b} battery caught fire, this is a disgrace #recall",
    "Boycott {b}! Scam company, liars, shame on you #recall",
    "My {b} phone exploded, you idiots, refund now #recall",
]


def random_batch(
    rng: np.random.Generator,
    ts_ms: Sequence[int],
    *,
    id_prefix: str,
    max_followers: int = 10_000,
    authors: int = 500,
    text: str = "some text about the brand",
) -> MentionBatch:
    """Public mentions at ``ts_ms`` (in that order) with random followers (below
    ``max_followers``), sentiment in [-1, 1], aggression in [0, 1] and authors among
    ``authors``; ids are ``id_prefix`` and the position."""
    n = len(ts_ms)
    return MentionBatch.from_rows(
        ts_ms=list(ts_ms),
        followers=rng.integers(0, max_followers, n).tolist(),
        sentiment=rng.uniform(-1, 1, n).tolist(),
        aggression=rng.random(n).tolist(),
        kind=["public"] * n,
        ids=[f"{id_prefix}{i}" for i in range(n)],
        authors=[f"u{a}" for a in rng.integers(0, authors, n)],
        texts=[text] * n,
    )


def stream(
    brand: str,
    *,
    start_ms: int = T0,
    minutes: int,
    rate_per_min: float,
    negative: float = 0.1,
    aggressive: float = 0.0,
    seed: int = 0,
    id_prefix: str = "",
) -> list[dict[str, Any]]:
    """Mentions of one brand, in event-time order, with a daily rhythm."""
    rng = np.random.default_rng(seed)
    out: list[dict[str, Any]] = []
    for m in range(minutes):
        t = start_ms + m * 60_000
        hour = (t // 3_600_000) % 24
        daily = 0.6 + 0.8 * np.sin(np.pi * max(0, hour - 6) / 18) if hour >= 6 else 0.4
        n = int(rng.poisson(rate_per_min * daily))
        for i in range(n):
            is_neg = rng.random() < negative
            is_aggr = is_neg and rng.random() < (aggressive / max(negative, 1e-9))
            template = ANGRY if (is_neg or is_aggr) else CALM
            text = template[int(rng.integers(len(template)))].format(b=brand)
            out.append(
                {
                    "id": f"{id_prefix}{brand}-{m}-{i}",
                    "brand": brand,
                    "ts": int(t + rng.integers(0, 60_000)),
                    "text": text,
                    "platform": "twitter",
                    "author": {
                        "id": f"u{int(rng.integers(0, 2000))}",
                        "followers": int(rng.lognormal(5, 1.5)),
                        "kind": "public",
                    },
                    "lang": "en",
                    "sentiment": float(-0.8 if is_neg else rng.uniform(0.0, 0.6)),
                }
            )
    out.sort(key=lambda d: d["ts"])
    return out


def baseline_then_burst(
    brand: str,
    *,
    days: float = 2.0,
    rate_per_min: float = 6.0,
    burst_minutes: int = 20,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Calm days, then an angry burst ten times the normal rate."""
    calm_minutes = int(days * 1440)
    calm = stream(brand, minutes=calm_minutes, rate_per_min=rate_per_min, seed=seed)
    burst = stream(
        brand,
        start_ms=T0 + calm_minutes * 60_000,
        minutes=burst_minutes,
        rate_per_min=rate_per_min * 10,
        negative=0.8,
        aggressive=0.4,
        seed=seed + 1,
        id_prefix="burst-",
    )
    # a few calm minutes after, so the burst's bins close
    tail = stream(
        brand,
        start_ms=T0 + (calm_minutes + burst_minutes) * 60_000,
        minutes=5,
        rate_per_min=rate_per_min,
        seed=seed + 2,
        id_prefix="tail-",
    )
    return calm + burst + tail


def angry_minute(
    rng: np.random.Generator,
    t: int,
    n: int,
    *,
    angry: float,
    few: float = 0.0,
    official: bool = False,
) -> MentionBatch:
    """``n`` mentions in the minute starting at ``t``; a share ``few`` by three loud authors."""
    ts = (t + rng.integers(0, 60_000, n)).tolist()
    loud = rng.random(n) < few
    authors = [f"loud{i % 3}" if q else f"u{rng.integers(0, 5000)}" for i, q in enumerate(loud)]
    aggressive = rng.random(n) < angry
    kinds = ["public"] * n
    texts = ["avis"] * n
    if official:
        kinds[0], authors[0], texts[0] = "official", "brand", "We are sorry and we are on it."
    return MentionBatch.from_rows(
        ts_ms=ts,
        followers=rng.integers(10, 500, n).tolist(),
        sentiment=np.where(aggressive, -0.9, 0.1).tolist(),
        aggression=np.where(aggressive, 0.9, 0.0).tolist(),
        kind=kinds,
        ids=[f"m{t}-{i}" for i in range(n)],
        authors=authors,
        texts=texts,
    )
