"""The alert: one JSON message on the alerts topic per level change.

The value is plain JSON described by ``schemas/alert.schema.json`` (generated
from :class:`Alert`); the key is the brand. CloudEvents binary-mode headers
(``ce_specversion``, ``ce_id`` = ``alert_id``, ``ce_source``, ``ce_type``,
``ce_time``, ``ce_subject``, ``content-type``) let event routers handle alerts
without reading the value.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final, Literal

import msgspec

from detectors.fusion import LEVEL_NAMES
from detectors.state import LevelChange

__all__ = [
    "SCHEMA_VERSION",
    "Alert",
    "AlertAuthor",
    "AlertEvidence",
    "AlertReason",
    "AlertSignal",
    "Level",
    "alert_from_change",
    "cloudevent_headers",
    "ms_of",
    "rfc3339",
]

SCHEMA_VERSION: Final = "1.0"
CE_TYPE: Final = "io.tocsin.alert.level_changed"

LevelName = Literal["calm", "watch", "alert", "crisis"]
#: A crisis level in messages: 0 calm, 1 watch, 2 alert, 3 crisis.
Level = Annotated[int, msgspec.Meta(ge=0, le=3, description="0 calm, 1 watch, 2 alert, 3 crisis")]


class AlertSignal(msgspec.Struct, frozen=True):
    """A signal behind the level: measured value, the brand's normal, and the alarm line."""

    name: str
    value: float
    baseline: float
    #: The value at which the signal's score reaches its bar; null when no value
    #: could, with the counts at hand (a share over too few mentions).
    threshold: float | None
    score: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
    unit: str


class AlertReason(msgspec.Struct, frozen=True):
    """A rule condition that held: ``signal``'s score reached ``threshold``."""

    signal: str
    value: float
    threshold: float


class AlertAuthor(msgspec.Struct, frozen=True):
    """One of the authors reaching the most people in the evidence window."""

    author: str
    kind: str
    followers: int
    mentions: int
    reach: int


class AlertEvidence(msgspec.Struct, frozen=True):
    """The mentions behind the alert, summarised."""

    window_start: str
    window_end: str
    mentions: int
    negative: int
    aggressive: int
    employee: int
    official: int
    top_terms: list[str]
    top_authors: list[AlertAuthor]
    sample_mention_ids: Annotated[list[str], msgspec.Meta(max_length=10)]


class Alert(msgspec.Struct, frozen=True):
    """A change of a brand's crisis level (up or down), explained."""

    schema_version: str
    alert_id: Annotated[str, msgspec.Meta(description="Deterministic: same input, same id.")]
    brand: str
    level: Level
    level_name: LevelName
    previous_level: Level
    previous_level_name: LevelName
    event_time: Annotated[str, msgspec.Meta(description="End of the bin that changed the level.")]
    bin_start: str
    emitted_at: str
    signals: list[AlertSignal]
    reasons: list[AlertReason]
    evidence: AlertEvidence
    incident_id: Annotated[
        str | None, msgspec.Meta(description="The incident this level belongs to, if any.")
    ] = None


def rfc3339(ms: int) -> str:
    """Epoch milliseconds to an RFC 3339 UTC string.

    >>> rfc3339(1767225600000)
    '2026-01-01T00:00:00.000Z'
    """
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ms_of(stamp: str) -> int:
    """RFC 3339 to epoch milliseconds: the inverse of :func:`rfc3339`.

    >>> ms_of("2025-01-20T10:21:00.000Z"), ms_of(rfc3339(1767225600123))
    (1737368460000, 1767225600123)
    """
    return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)


def alert_from_change(change: LevelChange, *, emitted_at_ms: int) -> Alert:
    """Build the alert message for a level change."""
    ev = change.evidence
    return Alert(
        schema_version=SCHEMA_VERSION,
        alert_id=change.alert_id,
        brand=change.brand,
        level=change.level,
        level_name=LEVEL_NAMES[change.level],  # type: ignore[arg-type]
        previous_level=change.previous_level,
        previous_level_name=LEVEL_NAMES[change.previous_level],  # type: ignore[arg-type]
        event_time=rfc3339(change.event_time_ms),
        bin_start=rfc3339(change.bin_start_ms),
        emitted_at=rfc3339(emitted_at_ms),
        signals=[
            AlertSignal(
                name=s.name,
                value=round(s.value, 6),
                baseline=round(s.baseline, 6),
                threshold=None if s.threshold is None else round(s.threshold, 6),
                score=round(min(max(s.score, 0.0), 1.0), 6),
                unit=s.unit,
            )
            for s in change.signals
        ],
        reasons=[
            AlertReason(signal=r.signal, value=round(r.value, 6), threshold=round(r.threshold, 6))
            for r in change.reasons
        ],
        evidence=AlertEvidence(
            window_start=rfc3339(ev.window_start_ms),
            window_end=rfc3339(ev.window_end_ms),
            mentions=ev.mentions,
            negative=ev.negative,
            aggressive=ev.aggressive,
            employee=ev.employee,
            official=ev.official,
            top_terms=list(ev.top_terms),
            top_authors=[
                AlertAuthor(
                    author=a.author,
                    kind=a.kind,
                    followers=a.followers,
                    mentions=a.mentions,
                    reach=a.reach,
                )
                for a in ev.top_authors
            ],
            sample_mention_ids=list(ev.sample_ids),
        ),
        incident_id=change.incident_id,
    )


def cloudevent_headers(alert: Alert, *, source: str) -> list[tuple[str, bytes]]:
    """CloudEvents 1.0 Kafka binary-mode headers for ``alert``."""
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", alert.alert_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", CE_TYPE.encode()),
        ("ce_time", alert.emitted_at.encode()),
        ("ce_subject", alert.brand.encode()),
        ("content-type", b"application/json"),
    ]
