"""Decoding and validation at the door: Kafka message bytes to mentions or rejects.

A message value is either one mention (a JSON object) or a batch of mentions of
one brand (a JSON array of objects); the Kafka key is the brand. A batch is
decoded and validated in one C call when it is all valid; otherwise it is split
into its elements, each decoded on its own, and every invalid element becomes a
reject carrying its own original bytes, so the rest of the batch still counts.

Every reject has a *reason* from the closed list :data:`REASONS` (the values of
the ``reason`` label of ``tocsin_mentions_invalid_total``).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Final, Literal, get_args

import msgspec

from streams.mention import MIN_TS_MS, Mention

__all__ = [
    "DECODE_ERRORS",
    "REASONS",
    "Decoded",
    "MentionDecoder",
    "Reason",
    "Reject",
    "array_elements",
    "repair_surrogates",
]

Reason = Literal[
    "not_json",
    "wrong_shape",
    "missing_field",
    "wrong_type",
    "bad_value",
    "bad_timestamp",
    "timestamp_out_of_range",
    "too_large",
    "key_mismatch",
    "empty_batch",
    "bad_command",
    "brand_limit",
]
#: Every reason a mention can be refused for.
REASONS: Final[tuple[Reason, ...]] = get_args(Reason)


@dataclass(frozen=True, slots=True)
class Reject:
    """A refused message or batch element, with its original bytes."""

    reason: Reason
    detail: str
    exception: str
    raw: bytes
    index: int | None  # position in a batch; None for a whole message


@dataclass(frozen=True, slots=True)
class Decoded:
    """Valid mentions of a message, the rejects, and how many texts were truncated."""

    mentions: list[Mention]
    rejects: list[Reject]
    truncated: int
    batch: bool


_TIMESTAMP_PATH = re.compile(r"at `\$(\[\d+\])?\.ts`")

# A \uD800-\uDFFF escape without its other half (JSON allows it, msgspec refuses it):
# what a collector writes when it cuts a text in the middle of an emoji. Only escapes
# that start after an even run of backslashes are escapes.
_SURROGATE = re.compile(
    rb"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})(\\ud[c-f][0-9a-f]{2})?"
    rb"|(?<!\\)((?:\\\\)*)\\ud[c-f][0-9a-f]{2}",
    re.IGNORECASE,
)


def _replace_half(match: re.Match[bytes]) -> bytes:
    if match.group(2) is not None:
        if match.group(3) is not None:
            return match.group(0)  # a pair: an emoji
        return match.group(1) + b"\\ufffd"
    return match.group(4) + b"\\ufffd"


def repair_surrogates(value: bytes) -> bytes:
    """``value`` with each lone UTF-16 surrogate escape replaced by ``\\ufffd`` (same
    length, so every element keeps its offsets).

    >>> repair_surrogates(rb'{"text":"cut \\ud83d"}')
    b'{"text":"cut \\\\ufffd"}'
    >>> repair_surrogates(rb'["\\ud83d\\ude00", "\\\\ud83d", "\\ude00"]')
    b'["\\\\ud83d\\\\ude00", "\\\\\\\\ud83d", "\\\\ufffd"]'
    """
    if b"\\u" not in value:
        return value
    return _SURROGATE.sub(_replace_half, value)


_RAWS: Final = msgspec.json.Decoder(list[msgspec.Raw])


def array_elements(value: bytes, original: bytes | None = None) -> list[tuple[bytes, bytes]]:
    r"""The elements of a JSON array: (original bytes, bytes to decode), ``value``
    being ``original`` with its lone surrogates repaired (:func:`repair_surrogates`
    keeps every length, so an element of ``value`` sits at the same offsets in
    ``original``). Raises what decoding raises.

    >>> line = rb'["cut \ud83d", 2]'
    >>> array_elements(repair_surrogates(line), line)
    [(b'"cut \\ud83d"', b'"cut \\ufffd"'), (b'2', b'2')]
    """
    raws = [bytes(r) for r in _RAWS.decode(value)]
    if original is None or original == value:
        return [(r, r) for r in raws]
    out = []
    at = 0
    for r in raws:  # between elements only "," and blanks: the first match is it
        at = value.find(r, at)
        out.append((original[at : at + len(r)], r))
        at += len(r)
    return out


#: What decoding untrusted bytes may raise: msgspec's errors (a ValidationError is a
#: DecodeError), invalid UTF-8 inside a JSON string, and nesting deeper than the
#: interpreter's recursion limit.
DECODE_ERRORS: Final = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


def classify(exc: Exception) -> Reason:
    """Map a decoding error (one of :data:`DECODE_ERRORS`) to a reason.

    >>> classify(msgspec.ValidationError("Object missing required field `brand`"))
    'missing_field'
    >>> classify(msgspec.ValidationError("Expected `int` >= 0 - at `$.author.followers`"))
    'bad_value'
    >>> classify(UnicodeDecodeError("utf-8", b"\\xff", 0, 1, "invalid start byte"))
    'not_json'
    >>> classify(RecursionError("maximum recursion depth exceeded"))
    'not_json'
    """
    if not isinstance(exc, msgspec.ValidationError):
        return "not_json"
    text = str(exc)
    on_ts = bool(_TIMESTAMP_PATH.search(text))
    if text.startswith("Object missing required field"):
        return "missing_field"
    if "RFC3339" in text or "timezone" in text:
        return "bad_timestamp"
    if on_ts and (">=" in text or "<=" in text):
        return "timestamp_out_of_range"
    if on_ts:
        return "bad_timestamp"
    if "length <=" in text and "text`" in text:
        return "too_large"
    if text.startswith("Expected `object`") or text.startswith("Expected `array`"):
        return "wrong_shape"
    if text.startswith("Expected `") and (
        ">=" in text or "<=" in text or "length" in text or "matching regex" in text
    ):
        return "bad_value"
    if text.startswith("Expected `"):
        return "wrong_type"
    return "bad_value"


class MentionDecoder:
    """Decode message values into valid mentions and rejects.

    Parameters
    ----------
    max_text_chars
        Longer texts are cut to this length and counted as truncated.
    max_future_ms
        A mention more than this after its Kafka record's timestamp is refused
        (``timestamp_out_of_range``): a clock far ahead would close every bin. So
        is one before 2000-01-01, in either timestamp form.

    Examples
    --------
    >>> d = MentionDecoder(max_text_chars=10, max_future_ms=3_600_000)
    >>> ok = (b'{"id":"1","brand":"acme","ts":1767225600000,"text":"a long text here",'
    ...       b'"platform":"x","author":{"id":"u","followers":3}}')
    >>> out = d.decode(b"acme", ok, record_ts_ms=1767225600000)
    >>> out.mentions[0].text, out.truncated
    ('a long tex', 1)
    >>> out = d.decode(b"acme", b"[" + ok + b", 42]", record_ts_ms=1767225600000)
    >>> len(out.mentions), [(r.reason, r.index, r.raw) for r in out.rejects]
    (1, [('wrong_shape', 1, b'42')])
    """

    def __init__(self, *, max_text_chars: int, max_future_ms: int) -> None:
        self.max_text_chars = max_text_chars
        self.max_future_ms = max_future_ms
        self._one = msgspec.json.Decoder(Mention)
        self._many = msgspec.json.Decoder(list[Mention])

    def decode(self, key: bytes | None, value: bytes | None, *, record_ts_ms: int) -> Decoded:
        """Decode one Kafka message value (key = brand)."""
        if not value:
            return Decoded(
                [], [Reject("not_json", "empty value", "", value or b"", None)], 0, False
            )
        head = value.lstrip()[:1]
        if head == b"[":
            return self._decode_batch(key, value, record_ts_ms)
        mention: Mention | None = None
        try:
            mention = self._one.decode(value)
        except DECODE_ERRORS as exc:
            repaired = _repaired(exc, value)
            if repaired is not None:
                with contextlib.suppress(*DECODE_ERRORS):
                    mention = self._one.decode(repaired)
            if mention is None:
                return Decoded([], [_reject(exc, value, None)], 0, False)
        return self._check([mention], [value], key, record_ts_ms, batch=False)

    def _decode_batch(
        self, key: bytes | None, value: bytes, record_ts_ms: int, original: bytes | None = None
    ) -> Decoded:
        """Decode a batch; ``value`` is ``original`` with its lone surrogates
        repaired, when it had some (rejects carry the original bytes)."""
        try:
            mentions = self._many.decode(value)
        except (msgspec.ValidationError, UnicodeDecodeError):
            pass  # some elements are bad: split below
        except DECODE_ERRORS as exc:
            return self._undecodable(exc, key, value, record_ts_ms, original)
        else:
            if not mentions:
                return Decoded([], [Reject("empty_batch", "[]", "", value, None)], 0, True)
            return self._check(
                mentions, None, key, record_ts_ms, batch=True, whole=(value, original)
            )
        try:
            raws = array_elements(value, original)
        except DECODE_ERRORS as exc:  # not JSON after all, or half an emoji, past a bad element
            return self._undecodable(exc, key, value, record_ts_ms, original)
        good: list[Mention] = []
        good_raw: list[bytes] = []
        good_index: list[int] = []
        rejects: list[Reject] = []
        for i, (data, decoded) in enumerate(raws):
            try:
                good.append(self._one.decode(decoded))
            except DECODE_ERRORS as exc:
                rejects.append(_reject(exc, data, i))
            else:
                good_raw.append(data)
                good_index.append(i)
        checked = self._check(good, good_raw, key, record_ts_ms, batch=True, index=good_index)
        return Decoded(checked.mentions, rejects + checked.rejects, checked.truncated, True)

    def _undecodable(
        self,
        exc: Exception,
        key: bytes | None,
        value: bytes,
        record_ts_ms: int,
        original: bytes | None,
    ) -> Decoded:
        """A batch that does not decode: decoded again once with its lone surrogates
        repaired, if that may be why, else refused whole with its original bytes."""
        repaired = _repaired(exc, value) if original is None else None
        if repaired is not None:
            return self._decode_batch(key, repaired, record_ts_ms, original=value)
        return Decoded([], [_reject(exc, original or value, None)], 0, True)

    def _check(
        self,
        mentions: list[Mention],
        raws: list[bytes] | None,
        key: bytes | None,
        record_ts_ms: int,
        *,
        batch: bool,
        whole: tuple[bytes, bytes | None] = (b"[]", None),
        index: list[int] | None = None,
    ) -> Decoded:
        """Checks a schema cannot express: key = brand, time bound, text length."""
        brand: str | None = None
        no_brand = "the message has no key; the key must be the brand"
        if key is not None:
            try:
                brand = key.decode()  # strict: another key must not pass for the brand
            except UnicodeDecodeError:
                no_brand = f"key {key!r} is not UTF-8; the key must be the brand"
        latest = record_ts_ms + self.max_future_ms
        cut = self.max_text_chars
        out: list[Mention] = []
        rejects: list[Reject] = []
        truncated = 0
        for i, m in enumerate(mentions):
            reason: Reason | None = None
            detail = ""
            if brand is None:
                reason, detail = "key_mismatch", no_brand
            elif m.brand != brand:
                reason, detail = "key_mismatch", f"key {brand!r} but brand {m.brand!r}"
            else:
                ts = m.ts_ms
                if ts > latest:
                    reason = "timestamp_out_of_range"
                    detail = (
                        f"ts {ts} is more than max_future_ms after its record time, or the"
                        f" worker's clock if earlier ({record_ts_ms})"
                    )
                elif ts < MIN_TS_MS:
                    reason = "timestamp_out_of_range"
                    detail = f"ts {ts} is before 2000-01-01 ({MIN_TS_MS})"
            if reason is not None:
                pos = index[i] if index is not None else (i if batch else None)
                if raws is None:  # a valid batch: find the element's own bytes
                    raws = [r for r, _ in array_elements(*whole)]
                rejects.append(Reject(reason, detail, "", raws[i], pos))
                continue
            if len(m.text) > cut:
                m = msgspec.structs.replace(m, text=m.text[:cut])
                truncated += 1
            out.append(m)
        return Decoded(out, rejects, truncated, batch)


def _repaired(exc: Exception, value: bytes) -> bytes | None:
    """``value`` with its lone surrogates repaired, if that is what ``exc`` may be about."""
    if isinstance(exc, msgspec.ValidationError) or not isinstance(exc, msgspec.DecodeError):
        return None
    repaired = repair_surrogates(value)
    return repaired if repaired != value else None


def _reject(exc: Exception, raw: bytes, index: int | None) -> Reject:
    return Reject(classify(exc), str(exc), type(exc).__qualname__, raw, index)
