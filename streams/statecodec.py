"""How brand records travel in the changelog: pickle, restricted at load time.

The detectors' state is plain Python and numpy, and picklable by contract.
Loading a pickle can run arbitrary code, and anyone able to write to the
changelog topic could try; so loading goes through an unpickler that builds only
the classes of Tocsin's own state and the few numpy and standard-library types
it is made of, and refuses everything else. Keys are UTF-8 brand names.
"""

from __future__ import annotations

import io
import pickle
from typing import Any, Final

from faust.serializers import codecs

__all__ = ["KEY_CODEC", "STATE_CODEC", "dumps_state", "loads_state", "register_codecs"]

KEY_CODEC: Final = "tocsin_utf8"
STATE_CODEC: Final = "tocsin_state"

_ALLOWED_PREFIXES: Final = ("detectors.", "streams.processor")
_ALLOWED: Final = frozenset(
    {
        ("builtins", "dict"),
        ("builtins", "list"),
        ("builtins", "tuple"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "bytearray"),
        ("builtins", "getattr"),
        ("collections", "deque"),
        ("collections", "OrderedDict"),
        ("array", "array"),
        ("array", "_array_reconstructor"),
        ("copyreg", "_reconstructor"),
        ("builtins", "object"),
        ("numpy", "dtype"),
        ("numpy", "ndarray"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.numeric", "_frombuffer"),
    }
)


class _StateUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED or (
            module.startswith(_ALLOWED_PREFIXES) and not name.startswith("__")
        ):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from the changelog")


def dumps_state(obj: Any) -> bytes:
    """Serialise a brand record."""
    return pickle.dumps(obj, protocol=5)


def loads_state(data: bytes) -> Any:
    """Load a brand record, refusing any class outside Tocsin's state.

    >>> loads_state(dumps_state({"a": [1, 2]}))
    {'a': [1, 2]}
    >>> import os
    >>> loads_state(pickle.dumps(os.system))
    Traceback (most recent call last):
    ...
    _pickle.UnpicklingError: refusing to load posix.system from the changelog
    """
    return _StateUnpickler(io.BytesIO(data)).load()


class _Utf8(codecs.Codec):
    def _dumps(self, obj: Any) -> bytes:
        return obj.encode("utf-8") if isinstance(obj, str) else bytes(obj)

    def _loads(self, s: bytes) -> Any:
        return s.decode("utf-8")


class _State(codecs.Codec):
    def _dumps(self, obj: Any) -> bytes:
        return dumps_state(obj)

    def _loads(self, s: bytes) -> Any:
        return loads_state(s)


def register_codecs() -> None:
    """Make the codecs known to Faust by name (idempotent)."""
    codecs.register(KEY_CODEC, _Utf8())
    codecs.register(STATE_CODEC, _State())
