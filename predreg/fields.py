"""Reading the registry format from YAML: how a node becomes a value of its field's type, or a problem.

The model (``predreg.model``) declares each field with an inert descriptor of
``predreg.fieldtypes``; this module is the YAML side of the format layer: one hook
per descriptor type in a dispatch table (cattrs' converter shape), so the same
declaration drives structuring, unknown-key detection and every message. The JSON
Schema (``predreg.schema``), plain values (``predreg.plain``) and YAML writing
(``predreg.emit``) are dispatches over the same descriptors.

A resolver's block is read as plain values (its name and config) and where each was
written; ``predreg.settings`` validates it against a catalogue it is given.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import sys
from collections.abc import Callable
from typing import Any

import attrs

from .fieldtypes import (
    AUTHOR_HANDLE,
    ID_PATTERN,
    MAGNITUDE_MAX,
    OUTCOME_NAME,
    PROBABILITY_MAX,
    PROBABILITY_MIN,
    QUANTILE_LEVEL,
    SHA256_PATTERN,
    Choice,
    Config,
    Date,
    FieldType,
    Hex,
    Identifier,
    Integer,
    Key,
    LinkOrRecord,
    ListOf,
    MappingOf,
    Number,
    Outcome,
    Pattern,
    Plain,
    Probability,
    QuantileLevel,
    Record,
    Sha256,
    Spec,
    Text,
    Timestamp,
    Url,
    spec,
    specs,
)
from .patterns import PatternError, compile_pattern
from .problems import Problems
from .safeyaml import Mapping, Node, Scalar, Sequence

__all__ = [  # the descriptors and bounds, re-exported for predreg's own modules (plugins use predreg.api)
    "AUTHOR_HANDLE",
    "ID_PATTERN",
    "INVALID",
    "MAGNITUDE_MAX",
    "OUTCOME_NAME",
    "PROBABILITY_MAX",
    "PROBABILITY_MIN",
    "QUANTILE_LEVEL",
    "Choice",
    "Config",
    "Date",
    "FieldType",
    "Hex",
    "Identifier",
    "Integer",
    "Key",
    "LinkOrRecord",
    "ListOf",
    "MappingOf",
    "Number",
    "Outcome",
    "Pattern",
    "Plain",
    "Probability",
    "QuantileLevel",
    "Record",
    "Sha256",
    "Spec",
    "Text",
    "Timestamp",
    "Url",
    "did_you_mean",
    "is_null",
    "number_problem",
    "plain_value",
    "read_record",
    "spec",
    "specs",
    "structure",
    "value_of",
]


_NUMBER = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BOOLEAN_WORDS = {"yes", "no", "true", "false", "on", "off", "y", "n"}
_NOT_FINITE = {"nan", ".nan", "inf", ".inf", "-inf", "-.inf", "+inf", "+.inf", "infinity"}
_NULL_WORDS = {"", "~", "null"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)\s*(Z|z|[+-]\d{2}:?\d{2})$")
_ID = re.compile(ID_PATTERN)
_SHA256 = re.compile(SHA256_PATTERN)
_RESOLVER_NAME = Identifier("resolver name")

INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()
"""Returned by a hook after it has recorded a problem."""


@attrs.frozen
class Reading:
    """What a hook reads with: where problems go, and what is done with each resolver block read.

    ``on_resolver`` is None while a file is loaded: a resolver block is then read as plain
    values. ``predreg.settings`` reads a block's settings with a hook that checks each
    sub-resolver of a composite against the same catalogue.
    """

    problems: Problems
    on_resolver: Callable[[Any, str, Reading], object] | None = None


def value_of(kind: FieldType, node: Node, field: str, problems: Problems) -> Any:
    """The value ``node`` holds as a field of type ``kind``; INVALID, with its problems recorded, if none."""
    return _read(kind, node, field, Reading(problems))


def is_null(node: Node) -> bool:
    return isinstance(node, Scalar) and node.plain and node.text.lower() in _NULL_WORDS


def _describe(node: Node) -> str:
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    return f"`{node.text}`"


Reader = Callable[[Any, Node, str, Reading], Any]
_READERS: dict[type, Reader] = {}
"""The dispatch table: descriptor class -> its hook (a subclass without its own takes its base's)."""


def _reads(kind: type) -> Callable[[Reader], Reader]:
    """Register the decorated function as the hook of the descriptor class ``kind``."""

    def register(hook: Reader) -> Reader:
        _READERS[kind] = hook
        return hook

    return register


def _read(kind: FieldType, node: Node, field: str, reading: Reading) -> Any:
    """The value of ``node`` by the hook of ``kind``'s class (a dict lookup: this runs for every field read)."""
    hook = _READERS.get(type(kind)) or _hook_of(type(kind))
    return hook(kind, node, field, reading)


def _hook_of(cls: type) -> Reader:
    for base in cls.__mro__:
        if base in _READERS:
            _READERS[cls] = _READERS[base]
            return _READERS[cls]
    raise TypeError(f"no YAML reader for the field type {cls.__name__}")


@_reads(Text)
def _text(kind: Text, node: Node, field: str, reading: Reading) -> Any:
    if not isinstance(node, Scalar):
        reading.problems.add(
            node.at, field, f"expected text, got {_describe(node)}", f"write `{field}: {kind.example}`"
        )
        return INVALID
    text = node.text.strip()
    if not text or is_null(node):
        reading.problems.add(node.at, field, "is empty", f"write `{field}: {kind.example}`")
        return INVALID
    return text


@_reads(Identifier)
def _identifier(kind: Identifier, node: Node, field: str, reading: Reading) -> Any:
    text = _text(kind, node, field, reading)
    if text is not INVALID and not _ID.match(text):
        reading.problems.add(
            node.at,
            field,
            f"`{text}` is not a valid {kind.what}",
            "use letters, digits, '-', '_' and '.', at most 120 characters, e.g. `scheming-by-2030`",
        )
        return INVALID
    return text


@_reads(Key)
def _key(kind: Key, node: Node, field: str, reading: Reading) -> Any:
    return node.text if isinstance(node, Scalar) else _text(Text(), node, field, reading)


@_reads(Choice)
def _choice(kind: Choice, node: Node, field: str, reading: Reading) -> Any:
    text = _text(kind, node, field, reading)
    if text is not INVALID and text not in kind.choices:
        reading.problems.add(
            node.at,
            field,
            f"`{text}` is not one of {', '.join(kind.choices)}",
            f"write one of them{did_you_mean(text, kind.choices)}",
        )
        return INVALID
    return text


@_reads(Pattern)
def _pattern(kind: Pattern, node: Node, field: str, reading: Reading) -> Any:
    text = _text(kind, node, field, reading)
    if text is INVALID:
        return INVALID
    try:
        compile_pattern(text)
    except PatternError as error:
        reading.problems.add(node.at, field, error.message, error.hint)
        return INVALID
    return text


@_reads(Url)
def _url(kind: Url, node: Node, field: str, reading: Reading) -> Any:
    text = _text(kind, node, field, reading)
    if text is not INVALID and not re.match(r"^https?://[^\s/]+", text):
        reading.problems.add(node.at, field, f"`{text}` is not an http(s) URL", "write the full address, `https://...`")
        return INVALID
    return text


@_reads(Sha256)
def _sha256(kind: Sha256, node: Node, field: str, reading: Reading) -> Any:
    text = _text(kind, node, field, reading)
    if text is not INVALID and not (text.startswith(kind.prefix) and _SHA256.match(text[len(kind.prefix) :])):
        reading.problems.add(node.at, field, "is not a sha256 digest", f"write {kind.prefix}<64 lowercase hex digits>")
        return INVALID
    return text


@_reads(Hex)
def _hex(kind: Hex, node: Node, field: str, reading: Reading) -> Any:
    text = _text(kind, node, field, reading)
    if text is not INVALID and not re.fullmatch(r"[0-9a-f]+", text):
        reading.problems.add(node.at, field, "is not lowercase hex digits", "copy the salt that `predreg commit` kept")
        return INVALID
    return text


@_reads(Plain)
def _plain(kind: Plain, node: Node, field: str, reading: Reading) -> Any:
    before = len(reading.problems)
    for number in _plain_numbers(node):
        if unreadable := number_problem(number.text, math.inf):
            reading.problems.add(number.at, field, *unreadable)
    return plain_value(node) if len(reading.problems) == before else INVALID


def _plain_numbers(node: Node) -> list[Scalar]:
    """Every plain scalar in ``node`` that YAML's core schema reads as a number."""
    if isinstance(node, Mapping):
        return [number for child in node.values() for number in _plain_numbers(child)]
    if isinstance(node, Sequence):
        return [number for child in node for number in _plain_numbers(child)]
    return [node] if node.plain and _NUMBER.match(node.text) else []


def number_problem(text: str, limit: float) -> tuple[str, str] | None:
    """Why the plain number ``text`` cannot stand as written (message, hint), or None if it can.

    Floating point reads `1e400` as infinity and `1e-400` as 0: either would silently
    be another number than the one written, and infinity makes scores and JSON invalid.
    """
    value = float(text)
    if math.isinf(value) or abs(value) > limit:
        size = f"±{min(limit, sys.float_info.max):.2g}"
        return (
            f"{_shown(text)} is too large: a number here stays within {size}",
            "write it in a larger unit" if math.isfinite(limit) else "write a smaller number",
        )
    if value == 0 and re.search(r"[1-9]", re.split(r"[eE]", text)[0]):
        return (
            f"{_shown(text)} is too small: floating point reads it as 0",
            "write the number you mean",
        )
    return None


def _shown(text: str) -> str:
    """A number as quoted in a message: itself, unless it would swamp the line."""
    return f"`{text}`" if len(text) <= 40 else f"a number of {len(text)} characters"


@_reads(Number)
def _number(kind: Number, node: Node, field: str, reading: Reading) -> Any:
    if not isinstance(node, Scalar):
        reading.problems.add(node.at, field, f"expected a number, got {_describe(node)}", _number_example(field))
        return INVALID
    problem = _not_a_number(node.text.strip(), node.plain, field)
    if problem is not None:
        reading.problems.add(node.at, field, *problem)
        return INVALID
    return float(node.text.strip())


def _number_example(field: str) -> str:
    return f"write a number, e.g. `{field}: 0.7`"


def _not_a_number(text: str, plain: bool, field: str) -> tuple[str, str] | None:
    """Why a scalar written as ``text`` is no finite number (message, hint); None if it is one."""
    lowered = text.lower()
    if not plain:
        return (f'is the quoted string "{text}", not a number', "remove the quotes")
    if lowered in _BOOLEAN_WORDS:
        return (f"is the boolean `{text}`, not a number", _number_example(field))
    if lowered in _NULL_WORDS:
        return ("is empty", _number_example(field))
    if text.endswith("%") and _NUMBER.match(text[:-1].strip()):
        value = float(text[:-1]) / 100
        return (f"is the percentage `{text}`", f"write it as a fraction: `{field}: {value:g}`")
    if lowered in _NOT_FINITE:
        return (f"`{text}` is not a finite number", _number_example(field))
    if not _NUMBER.match(text):
        return (f"`{text}` is not a number", _number_example(field))
    return number_problem(text, MAGNITUDE_MAX)


@_reads(Probability)
def _probability(kind: Probability, node: Node, field: str, reading: Reading) -> Any:
    value = _number(kind, node, field, reading)
    if value is INVALID:
        return INVALID
    if not PROBABILITY_MIN <= value <= PROBABILITY_MAX:
        if 1 < value <= 100:
            hint = f"if you mean {value:g}%, write `{value / 100:g}`"
        else:
            hint = f"write {PROBABILITY_MIN} for 'almost surely not' or {PROBABILITY_MAX} for 'almost surely'"
        reading.problems.add(
            node.at,
            field,
            f"{value:g} is outside [{PROBABILITY_MIN}, {PROBABILITY_MAX}], the range a forecast may take",
            hint,
        )
        return INVALID
    return value


@_reads(Integer)
def _integer(kind: Integer, node: Node, field: str, reading: Reading) -> Any:
    value = _number(kind, node, field, reading)
    if value is not INVALID and not value.is_integer():
        reading.problems.add(node.at, field, f"{value:g} is not a whole number", f"write e.g. `{field}: 200`")
        return INVALID
    return value if value is INVALID else int(value)


@_reads(QuantileLevel)
def _quantile_level(kind: QuantileLevel, node: Node, field: str, reading: Reading) -> Any:
    level = _number(kind, node, field, reading)
    if level is not INVALID and not 0 < level < 1:
        reading.problems.add(
            node.at, field, f"quantile level {level:g} is not between 0 and 1", "write levels such as 0.05, 0.5, 0.95"
        )
        return INVALID
    return level


_RELATIVE_WORDS = re.compile(
    r"\b(year|month|week|day|soon|later|next|this|last|end|eoy|q[1-4]|today|tomorrow|decade)\b", re.I
)


@_reads(Date)
def _date(kind: Date, node: Node, field: str, reading: Reading) -> Any:
    example = f"write an absolute date, e.g. `{field}: 2027-12-31`"
    if not isinstance(node, Scalar):
        reading.problems.add(node.at, field, f"expected a date, got {_describe(node)}", example)
        return INVALID
    text = node.text.strip()
    if _DATE.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            reading.problems.add(node.at, field, f"{text} is not a day of the calendar", "check the month and the day")
            return INVALID
    if _TIMESTAMP.match(text):
        reading.problems.add(
            node.at, field, f"`{text}` has a time of day", f"write the date only: `{field}: {text[:10]}`"
        )
    elif _RELATIVE_WORDS.search(text):
        reading.problems.add(
            node.at,
            field,
            f"`{text}` is a relative date, whose meaning drifts with time",
            f"{example}, the day you mean as of today",
        )
    else:
        reading.problems.add(node.at, field, f"`{text}` is not a date", example)
    return INVALID


@_reads(Timestamp)
def _timestamp(kind: Timestamp, node: Node, field: str, reading: Reading) -> Any:
    if isinstance(node, Scalar):
        text = node.text.strip()
        if _DATE.match(text):
            day = _date(Date(), node, field, reading)
            return INVALID if day is INVALID else dt.datetime.combine(day, dt.time(), dt.UTC)
        if _TIMESTAMP.match(text):
            try:
                moment = dt.datetime.fromisoformat(text.replace("z", "+00:00").replace("Z", "+00:00"))
            except ValueError:
                reading.problems.add(node.at, field, f"`{text}` is not a moment of the calendar", "check each part")
                return INVALID
            return moment.astimezone(dt.UTC)
    reading.problems.add(
        node.at,
        field,
        f"{_describe(node)} is not a timestamp",
        f"write e.g. `{field}: 2026-11-23T14:05:00Z` (UTC) or a date",
    )
    return INVALID


@_reads(Outcome)
def _outcome(kind: Outcome, node: Node, field: str, reading: Reading) -> Any:
    if not isinstance(node, Scalar) or is_null(node):
        reading.problems.add(
            node.at,
            field,
            f"expected an outcome, got {_describe(node)}",
            "write yes, no, a category, a number, annulled or ambiguous",
        )
        return INVALID
    text = node.text.strip()
    if not node.plain:
        return text
    lowered = text.lower()
    if lowered in ("yes", "true", "no", "false"):
        return "yes" if lowered in ("yes", "true") else "no"
    if lowered in _NOT_FINITE:
        reading.problems.add(node.at, field, f"`{text}` is not a finite number", "write the measured value")
        return INVALID
    if not _NUMBER.match(text):
        return text
    if unreadable := number_problem(text, MAGNITUDE_MAX):
        reading.problems.add(node.at, field, *unreadable)
        return INVALID
    return float(text)


@_reads(ListOf)
def _list_of(kind: ListOf, node: Node, field: str, reading: Reading) -> Any:
    if not isinstance(node, Sequence):
        reading.problems.add(
            node.at, field, f"expected a list, got {_describe(node)}", f"write `{field}: {kind.example}`"
        )
        return INVALID
    items = [_read(kind.item, child, f"{field}[{i}]", reading) for i, child in enumerate(node)]
    if any(item is INVALID for item in items):
        return INVALID
    return tuple(items)


@_reads(MappingOf)
def _mapping_of(kind: MappingOf, node: Node, field: str, reading: Reading) -> Any:
    if not isinstance(node, Mapping) or not node:
        reading.problems.add(
            node.at, field, f"expected a mapping, got {_describe(node)}", f"write `{field}: {kind.example}`"
        )
        return INVALID
    result: dict[Any, Any] = {}
    for name, child in node.items():
        line, col = node.key_at[name]
        key = _read(kind.key, Scalar(name, True, line, col), f"{field}.{name}", reading)
        value = _read(kind.value, child, f"{field}[{name}]" if key is INVALID else f"{field}.{name}", reading)
        if key is INVALID or value is INVALID:
            return INVALID
        result[key] = value
    return result


@_reads(Record)
def _record(kind: Record, node: Node, field: str, reading: Reading) -> Any:
    value = read_record(kind.cls, node, reading, prefix=f"{field}.")
    return INVALID if value is None else value


@_reads(LinkOrRecord)
def _link_or_record(kind: LinkOrRecord, node: Node, field: str, reading: Reading) -> Any:
    if isinstance(node, Scalar):
        url = _text(Text("https://..."), node, field, reading)
        return INVALID if url is INVALID else kind.cls(url=url)
    return _record(kind, node, field, reading)


@_reads(Config)
def _config(kind: Config, node: Node, field: str, reading: Reading) -> Any:
    if isinstance(node, Scalar) and not is_null(node):
        reading.problems.add(node.at, field, "expected a mapping", f"write `{field}: {{name: {node.text.strip()}}}`")
        return INVALID
    if not isinstance(node, Mapping) or "name" not in node:
        reading.problems.add(node.at, field, "has no name", f"write `{field}: {{name: manual}}`")
        return INVALID
    name = _identifier(_RESOLVER_NAME, node["name"], f"{field}.name", reading)
    if name is INVALID:
        return INVALID
    plain = {key: plain_value(value) for key, value in node.items() if key != "name"}
    resolver = kind.cls(name=name, config=plain, source=node)
    if reading.on_resolver is not None:  # a sub-resolver, inside settings being checked
        reading.on_resolver(resolver, field, reading)
    return resolver


def plain_value(node: Node) -> Any:
    """A node as plain Python values, typed as YAML 1.2's core schema would."""
    if isinstance(node, Mapping):
        return {key: plain_value(value) for key, value in node.items()}
    if isinstance(node, Sequence):
        return [plain_value(value) for value in node]
    if not node.plain:
        return node.text
    lowered = node.text.lower()
    if lowered in _NULL_WORDS:
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if _NUMBER.match(node.text):
        if number_problem(node.text, math.inf):  # refused by Plain: kept as text, never as infinity
            return node.text
        if re.match(r"^[-+]?[0-9]+$", node.text):  # exactly: a float keeps only 17 digits
            return int(node.text.lstrip("+-").lstrip("0") or "0") * (-1 if node.text.startswith("-") else 1)
        return float(node.text)
    return node.text


# --- records -------------------------------------------------------------------------


def structure(cls: type, node: Node | None, problems: Problems, prefix: str = "", ignore: tuple[str, ...] = ()) -> Any:
    """Structure a mapping into ``cls``, recording every problem; None if it can't be built.

    Unknown keys are reported (with a "did you mean") but do not stop the record being
    built, so that registry-wide rules can still look at the rest of the file.
    """
    return read_record(cls, node, Reading(problems), prefix, ignore)


def read_record(cls: type, node: Node | None, reading: Reading, prefix: str = "", ignore: tuple[str, ...] = ()) -> Any:
    """:func:`structure`, reading with ``reading`` (``ignore``: keys read by someone else)."""
    if node is None or not isinstance(node, Mapping):
        where = (1, 1) if node is None else node.at
        found = "nothing" if node is None else _describe(node)
        reading.problems.add(
            where,
            prefix.rstrip(".") or "file",
            f"expected a mapping of fields, got {found}",
            "write `field: value` lines",
        )
        return None
    fields = specs(cls)
    values: dict[str, Any] = {}
    complete = True
    for key, child in node.items():
        if key in ignore:
            continue
        value = _field_value(fields, key, node, child, prefix, reading)
        if value is INVALID:
            complete = False
        elif value is not _SKIPPED:
            values[key] = value
    for name, (attribute, field_spec) in fields.items():
        if name not in values and name not in node and attribute.default is attrs.NOTHING:
            complete = False
            reading.problems.add(node.at, prefix + name, "is missing", field_spec.missing or f"add `{name}:`")
    return cls(**values) if complete else None


_SKIPPED: Any = type("Skipped", (), {"__repr__": lambda self: "SKIPPED"})()
"""A key that gives no value: unknown (reported), or null where the field has a default."""


def _field_value(
    fields: dict[str, tuple[attrs.Attribute[Any], Spec]],
    key: str,
    node: Mapping,
    child: Node,
    prefix: str,
    reading: Reading,
) -> Any:
    """The value of one key of a record's mapping: INVALID if it has problems, _SKIPPED if it gives none."""
    entry = fields.get(key)
    if entry is None:
        reading.problems.add(
            node.key_at[key],
            prefix + key,
            "is not a field of this format",
            f"remove it{did_you_mean(key, fields)}",
        )
        return _SKIPPED
    if is_null(child) and entry[0].default is not attrs.NOTHING:
        return _SKIPPED
    return _read(entry[1].type, child, prefix + key, reading)


def did_you_mean(word: str, choices: Any) -> str:
    """``; did you mean `x`?`` for the choice closest to ``word``, or nothing if none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""
