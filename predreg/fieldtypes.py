"""What a field of the registry format is, declared and nothing more: the model's vocabulary.

Each model field (``predreg.model``) and each resolver's settings field names one of
these descriptors with :func:`spec`. A descriptor is inert: it holds what the field
is (an identifier, a probability, a list of links) and the words its messages use,
but it reads and writes nothing. The format layer interprets it, one table of hooks
per format, as cattrs' converters do: ``predreg.fields`` reads YAML nodes,
``predreg.plain`` converts to JSON values and back, ``predreg.schema`` describes the
JSON Schema and ``predreg.emit`` writes YAML. This module imports only attrs, so the
model loads no parser.
"""

from __future__ import annotations

from typing import Any

import attrs

PROBABILITY_MIN = 0.001
PROBABILITY_MAX = 0.999
MAGNITUDE_MAX = 1e100
"""The largest size of a forecast or outcome number (a quantile, a numeric outcome).

Scores multiply a difference of two such numbers by up to 1e12 (the 2/alpha of the
narrowest central interval quantile levels can give) and sum millions of them: from
numbers this size every score, sum and square stays finite, far below float's 1.8e308.
"""
ID_PATTERN = r"^[\w][\w.-]{0,119}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"


class FieldType:
    """The kind of value a field holds; the format layer reads and writes each kind."""


class Text(FieldType):
    """Free text: any scalar, kept as written, not empty."""

    def __init__(self, example: str = "...") -> None:
        self.example = example


class Identifier(Text):
    """An id or handle: letters, digits, '_', '-', '.'; the file is named after it."""

    def __init__(self, what: str = "id") -> None:
        super().__init__("neuralese-before-full-automation")
        self.what = what


class Choice(Text):
    """One word out of a fixed set."""

    def __init__(self, *choices: str) -> None:
        super().__init__(choices[0])
        self.choices = choices


class Pattern(Text):
    """A regular expression (RE2 syntax), compiled at check time by the engine the resolver runs.

    RE2 rather than Python's ``re``: see :mod:`predreg.patterns` for why, and for what
    it refuses (backreferences, lookarounds), so that a pattern never passes the check
    and then fails, or hangs, when it is resolved.
    """

    def __init__(self) -> None:
        super().__init__("GPT-5(\\.\\d)? system card")


class Url(Text):
    """An http or https address."""

    def __init__(self) -> None:
        super().__init__("https://example.org/page")


class Sha256(Text):
    """A sha256 digest in lowercase hex, after a fixed prefix (``sha256:`` for commitments)."""

    def __init__(self, prefix: str = "") -> None:
        super().__init__(f"{prefix}<64 lowercase hex digits>")
        self.prefix = prefix


class Hex(Text):
    """Hexadecimal digits (a salt)."""

    def __init__(self) -> None:
        super().__init__("<hex digits from predreg commit>")


class Plain(FieldType):
    """Any value (text, number, true/false, list, mapping), typed as YAML's core schema would."""


class Number(FieldType):
    """A finite number written plain: not quoted, not a boolean, not a percentage."""


class Probability(Number):
    """A number in [PROBABILITY_MIN, PROBABILITY_MAX]: nothing forecast here is certain."""


class Integer(Number):
    """A whole number (an HTTP status)."""


class QuantileLevel(Number):
    """A quantile level, strictly between 0 and 1 (a key of ``quantiles``)."""


class Key(FieldType):
    """A mapping key kept exactly as written (a column name): any text."""


class Date(FieldType):
    """An absolute calendar date, YYYY-MM-DD."""


class Timestamp(FieldType):
    """A moment in UTC: ``2026-11-23T14:05:00Z`` (or a date, meaning its midnight UTC)."""


class Outcome(FieldType):
    """What happened: yes / no, a category, a number, annulled or ambiguous.

    Whether the outcome fits its question's kind is a registry-wide rule.
    """


class ListOf(FieldType):
    """A list whose items are each of one kind."""

    def __init__(self, item: FieldType, example: str = "[a, b]") -> None:
        self.item = item
        self.example = example


class MappingOf(FieldType):
    """A mapping whose keys and values each have a kind (probabilities, quantiles, events)."""

    def __init__(self, key: FieldType, value: FieldType, example: str) -> None:
        self.key = key
        self.value = value
        self.example = example


class Record(FieldType):
    """A nested mapping that is a record of an attrs class."""

    def __init__(self, cls: type) -> None:
        self.cls = cls


class LinkOrRecord(Record):
    """A URL on its own, or a mapping with a ``url`` and more."""


class Config(FieldType):
    """A resolver: ``name`` plus that resolver's own settings, kept as plain values.

    Which settings a resolver takes is for its plugin to say: the check validates them
    against the catalogue of installed resolvers it is given, not the loader.
    """

    def __init__(self, cls: type) -> None:
        self.cls = cls


OUTCOME_NAME = Identifier("outcome name")
"""The key of a categorical forecast's probabilities, or of an ordering question's events."""
AUTHOR_HANDLE = Identifier("author handle")
QUANTILE_LEVEL = QuantileLevel()


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
