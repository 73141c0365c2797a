"""Field types of the registry format: how a YAML node becomes a value, or a problem.

Each model field (``predreg.model``) names one of these types in its metadata, so the
model classes stay the one source of truth: the same declaration drives structuring,
unknown-key detection and the JSON Schema (``predreg.schema``).
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import sys
from collections.abc import Callable
from typing import Any, ClassVar

import attrs

from .patterns import PatternError, compile_pattern
from .problems import Problems
from .safeyaml import Mapping, Node, Scalar, Sequence

PROBABILITY_MIN = 0.001
PROBABILITY_MAX = 0.999
MAGNITUDE_MAX = 1e100
"""The largest size of a forecast or outcome number (a quantile, a numeric outcome).

Scores multiply a difference of two such numbers by up to 1e12 (the 2/alpha of the
narrowest central interval quantile levels can give) and sum millions of them: from
numbers this size every score, sum and square stays finite, far below float's 1.8e308.
"""
ID_PATTERN = r"^[\w][\w.-]{0,119}$"

_NUMBER = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_BOOLEAN_WORDS = {"yes", "no", "true", "false", "on", "off", "y", "n"}
_NOT_FINITE = {"nan", ".nan", "inf", ".inf", "-inf", "-.inf", "+inf", "+.inf", "infinity"}
_NULL_WORDS = {"", "~", "null"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(:\d{2}(\.\d+)?)?)\s*(Z|z|[+-]\d{2}:?\d{2})$")
_ID = re.compile(ID_PATTERN)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")

INVALID: Any = type("Invalid", (), {"__repr__": lambda self: "INVALID"})()
"""Returned by a field type after it has recorded a problem."""


class FieldType:
    """Turns one YAML node into a value; records a problem and returns INVALID if it can't."""

    schema: ClassVar[dict[str, Any]] = {}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        return dict(self.schema)


def is_null(node: Node) -> bool:
    return isinstance(node, Scalar) and node.plain and node.text.lower() in _NULL_WORDS


def _describe(node: Node) -> str:
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    return f"`{node.text}`"


class Text(FieldType):
    """Free text: any scalar, kept as written, not empty."""

    def __init__(self, example: str = "...") -> None:
        self.example = example

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        if not isinstance(node, Scalar):
            problems.add(node.at, field, f"expected text, got {_describe(node)}", f"write `{field}: {self.example}`")
            return INVALID
        text = node.text.strip()
        if not text or is_null(node):
            problems.add(node.at, field, "is empty", f"write `{field}: {self.example}`")
            return INVALID
        return text


class Identifier(Text):
    """An id or handle: letters, digits, '_', '-', '.'; the file is named after it."""

    def __init__(self, what: str = "id") -> None:
        super().__init__("neuralese-before-full-automation")
        self.what = what

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": ID_PATTERN}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        text = super().structure(node, field, problems)
        if text is not INVALID and not _ID.match(text):
            problems.add(
                node.at,
                field,
                f"`{text}` is not a valid {self.what}",
                "use letters, digits, '-', '_' and '.', at most 120 characters, e.g. `scheming-by-2030`",
            )
            return INVALID
        return text


class Choice(Text):
    """One word out of a fixed set."""

    def __init__(self, *choices: str) -> None:
        super().__init__(choices[0])
        self.choices = choices

    def json_schema(self) -> dict[str, Any]:
        return {"enum": list(self.choices)}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        text = super().structure(node, field, problems)
        if text is not INVALID and text not in self.choices:
            problems.add(
                node.at,
                field,
                f"`{text}` is not one of {', '.join(self.choices)}",
                f"write one of them{_did_you_mean(text, self.choices)}",
            )
            return INVALID
        return text


class Pattern(Text):
    """A regular expression (RE2 syntax), compiled at check time by the engine the resolver runs.

    RE2 rather than Python's ``re``: see :mod:`predreg.patterns` for why, and for what
    it refuses (backreferences, lookarounds), so that a pattern never passes the check
    and then fails, or hangs, when it is resolved.
    """

    def __init__(self) -> None:
        super().__init__("GPT-5(\\.\\d)? system card")

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        text = super().structure(node, field, problems)
        if text is INVALID:
            return INVALID
        try:
            compile_pattern(text)
        except PatternError as error:
            problems.add(node.at, field, error.message, error.hint)
            return INVALID
        return text


class Url(Text):
    """An http or https address."""

    def __init__(self) -> None:
        super().__init__("https://example.org/page")

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": "^https?://"}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        text = super().structure(node, field, problems)
        if text is not INVALID and not re.match(r"^https?://[^\s/]+", text):
            problems.add(node.at, field, f"`{text}` is not an http(s) URL", "write the full address, `https://...`")
            return INVALID
        return text


class Plain(FieldType):
    """Any value (text, number, true/false, list, mapping), typed as YAML's core schema would."""

    def json_schema(self) -> dict[str, Any]:
        return {}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        before = len(problems)
        for number in _plain_numbers(node):
            if unreadable := number_problem(number.text, math.inf):
                problems.add(number.at, field, *unreadable)
        return plain_value(node) if len(problems) == before else INVALID


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


class Number(FieldType):
    """A finite number written plain: not quoted, not a boolean, not a percentage."""

    schema: ClassVar[dict[str, Any]] = {"type": "number", "minimum": -MAGNITUDE_MAX, "maximum": MAGNITUDE_MAX}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        example = f"write a number, e.g. `{field}: 0.7`"
        if not isinstance(node, Scalar):
            problems.add(node.at, field, f"expected a number, got {_describe(node)}", example)
            return INVALID
        text = node.text.strip()
        lowered = text.lower()
        if not node.plain:
            problems.add(node.at, field, f'is the quoted string "{text}", not a number', "remove the quotes")
        elif lowered in _BOOLEAN_WORDS:
            problems.add(node.at, field, f"is the boolean `{text}`, not a number", example)
        elif lowered in _NULL_WORDS:
            problems.add(node.at, field, "is empty", example)
        elif text.endswith("%") and _NUMBER.match(text[:-1].strip()):
            value = float(text[:-1]) / 100
            problems.add(node.at, field, f"is the percentage `{text}`", f"write it as a fraction: `{field}: {value:g}`")
        elif lowered in _NOT_FINITE:
            problems.add(node.at, field, f"`{text}` is not a finite number", example)
        elif not _NUMBER.match(text):
            problems.add(node.at, field, f"`{text}` is not a number", example)
        elif unreadable := number_problem(text, MAGNITUDE_MAX):
            problems.add(node.at, field, *unreadable)
        else:
            return float(text)
        return INVALID


class Probability(Number):
    """A number in [PROBABILITY_MIN, PROBABILITY_MAX]: nothing forecast here is certain."""

    schema: ClassVar[dict[str, Any]] = {"type": "number", "minimum": PROBABILITY_MIN, "maximum": PROBABILITY_MAX}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        value = super().structure(node, field, problems)
        if value is INVALID:
            return INVALID
        if not PROBABILITY_MIN <= value <= PROBABILITY_MAX:
            if 1 < value <= 100:
                hint = f"if you mean {value:g}%, write `{value / 100:g}`"
            else:
                hint = f"write {PROBABILITY_MIN} for 'almost surely not' or {PROBABILITY_MAX} for 'almost surely'"
            problems.add(
                node.at,
                field,
                f"{value:g} is outside [{PROBABILITY_MIN}, {PROBABILITY_MAX}], the range a forecast may take",
                hint,
            )
            return INVALID
        return value


class Integer(Number):
    schema: ClassVar[dict[str, Any]] = {"type": "integer"}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        value = super().structure(node, field, problems)
        if value is not INVALID and not value.is_integer():
            problems.add(node.at, field, f"{value:g} is not a whole number", f"write e.g. `{field}: 200`")
            return INVALID
        return value if value is INVALID else int(value)


_RELATIVE_WORDS = re.compile(
    r"\b(year|month|week|day|soon|later|next|this|last|end|eoy|q[1-4]|today|tomorrow|decade)\b", re.I
)


class Date(FieldType):
    """An absolute calendar date, YYYY-MM-DD."""

    schema: ClassVar[dict[str, Any]] = {"type": "string", "format": "date"}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        example = f"write an absolute date, e.g. `{field}: 2027-12-31`"
        if not isinstance(node, Scalar):
            problems.add(node.at, field, f"expected a date, got {_describe(node)}", example)
            return INVALID
        text = node.text.strip()
        if _DATE.match(text):
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                problems.add(node.at, field, f"{text} is not a day of the calendar", "check the month and the day")
                return INVALID
        if _TIMESTAMP.match(text):
            problems.add(node.at, field, f"`{text}` has a time of day", f"write the date only: `{field}: {text[:10]}`")
        elif _RELATIVE_WORDS.search(text):
            problems.add(
                node.at,
                field,
                f"`{text}` is a relative date, whose meaning drifts with time",
                f"{example}, the day you mean as of today",
            )
        else:
            problems.add(node.at, field, f"`{text}` is not a date", example)
        return INVALID


class Timestamp(FieldType):
    """A moment in UTC: ``2026-11-23T14:05:00Z`` (or a date, meaning its midnight UTC)."""

    schema: ClassVar[dict[str, Any]] = {"type": "string", "anyOf": [{"format": "date"}, {"format": "date-time"}]}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        if isinstance(node, Scalar):
            text = node.text.strip()
            if _DATE.match(text):
                day = Date().structure(node, field, problems)
                if day is INVALID:
                    return INVALID
                return dt.datetime.combine(day, dt.time(), dt.UTC)
            if _TIMESTAMP.match(text):
                try:
                    moment = dt.datetime.fromisoformat(text.replace("z", "+00:00").replace("Z", "+00:00"))
                except ValueError:
                    problems.add(node.at, field, f"`{text}` is not a moment of the calendar", "check each part")
                    return INVALID
                return moment.astimezone(dt.UTC)
        problems.add(
            node.at,
            field,
            f"{_describe(node)} is not a timestamp",
            f"write e.g. `{field}: 2026-11-23T14:05:00Z` (UTC) or a date",
        )
        return INVALID


class Sha256(Text):
    def __init__(self, prefix: str = "") -> None:
        super().__init__(f"{prefix}<64 lowercase hex digits>")
        self.prefix = prefix

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": "^" + re.escape(self.prefix) + _SHA256.pattern.lstrip("^")}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        text = super().structure(node, field, problems)
        if text is not INVALID and not (text.startswith(self.prefix) and _SHA256.match(text[len(self.prefix) :])):
            problems.add(node.at, field, "is not a sha256 digest", f"write {self.prefix}<64 lowercase hex digits>")
            return INVALID
        return text


class Hex(Text):
    """Hexadecimal digits (a salt)."""

    def __init__(self) -> None:
        super().__init__("<hex digits from predreg commit>")

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": "^[0-9a-f]+$"}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        text = super().structure(node, field, problems)
        if text is not INVALID and not re.fullmatch(r"[0-9a-f]+", text):
            problems.add(node.at, field, "is not lowercase hex digits", "copy the salt that `predreg commit` kept")
            return INVALID
        return text


class Outcome(FieldType):
    """What happened: yes / no, a category, a number, annulled or ambiguous.

    Whether the outcome fits its question's kind is a registry-wide rule.
    """

    # YAML 1.1 readers (most editors) read a plain yes/no as a boolean
    schema: ClassVar[dict[str, Any]] = {"type": ["string", "number", "boolean"]}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        if not isinstance(node, Scalar) or is_null(node):
            problems.add(
                node.at,
                field,
                f"expected an outcome, got {_describe(node)}",
                "write yes, no, a category, a number, annulled or ambiguous",
            )
            return INVALID
        text = node.text.strip()
        if node.plain:
            lowered = text.lower()
            if lowered in ("yes", "true"):
                return "yes"
            if lowered in ("no", "false"):
                return "no"
            if lowered in _NOT_FINITE:
                problems.add(node.at, field, f"`{text}` is not a finite number", "write the measured value")
                return INVALID
            if _NUMBER.match(text):
                if unreadable := number_problem(text, MAGNITUDE_MAX):
                    problems.add(node.at, field, *unreadable)
                    return INVALID
                return float(text)
        return text


class ListOf(FieldType):
    def __init__(self, item: FieldType, example: str = "[a, b]") -> None:
        self.item = item
        self.example = example

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "items": self.item.json_schema()}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        if not isinstance(node, Sequence):
            problems.add(node.at, field, f"expected a list, got {_describe(node)}", f"write `{field}: {self.example}`")
            return INVALID
        items = [self.item.structure(child, f"{field}[{i}]", problems) for i, child in enumerate(node)]
        if any(item is INVALID for item in items):
            return INVALID
        return tuple(items)


class MappingOf(FieldType):
    """A mapping whose keys and values each have a type (probabilities, quantiles, events)."""

    def __init__(self, key: Callable[[Scalar, str, Problems], Any], value: FieldType, example: str) -> None:
        self.key = key
        self.value = value
        self.example = example

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": self.value.json_schema(), "minProperties": 1}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        if not isinstance(node, Mapping) or not node:
            problems.add(
                node.at, field, f"expected a mapping, got {_describe(node)}", f"write `{field}: {self.example}`"
            )
            return INVALID
        result: dict[Any, Any] = {}
        for name, child in node.items():
            line, col = node.key_at[name]
            key = self.key(Scalar(name, True, line, col), f"{field}.{name}", problems)
            value = self.value.structure(child, f"{field}[{name}]" if key is INVALID else f"{field}.{name}", problems)
            if key is INVALID or value is INVALID:
                return INVALID
            result[key] = value
        return result


def outcome_name(node: Scalar, field: str, problems: Problems) -> Any:
    return Identifier("outcome name").structure(node, field, problems)


def quantile_level(node: Scalar, field: str, problems: Problems) -> Any:
    level = Number().structure(node, field, problems)
    if level is not INVALID and not 0 < level < 1:
        problems.add(
            node.at, field, f"quantile level {level:g} is not between 0 and 1", "write levels such as 0.05, 0.5, 0.95"
        )
        return INVALID
    return level


class Record(FieldType):
    """A nested mapping structured into an attrs class."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def json_schema(self) -> dict[str, Any]:
        return object_schema(self.cls)

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        value = structure(self.cls, node, problems, prefix=f"{field}.")
        return INVALID if value is None else value


class LinkOrRecord(Record):
    """A URL on its own, or a mapping with a ``url`` and more."""

    def json_schema(self) -> dict[str, Any]:
        return {"anyOf": [{"type": "string"}, object_schema(self.cls)]}

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        if isinstance(node, Scalar):
            url = Text("https://...").structure(node, field, problems)
            return INVALID if url is INVALID else self.cls(url=url)
        return super().structure(node, field, problems)


class Config(FieldType):
    """A resolver: ``name`` plus that resolver's own settings, kept as plain values."""

    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}},
    }

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def structure(self, node: Node, field: str, problems: Problems) -> Any:
        if isinstance(node, Scalar) and not is_null(node):
            problems.add(node.at, field, "expected a mapping", f"write `{field}: {{name: {node.text.strip()}}}`")
            return INVALID
        if not isinstance(node, Mapping) or "name" not in node:
            problems.add(node.at, field, "has no name", f"write `{field}: {{name: manual}}`")
            return INVALID
        name = Identifier("resolver name").structure(node["name"], f"{field}.name", problems)
        if name is INVALID:
            return INVALID
        plain = {key: plain_value(value) for key, value in node.items() if key != "name"}
        return self.cls(name=name, config=plain, settings=_settings(name, node, field, problems))


def _settings(name: str, node: Mapping, field: str, problems: Problems) -> Any:
    """The resolver's settings object, validated against what its plugin declares; None if invalid."""
    from .plugins import catalogue  # plugins import this module

    resolvers = catalogue()
    info = resolvers.get(name)
    if info is None:
        problems.add(
            node["name"].at,
            f"{field}.name",
            f"no resolver `{name}` is installed",
            f"{_did_you_mean(name, resolvers).removeprefix('; ') or 'check the name.'} Installed: "
            f"{', '.join(sorted(resolvers))} (a plugin's resolvers appear once its package is installed)",
        )
        return None
    before = len(problems)
    settings = structure(info.settings, node, problems, prefix=f"{field}.", ignore=("name",))
    if settings is not None and hasattr(settings, "check"):
        for key, message, hint in settings.check():
            at = node.key_at.get(key, node.at) if key in node else node.at
            problems.add(at, f"{field}.{key}", message, hint)
    return settings if len(problems) == before else None


def settings_of(resolver: Any) -> Any:
    """A resolver's settings object, rebuilt from its plain config when the record came without one.

    Records thawed from the index (or a shard's JSON lines) carry only the plain config:
    it was validated when the file was read, so it is structured again here, from its JSON
    text (which is YAML), only for the resolvers actually run. None if it no longer validates.
    """
    if resolver.settings is not None:
        return resolver.settings
    import json

    from .safeyaml import parse

    problems = Problems("<resolver>")
    node = parse(json.dumps({"name": resolver.name, **resolver.config}, allow_nan=False), problems)
    return _settings(resolver.name, node, "resolver", problems) if isinstance(node, Mapping) else None


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


# --- attrs glue -----------------------------------------------------------------------


@attrs.frozen
class Spec:
    """What a model field means in a file: its type, a description, what to do if missing."""

    type: FieldType
    doc: str
    missing: str = ""


def spec(field_type: FieldType, doc: str, missing: str = "", **kwargs: Any) -> Any:
    """Declare a model field together with its file type and documentation."""
    return attrs.field(metadata={"spec": Spec(field_type, doc, missing)}, **kwargs)


_SPECS: dict[type, dict[str, tuple[attrs.Attribute[Any], Spec]]] = {}


def specs(cls: type) -> dict[str, tuple[attrs.Attribute[Any], Spec]]:
    """The file fields of a model class: name -> (attrs attribute, spec)."""
    found = _SPECS.get(cls)
    if found is None:
        found = _SPECS[cls] = {a.name: (a, a.metadata["spec"]) for a in attrs.fields(cls) if "spec" in a.metadata}
    return found


def structure(cls: type, node: Node | None, problems: Problems, prefix: str = "", ignore: tuple[str, ...] = ()) -> Any:
    """Structure a mapping into ``cls``, recording every problem; None if it can't be built.

    Unknown keys are reported (with a "did you mean") but do not stop the record being
    built, so that registry-wide rules can still look at the rest of the file.
    """
    if node is None or not isinstance(node, Mapping):
        where = (1, 1) if node is None else node.at
        found = "nothing" if node is None else _describe(node)
        problems.add(
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
        entry = fields.get(key)
        if key in ignore:
            continue
        if entry is None:
            problems.add(
                node.key_at[key],
                prefix + key,
                "is not a field of this format",
                f"remove it{_did_you_mean(key, fields)}",
            )
            continue
        if is_null(child) and entry[0].default is not attrs.NOTHING:
            continue
        value = entry[1].type.structure(child, prefix + key, problems)
        if value is INVALID:
            complete = False
        else:
            values[key] = value
    for name, (attribute, field_spec) in fields.items():
        if name not in values and name not in node and attribute.default is attrs.NOTHING:
            complete = False
            problems.add(node.at, prefix + name, "is missing", field_spec.missing or f"add `{name}:`")
    if not complete:
        return None
    return cls(**values)


def object_schema(cls: type) -> dict[str, Any]:
    properties = {}
    required = []
    for name, (attribute, field_spec) in specs(cls).items():
        properties[name] = {"description": field_spec.doc, **field_spec.type.json_schema()}
        if attribute.default is attrs.NOTHING:
            required.append(name)
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""
