"""JSON Schema of the registry format, generated from the model classes.

Editors use it through a first line such as::

    # yaml-language-server: $schema=https://.../prediction.schema.json

The schema catches what a schema can (types, ranges, unknown keys, which forecast
field goes with which kind); ``predreg check`` adds the rules that span files.
"""

from __future__ import annotations

from typing import Any

from . import __version__
from .fields import object_schema
from .load import CLASSES

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
