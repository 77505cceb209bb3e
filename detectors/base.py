"""The one contract every detector follows, in the manner of river.

A detector is built with keyword arguments only, each stored as an attribute of
the same name; ``update(...)`` feeds it one observation (a closed bin); read-only
properties expose what it concluded. ``reset()`` forgets what it learnt and keeps
its parameters, ``clone()`` returns a fresh detector with the same parameters.
Detectors hold no clock and do no I/O: time comes in as ``*_ms`` integers. They
pickle, so their state can live in a changelog.

Invalid parameters raise :class:`ValueError` naming the valid values, through the
``check_*`` helpers below.
"""

from __future__ import annotations

import abc
import dataclasses
import inspect
import math
from collections.abc import Iterable, Sequence
from typing import Any, Self

__all__ = [
    "Detector",
    "check_choice",
    "check_fraction",
    "check_positive",
    "check_positive_int",
    "is_number",
    "restore_by_position",
]


class Detector(abc.ABC):
    """Base class of every detector.

    Subclasses call ``super().__init__()`` last, after storing their parameters,
    and put every piece of learnt state in :meth:`_init_state`, so that
    :meth:`reset` can rebuild it.
    """

    def __init__(self) -> None:
        self._init_state()

    @abc.abstractmethod
    def _init_state(self) -> None:
        """(Re)create the learnt state from the parameters."""

    def _get_params(self) -> dict[str, Any]:
        """Return the constructor arguments, read back from the attributes."""
        signature = inspect.signature(type(self).__init__)
        return {name: getattr(self, name) for name in signature.parameters if name != "self"}

    def clone(self) -> Self:
        """Return a new detector with the same parameters and no learnt state."""
        return type(self)(**self._get_params())

    def reset(self) -> None:
        """Forget everything learnt; keep the parameters."""
        self._init_state()

    def _restore_upgraded(self, state: dict[str, Any]) -> None:
        """Restore a pickled detector (a brand's state from the changelog): state
        pickled by an older version of the class gains the parameters added since at
        their defaults, and fresh learnt state for the new parts, so an upgrade
        keeps what the brand learnt. A subclass whose pickles must survive new
        parameters calls it from its ``__setstate__``."""
        current = type(self).__init__.__kwdefaults__ or {}
        params = {name: state.get(name, default) for name, default in current.items()}
        self.__dict__.update(type(self)(**params).__dict__)
        self.__dict__.update(state)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self._get_params().items())
        return f"{type(self).__name__}({params})"


def restore_by_position(obj: Any, state: Sequence[Any]) -> None:
    """Restore a frozen, slotted dataclass pickled as its field values in order; a
    field added since the state was pickled takes its default.

    >>> @dataclasses.dataclass(frozen=True, slots=True)
    ... class Point:
    ...     x: float
    ...     y: float = 0.0
    >>> p = Point.__new__(Point)
    >>> restore_by_position(p, [1.5])  # pickled before y existed
    >>> p
    Point(x=1.5, y=0.0)
    """
    for i, f in enumerate(dataclasses.fields(obj)):
        if i < len(state):
            value = state[i]
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:
            value = f.default
        object.__setattr__(obj, f.name, value)


def check_choice(name: str, value: object, valid: Iterable[object]) -> None:
    """Raise :class:`ValueError` unless ``value`` is one of ``valid``.

    >>> check_choice("kind", "sum", ("sum", "max"))
    >>> check_choice("kind", "avg", ("sum", "max"))
    Traceback (most recent call last):
    ...
    ValueError: kind='avg' is not valid; valid values: 'sum', 'max'
    """
    options = tuple(valid)
    if value not in options:
        listed = ", ".join(repr(v) for v in options)
        raise ValueError(f"{name}={value!r} is not valid; valid values: {listed}")


def is_number(value: object) -> bool:
    """An int or a float, not a bool (``True`` is no duration)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_positive(name: str, value: float, *, allow_zero: bool = False) -> None:
    """Raise :class:`ValueError` unless ``value`` is a finite number > 0 (or >= 0).

    >>> check_positive("half_life_ms", 0)
    Traceback (most recent call last):
    ...
    ValueError: half_life_ms=0 is not valid; valid values: a finite number > 0
    """
    ok = is_number(value) and math.isfinite(value)
    ok = ok and (value >= 0 if allow_zero else value > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}={value!r} is not valid; valid values: a finite number {bound}")


def check_positive_int(name: str, value: int, *, minimum: int = 1) -> None:
    """Raise :class:`ValueError` unless ``value`` is an integer >= ``minimum``.

    >>> check_positive_int("capacity", 0)
    Traceback (most recent call last):
    ...
    ValueError: capacity=0 is not valid; valid values: an integer >= 1
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name}={value!r} is not valid; valid values: an integer >= {minimum}")


def check_fraction(name: str, value: float, *, low: float = 0.0, high: float = 1.0) -> None:
    """Raise :class:`ValueError` unless ``low < value < high``.

    >>> check_fraction("alpha", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: alpha=1.5 is not valid; valid values: a number in the open interval (0.0, 1.0)
    """
    ok = is_number(value) and math.isfinite(value) and low < value < high
    if not ok:
        raise ValueError(
            f"{name}={value!r} is not valid; valid values: a number in the open interval "
            f"({low}, {high})"
        )
