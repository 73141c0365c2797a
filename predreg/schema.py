"""JSON Schema of the registry format, generated from the model classes.

Editors use it through a first line such as::

    # yaml-language-server: $schema=https://.../prediction.schema.json

The schema catches what a schema can (types, ranges, unknown keys, which forecast
field goes with which kind); ``predreg check`` adds the rules that span files. It is
one hook per field descriptor (``predreg.fieldtypes``), in a dispatch table.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import attrs

from .fieldtypes import (
    ID_PATTERN,
    MAGNITUDE_MAX,
    PROBABILITY_MAX,
    PROBABILITY_MIN,
    SHA256_PATTERN,
    Choice,
    Config,
    Date,
    FieldType,
    Hex,
    Identifier,
    Integer,
    LinkOrRecord,
    ListOf,
    MappingOf,
    Number,
    Outcome,
    Probability,
    Record,
    Sha256,
    Text,
    Timestamp,
    Url,
    specs,
)
from .load import CLASSES
from .version import __version__

_FORECAST_FIELD = {
    "binary": "probability",
    "categorical": "probabilities",
    "ordering": "probabilities",
    "numeric": "quantiles",
}


def json_schema(kind: str = "prediction") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind of registry file."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://predreg.dev/schema/{__version__}/{kind}.json",
        "title": f"predreg {kind} file",
        **object_schema(CLASSES[kind]),
    }
    if kind == "prediction":
        inline = ["claim", "criteria", "resolve_by", "resolver", "kind"]
        schema["oneOf"] = [
            {"required": ["question"], "not": {"anyOf": [{"required": [f]} for f in inline[:4]]}},
            {"required": inline, "not": {"required": ["question"]}},
        ]
        schema["allOf"] = [
            {"if": {"required": ["kind"], "properties": {"kind": {"const": kind_name}}}, "then": {"required": [field]}}
            for kind_name, field in _FORECAST_FIELD.items()
        ]
    return schema


def object_schema(cls: type) -> dict[str, Any]:
    """The schema of a mapping that is a record of ``cls``: its fields, which are required, no others."""
    properties = {}
    required = []
    for name, (attribute, field_spec) in specs(cls).items():
        properties[name] = {"description": field_spec.doc, **field_schema(field_spec.type)}
        if attribute.default is attrs.NOTHING:
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


@functools.singledispatch
def field_schema(kind: FieldType) -> dict[str, Any]:
    """The schema of one field's value; any value for a kind a schema cannot describe (``Plain``)."""
    return {}


@field_schema.register
def _text(kind: Text) -> dict[str, Any]:
    return {"type": "string", "minLength": 1}


@field_schema.register
def _identifier(kind: Identifier) -> dict[str, Any]:
    return {"type": "string", "pattern": ID_PATTERN}


@field_schema.register
def _choice(kind: Choice) -> dict[str, Any]:
    return {"enum": list(kind.choices)}


@field_schema.register
def _url(kind: Url) -> dict[str, Any]:
    return {"type": "string", "pattern": "^https?://"}


@field_schema.register
def _sha256(kind: Sha256) -> dict[str, Any]:
    return {"type": "string", "pattern": "^" + re.escape(kind.prefix) + SHA256_PATTERN.lstrip("^")}


@field_schema.register
def _hex(kind: Hex) -> dict[str, Any]:
    return {"type": "string", "pattern": "^[0-9a-f]+$"}


@field_schema.register
def _number(kind: Number) -> dict[str, Any]:
    return {"type": "number", "minimum": -MAGNITUDE_MAX, "maximum": MAGNITUDE_MAX}


@field_schema.register
def _probability(kind: Probability) -> dict[str, Any]:
    return {"type": "number", "minimum": PROBABILITY_MIN, "maximum": PROBABILITY_MAX}


@field_schema.register
def _integer(kind: Integer) -> dict[str, Any]:
    return {"type": "integer"}


@field_schema.register
def _date(kind: Date) -> dict[str, Any]:
    return {"type": "string", "format": "date"}


@field_schema.register
def _timestamp(kind: Timestamp) -> dict[str, Any]:
    return {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}


@field_schema.register
def _outcome(kind: Outcome) -> dict[str, Any]:
    # YAML 1.1 readers (most editors) read a plain yes/no as a boolean
    return {"type": ["string", "number", "boolean"]}


@field_schema.register
def _list_of(kind: ListOf) -> dict[str, Any]:
    return {"type": "array", "items": field_schema(kind.item)}


@field_schema.register
def _mapping_of(kind: MappingOf) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": field_schema(kind.value), "minProperties": 1}


@field_schema.register
def _record(kind: Record) -> dict[str, Any]:
    return object_schema(kind.cls)


@field_schema.register
def _link_or_record(kind: LinkOrRecord) -> dict[str, Any]:
    return {"anyOf": [{"type": "string"}, object_schema(kind.cls)]}


@field_schema.register
def _config(kind: Config) -> dict[str, Any]:
    return {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
