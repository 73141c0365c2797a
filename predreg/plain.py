"""Records to plain JSON values and back, exactly: how shards hand their records to the merge.

The conversion follows each field's file type (``predreg.fields``), so it needs no
second description of the format: dates and moments become ISO strings, nested
records mappings, tuples lists, and quantile levels (numbers used as keys) strings.
A resolver's settings are not carried: they were validated where the file was read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
    converters = _converters(cls)
    return cls(
        **{name: value if (convert := converters[name]) is None else convert(value) for name, value in data.items()}
    )


_CONVERTERS: dict[type, dict[str, Callable[[Any], Any] | None]] = {}


def _converters(cls: type) -> dict[str, Callable[[Any], Any] | None]:
    """Per field, how to turn its plain value back (None: it is already right), worked out once per class."""
    found = _CONVERTERS.get(cls)
    if found is None:
        found = _CONVERTERS[cls] = {name: _converter(spec.type) for name, (_, spec) in specs(cls).items()}
    return found


def _converter(kind: Any) -> Callable[[Any], Any] | None:
    if isinstance(kind, Date):
        return lambda value: None if value is None else dt.date.fromisoformat(value)
    if isinstance(kind, Timestamp):
        return lambda value: None if value is None else dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    if isinstance(kind, Config):
        return lambda value: (
            None
            if value is None
            else kind.cls(name=value["name"], config={k: v for k, v in value.items() if k != "name"})
        )
    if isinstance(kind, Record):
        return lambda value: None if value is None else load(kind.cls, value)
    if isinstance(kind, ListOf):
        item_of = _converter(kind.item)
        if item_of is None:
            return lambda value: None if value is None else tuple(value)
        convert_item = item_of
        return lambda value: None if value is None else tuple(convert_item(item) for item in value)
    if isinstance(kind, MappingOf):
        inner = _converter(kind.value)
        number_keys = kind.key is quantile_level
        if inner is None and not number_keys:
            return None
        value_of = inner or (lambda v: v)
        key_of: Callable[[Any], Any] = float if number_keys else (lambda k: k)
        return lambda value: None if value is None else {key_of(k): value_of(v) for k, v in value.items()}
    return None
