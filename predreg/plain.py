"""Records to plain JSON values and back, exactly: how shards hand their records to the merge.

The conversion follows each field's file type (``predreg.fields``), so it needs no
second description of the format: dates and moments become ISO strings, nested
records mappings, tuples lists, and quantile levels (numbers used as keys) strings.
A resolver's settings are not carried: they were validated where the file was read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from .fields import Config, Date, ListOf, MappingOf, Record, Timestamp, quantile_level, specs


def dump(record: Any) -> dict[str, Any]:
    """The record's fields as JSON values (fields at their defaults left out)."""
    result = {}
    for name, (attribute, spec) in specs(type(record)).items():
        value = getattr(record, name)
        default = attribute.default
        if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            default = default.factory()  # type: ignore[union-attr]
        if value == default and attribute.default is not attrs.NOTHING:
            continue
        result[name] = _dump(spec.type, value)
    return result


def _dump(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, Date):
        return value.isoformat()
    if isinstance(kind, Timestamp):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(kind, Config):
        return {"name": value.name, **value.config}
    if isinstance(kind, Record):
        return dump(value)
    if isinstance(kind, ListOf):
        return [_dump(kind.item, item) for item in value]
    if isinstance(kind, MappingOf):
        return {repr(k) if isinstance(k, float) else k: _dump(kind.value, v) for k, v in value.items()}
    return value


def load(cls: type, data: dict[str, Any]) -> Any:
    """The record ``dump`` made ``data`` from."""
    fields = specs(cls)
    return cls(**{name: _load(fields[name][1].type, value) for name, value in data.items()})


def _load(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(kind, Date):
        return dt.date.fromisoformat(value)
    if isinstance(kind, Timestamp):
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    if isinstance(kind, Config):
        settings = {k: v for k, v in value.items() if k != "name"}
        return kind.cls(name=value["name"], config=settings)
    if isinstance(kind, Record):
        return load(kind.cls, value)
    if isinstance(kind, ListOf):
        return tuple(_load(kind.item, item) for item in value)
    if isinstance(kind, MappingOf):
        number_keys = kind.key is quantile_level
        return {float(k) if number_keys else k: _load(kind.value, v) for k, v in value.items()}
    return value
