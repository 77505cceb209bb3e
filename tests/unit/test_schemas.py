"""The committed JSON Schemas are the ones the code enforces."""

from __future__ import annotations

import json

import jsonschema
import msgspec
import pytest

from streams.mention import Mention
from streams.schemas import SCHEMA_NAMES, load_schema, schema_of
from tests.synthetic import stream


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_committed_schema_equals_generated(name: str) -> None:
    assert load_schema(name) == json.loads(json.dumps(schema_of(name))), (
        f"regenerate with: tocsin schema {name} > streams/schemas/{name}.schema.json"
    )


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_json_schema(name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema(name))


def test_decoder_and_schema_agree_on_valid_and_invalid_mentions() -> None:
    schema = load_schema("mention")
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    decoder = msgspec.json.Decoder(Mention)
    good = stream("acme", minutes=30, rate_per_min=3, seed=2)
    variants = []
    for m in good[:20]:
        variants.append(m)
        variants.append({**m, "ts": "2026-01-01T10:00:00+01:00"})
        variants.append({**m, "ts": -5})
        variants.append({**m, "author": {**m["author"], "followers": -1}})
        variants.append({**m, "author": {**m["author"], "kind": "robot"}})
        variants.append({k: v for k, v in m.items() if k != "brand"})
        variants.append({**m, "sentiment": 1.5})
        variants.append({**m, "id": ""})
        variants.append({**m, "brand": "two words"})
        variants.append({**m, "reply_to": None, "lang": None})
    for doc in variants:
        schema_ok = validator.is_valid(doc)
        try:
            decoder.decode(msgspec.json.encode(doc))
            decoded_ok = True
        except msgspec.ValidationError:
            decoded_ok = False
        assert schema_ok == decoded_ok, doc
