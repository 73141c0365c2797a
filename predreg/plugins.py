"""predreg's own plugin manager (not pytest's: resolving also runs from the CLI).

Built-in resolvers are registered exactly as third-party ones are; those come from
the ``predreg`` entry-point group. :func:`manager` is the process's manager, built
on first use; :func:`make_manager` builds a fresh one (tests use it).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

import pluggy

from . import hookspecs
from .errors import PluginError
from .verdict import ResolverInfo

BUILTINS = ("predreg.resolvers.logic", "predreg.resolvers.web", "predreg.resolvers.services")


def make_manager(entry_points: bool = True) -> pluggy.PluginManager:
    import importlib

    manager = pluggy.PluginManager("predreg")
    manager.add_hookspecs(hookspecs)
    for module in BUILTINS:
        manager.register(importlib.import_module(module).plugin, name=module)
    if entry_points:
        _load_entry_points(manager)
    return manager


def _load_entry_points(manager: pluggy.PluginManager) -> None:
    """Register every plugin of the ``predreg`` entry-point group, naming any that fails."""
    from importlib.metadata import entry_points

    for point in entry_points(group="predreg"):
        if manager.get_plugin(point.name) is not None or manager.is_blocked(point.name):
            continue
        source = f"{point.dist.name} {point.dist.version}" if point.dist else "an unknown package"
        try:
            plugin = point.load()
        except Exception as error:
            raise PluginError(
                f"the predreg plugin `{point.name}` ({point.value}, from {source}) cannot be loaded: "
                f"{type(error).__name__}: {error}; fix or uninstall that package"
            ) from error
        manager.register(plugin, name=point.name)


_current: pluggy.PluginManager | None = None


def manager() -> pluggy.PluginManager:
    global _current
    if _current is None:
        _current = make_manager()
    return _current


@contextmanager
def using(replacement: pluggy.PluginManager) -> Iterator[pluggy.PluginManager]:
    """Use ``replacement`` as the process's manager inside the block."""
    global _current
    previous, _current = _current, replacement
    _catalogue.cache_clear()
    try:
        yield replacement
    finally:
        _current = previous
        _catalogue.cache_clear()


def catalogue() -> dict[str, ResolverInfo]:
    """Every installed resolver by name."""
    return _catalogue(id(manager()))


@functools.lru_cache(maxsize=4)
def _catalogue(_: int) -> dict[str, ResolverInfo]:
    found: dict[str, tuple[ResolverInfo, str]] = {}
    pm = manager()
    for implementation in pm.hook.predreg_resolvers.get_hookimpls():
        owner = pm.get_name(implementation.plugin) or repr(implementation.plugin)
        infos = cast(list[ResolverInfo], implementation.function() or [])
        for info in infos:
            if info.name in found:
                raise PluginError(
                    f"two plugins provide the resolver `{info.name}`: {found[info.name][1]} and {owner}; "
                    "uninstall one of them"
                )
            found[info.name] = (info, owner)
    return {name: info for name, (info, _) in found.items()}
