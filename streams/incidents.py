"""Incident lifecycle events as messages on the incidents topic, and brand-minute records.

Incident events (opened, escalated, de_escalated, resolved, acknowledged,
response_impact, inside_rising, offline_recommended) are JSON described by
``schemas/incident.schema.json``, keyed by brand, with CloudEvents binary-mode
headers (``ce_id`` = ``event_id``). Every event carries the incident's state at
that time: when it opened, its peak level, its acknowledgements.

The record (``brand-minutes`` topic, ``schemas/brand-minutes.schema.json``): per
brand and processing batch, one message with the minutes (closed bins) it
closed: volume, reach, tone, level, incident, top terms.
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec

from detectors.bins import (
    AGGRESSIVE,
    COUNT,
    EMPLOYEE,
    MEDIA,
    NEGATIVE,
    OFFICIAL,
    REACH,
    SENTIMENT,
)
from detectors.fusion import LEVEL_NAMES
from detectors.incidents import EventType, Incident, IncidentEvent, ResponseImpact, Verdict
from detectors.state import MinuteRecord
from streams.alerts import Level, rfc3339

__all__ = [
    "MINUTES_PER_MESSAGE",
    "AckInfo",
    "BrandMinutes",
    "IncidentMessage",
    "Minute",
    "ResponseInfo",
    "incident_headers",
    "incident_message",
    "minutes_message",
    "minutes_messages",
]

SCHEMA_VERSION: Final = "1.0"
CE_TYPE: Final = "io.tocsin.incident"


class AckInfo(msgspec.Struct, frozen=True):
    """An acknowledgement: who, when (RFC 3339), and what they said."""

    by: str
    at: str
    note: str


class ResponseInfo(msgspec.Struct, frozen=True):
    """An official response and how the flow reacted (windows before and after it)."""

    response_id: str
    response_time: str
    posts: int
    text: str
    verdict: Verdict
    window_minutes: float
    before_mentions: float
    after_mentions: float
    predicted_after_mentions: float
    before_negative_share: float
    after_negative_share: float
    before_aggressive_share: float
    after_aggressive_share: float


class InsideInfo(msgspec.Struct, frozen=True):
    """Employees posting clearly more than their normal during the incident."""

    employee_posts: float
    expected_posts: float
    employee_share: float
    employee_mention_ids: list[str]


class OfflineInfo(msgspec.Struct, frozen=True):
    """Why taking the conversation offline is recommended."""

    reasons: list[str]


class IncidentMessage(msgspec.Struct, frozen=True):
    """A lifecycle event of an incident."""

    schema_version: str
    event_id: Annotated[str, msgspec.Meta(description="Deterministic: same input, same id.")]
    type: EventType
    incident_id: str
    brand: str
    event_time: str
    emitted_at: str
    level: Level
    level_name: str
    previous_level: Level
    opened_at: str
    peak_level: Level
    resolved_at: str | None
    acknowledged: bool
    acknowledgements: list[AckInfo]
    responses: int
    response: ResponseInfo | None = None
    inside: InsideInfo | None = None
    offline: OfflineInfo | None = None


def _response(impact: ResponseImpact) -> ResponseInfo:
    return ResponseInfo(
        response_id=impact.response_id,
        response_time=rfc3339(impact.response_ms),
        posts=impact.posts,
        text=impact.text,
        verdict=impact.verdict,
        window_minutes=impact.window_ms / 60_000,
        before_mentions=impact.before_mentions,
        after_mentions=impact.after_mentions,
        predicted_after_mentions=impact.predicted_after_mentions,
        before_negative_share=impact.before_negative_share,
        after_negative_share=impact.after_negative_share,
        before_aggressive_share=impact.before_aggressive_share,
        after_aggressive_share=impact.after_aggressive_share,
    )


def incident_message(
    event: IncidentEvent, incident: Incident | None, *, emitted_at_ms: int
) -> IncidentMessage:
    """The message for an incident event (``incident``: its state, when known; the
    event's own copy, as it stood when the event happened, comes first)."""
    if event.incident is not None:
        incident = event.incident
    d = event.details
    response = d.get("response")
    inside = None
    if event.type == "inside_rising":
        inside = InsideInfo(
            employee_posts=float(d["employee_posts"]),  # type: ignore[arg-type]
            expected_posts=float(d["expected_posts"]),  # type: ignore[arg-type]
            employee_share=float(d["employee_share"]),  # type: ignore[arg-type]
            employee_mention_ids=list(d["employee_mention_ids"]),  # type: ignore[call-overload]
        )
    offline = None
    if event.type == "offline_recommended":
        offline = OfflineInfo(reasons=list(d["reasons"]))  # type: ignore[call-overload]
    acks = incident.acknowledgements if incident else []
    return IncidentMessage(
        schema_version=SCHEMA_VERSION,
        event_id=event.event_id,
        type=event.type,
        incident_id=event.incident_id,
        brand=event.brand,
        event_time=rfc3339(event.event_time_ms),
        emitted_at=rfc3339(emitted_at_ms),
        level=event.level,
        level_name=LEVEL_NAMES[event.level],
        previous_level=event.previous_level,
        opened_at=rfc3339(incident.opened_ms) if incident else "",
        peak_level=incident.peak_level if incident else event.level,
        resolved_at=rfc3339(incident.resolved_ms) if incident and incident.resolved_ms else None,
        acknowledged=bool(acks),
        acknowledgements=[AckInfo(by=a.by, at=rfc3339(a.at_ms), note=a.note) for a in acks],
        responses=incident.responses if incident else 0,
        response=_response(response) if isinstance(response, ResponseImpact) else None,
        inside=inside,
        offline=offline,
    )


class Minute(msgspec.Struct, frozen=True, array_like=True):
    """One closed bin (encoded as a JSON array, in this field order)."""

    start: int  # epoch ms
    mentions: int
    expected: float  # the brand's normal volume for this minute
    reach: float
    negative: int
    aggressive: int
    employee: int
    official: int
    media: int
    sentiment_mean: float
    level: Level
    incident_id: str | None
    top_terms: list[str]


class BrandMinutes(msgspec.Struct, frozen=True):
    """Minutes of a brand closed by one processing batch (six hours at most per message)."""

    schema_version: str
    brand: str
    bin_ms: int
    minutes: list[Minute]


#: Minutes per ``brand-minutes`` message at most: six hours of one-minute bins, about
#: 300 kilobytes at worst (five terms of ``detectors.terms.MAX_TERM_CHARS`` per minute),
#: far below ``max_message_bytes``.
MINUTES_PER_MESSAGE: Final = 360


def minutes_messages(brand: str, bin_ms: int, minutes: list[MinuteRecord]) -> list[BrandMinutes]:
    """The record messages of a brand's closed bins, oldest first."""
    return [
        minutes_message(brand, bin_ms, minutes[i : i + MINUTES_PER_MESSAGE])
        for i in range(0, len(minutes), MINUTES_PER_MESSAGE)
    ]


def minutes_message(brand: str, bin_ms: int, minutes: list[MinuteRecord]) -> BrandMinutes:
    """The record message of a brand's closed bins."""
    out = []
    for m in minutes:
        v = m.values
        n = v[COUNT]
        out.append(
            Minute(
                start=m.start_ms,
                mentions=int(n),
                expected=round(m.expected, 3),
                reach=v[REACH],
                negative=int(v[NEGATIVE]),
                aggressive=int(v[AGGRESSIVE]),
                employee=int(v[EMPLOYEE]),
                official=int(v[OFFICIAL]),
                media=int(v[MEDIA]),
                sentiment_mean=round(v[SENTIMENT] / n, 4) if n else 0.0,
                level=m.level,
                incident_id=m.incident_id,
                top_terms=list(m.top_terms),
            )
        )
    return BrandMinutes(schema_version=SCHEMA_VERSION, brand=brand, bin_ms=bin_ms, minutes=out)


def incident_headers(message: IncidentMessage, *, source: str) -> list[tuple[str, bytes]]:
    """CloudEvents 1.0 Kafka binary-mode headers of an incident event."""
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", message.event_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", f"{CE_TYPE}.{message.type}".encode()),
        ("ce_time", message.emitted_at.encode()),
        ("ce_subject", message.incident_id.encode()),
        ("content-type", b"application/json"),
    ]
