"""The mention: Tocsin's input record, as typed msgspec structures.

One definition serves three purposes: msgspec decodes and validates incoming
JSON against it in C, ``schemas/mention.schema.json`` is generated from it
(``tocsin schema mention``; a test keeps the committed file equal to the
generated one), and producers encode with it.

A Kafka message on the mentions topic carries either one mention (a JSON
object) or a batch of mentions of one brand (a JSON array of objects); the key
is the brand in both cases.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal

import msgspec

__all__ = [
    "AUTHOR_KINDS",
    "MAX_TEXT_BYTES",
    "MIN_TS_MS",
    "Author",
    "AuthorKind",
    "BrandName",
    "EpochMs",
    "Mention",
    "event_time_ms",
]

#: Who wrote a mention. ``official`` is the company's own account (its
#: responses), ``employee`` someone who works there.
AuthorKind = Literal["public", "employee", "official", "media", "unknown"]
AUTHOR_KINDS: Final[tuple[str, ...]] = ("public", "employee", "official", "media", "unknown")

#: Texts longer than this (in UTF-8 bytes... approximated by characters) are
#: refused outright; the worker truncates shorter but still long texts to
#: ``Settings.max_text_chars`` and flags them.
MAX_TEXT_BYTES: Final = 100_000

#: 2000-01-01T00:00:00Z: an earlier event time is absurd for a social mention.
MIN_TS_MS: Final = 946_684_800_000

_Id = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
#: A brand's name, as mentions, commands and Kafka keys carry it.
BrandName = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=128,
        pattern=r"^[^\s\x00-\x1f]+$",
        description="The watched brand; also the Kafka key.",
    ),
]
#: A time in epoch milliseconds, from 2000 to the end of the year 9999.
EpochMs = Annotated[
    int,
    msgspec.Meta(ge=MIN_TS_MS, le=253_402_300_799_999, description="Epoch milliseconds, UTC."),
]
_Rfc3339 = Annotated[
    datetime,
    msgspec.Meta(tz=True, description="RFC 3339 date-time with an offset."),
]

_EventTime = EpochMs | _Rfc3339


def event_time_ms(value: object) -> int | None:
    """``value`` read as a mention's ``ts``, in epoch ms, or None when the schema refuses it.

    >>> event_time_ms("2026-01-01T00:00:00Z"), event_time_ms(1_767_225_600_000)
    (1767225600000, 1767225600000)
    >>> event_time_ms(5), event_time_ms("2026-01-01T00:00:00"), event_time_ms(True)
    (None, None, None)
    """
    try:
        ts = msgspec.convert(value, _EventTime)
    except msgspec.ValidationError:
        return None
    ms = ts if isinstance(ts, int) else int(ts.timestamp() * 1000)
    return ms if ms >= MIN_TS_MS else None


class Author(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """Who posted the mention."""

    id: _Id
    followers: Annotated[int, msgspec.Meta(ge=0, le=10_000_000_000)]
    kind: AuthorKind = "unknown"


class Mention(msgspec.Struct, frozen=True, forbid_unknown_fields=False):
    """One social-media post that mentions a brand."""

    id: _Id
    brand: BrandName
    ts: EpochMs | _Rfc3339
    text: Annotated[str, msgspec.Meta(max_length=MAX_TEXT_BYTES)]
    platform: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    author: Author
    lang: Annotated[str, msgspec.Meta(min_length=2, max_length=16)] | None = None
    sentiment: Annotated[float, msgspec.Meta(ge=-1.0, le=1.0)] | None = None
    reply_to: _Id | None = None
    share_of: _Id | None = None

    @property
    def ts_ms(self) -> int:
        """The event time in epoch milliseconds."""
        ts = self.ts
        if isinstance(ts, int):
            return ts
        return int(ts.timestamp() * 1000)
