"""Read a YAML document node by node, so every error can name its line.

:func:`compose` parses the text into PyYAML's node graph (``yaml.compose``
keeps the position of every node); :class:`Node` wraps one node with its field
path (``events[1].tone.negative``) and offers typed readers that raise
:class:`ScenarioError` naming the file, the path and the line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, NoReturn

import yaml

__all__ = ["Node", "ScenarioError", "compose", "parse_duration"]


class ScenarioError(ValueError):
    """A drill scenario that cannot be read: syntax, type or value error.

    Parameters
    ----------
    message
        What is wrong and, when useful, what would be right.
    source
        The file (or ``<string>``) the scenario came from.
    path
        The field, dotted with list indices: ``events[0].tone.negative``.
    line
        1-based line of the offending node in ``source``.

    Examples
    --------
    >>> err = ScenarioError("must be > 0", source="x.yaml", path="brands[0].rate", line=7)
    >>> str(err)
    'x.yaml:7: brands[0].rate: must be > 0'
    >>> (err.source, err.path, err.line)
    ('x.yaml', 'brands[0].rate', 7)
    """

    def __init__(
        self,
        message: str,
        *,
        source: str = "<string>",
        path: str = "",
        line: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.path = path
        self.line = line
        where = source if line is None else f"{source}:{line}"
        field = f" {path}:" if path else ""
        super().__init__(f"{where}:{field} {message}")


ScenarioError.__module__ = "streams.drills"


_DURATION_RE: Final = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s|ms)")
_DURATION_MS: Final = {"w": 604_800_000, "d": 86_400_000, "h": 3_600_000, "m": 60_000, "s": 1000}


def parse_duration(text: str) -> int:
    """Return the milliseconds of a duration such as ``"1d12h"`` or ``"90s"``.

    Units: ``w`` weeks, ``d`` days, ``h`` hours, ``m`` minutes, ``s`` seconds,
    ``ms`` milliseconds; parts add up and may be separated by spaces.

    Raises
    ------
    ValueError
        When the text is not such a duration.

    Examples
    --------
    >>> parse_duration("1d12h"), parse_duration("90s"), parse_duration("1h 30m")
    (129600000, 90000, 5400000)
    """
    compact = text.strip()
    if not compact:
        raise ValueError("empty duration")
    pos, total = 0, 0.0
    for match in _DURATION_RE.finditer(compact):
        if compact[pos : match.start()].strip():
            break
        value, unit = match.groups()
        total += float(value) * (1 if unit == "ms" else _DURATION_MS[unit])
        pos = match.end()
    if pos == 0 or compact[pos:].strip():
        raise ValueError(
            f"{text!r} is not a duration; write e.g. '90s', '15m', '2h', '7d', '1d12h'"
        )
    return round(total)


def compose(text: str, *, source: str) -> tuple[Node, yaml.SafeLoader]:
    """Parse ``text`` into its root :class:`Node`; syntax errors become ScenarioError."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if exc.context_mark is not None and mark is not None and exc.context_mark.line != mark.line:
            problem += f" (the construct starts on line {exc.context_mark.line + 1})"
        line = mark.line + 1 if mark is not None else None
        loader.dispose()
        raise ScenarioError(f"YAML syntax error: {problem}", source=source, line=line) from None
    except yaml.YAMLError as exc:
        loader.dispose()
        raise ScenarioError(f"YAML error: {exc}", source=source) from None
    if root is None:
        loader.dispose()
        raise ScenarioError("empty scenario", source=source, line=1)
    return Node(root, path="", source=source, loader=loader), loader


@dataclass(frozen=True, slots=True)
class Node:
    """One YAML node with its field path, and typed readers that fail clearly."""

    node: yaml.Node
    path: str
    source: str
    loader: yaml.SafeLoader

    @property
    def line(self) -> int:
        """1-based line where the node starts."""
        return int(self.node.start_mark.line) + 1

    def fail(self, message: str) -> NoReturn:
        """Raise :class:`ScenarioError` at this node."""
        raise ScenarioError(message, source=self.source, path=self.path or "(top)", line=self.line)

    def _child(self, node: yaml.Node, suffix: str) -> Node:
        if suffix.startswith("["):
            path = f"{self.path}{suffix}"
        else:
            path = f"{self.path}.{suffix}" if self.path else suffix
        return Node(node, path=path, source=self.source, loader=self.loader)

    # ----------------------------------------------------------------- shapes
    @property
    def is_sequence(self) -> bool:
        """Whether the node is a YAML list."""
        return isinstance(self.node, yaml.SequenceNode)

    @property
    def is_scalar(self) -> bool:
        """Whether the node is a single value."""
        return isinstance(self.node, yaml.ScalarNode)

    def mapping(
        self,
        *,
        required: Iterable[str] = (),
        optional: Iterable[str] = (),
        open_keys: bool = False,
    ) -> Fields:
        """Read a mapping; refuse unknown (unless ``open_keys``), duplicate and missing keys."""
        if not isinstance(self.node, yaml.MappingNode):
            self.fail(f"expected a mapping (key: value), got {self._kind()}")
        req, opt = tuple(required), tuple(optional)
        allowed = set(req) | set(opt)
        found: dict[str, Node] = {}
        for key_node, value_node in self._pairs(self.node):
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            key_at = Node(key_node, self.path or "(top)", self.source, self.loader)
            if not isinstance(key, str):
                key_at.fail("keys must be plain names")
            child = self._child(value_node, key)
            if key in found:
                child.fail(f"duplicate key {key!r} (first on line {found[key].line})")
            if key not in allowed and not open_keys:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                valid = ", ".join(sorted(allowed))
                child.fail(f"unknown field {key!r}{hint}; valid fields here: {valid}")
            found[key] = child
        for key in req:
            if key not in found:
                self.fail(f"missing required field {key!r}")
        return Fields(self, found)

    def _pairs(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        """Key/value pairs, with YAML merge keys (``<<: *anchor``) flattened."""
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        own: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for src in sources:
                    if not isinstance(src, yaml.MappingNode):
                        Node(src, self.path, self.source, self.loader).fail(
                            "a merge key (<<) needs a mapping"
                        )
                    merged.extend(self._pairs(src))
            else:
                own.append((key_node, value_node))
        own_keys = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        return [(k, v) for k, v in merged if k.value not in own_keys] + own

    def get(self, key: str) -> Node | None:
        """The value of ``key`` in a mapping node, unchecked (None when absent)."""
        if isinstance(self.node, yaml.MappingNode):
            for key_node, value_node in self._pairs(self.node):
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                    return self._child(value_node, key)
        return None

    def sequence(self, *, min_len: int = 0) -> list[Node]:
        """Read a list of nodes."""
        if not isinstance(self.node, yaml.SequenceNode):
            self.fail(f"expected a list, got {self._kind()}")
        items = [self._child(n, f"[{i}]") for i, n in enumerate(self.node.value)]
        if len(items) < min_len:
            self.fail(f"needs at least {min_len} item(s), got {len(items)}")
        return items

    def scalar(self) -> object:
        """The Python value of a scalar (int, float, str, bool, date, datetime, None)."""
        if not isinstance(self.node, yaml.ScalarNode):
            self.fail(f"expected a single value, got {self._kind()}")
        try:
            return self.loader.construct_object(self.node, deep=True)
        except yaml.YAMLError as exc:
            self.fail(f"unreadable value: {exc}")

    def _kind(self) -> str:
        if isinstance(self.node, yaml.MappingNode):
            return "a mapping"
        if isinstance(self.node, yaml.SequenceNode):
            return "a list"
        return f"{self.node.value!r}"

    # ----------------------------------------------------------------- values
    def string(self, *, pattern: str | None = None, hint: str = "") -> str:
        """A non-empty string, optionally matching ``pattern``."""
        value = self.scalar()
        if not isinstance(value, str) or not value.strip():
            self.fail(f"expected a non-empty string, got {value!r}")
        if pattern is not None and not re.fullmatch(pattern, value):
            self.fail(f"{value!r} is not valid{': ' + hint if hint else ''}")
        return value

    def number(
        self,
        *,
        min_value: float | None = None,
        max_value: float | None = None,
        exclusive_min: bool = False,
    ) -> float:
        """A finite number within bounds."""
        value = self.scalar()
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.fail(f"expected a number, got {value!r}")
        low_ok = (
            min_value is None or value > min_value or (not exclusive_min and value == min_value)
        )
        if not low_ok:
            op = ">" if exclusive_min else ">="
            self.fail(f"must be {op} {min_value:g}, got {value!r}")
        if max_value is not None and value > max_value:
            self.fail(f"must be <= {max_value:g}, got {value!r}")
        return float(value)

    def fraction(self) -> float:
        """A number in [0, 1]."""
        return self.number(min_value=0.0, max_value=1.0)

    def integer(self, *, min_value: int | None = None, max_value: int | None = None) -> int:
        """An integer within bounds."""
        value = self.scalar()
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"expected an integer, got {value!r}")
        if min_value is not None and value < min_value:
            self.fail(f"must be >= {min_value}, got {value}")
        if max_value is not None and value > max_value:
            self.fail(f"must be <= {max_value}, got {value}")
        return value

    def boolean(self) -> bool:
        """``true`` or ``false``."""
        value = self.scalar()
        if not isinstance(value, bool):
            self.fail(f"expected true or false, got {value!r}")
        return value

    def choice(self, options: Iterable[str]) -> str:
        """One of ``options``."""
        valid = tuple(options)
        value = self.scalar()
        if value not in valid:
            self.fail(f"{value!r} is not valid; valid values: {', '.join(valid)}")
        assert isinstance(value, str)
        return value

    def duration_ms(self, *, allow_zero: bool = False) -> int:
        """A duration string (``"15m"``, ``"1d12h"``) in milliseconds."""
        value = self.scalar()
        if not isinstance(value, str):
            self.fail(f"expected a duration with a unit such as '15m', '2h', '7d', got {value!r}")
        try:
            ms = parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc))
        if ms < 0 or (ms == 0 and not allow_zero):
            self.fail(f"must be a positive duration, got {value!r}")
        return ms

    def date(self) -> dt.date:
        """A calendar date, ``2024-05-01``."""
        value = self.scalar()
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self.fail(f"expected a date such as 2024-05-01, got {value!r}")
        return value

    def instant_ms(self, *, origin_ms: int | None, offset_s: int, require_tz: bool = False) -> int:
        """An instant in epoch ms: a date-time, or a duration after ``origin_ms``.

        A date-time without offset is read in the scenario's local time
        (``offset_s`` seconds east of UTC).
        """
        value = self.scalar()
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                if require_tz:
                    self.fail(
                        f"{value.isoformat()} needs a UTC offset, e.g. 2024-03-04T00:00:00+01:00"
                    )
                value = value.replace(tzinfo=dt.timezone(dt.timedelta(seconds=offset_s)))
            return round(value.timestamp() * 1000)
        if isinstance(value, str) and origin_ms is not None:
            try:
                return origin_ms + parse_duration(value)
            except ValueError:
                pass
        if origin_ms is None:
            self.fail(f"expected a date-time such as 2024-03-04T00:00:00+01:00, got {value!r}")
        self.fail(
            f"expected a date-time (2024-03-11T09:30:00) or an offset from the scenario "
            f"start ('7d9h30m'), got {value!r}"
        )


@dataclass(frozen=True, slots=True)
class Fields:
    """The checked fields of one mapping."""

    owner: Node
    found: dict[str, Node]

    def __contains__(self, key: str) -> bool:
        return key in self.found

    def __getitem__(self, key: str) -> Node:
        return self.found[key]

    def get(self, key: str) -> Node | None:
        """The field's node, or None when absent."""
        return self.found.get(key)
