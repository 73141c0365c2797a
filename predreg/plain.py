"""Records to plain JSON values and back, exactly: how the index and shards carry loaded records.

One hook per field descriptor (``predreg.fieldtypes``) each way, in a dispatch table,
so the conversion needs no second description of the format: dates and moments become
ISO strings, nested records mappings, tuples lists, and quantile levels (numbers used
as keys) strings. A resolver keeps its plain config and where its block was written,
so that its settings are checked, with the same messages, wherever the record travels.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any

import attrs

from .fieldtypes import Config, Date, FieldType, ListOf, MappingOf, Number, Record, Timestamp, specs
from .model import Resolver
from .safeyaml import Mapping, Node, Scalar, Sequence

Convert = Callable[[Any], Any]


@attrs.frozen
class Stored:
    """Where a resolver block was written, as the index and the shards carry it: ``dump_node``'s JSON, as text.

    Kept as text, it costs nothing to thaw and is itself the key by which a check dedupes
    equal blocks; it becomes nodes again only when a check reads it (``nodes``).
    """

    text: str

    def nodes(self) -> Node | None:
        """The located nodes, or None if ``text`` is not what ``dump_node`` writes (a forged shard line)."""
        try:
            return load_node(json.loads(self.text))
        except (ValueError, TypeError, KeyError, RecursionError):
            return None


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
        result[name] = None if value is None else _dump(spec.type, value)
    return result


@functools.singledispatch
def _dump(kind: FieldType, value: Any) -> Any:
    return value  # text, numbers and outcomes are JSON values as they are


@_dump.register
def _dump_date(kind: Date, value: dt.date) -> Any:
    return value.isoformat()


@_dump.register
def _dump_timestamp(kind: Timestamp, value: dt.datetime) -> Any:
    return value.astimezone(dt.UTC).isoformat()


@_dump.register
def _dump_config(kind: Config, value: Any) -> Any:
    plain: dict[str, Any] = {"name": value.name, "config": value.config}
    if isinstance(value.source, Stored):
        plain["source"] = value.source.text
    elif value.source is not None:
        plain["source"] = json.dumps(dump_node(value.source), separators=(",", ":"), allow_nan=False)
    return plain


@_dump.register
def _dump_record(kind: Record, value: Any) -> Any:
    return dump(value)


@_dump.register
def _dump_list(kind: ListOf, value: Any) -> Any:
    return [None if item is None else _dump(kind.item, item) for item in value]


@_dump.register
def _dump_mapping(kind: MappingOf, value: Any) -> Any:
    return {
        repr(k) if isinstance(k, float) else k: None if v is None else _dump(kind.value, v) for k, v in value.items()
    }


def dump_resolver(resolver: Any) -> Any:
    """A resolver (a record's, or a file's whose record could not be built) as JSON values."""
    return _dump_config(Config(type(resolver)), resolver)


def load_resolver(data: Any) -> Any:
    """The resolver ``dump_resolver`` made ``data`` from (None for None)."""
    from_plain = _load_config(Config(Resolver))
    return None if data is None or from_plain is None else from_plain(data)


def load(cls: type, data: dict[str, Any]) -> Any:
    """The record ``dump`` made ``data`` from."""
    converters = _converters(cls)
    return cls(
        **{
            name: value if value is None or (convert := converters[name]) is None else convert(value)
            for name, value in data.items()
        }
    )


_CONVERTERS: dict[type, dict[str, Convert | None]] = {}


def _converters(cls: type) -> dict[str, Convert | None]:
    """Per field, how to turn its plain value back (None: it is already right), worked out once per class."""
    found = _CONVERTERS.get(cls)
    if found is None:
        found = _CONVERTERS[cls] = {name: _converter(spec.type) for name, (_, spec) in specs(cls).items()}
    return found


@functools.singledispatch
def _converter(kind: FieldType) -> Convert | None:
    """How a plain value of ``kind`` becomes the record's value; None when it already is it."""
    return None


@_converter.register
def _load_date(kind: Date) -> Convert | None:
    return dt.date.fromisoformat


@_converter.register
def _load_timestamp(kind: Timestamp) -> Convert | None:
    return lambda value: dt.datetime.fromisoformat(value).astimezone(dt.UTC)


@_converter.register
def _load_config(kind: Config) -> Convert | None:
    def resolver(value: dict[str, Any]) -> Any:
        source = value.get("source")
        if source is not None and not isinstance(source, str):  # (a line no predreg wrote: kept, never trusted)
            source = json.dumps(source, separators=(",", ":"), allow_nan=False)
        return kind.cls(name=value["name"], config=value["config"], source=None if source is None else Stored(source))

    return resolver


@_converter.register
def _load_record(kind: Record) -> Convert | None:
    return functools.partial(load, kind.cls)


@_converter.register
def _load_list(kind: ListOf) -> Convert | None:
    item_of = _converter(kind.item)
    if item_of is None:
        return tuple
    return lambda value: tuple(None if item is None else item_of(item) for item in value)


@_converter.register
def _load_mapping(kind: MappingOf) -> Convert | None:
    value_of = _converter(kind.value)
    number_keys = isinstance(kind.key, Number)  # JSON keys are strings: quantile levels come back as floats
    if value_of is None:
        return (lambda value: {float(k): v for k, v in value.items()}) if number_keys else None
    key_of: Convert = float if number_keys else (lambda k: k)
    return lambda value: {key_of(k): None if v is None else value_of(v) for k, v in value.items()}


def dump_node(node: Node) -> Any:
    """A located YAML node as JSON: a scalar ``[line, col, text, plain]``, else its position and children."""
    if isinstance(node, Mapping):
        return {"at": node.at, "keys": [[key, *node.key_at[key], dump_node(child)] for key, child in node.items()]}
    if isinstance(node, Sequence):
        return {"at": node.at, "items": [dump_node(child) for child in node]}
    return [node.line, node.col, node.text, node.plain]


def load_node(data: Any) -> Node:
    """The node ``dump_node`` made ``data`` from; ValueError for anything it did not make."""
    if isinstance(data, list) and len(data) == 4 and isinstance(data[2], str) and isinstance(data[3], bool):
        return Scalar(data[2], data[3], int(data[0]), int(data[1]))
    if isinstance(data, dict) and isinstance(data.get("keys"), list):
        mapping = Mapping(*data["at"])
        for key, line, col, child in data["keys"]:
            mapping[str(key)] = load_node(child)
            mapping.key_at[str(key)] = (int(line), int(col))
        return mapping
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        sequence = Sequence(*data["at"])
        sequence.extend(load_node(child) for child in data["items"])
        return sequence
    raise ValueError("not a located YAML node")
