"""Read and validate drill scenarios (YAML) into :class:`~.model.Scenario`.

The format is documented field by field in ``scenarios/_example.yaml``. Every
problem, from a YAML syntax error to an aggressive share above the negative
share, raises :class:`ScenarioError` naming the file, the field path and the
line, for example::

    calm.yaml:14: brands[0].baseline.rate: must be > 0, got -3

Bundled scenarios live in ``streams/drills/scenarios``; :func:`list_scenarios`
names them (files starting with ``_`` are references, not drills).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Final, TypeVar, cast

from streams.drills import texts
from streams.drills._nodes import Fields, Node, ScenarioError, compose
from streams.drills.model import (
    AUTHOR_ROLES,
    DAILY_PRESETS,
    EFFECTS,
    EVENT_KINDS,
    LANGUAGES,
    SHAPES,
    Baseline,
    Bots,
    Brand,
    Effect,
    Event,
    EventKind,
    FrozenDict,
    Holiday,
    Level,
    Mix,
    Noise,
    OutOfOrder,
    Playback,
    Population,
    Response,
    Scenario,
    Sentiment,
    SentimentMode,
    Shape,
    Tone,
    Truth,
    Wave,
)
from streams.mention import MIN_TS_MS

__all__ = [
    "NAME_PATTERN",
    "ScenarioError",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "scenario_path",
]

#: Scenario names, brand names and ids: lowercase words joined by dashes.
NAME_PATTERN: Final = r"[a-z0-9]+(?:[-_][a-z0-9]+)*"
_PLATFORM_PATTERN: Final = r"[a-z0-9_]{1,64}"
_MAX_DURATION_MS: Final = 366 * 86_400_000
_T = TypeVar("_T")

_DEFAULT_PLATFORMS: Final = {
    "twitter": 0.40,
    "facebook": 0.20,
    "instagram": 0.15,
    "tiktok": 0.10,
    "forum": 0.08,
    "news": 0.04,
    "linkedin": 0.03,
}
_DEFAULT_TONES: Final[Mapping[EventKind, Tone]] = {
    "crisis": Tone(positive=0.03, negative=0.75, aggressive=0.20),
    "positive": Tone(positive=0.75, negative=0.05, aggressive=0.01),
    "spam": Tone(positive=0.40, negative=0.05, aggressive=0.0),
    "neutral": Tone(positive=0.25, negative=0.15, aggressive=0.02),
}
_SHAPE_DEFAULTS: Final[Mapping[Shape, tuple[int, int, float]]] = {
    # rise, decay (half-life), growth exponent
    "sudden": (20 * 60_000, 3 * 3_600_000, 1.0),
    "slow_burn": (2 * 86_400_000, 12 * 3_600_000, 3.0),
    "multi_wave": (30 * 60_000, 2 * 3_600_000, 1.0),
}


def _scenario_dir() -> Path:
    return Path(str(resources.files("streams.drills").joinpath("scenarios")))


def list_scenarios() -> list[str]:
    """Names of the bundled scenarios, sorted.

    Examples
    --------
    >>> "calm-month" in list_scenarios()
    True
    """
    return sorted(p.stem for p in _scenario_dir().glob("*.yaml") if not p.stem.startswith("_"))


def scenario_path(name: str) -> Path:
    """Path of the bundled scenario ``name`` (``_example`` included).

    Raises
    ------
    ScenarioError
        When there is no such scenario; the message lists the valid names.
    """
    path = _scenario_dir() / f"{name}.yaml"
    if not path.is_file():
        raise ScenarioError(f"no bundled scenario {name!r}; known: {', '.join(list_scenarios())}")
    return path


def load_scenario(name_or_path: str | os.PathLike[str]) -> Scenario:
    """Load a bundled scenario by name, or a scenario file by path.

    Parameters
    ----------
    name_or_path
        A bundled name (``"product-recall"``) or a path to a ``.yaml`` file.

    Raises
    ------
    ScenarioError
        For an unknown name, an unreadable file or an invalid scenario.

    Examples
    --------
    >>> load_scenario("calm-month").events
    ()
    """
    text_name = os.fspath(name_or_path)
    looks_like_path = (
        isinstance(name_or_path, os.PathLike)
        or text_name.endswith((".yaml", ".yml"))
        or os.sep in text_name
        or "/" in text_name
    )
    path = Path(text_name) if looks_like_path else scenario_path(text_name)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario: {exc}", source=str(path)) from None
    return parse_scenario(text, source=str(path), default_name=path.stem.lstrip("_"))


def parse_scenario(text: str, *, source: str = "<string>", default_name: str = "") -> Scenario:
    """Validate the YAML ``text`` of a scenario.

    Parameters
    ----------
    text
        The YAML document.
    source
        Where it came from, for error messages.
    default_name
        Name used when the document has no ``name`` field.

    Raises
    ------
    ScenarioError
        Naming the source, field path and line of the first problem.

    Examples
    --------
    >>> sc = parse_scenario('''
    ... name: tiny
    ... start: 2024-03-04T00:00:00+01:00
    ... duration: 2h
    ... brands:
    ...   - name: acme
    ...     baseline: {rate: 30}
    ... ''')
    >>> sc.name, sc.duration_ms, sc.brands[0].baseline.rate_per_hour
    ('tiny', 7200000, 30.0)
    >>> try:
    ...     parse_scenario("name: tiny\\nstart: 2024-03-04\\nduration: 1h\\nbrands: []")
    ... except ScenarioError as err:
    ...     print(err.line, err.path)
    2 start
    """
    root, loader = compose(text, source=source)
    try:
        return _scenario(root, default_name=default_name)
    finally:
        loader.dispose()


# ---------------------------------------------------------------------- helpers
def _opt(node: Node | None, read: Callable[[Node], _T], default: _T) -> _T:
    return default if node is None else read(node)


def _name(node: Node) -> str:
    return node.string(pattern=NAME_PATTERN, hint="use lowercase letters, digits and dashes")


def _mix(node: Node, *, keys: tuple[str, ...] | None = None, pattern: str | None = None) -> Mix:
    """A mapping of category to share; shares must sum to 1 (within 1 %)."""
    fields = node.mapping(optional=keys or (), open_keys=keys is None)
    names: list[str] = []
    weights: list[float] = []
    for key, child in fields.found.items():
        if pattern is not None and not re.fullmatch(pattern, key):
            child.fail(f"{key!r} is not a valid name (lowercase letters, digits, _)")
        names.append(key)
        weights.append(child.fraction())
    total = sum(weights)
    if not fields.found:
        node.fail("needs at least one entry")
    if not math.isclose(total, 1.0, abs_tol=0.01):
        node.fail(f"shares must sum to 1, got {total:g}")
    return Mix(tuple(names), tuple(w / total for w in weights))


def _phrases(
    node: Node,
    *,
    with_default: Mapping[str, tuple[str, ...]] | None = None,
    template: bool = False,
) -> Mapping[str, tuple[str, ...]]:
    """Phrases per language, ``{fr: [...], en: [...]}``; a plain list serves every language."""
    read = _template if template else Node.string
    if node.is_sequence:
        items = tuple(read(item) for item in node.sequence(min_len=1))
        return FrozenDict(dict.fromkeys(LANGUAGES, items))
    fields = node.mapping(optional=LANGUAGES)
    out = dict(with_default or {})
    for lang, child in fields.found.items():
        out[lang] = tuple(read(item) for item in child.sequence(min_len=1))
    return FrozenDict(out)


def _template(node: Node) -> str:
    """A text that may use {brand}, {handle}, {product}, {topic} and {url}."""
    text = node.string()
    try:
        text.format(brand="", handle="", product="", topic="", url="")
    except (KeyError, IndexError, ValueError) as exc:
        node.fail(
            f"bad placeholder {exc}: texts may use "
            + "{brand}, {handle}, {product}, {topic} and {url}; write {{ and }} for braces"
        )
    return text


def _lang_texts(node: Node) -> Mapping[str, str]:
    fields = node.mapping(optional=LANGUAGES)
    return FrozenDict({lang: _template(child) for lang, child in fields.found.items()})


def _tone(node: Node) -> Tone:
    f = node.mapping(required=("negative",), optional=("positive", "aggressive"))
    negative = f["negative"].fraction()
    positive = _opt(f.get("positive"), Node.fraction, 0.0)
    aggressive = _opt(f.get("aggressive"), Node.fraction, 0.0)
    if aggressive > negative:
        f["aggressive"].fail(
            f"aggressive mentions are a subset of negative ones: {aggressive:g} > negative "
            f"{negative:g}"
        )
    if positive + negative > 1.0 + 1e-9:
        node.fail(f"positive + negative must be <= 1, got {positive + negative:g}")
    return Tone(positive=positive, negative=negative, aggressive=aggressive)


def _noise(node: Node | None, default: Noise) -> Noise:
    if node is None:
        return default
    f = node.mapping(optional=("dispersion", "period"))
    return Noise(
        dispersion=_opt(
            f.get("dispersion"),
            lambda n: n.number(min_value=0.0, max_value=10.0),
            default.dispersion,
        ),
        period_ms=_opt(f.get("period"), lambda n: _duration_at_least(n, 60_000), default.period_ms),
    )


def _duration_at_least(node: Node, minimum_ms: int) -> int:
    ms = node.duration_ms()
    if ms < minimum_ms:
        node.fail(f"must be at least {minimum_ms // 1000} s")
    return ms


def _level(node: Node) -> tuple[Level, Level]:
    """``level: 3`` or ``level: [0, 1]`` (acceptable range; the deserved level is the top)."""
    if node.is_sequence:
        items = node.sequence()
        if len(items) != 2:
            node.fail("a level range is [min, max], e.g. [0, 1]")
        low, high = (item.integer(min_value=0, max_value=3) for item in items)
        if low > high:
            node.fail(f"level range [{low}, {high}] is reversed")
        return cast(Level, high), cast(Level, low)
    level = node.integer(min_value=0, max_value=3)
    return cast(Level, level), cast(Level, level)


def _truth(node: Node, *, start_ms: int, default_onset_ms: int, offset_s: int) -> Truth:
    f = node.mapping(required=("level",), optional=("onset", "note"))
    level, min_level = _level(f["level"])
    onset = _opt(
        f.get("onset"),
        lambda n: n.instant_ms(origin_ms=start_ms, offset_s=offset_s),
        default_onset_ms,
    )
    return Truth(
        level=level, min_level=min_level, onset_ms=onset, note=_opt(f.get("note"), Node.string, "")
    )


# --------------------------------------------------------------------- sections
def _scenario(root: Node, *, default_name: str) -> Scenario:
    f = root.mapping(
        required=("start", "duration", "brands"),
        optional=(
            "name",
            "title",
            "description",
            "events",
            "sentiment",
            "out_of_order",
            "playback",
        ),
    )
    if "name" in f:
        name = _name(f["name"])
    elif re.fullmatch(NAME_PATTERN, default_name):
        name = default_name
    else:
        root.fail("missing required field 'name'")
    start_node = f["start"]
    start_ms = start_node.instant_ms(origin_ms=None, offset_s=0, require_tz=True)
    if start_ms < MIN_TS_MS:
        start_node.fail("a drill starts in 2000 or later (mention timestamps are checked)")
    start_value = start_node.scalar()
    offset = start_value.utcoffset() if hasattr(start_value, "utcoffset") else None
    offset_s = int(offset.total_seconds()) if offset is not None else 0
    duration_ms = f["duration"].duration_ms()
    if duration_ms > _MAX_DURATION_MS:
        f["duration"].fail("a drill lasts at most 366 days")
    end_ms = start_ms + duration_ms

    brand_nodes = f["brands"].sequence(min_len=1)
    brands = tuple(_brand(n) for n in brand_nodes)
    _unique(
        [(b.name, n.get("name") or n) for b, n in zip(brands, brand_nodes, strict=True)],
        "brand name",
    )
    brand_names = tuple(b.name for b in brands)

    events: tuple[Event, ...] = ()
    if "events" in f:
        event_nodes = f["events"].sequence()
        events = tuple(
            _event(
                n,
                brands=brands,
                start_ms=start_ms,
                end_ms=end_ms,
                offset_s=offset_s,
                brand_names=brand_names,
            )
            for n in event_nodes
        )
        _unique(
            [(e.id, n.get("id") or n) for e, n in zip(events, event_nodes, strict=True)], "event id"
        )

    return Scenario(
        name=name,
        title=_opt(f.get("title"), Node.string, name),
        description=_opt(f.get("description"), Node.string, ""),
        source=root.source,
        start_ms=start_ms,
        end_ms=end_ms,
        utc_offset_s=offset_s,
        brands=brands,
        events=events,
        sentiment=_sentiment(f.get("sentiment")),
        out_of_order=_out_of_order(f.get("out_of_order")),
        playback=_playback(f.get("playback"), start_ms=start_ms, end_ms=end_ms, offset_s=offset_s),
    )


def _unique(items: list[tuple[str, Node]], what: str) -> None:
    seen: dict[str, Node] = {}
    for key, node in items:
        if key in seen:
            node.fail(f"duplicate {what} {key!r} (first on line {seen[key].line})")
        seen[key] = node


def _sentiment(node: Node | None) -> Sentiment:
    if node is None:
        return Sentiment(mode="fill", noise=0.15, errors=0.05)
    f = node.mapping(required=("mode",), optional=("noise", "errors"))
    return Sentiment(
        mode=cast(SentimentMode, f["mode"].choice(("fill", "omit"))),
        noise=_opt(f.get("noise"), lambda n: n.number(min_value=0.0, max_value=1.0), 0.15),
        errors=_opt(f.get("errors"), Node.fraction, 0.05),
    )


def _out_of_order(node: Node | None) -> OutOfOrder:
    if node is None:
        return OutOfOrder(share=0.01, min_delay_ms=2_000, max_delay_ms=60_000)
    f = node.mapping(required=("share",), optional=("min_delay", "max_delay"))
    share = f["share"].number(min_value=0.0, max_value=0.5)
    low = _opt(f.get("min_delay"), lambda n: n.duration_ms(allow_zero=True), 2_000)
    high = _opt(f.get("max_delay"), Node.duration_ms, 60_000)
    if high > 600_000:
        cast(Node, f.get("max_delay")).fail("late arrivals are at most 10 minutes late")
    if low > high:
        where = f.get("min_delay") or node
        where.fail(f"min_delay ({low} ms) is above max_delay ({high} ms)")
    return OutOfOrder(share=share, min_delay_ms=low, max_delay_ms=high)


def _playback(node: Node | None, *, start_ms: int, end_ms: int, offset_s: int) -> Playback:
    if node is None:
        return Playback(live_from_ms=None, speed=60.0)
    f = node.mapping(optional=("live_from", "speed"))
    live = None
    if "live_from" in f:
        live = f["live_from"].instant_ms(origin_ms=start_ms, offset_s=offset_s)
        if not start_ms <= live < end_ms:
            f["live_from"].fail("must fall inside the drill")
    speed = _opt(f.get("speed"), lambda n: n.number(min_value=0.0, exclusive_min=True), 60.0)
    return Playback(live_from_ms=live, speed=speed)


def _brand(node: Node) -> Brand:
    f = node.mapping(
        required=("name", "baseline"),
        optional=("display", "handle", "products", "hashtags", "official_followers"),
    )
    name = _name(f["name"])
    display = _opt(f.get("display"), Node.string, name.replace("-", " ").title())
    handle = _opt(
        f.get("handle"),
        lambda n: n.string(pattern=r"@\w{1,64}", hint="a handle looks like @maisondupre"),
        "@" + re.sub(r"\W", "", texts.ascii_fold(display)).lower(),
    )
    return Brand(
        name=name,
        display=display,
        handle=handle,
        products=_opt(f.get("products"), _phrases, FrozenDict(dict(texts.DEFAULT_PRODUCTS))),
        hashtags=_opt(
            f.get("hashtags"),
            _hashtags,
            ("#" + re.sub(r"\W", "", texts.ascii_fold(display)),),
        ),
        official_followers=_opt(
            f.get("official_followers"),
            lambda n: n.integer(min_value=0, max_value=1_000_000_000),
            50_000,
        ),
        baseline=_baseline(f["baseline"]),
    )


def _hashtags(node: Node) -> tuple[str, ...]:
    return tuple(
        item.string(pattern=r"#\w+", hint="hashtags look like #RappelYaourt")
        for item in node.sequence()
    )


def _baseline(node: Node) -> Baseline:
    f = node.mapping(
        required=("rate",),
        optional=(
            "daily",
            "weekly",
            "weekend",
            "holidays",
            "noise",
            "platforms",
            "languages",
            "authors",
            "population",
            "employees",
            "reshare",
            "reply",
            "tone",
            "topics",
        ),
    )
    if "weekly" in f and "weekend" in f:
        f["weekend"].fail("give either weekly (7 factors) or weekend (one factor), not both")
    reshare = _opt(f.get("reshare"), Node.fraction, 0.2)
    reply = _opt(f.get("reply"), Node.fraction, 0.15)
    if reshare + reply > 0.9:
        node.fail(
            f"reshare + reply must leave room for original posts (<= 0.9), got {reshare + reply:g}"
        )
    authors = _opt(
        f.get("authors"),
        lambda n: _mix(n, keys=("public", "media", "employee")),
        Mix(("public", "media", "employee"), (0.97, 0.02, 0.01)),
    )
    if authors.share("public") == 0.0:
        cast(Node, f.get("authors")).fail("baseline traffic needs public authors")
    return Baseline(
        rate_per_hour=f["rate"].number(min_value=0.0, max_value=10_000_000.0, exclusive_min=True),
        daily=_daily(f.get("daily")),
        weekly=_weekly(f.get("weekly"), f.get("weekend")),
        holidays=_opt(f.get("holidays"), _holidays, ()),
        noise=_noise(f.get("noise"), Noise(dispersion=0.05, period_ms=3_600_000)),
        platforms=_opt(
            f.get("platforms"),
            lambda n: _mix(n, pattern=_PLATFORM_PATTERN),
            Mix(tuple(_DEFAULT_PLATFORMS), tuple(_DEFAULT_PLATFORMS.values())),
        ),
        languages=_opt(
            f.get("languages"), lambda n: _mix(n, keys=LANGUAGES), Mix(("fr", "en"), (0.8, 0.2))
        ),
        authors=authors,
        population=_population(f.get("population")),
        employees=_opt(
            f.get("employees"), lambda n: n.integer(min_value=1, max_value=1_000_000), 200
        ),
        reshare=reshare,
        reply=reply,
        tone=_opt(f.get("tone"), _tone, Tone(positive=0.3, negative=0.15, aggressive=0.02)),
        topics=_opt(
            f.get("topics"),
            lambda n: _phrases(n, with_default=texts.DEFAULT_TOPICS),
            FrozenDict(dict(texts.DEFAULT_TOPICS)),
        ),
    )


def _normalised(values: list[float]) -> tuple[float, ...]:
    mean = sum(values) / len(values)
    return tuple(v / mean for v in values)


def _daily(node: Node | None) -> tuple[float, ...]:
    if node is None:
        return _normalised(list(DAILY_PRESETS["social"]))
    if node.is_scalar:
        return _normalised(list(DAILY_PRESETS[node.choice(tuple(DAILY_PRESETS))]))
    items = node.sequence()
    if len(items) != 24:
        node.fail(f"a daily profile has 24 hourly factors (local hours 0..23), got {len(items)}")
    values = [item.number(min_value=0.0) for item in items]
    if sum(values) <= 0:
        node.fail("a daily profile needs some activity")
    return _normalised(values)


def _weekly(weekly: Node | None, weekend: Node | None) -> tuple[float, ...]:
    if weekly is not None:
        items = weekly.sequence()
        if len(items) != 7:
            weekly.fail(f"a weekly profile has 7 factors (Monday..Sunday), got {len(items)}")
        values = [item.number(min_value=0.0) for item in items]
        if sum(values) <= 0:
            weekly.fail("a weekly profile needs some activity")
        return _normalised(values)
    factor = _opt(weekend, lambda n: n.number(min_value=0.0, max_value=10.0), 0.8)
    return _normalised([1.0] * 5 + [factor] * 2)


def _holidays(node: Node) -> tuple[Holiday, ...]:
    out = []
    for item in node.sequence():
        f = item.mapping(required=("date", "factor"), optional=("name",))
        out.append(
            Holiday(
                date=f["date"].date(),
                factor=f["factor"].number(min_value=0.0, max_value=20.0),
                name=_opt(f.get("name"), Node.string, ""),
            )
        )
    return tuple(out)


def _population(node: Node | None) -> Population:
    default = Population(size=5000, followers_median=200.0, followers_sigma=1.8, activity=0.8)
    if node is None:
        return default
    f = node.mapping(optional=("size", "followers_median", "followers_sigma", "activity"))
    return Population(
        size=_opt(
            f.get("size"), lambda n: n.integer(min_value=1, max_value=5_000_000), default.size
        ),
        followers_median=_opt(
            f.get("followers_median"), lambda n: n.number(min_value=0.0), default.followers_median
        ),
        followers_sigma=_opt(
            f.get("followers_sigma"),
            lambda n: n.number(min_value=0.0, max_value=5.0),
            default.followers_sigma,
        ),
        activity=_opt(
            f.get("activity"), lambda n: n.number(min_value=0.0, max_value=3.0), default.activity
        ),
    )


def _wave(node: Node, *, shape: Shape, at_required: bool) -> Wave:
    rise, decay, growth = _SHAPE_DEFAULTS[shape]
    fields = ("at", "peak") if at_required else ("peak",)
    f = node.mapping(required=fields, optional=("rise", "decay", "growth"))
    return Wave(
        at_ms=f["at"].duration_ms(allow_zero=True) if at_required else 0,
        peak=f["peak"].number(min_value=1.0, max_value=100_000.0, exclusive_min=True),
        rise_ms=_opt(f.get("rise"), Node.duration_ms, rise),
        decay_ms=_opt(f.get("decay"), Node.duration_ms, decay),
        growth=_opt(f.get("growth"), lambda n: n.number(min_value=0.1, max_value=10.0), growth),
    )


_EVENT_FIELDS: Final = (
    "brand",
    "shape",
    "peak",
    "rise",
    "decay",
    "growth",
    "waves",
    "duration",
    "diurnal",
    "noise",
    "tone",
    "authors",
    "languages",
    "platforms",
    "reshare",
    "reply",
    "vocabulary",
    "complaints",
    "hashtags",
    "bots",
    "responses",
)


def _event(
    node: Node,
    *,
    brands: tuple[Brand, ...],
    start_ms: int,
    end_ms: int,
    offset_s: int,
    brand_names: tuple[str, ...],
) -> Event:
    f = node.mapping(required=("id", "kind", "start", "truth"), optional=_EVENT_FIELDS)
    event_id = _name(f["id"])
    if "brand" in f:
        brand_name = f["brand"].choice(brand_names)
    elif len(brand_names) == 1:
        brand_name = brand_names[0]
    else:
        node.fail(f"missing required field 'brand' (one of {', '.join(brand_names)})")
    brand = brands[brand_names.index(brand_name)]
    kind = cast(EventKind, f["kind"].choice(EVENT_KINDS))
    ev_start = f["start"].instant_ms(origin_ms=start_ms, offset_s=offset_s)
    if not start_ms <= ev_start < end_ms:
        f["start"].fail("the event must start inside the drill")
    shape = cast(Shape, _opt(f.get("shape"), lambda n: n.choice(SHAPES), "sudden"))
    waves = _event_waves(node, f, shape)
    ev_end = None
    if "duration" in f:
        ev_end = ev_start + f["duration"].duration_ms()
    authors = _opt(
        f.get("authors"),
        lambda n: _mix(n, keys=AUTHOR_ROLES),
        Mix(("public", "media", "employee"), (0.90, 0.07, 0.03)),
    )
    reshare = _opt(f.get("reshare"), Node.fraction, 0.3)
    reply = _opt(f.get("reply"), Node.fraction, 0.2)
    if reshare + reply > 0.9:
        node.fail(
            f"reshare + reply must leave room for original posts (<= 0.9), got {reshare + reply:g}"
        )
    languages = _opt(
        f.get("languages"), lambda n: _mix(n, keys=LANGUAGES), brand.baseline.languages
    )
    truth = _truth(f["truth"], start_ms=start_ms, default_onset_ms=ev_start, offset_s=offset_s)
    if not start_ms <= truth.onset_ms < end_ms:
        f["truth"].fail("truth.onset must fall inside the drill")
    event = Event(
        id=event_id,
        brand=brand_name,
        kind=kind,
        shape=shape,
        start_ms=ev_start,
        waves=waves,
        end_ms=ev_end,
        diurnal=_opt(f.get("diurnal"), Node.fraction, 0.5),
        noise=_noise(f.get("noise"), Noise(dispersion=0.05, period_ms=600_000)),
        tone=_opt(f.get("tone"), _tone, _DEFAULT_TONES[kind]),
        authors=authors,
        languages=languages,
        platforms=_opt(f.get("platforms"), lambda n: _mix(n, pattern=_PLATFORM_PATTERN), None),
        reshare=reshare,
        reply=reply,
        vocabulary=_opt(f.get("vocabulary"), _phrases, FrozenDict({})),
        complaints=_opt(f.get("complaints"), _phrases, FrozenDict({})),
        hashtags=_opt(f.get("hashtags"), _hashtags, ()),
        bots=_bots(f.get("bots")),
        truth=truth,
    )
    if "responses" in f:
        response_nodes = f["responses"].sequence()
        responses = tuple(
            _response(n, index=i, event=event, start_ms=start_ms, end_ms=end_ms, offset_s=offset_s)
            for i, n in enumerate(response_nodes)
        )
        _unique(
            [(r.id, n.get("id") or n) for r, n in zip(responses, response_nodes, strict=True)],
            "response id",
        )
        event = _replace_responses(event, responses)
    return event


def _replace_responses(event: Event, responses: tuple[Response, ...]) -> Event:
    return replace(event, responses=tuple(sorted(responses, key=lambda r: r.at_ms)))


def _event_waves(node: Node, f: Fields, shape: Shape) -> tuple[Wave, ...]:
    single = ("peak", "rise", "decay", "growth")
    if shape == "multi_wave":
        for key in single:
            if key in f:
                f[key].fail(f"a multi_wave event sets {key} per wave, under waves")
        if "waves" not in f:
            node.fail("missing required field 'waves' (a multi_wave event lists its waves)")
        items = f["waves"].sequence(min_len=2)
        waves = tuple(_wave(item, shape=shape, at_required=True) for item in items)
        return tuple(sorted(waves, key=lambda w: w.at_ms))
    if "waves" in f:
        f["waves"].fail(f"only a multi_wave event has waves; this one is {shape}")
    if "peak" not in f:
        node.fail("missing required field 'peak' (traffic at the top, in times the mean rate)")
    rise, decay, growth = _SHAPE_DEFAULTS[shape]
    return (
        Wave(
            at_ms=0,
            peak=f["peak"].number(min_value=1.0, max_value=100_000.0, exclusive_min=True),
            rise_ms=_opt(f.get("rise"), Node.duration_ms, rise),
            decay_ms=_opt(f.get("decay"), Node.duration_ms, decay),
            growth=_opt(f.get("growth"), lambda n: n.number(min_value=0.1, max_value=10.0), growth),
        ),
    )


def _bots(node: Node | None) -> Bots:
    if node is None:
        return Bots(accounts=40, texts=FrozenDict({}))
    f = node.mapping(optional=("accounts", "texts"))
    return Bots(
        accounts=_opt(f.get("accounts"), lambda n: n.integer(min_value=1, max_value=100_000), 40),
        texts=_opt(f.get("texts"), lambda n: _phrases(n, template=True), FrozenDict({})),
    )


def _response(
    node: Node, *, index: int, event: Event, start_ms: int, end_ms: int, offset_s: int
) -> Response:
    f = node.mapping(
        required=("at", "effect"),
        optional=("id", "text", "platforms", "languages", "half_life", "surge", "anger", "truth"),
    )
    effect = cast(Effect, f["effect"].choice(EFFECTS))
    only = {"half_life": "calms", "surge": "backfires", "anger": "backfires", "truth": "backfires"}
    for key, needed in only.items():
        if key in f and effect != needed:
            f[key].fail(f"{key} applies only to a response whose effect is {needed}")
    at = f["at"].instant_ms(origin_ms=start_ms, offset_s=offset_s)
    if not event.start_ms <= at < end_ms:
        f["at"].fail("a response comes after its event starts and inside the drill")
    surge = None
    if effect == "backfires":
        top = max(w.peak for w in event.waves)
        surge = (
            _wave(f["surge"], shape="sudden", at_required=False)
            if "surge" in f
            else Wave(at_ms=0, peak=top, rise_ms=30 * 60_000, decay_ms=3 * 3_600_000)
        )
    truth = None
    if effect == "backfires":
        truth = _opt(
            f.get("truth"),
            lambda n: _truth(n, start_ms=start_ms, default_onset_ms=at, offset_s=offset_s),
            Truth(level=event.truth.level, min_level=event.truth.min_level, onset_ms=at),
        )
    languages = _opt(
        f.get("languages"),
        lambda n: tuple(item.choice(LANGUAGES) for item in n.sequence(min_len=1)),
        tuple(event.languages.keys),
    )
    return Response(
        id=_opt(f.get("id"), _name, f"{event.id}-response-{index + 1}"),
        at_ms=at,
        effect=effect,
        text=_opt(f.get("text"), _lang_texts, FrozenDict({})),
        platforms=_opt(
            f.get("platforms"),
            lambda n: tuple(
                item.string(pattern=_PLATFORM_PATTERN, hint="lowercase platform name")
                for item in n.sequence(min_len=1)
            ),
            ("twitter",),
        ),
        languages=languages,
        half_life_ms=_opt(f.get("half_life"), Node.duration_ms, 3 * 3_600_000),
        surge=surge,
        anger=_opt(f.get("anger"), lambda n: n.number(min_value=1.0, max_value=10.0), 1.8),
        truth=truth,
    )
