"""The drill scenario as frozen dataclasses (what :mod:`.scenario` reads from YAML).

Times are epoch milliseconds (UTC) and durations milliseconds, already
resolved from the YAML's date-times and offsets. Shares are fractions in
[0, 1]; mixes (:class:`Mix`) are normalised to sum to 1. See
``scenarios/_example.yaml`` for the meaning of every field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, Generic, Literal, TypeVar

_K = TypeVar("_K")
_V = TypeVar("_V")

__all__ = [
    "AUTHOR_ROLES",
    "DAILY_PRESETS",
    "EFFECTS",
    "EVENT_KINDS",
    "LANGUAGES",
    "SHAPES",
    "AuthorRole",
    "Baseline",
    "Bots",
    "Brand",
    "Effect",
    "Event",
    "EventKind",
    "FrozenDict",
    "Holiday",
    "Level",
    "Mix",
    "Noise",
    "OutOfOrder",
    "Playback",
    "Population",
    "Response",
    "Scenario",
    "Sentiment",
    "SentimentMode",
    "Shape",
    "Tone",
    "Truth",
    "Wave",
]

#: Who posts in a drill. ``bot`` accounts post near-duplicate texts and appear
#: in the stream as ``public`` authors with few followers, as they would in a
#: real feed; ``official`` posts come only from :class:`Response`.
AuthorRole = Literal["public", "media", "employee", "bot"]
AUTHOR_ROLES: Final[tuple[AuthorRole, ...]] = ("public", "media", "employee", "bot")

#: What an event is; benchmarks group results by it.
EventKind = Literal["crisis", "positive", "spam", "neutral"]
EVENT_KINDS: Final[tuple[EventKind, ...]] = ("crisis", "positive", "spam", "neutral")

#: How an event's volume evolves; see :class:`Wave`.
Shape = Literal["sudden", "slow_burn", "multi_wave"]
SHAPES: Final[tuple[Shape, ...]] = ("sudden", "slow_burn", "multi_wave")

#: What an official response does to the event it answers.
Effect = Literal["calms", "none", "backfires"]
EFFECTS: Final[tuple[Effect, ...]] = ("calms", "none", "backfires")

#: Whether the generator fills ``sentiment`` (noisy, as an upstream scorer
#: would) or leaves it out so that Tocsin's own text scorer must work.
SentimentMode = Literal["fill", "omit"]

#: Crisis level a situation deserves: 0 calm, 1 watch, 2 alert, 3 crisis.
Level = Literal[0, 1, 2, 3]

#: Languages the text templates know.
LANGUAGES: Final[tuple[str, ...]] = ("fr", "en")

#: Hourly activity profiles (local hours 0..23), normalised to mean 1 when used.
# fmt: off
DAILY_PRESETS: Final[Mapping[str, tuple[float, ...]]] = {
    # Night trough around 3-4 a.m., lunch bump, evening peak around 20-21 h.
    "social": (
        0.45, 0.30, 0.20, 0.15, 0.15, 0.22, 0.40, 0.70, 0.95, 1.10, 1.20, 1.30,
        1.40, 1.30, 1.20, 1.20, 1.25, 1.35, 1.45, 1.55, 1.65, 1.60, 1.30, 0.85,
    ),
    # Working hours: B2B brands, LinkedIn-heavy audiences.
    "office": (
        0.20, 0.15, 0.10, 0.10, 0.10, 0.15, 0.30, 0.70, 1.30, 1.60, 1.70, 1.60,
        1.30, 1.50, 1.70, 1.70, 1.60, 1.40, 1.10, 0.90, 0.80, 0.70, 0.50, 0.30,
    ),
    "flat": (1.0,) * 24,
}
# fmt: on


class FrozenDict(Mapping[_K, _V], Generic[_K, _V]):
    """A read-only mapping that hashes and pickles (unlike ``MappingProxyType``).

    Examples
    --------
    >>> words = FrozenDict({"fr": ("rappel",)})
    >>> words["fr"], hash(words) == hash(FrozenDict(words)), dict(words)
    (('rappel',), True, {'fr': ('rappel',)})
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[_K, _V] | Iterable[tuple[_K, _V]] = ()) -> None:
        self._data: dict[_K, _V] = dict(data)

    def __getitem__(self, key: _K) -> _V:
        return self._data[key]

    def __iter__(self) -> Iterator[_K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"

    def __getstate__(self) -> dict[_K, _V]:
        return self._data

    def __setstate__(self, state: dict[_K, _V]) -> None:
        self._data = state


@dataclass(frozen=True, slots=True)
class Mix:
    """A categorical distribution: ``keys[i]`` has probability ``weights[i]``.

    Examples
    --------
    >>> mix = Mix(("fr", "en"), (0.75, 0.25))
    >>> mix.share("en"), mix.share("de")
    (0.25, 0.0)
    """

    keys: tuple[str, ...]
    weights: tuple[float, ...]

    def share(self, key: str) -> float:
        """Probability of ``key`` (0 when absent)."""
        return self.weights[self.keys.index(key)] if key in self.keys else 0.0

    def as_dict(self) -> dict[str, float]:
        """The mix as a plain dict."""
        return dict(zip(self.keys, self.weights, strict=True))


@dataclass(frozen=True, slots=True)
class Tone:
    """Shares of positive, negative and aggressive mentions.

    ``aggressive`` is a subset of ``negative`` (an insult is negative), so
    ``aggressive <= negative`` and ``positive + negative <= 1``; the rest is
    neutral.
    """

    positive: float
    negative: float
    aggressive: float


@dataclass(frozen=True, slots=True)
class Noise:
    """Over-dispersion: the rate is multiplied by a Gamma(1/d, d) factor per period.

    Counts over one period are then negative binomial with mean ``mu`` and
    variance ``mu + dispersion * mu**2`` (``dispersion = 0``: plain Poisson).
    """

    dispersion: float
    period_ms: int


@dataclass(frozen=True, slots=True)
class Population:
    """A brand's finite population of public authors.

    Followers are lognormal (``followers_median``, ``followers_sigma`` of the
    log); who posts follows a Zipf law of exponent ``activity`` over the
    population (a few accounts post a lot).
    """

    size: int
    followers_median: float
    followers_sigma: float
    activity: float


@dataclass(frozen=True, slots=True)
class Holiday:
    """A local calendar day whose traffic is multiplied by ``factor``."""

    date: dt.date
    factor: float
    name: str = ""


@dataclass(frozen=True, slots=True)
class Baseline:
    """A brand's ordinary traffic.

    ``rate_per_hour`` is the mean over a typical week (the daily and weekly
    profiles are normalised to mean 1; holidays come on top).
    """

    rate_per_hour: float
    daily: tuple[float, ...]
    weekly: tuple[float, ...]
    holidays: tuple[Holiday, ...]
    noise: Noise
    platforms: Mix
    languages: Mix
    authors: Mix
    population: Population
    employees: int
    reshare: float
    reply: float
    tone: Tone
    topics: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Brand:
    """A watched brand: its Kafka key ``name`` and how texts refer to it."""

    name: str
    display: str
    handle: str
    products: Mapping[str, tuple[str, ...]]
    hashtags: tuple[str, ...]
    official_followers: int
    baseline: Baseline


@dataclass(frozen=True, slots=True)
class Wave:
    """One rise and fall of an event's excess traffic.

    At ``at_ms`` after the event start the excess grows as
    ``(t / rise_ms) ** growth`` up to its top, where the brand's traffic is
    ``peak`` times its mean rate; it then halves every ``decay_ms``.
    """

    at_ms: int
    peak: float
    rise_ms: int
    decay_ms: int
    growth: float = 1.0


@dataclass(frozen=True, slots=True)
class Truth:
    """The label of an event: the level it deserves and from when.

    A detector is right when it reaches at least ``min_level`` and at most
    ``level`` (``level`` is the deserved level; ``min_level < level`` when a
    quieter answer is acceptable, as for a benign viral campaign).
    """

    level: Level
    min_level: Level
    onset_ms: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class Response:
    """An official post answering an event, and its effect on it.

    ``calms``: the event's volume gets an extra half-life ``half_life_ms`` and
    its aggressive share decays with it. ``backfires``: a new surge ``surge``
    starts, angrier (aggressive share times ``anger``), its replies aimed at
    the official post. ``none``: only the post.
    """

    id: str
    at_ms: int
    effect: Effect
    text: Mapping[str, str]
    platforms: tuple[str, ...]
    languages: tuple[str, ...]
    half_life_ms: int
    surge: Wave | None
    anger: float
    truth: Truth | None


@dataclass(frozen=True, slots=True)
class Bots:
    """Accounts posting near-duplicates (copy-paste with small variations)."""

    accounts: int
    texts: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happens to a brand: extra traffic with its own tone and voices."""

    id: str
    brand: str
    kind: EventKind
    shape: Shape
    start_ms: int
    waves: tuple[Wave, ...]
    end_ms: int | None
    diurnal: float
    noise: Noise
    tone: Tone
    authors: Mix
    languages: Mix
    platforms: Mix | None
    reshare: float
    reply: float
    vocabulary: Mapping[str, tuple[str, ...]]
    complaints: Mapping[str, tuple[str, ...]]
    hashtags: tuple[str, ...]
    bots: Bots
    truth: Truth
    responses: tuple[Response, ...] = ()


@dataclass(frozen=True, slots=True)
class OutOfOrder:
    """Late arrivals: ``share`` of mentions arrive ``min..max`` ms after their ``ts``."""

    share: float
    min_delay_ms: int
    max_delay_ms: int


@dataclass(frozen=True, slots=True)
class Sentiment:
    """Whether and how the generator fills ``sentiment``.

    Filled scores are drawn around the tone's typical score with Gaussian
    ``noise``; a share ``errors`` gets a uniform random score (sarcasm and
    other scorer mistakes).
    """

    mode: SentimentMode
    noise: float
    errors: float


@dataclass(frozen=True, slots=True)
class Playback:
    """How a live demo replays the drill.

    Mentions before ``live_from_ms`` are history: published at full speed so
    that detectors learn the baseline; the rest is played ``speed`` times
    faster than real time. ``None``: the player decides.
    """

    live_from_ms: int | None
    speed: float


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole drill: brands, their baseline traffic and the events to detect.

    Examples
    --------
    >>> from streams.drills import load_scenario
    >>> sc = load_scenario("product-recall")
    >>> sc.name, [b.name for b in sc.brands], [e.truth.level for e in sc.events]
    ('product-recall', ['laiterie-dupre', 'fromagerie-vial'], [3])
    """

    name: str
    title: str
    description: str
    source: str
    start_ms: int
    end_ms: int
    utc_offset_s: int
    brands: tuple[Brand, ...]
    events: tuple[Event, ...]
    sentiment: Sentiment
    out_of_order: OutOfOrder
    playback: Playback = field(default_factory=lambda: Playback(None, 60.0))

    @property
    def duration_ms(self) -> int:
        """Length of the drill in milliseconds."""
        return self.end_ms - self.start_ms

    def brand(self, name: str) -> Brand:
        """The brand called ``name``.

        Raises
        ------
        KeyError
            When there is none.
        """
        for brand in self.brands:
            if brand.name == name:
                return brand
        raise KeyError(name)
