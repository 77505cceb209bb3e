"""Tocsin's public message formats as JSON Schema files.

The files in this folder are generated from the msgspec structures that decode
and encode the messages (``tocsin schema NAME`` prints one); a test keeps them
equal, so the published contract is the one the code enforces.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Final, Literal

import msgspec

__all__ = ["SCHEMA_IDS", "SCHEMA_NAMES", "SchemaName", "load_schema", "schema_of"]

SchemaName = Literal["mention", "alert", "incident", "brand-minutes", "command"]
SCHEMA_NAMES: Final[tuple[str, ...]] = ("mention", "alert", "incident", "brand-minutes", "command")

SCHEMA_IDS: Final[dict[str, str]] = {
    name: f"https://tocsin.dev/schemas/{name}-1.json" for name in SCHEMA_NAMES
}


def schema_of(name: SchemaName) -> dict[str, Any]:
    """Generate the JSON Schema of a message format from its structures."""
    if name == "mention":
        from streams.mention import Mention

        doc = msgspec.json.schema(Mention)
        title = "Tocsin mention (one JSON object; a message may carry an array of them)"
    elif name == "alert":
        from streams.alerts import Alert

        doc = msgspec.json.schema(Alert)
        title = "Tocsin alert (value of a message on the alerts topic, key = brand)"
    elif name == "incident":
        from streams.incidents import IncidentMessage

        doc = msgspec.json.schema(IncidentMessage)
        title = "Tocsin incident event (value on the incidents topic, key = brand)"
    elif name == "brand-minutes":
        from streams.incidents import BrandMinutes

        doc = msgspec.json.schema(BrandMinutes)
        title = "Tocsin minute record of a brand (value on the brand-minutes topic, key = brand)"
    elif name == "command":
        from streams.commands import Command

        doc = msgspec.json.schema(Command)
        title = "Tocsin command (value on the commands topic, key = brand)"
    else:
        listed = ", ".join(repr(n) for n in SCHEMA_NAMES)
        raise ValueError(f"name={name!r} is not valid; valid values: {listed}")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_IDS[name],
        "title": title,
        **doc,
    }


def load_schema(name: SchemaName) -> dict[str, Any]:
    """The committed schema file ``<name>.schema.json``."""
    text = resources.files(__name__).joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]
