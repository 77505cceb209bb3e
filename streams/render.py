"""Alerts and figures as people read them in a terminal."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ALERT_HEADER", "alert_row", "progress_line"]

_LEVELS = ("calm", "watch", "alert", "crisis")

ALERT_HEADER = (
    f"{'event time (UTC)':<20} {'brand':<16} {'change':<17} "
    f"{'volume (expected)':<19} {'negative':<15} {'aggressive':<15} top terms"
)


def _signal(alert: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    for s in alert.get("signals", ()):
        if s.get("name") == name:
            return s  # type: ignore[no-any-return]
    return None


def alert_row(alert: Mapping[str, Any]) -> str:
    """One line per alert, aligned under :data:`ALERT_HEADER`.

    >>> row = alert_row({"event_time": "2026-03-02T10:05:00.000Z", "brand": "acme",
    ...     "level": 2, "previous_level": 1,
    ...     "signals": [{"name": "volume", "value": 180, "baseline": 12.5},
    ...                 {"name": "negative_share", "value": 0.62, "baseline": 0.1}],
    ...     "evidence": {"top_terms": ["recall", "battery"]}})
    >>> row.split()[:5]
    ['2026-03-02', '10:05', 'acme', 'watch', '->']
    """
    volume = _signal(alert, "volume")
    neg = _signal(alert, "negative_share")
    agg = _signal(alert, "aggressive_share")
    when = str(alert.get("event_time", ""))[:16].replace("T", " ")
    change = f"{_LEVELS[alert['previous_level']]} -> {_LEVELS[alert['level']]}"
    vol = f"{volume['value']:.0f} ({volume['baseline']:.1f})" if volume else "-"
    negs = f"{neg['value']:.0%} ({neg['baseline']:.0%})" if neg else "-"
    aggs = f"{agg['value']:.0%} ({agg['baseline']:.0%})" if agg else "-"
    terms = ", ".join(alert.get("evidence", {}).get("top_terms", [])[:4])
    return f"{when:<20} {alert['brand']:<16} {change:<17} {vol:<19} {negs:<15} {aggs:<15} {terms}"


def progress_line(done: int, total: int | None, elapsed_s: float, *, unit: str = "mentions") -> str:
    """A one-line progress bar.

    >>> progress_line(500, 1000, 2.0)
    '[##########..........]  50%  500/1,000 mentions  250/s'
    """
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    if total:
        frac = min(1.0, done / total)
        filled = int(frac * 20)
        bar = "#" * filled + "." * (20 - filled)
        return f"[{bar}] {frac:4.0%}  {done:,}/{total:,} {unit}  {rate:,.0f}/s"
    return f"{done:,} {unit}  {rate:,.0f}/s"
