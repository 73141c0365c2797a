"""A resolver block's settings, checked against the catalogue of resolvers a caller gives.

Loading a file reads a ``resolver:`` block as its name and plain config, and where each
key and value was written (``Resolver.source``); it never asks which resolvers are
installed. The check, and a resolve, call :func:`resolver_settings` with the catalogue
(the installed plugins', or a test's dict), which reads the block again into the
resolver's settings class, with the same messages at the same line and column.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable
from collections.abc import Mapping as MappingType
from typing import Any

from .fields import Reading, did_you_mean, read_record
from .plain import Stored
from .problems import Problem, Problems
from .safeyaml import Mapping, Node, Scalar, Sequence


def resolver_settings(
    resolver: Any, resolvers: MappingType[str, Any], path: str = "<resolver>", field: str = "resolver"
) -> tuple[Any, list[Problem]]:
    """A resolver's settings object, validated against the settings class ``resolvers`` names for it.

    ``resolvers`` maps each installed resolver's name to its catalogue entry (anything with
    ``.settings``, an attrs class declared with ``predreg.fieldtypes.spec``). Returns the settings (None if
    they do not validate) and the problems, located where the block was written in ``path``,
    with ``field`` the block's name in messages. A resolver made in code is checked as if
    its config were written in JSON.
    """
    problems = Problems(path)
    settings = _settings(resolvers, resolver, field, Reading(problems, functools.partial(_settings, resolvers)))
    return settings, problems.items


def _settings(resolvers: MappingType[str, Any], resolver: Any, field: str, reading: Reading) -> Any:
    """The resolver's settings object, its problems recorded; None if they do not validate."""
    node = _written(resolver)
    info = resolvers.get(resolver.name)
    if info is None:
        reading.problems.add(
            node["name"].at,
            f"{field}.name",
            f"no resolver `{resolver.name}` is installed",
            f"{did_you_mean(resolver.name, resolvers).removeprefix('; ') or 'check the name.'} Installed: "
            f"{', '.join(sorted(resolvers))} (a plugin's resolvers appear once its package is installed)",
        )
        return None
    before = len(reading.problems)
    settings = read_record(info.settings, node, reading, prefix=f"{field}.", ignore=("name",))
    if settings is not None and hasattr(settings, "check"):
        for key, message, hint in settings.check():
            at = node.key_at.get(key, node.at) if key in node else node.at
            reading.problems.add(at, f"{field}.{key}", message, hint)
    return settings if len(reading.problems) == before else None


def written_form(resolver: Any) -> Hashable:
    """All that checking a resolver's settings reads of its block, positions included: equal forms check alike.

    Files made from one template hold the same block at the same place, so a check of
    many files checks each form once. A block carried by the index or a shard is keyed by
    its stored text, without making its nodes again.
    """
    if isinstance(resolver.source, Stored):
        return ("stored", resolver.source.text)
    return _form(_written(resolver))


def _form(node: Node) -> Hashable:
    if isinstance(node, Mapping):
        return ("mapping", node.at, tuple((key, node.key_at[key], _form(child)) for key, child in node.items()))
    if isinstance(node, Sequence):
        return ("list", node.at, tuple(_form(child) for child in node))
    return (node.text, node.plain, node.line, node.col)


def _written(resolver: Any) -> Mapping:
    """The resolver's block as it was read, or, for one made in code, as if its config were written in JSON."""
    source = resolver.source.nodes() if isinstance(resolver.source, Stored) else resolver.source
    if isinstance(source, Mapping):
        return source
    node = node_of({"name": resolver.name, **resolver.config})
    assert isinstance(node, Mapping)  # a dict's node is a mapping
    return node


def node_of(value: Any) -> Node:
    """The node a JSON text of ``value`` (plain values) parses to: strings quoted, the rest plain, all at 1:1."""
    if isinstance(value, dict):
        mapping = Mapping(1, 1)
        for key, item in value.items():
            mapping[str(key)] = node_of(item)
            mapping.key_at[str(key)] = (1, 1)
        return mapping
    if isinstance(value, list | tuple):
        sequence = Sequence(1, 1)
        sequence.extend(node_of(item) for item in value)
        return sequence
    if isinstance(value, str):
        return Scalar(value, False, 1, 1)
    if value is None or isinstance(value, bool):
        return Scalar("null" if value is None else str(value).lower(), True, 1, 1)
    return Scalar(repr(value), True, 1, 1)
