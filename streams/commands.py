"""Commands people send to the workers: acknowledge an incident, declare an expected spike.

Commands travel on the commands topic, keyed by brand, so that the worker that
owns the brand's partition of the mentions topic reads them, in order with the
brand's mentions (Faust gives a worker the same partition numbers of topics
that have the same number of partitions). The value is JSON with a ``command``
field naming the kind.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Literal

import msgspec
from kafka import KafkaProducer

from streams.mention import BrandName, EpochMs
from streams.settings import Settings

__all__ = [
    "AckCommand",
    "Command",
    "ExpectCommand",
    "brand_of_incident",
    "decode_command",
    "send_command",
]

ExpectationKind = Literal["campaign", "launch", "announcement"]
_Text = Annotated[str, msgspec.Meta(max_length=2000)]


class AckCommand(msgspec.Struct, frozen=True, tag="ack", tag_field="command"):
    """Someone takes an incident in hand."""

    command_id: str
    incident_id: str
    by: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    at: EpochMs  # when the command was given
    note: _Text = ""


class ExpectCommand(msgspec.Struct, frozen=True, tag="expect", tag_field="command"):
    """A window in which a positive spike of the brand is expected (no alert for it)."""

    command_id: str
    brand: BrandName
    from_ms: EpochMs
    to_ms: EpochMs
    kind: ExpectationKind
    at: EpochMs
    note: _Text = ""


Command = AckCommand | ExpectCommand
_decoder = msgspec.json.Decoder(Command)


def decode_command(value: bytes) -> Command:
    """Decode a command; raises msgspec errors on bad input."""
    command: Command = _decoder.decode(value)
    return command


def brand_of_incident(incident_id: str) -> str:
    """The brand in an incident id ``INC-<yyyymmddThhmm>-<brand>``.

    >>> brand_of_incident("INC-20260302T1012-acme-corp")
    'acme-corp'
    """
    parts = incident_id.split("-", 2)
    if len(parts) != 3 or parts[0] != "INC" or not parts[2]:
        raise ValueError(
            f"incident id {incident_id!r} is not valid; valid values: INC-<yyyymmddThhmm>-<brand>"
        )
    return parts[2]


def send_command(settings: Settings, command: Command) -> None:
    """Publish a command, keyed by its brand, and wait until the broker has it."""
    brand = (
        command.brand
        if isinstance(command, ExpectCommand)
        else brand_of_incident(command.incident_id)
    )
    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all")
    try:
        producer.send(
            settings.commands_topic, key=brand.encode(), value=msgspec.json.encode(command)
        ).get(timeout=30)
    finally:
        producer.close()


def new_command_id() -> str:
    """A fresh command id."""
    return str(uuid.uuid4())


def now_ms() -> int:
    """Wall clock, epoch ms (the command's own time)."""
    return int(time.time() * 1000)
