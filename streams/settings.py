"""Tocsin's settings: one frozen object, from defaults, a YAML file and the environment.

Precedence, lowest first: the defaults below, the YAML file named by
``TOCSIN_SETTINGS`` (or passed to :func:`load_settings`), then one
``TOCSIN_<NAME>`` environment variable per field (for example
``TOCSIN_BROKER_URL``, ``TOCSIN_BIN_MS``). Unknown keys in the file and values
that do not parse are errors naming the key and the valid values.

The settings are built once, by the command line, and passed down; nothing else
reads the environment.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml

from detectors.fusion import LevelFusion
from detectors.state import BrandState, DetectionSettings
from streams.mention import MAX_TEXT_BYTES
from streams.tone import ScorerName

__all__ = ["Settings", "SettingsError", "load_settings"]

ENV_PREFIX = "TOCSIN_"

LogLevel = Literal["debug", "info", "warning", "error"]


class SettingsError(ValueError):
    """A setting is unknown or has an invalid value."""


#: The settings that name a topic (each its own).
_TOPICS = (
    "mentions_topic",
    "alerts_topic",
    "deadletter_topic",
    "incidents_topic",
    "minutes_topic",
    "commands_topic",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every knob of a Tocsin worker and of its tools.

    Broker and topics
        ``broker_url``: Kafka bootstrap servers, ``kafka://host:port[;host:port]``;
        empty means "start the embedded broker" for ``tocsin demo``.
        ``broker_kind``: ``kafka`` (Apache Kafka, production) or ``tansu`` (the
        embedded broker, with its workaround). ``app_id`` names the consumer group
        and the internal topics. ``mentions_topic``, ``alerts_topic``,
        ``deadletter_topic``: topic names. ``partitions``, ``replication_factor``:
        used when Tocsin creates topics.
    Windows and detection
        ``bin_ms``, ``grace_ms``: event-time bins and grace. ``negative_below``,
        ``aggressive_above``: per-mention tone thresholds. ``fusion_*``: level
        rules (see :mod:`detectors.fusion`).
    Input limits
        ``max_text_chars``: longer texts are truncated and flagged;
        ``max_future_ms``: a mention dated this far after its Kafka record is refused
        (it would move its brand's event time ahead and make the mentions dated
        right count late).
        ``max_message_bytes``: largest message Tocsin produces (dead letters carry
        the refused message whole up to this size, cut beyond it and flagged).
        ``max_brands``: brands one worker keeps state and metric series for; the
        messages of further brands are refused (``brand_limit``).
        ``quiet_after_ms``: a brand above calm or with an open incident from
        which no mention arrived for this long has its bins closed as if its
        mentions had kept arriving with their delay, less this long, so that its
        level falls when its mentions stop (0: never; see
        :mod:`streams.processor`).
    Worker
        ``take_max`` and ``take_within_s``: Kafka messages per processing batch
        and the longest wait to fill one. ``state_flush_interval_s``: how long a
        changed brand record may stay in memory before it is written to the
        changelog (up to twice that on a busy worker; the offsets of its mentions
        are committed only once it is written; 0 writes after every batch).
        ``gc_young_threshold``: allocations between two young collections of
        Python's garbage collector
        (:mod:`streams.gcpolicy`; 0 keeps Python's default of 700).
        ``session_timeout_s``: consumer group session (the embedded broker
        answers JoinGroup after about half of it).
        ``metrics_host``/``metrics_port``: where ``/metrics`` is served
        (loopback unless configured). ``web_enabled``: Faust's own web server,
        off by default (it would serve table data); ``web_host``/``web_port``
        when on. ``tone_scorer``: scorer for mentions without upstream sentiment.
        ``data_dir``: Faust's local directory (tables live in memory and in their
        changelog topics, so it holds only bookkeeping); empty means
        ``<system temp dir>/tocsin/<app_id>``, never the working directory.
    Producers
        ``produce_batch_max`` mentions per message and ``produce_linger_ms``: how
        long a brand's batch may wait to fill.
    """

    broker_url: str = ""
    broker_kind: Literal["kafka", "tansu"] = "kafka"
    app_id: str = "tocsin"
    mentions_topic: str = "mentions"
    alerts_topic: str = "alerts"
    deadletter_topic: str = "mentions-deadletter"
    incidents_topic: str = "incidents"
    minutes_topic: str = "brand-minutes"
    commands_topic: str = "tocsin-commands"
    partitions: int = 4
    replication_factor: int = 1

    bin_ms: int = 60_000
    grace_ms: int = 60_000
    negative_below: float = -0.25
    aggressive_above: float = 0.5
    evidence_bins: int = 15
    fusion_onset_score: float = 0.5
    fusion_onset_hold_ms: int = 10 * 60_000
    fusion_watch_elevation: float = 3.0
    fusion_alert_elevation: float = 2.5
    fusion_crisis_elevation: float = 5.0
    fusion_keep_elevation: float = 1.5
    fusion_alert_tone: float = 0.8
    fusion_crisis_tone: float = 0.95
    fusion_crisis_doubling_min: float = 30.0
    fusion_hysteresis: float = 0.3
    fusion_min_watch_ms: int = 10 * 60_000
    fusion_min_alert_ms: int = 15 * 60_000
    fusion_min_crisis_ms: int = 30 * 60_000
    resolve_after_ms: int = 60 * 60_000
    response_window_ms: int = 30 * 60_000

    max_text_chars: int = 4_000
    max_future_ms: int = 300_000
    max_message_bytes: int = 4_194_304
    max_brands: int = 10_000
    quiet_after_ms: int = 15 * 60_000

    take_max: int = 2_000
    take_within_s: float = 0.2
    state_flush_interval_s: float = 10.0
    gc_young_threshold: int = 50_000
    session_timeout_s: float = 60.0
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9464
    web_enabled: bool = False
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    tone_scorer: ScorerName = "builtin"
    data_dir: str = ""
    log_level: LogLevel = "info"

    produce_batch_max: int = 500
    produce_linger_ms: int = 200

    extra: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name in (
            "partitions",
            "replication_factor",
            "bin_ms",
            "take_max",
            "produce_batch_max",
            "max_message_bytes",
            "max_brands",
        ):
            if getattr(self, name) < 1:
                raise SettingsError(
                    f"{name}={getattr(self, name)!r}: valid values: an integer >= 1"
                )
        for name in (
            "grace_ms",
            "max_future_ms",
            "produce_linger_ms",
            "metrics_port",
            "gc_young_threshold",
            "quiet_after_ms",
        ):
            if getattr(self, name) < 0:
                raise SettingsError(
                    f"{name}={getattr(self, name)!r}: valid values: an integer >= 0"
                )
        for name in ("take_within_s", "state_flush_interval_s"):
            value = getattr(self, name)
            if not (value >= 0.0 and math.isfinite(value)):
                raise SettingsError(f"{name}={value!r}: valid values: a finite number >= 0")
        if not 16 <= self.max_text_chars <= MAX_TEXT_BYTES:
            raise SettingsError(
                f"max_text_chars={self.max_text_chars!r}: valid values: 16 to {MAX_TEXT_BYTES}"
                " (longer mentions are refused whole)"
            )
        if not (self.session_timeout_s > 0.0 and math.isfinite(self.session_timeout_s)):
            raise SettingsError(
                f"session_timeout_s={self.session_timeout_s!r}: valid values: a finite number > 0"
            )
        for name in ("metrics_port", "web_port"):
            if not 0 <= getattr(self, name) <= 65_535:
                raise SettingsError(f"{name}={getattr(self, name)!r}: valid values: 0 to 65535")
        for name in ("app_id", "metrics_host", "web_host", *_TOPICS):
            if not getattr(self, name).strip():
                raise SettingsError(
                    f"{name}={getattr(self, name)!r}: valid values: a non-empty name"
                )
        topics = [getattr(self, name) for name in _TOPICS]
        if len(set(topics)) != len(topics):
            raise SettingsError(
                "the topics must differ: "
                + ", ".join(f"{name}={getattr(self, name)!r}" for name in _TOPICS)
            )
        try:
            # A brand's state checks every detection parameter, as the first mention would.
            BrandState(brand="settings-check", settings=self.detection())
        except ValueError as exc:
            raise SettingsError(str(exc)) from exc

    def detection(self) -> DetectionSettings:
        """The detection parameters, as the pure library takes them."""
        return DetectionSettings(
            bin_ms=self.bin_ms,
            grace_ms=self.grace_ms,
            negative_below=self.negative_below,
            aggressive_above=self.aggressive_above,
            evidence_bins=self.evidence_bins,
            resolve_after_ms=self.resolve_after_ms,
            response_window_ms=self.response_window_ms,
            fusion=LevelFusion(
                onset_score=self.fusion_onset_score,
                onset_hold_ms=self.fusion_onset_hold_ms,
                watch_elevation=self.fusion_watch_elevation,
                alert_elevation=self.fusion_alert_elevation,
                crisis_elevation=self.fusion_crisis_elevation,
                keep_elevation=self.fusion_keep_elevation,
                alert_tone=self.fusion_alert_tone,
                crisis_tone=self.fusion_crisis_tone,
                crisis_doubling_min=self.fusion_crisis_doubling_min,
                hysteresis=self.fusion_hysteresis,
                min_watch_ms=self.fusion_min_watch_ms,
                min_alert_ms=self.fusion_min_alert_ms,
                min_crisis_ms=self.fusion_min_crisis_ms,
            ),
        )

    @property
    def bootstrap_servers(self) -> list[str]:
        """``broker_url`` as host:port strings for Kafka clients."""
        servers = []
        for part in self.broker_url.replace(",", ";").split(";"):
            part = part.strip()
            if "://" in part:
                part = part.split("://", 1)[1]
            if part:
                servers.append(part)
        return servers

    def to_env(self) -> dict[str, str]:
        """The ``TOCSIN_*`` variables that give a child process these settings."""
        env = {}
        for f in fields(self):
            if f.name != "extra":
                value = getattr(self, f.name)
                text = str(value).lower() if isinstance(value, bool) else str(value)
                env[f"{ENV_PREFIX}{f.name.upper()}"] = text
        return env

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def _field_types() -> dict[str, Any]:
    hints = typing.get_type_hints(Settings)
    return {f.name: hints[f.name] for f in fields(Settings) if f.name != "extra"}


def _convert(name: str, raw: Any, kind: Any) -> Any:
    """Turn a file or environment value into the field's type, or raise SettingsError."""
    origin = get_origin(kind)
    if origin is Literal:
        choices = get_args(kind)
        if raw not in choices:
            listed = ", ".join(repr(c) for c in choices)
            raise SettingsError(f"{name}={raw!r} is not valid; valid values: {listed}")
        return raw
    if origin in (types.UnionType, typing.Union):
        kind = next(a for a in get_args(kind) if a is not type(None))
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind is int:
            if isinstance(raw, bool):
                raise ValueError(raw)
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError(raw)
            return int(str(raw).replace("_", "")) if isinstance(raw, str) else int(raw)
        if kind is float:
            if isinstance(raw, bool):
                raise ValueError(raw)
            return float(raw)
        if kind is str:
            return "" if raw is None else str(raw)
    except (TypeError, ValueError):
        raise SettingsError(
            f"{name}={raw!r} is not valid; valid values: a value of type {kind.__name__}"
        ) from None
    return raw


def load_settings(
    path: str | Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings from defaults, a YAML file, the environment and overrides.

    ``path`` defaults to ``$TOCSIN_SETTINGS``; ``overrides`` (already typed)
    win over everything, for command-line options.

    >>> s = load_settings(environ={"TOCSIN_BIN_MS": "30000", "TOCSIN_LOG_LEVEL": "debug"})
    >>> s.bin_ms, s.log_level
    (30000, 'debug')
    >>> load_settings(environ={"TOCSIN_LOG_LEVEL": "loud"})
    Traceback (most recent call last):
    ...
    streams.settings.SettingsError: log_level='loud' is not valid; valid values: 'debug', ...
    >>> load_settings(environ={"TOCSIN_METRICS_PROT": "9000"})
    Traceback (most recent call last):
    ...
    streams.settings.SettingsError: unknown environment variable TOCSIN_METRICS_PROT; did you ...
    """
    env = os.environ if environ is None else environ
    kinds = _field_types()
    values: dict[str, Any] = {}
    file_path = path if path is not None else env.get(f"{ENV_PREFIX}SETTINGS") or None
    if file_path:
        try:
            loaded = yaml.safe_load(Path(file_path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise SettingsError(f"cannot read settings file {file_path}: {exc}") from None
        if not isinstance(loaded, dict):
            raise SettingsError(f"settings file {file_path}: expected a mapping of settings")
        for key, raw in loaded.items():
            if key not in kinds:
                valid = ", ".join(sorted(kinds))
                raise SettingsError(
                    f"settings file {file_path}: unknown setting {key!r}; valid settings: {valid}"
                )
            values[key] = _convert(key, raw, kinds[key])
    for name, kind in kinds.items():
        raw = env.get(f"{ENV_PREFIX}{name.upper()}")
        if raw is not None:
            values[name] = _convert(name, raw, kind)
    known = {f"{ENV_PREFIX}{name.upper()}" for name in kinds} | {f"{ENV_PREFIX}SETTINGS"}
    for variable in sorted(v for v in env if v.startswith(ENV_PREFIX) and v not in known):
        close = difflib.get_close_matches(variable, sorted(known), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise SettingsError(f"unknown environment variable {variable}{hint}")
    values.update(overrides)
    return Settings(**values)
