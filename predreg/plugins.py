"""predreg's own plugin manager (not pytest's: resolving also runs from the CLI).

Built-in resolvers are registered exactly as third-party ones are; those come from
the ``predreg`` entry-point group. Each plugin's ``predreg_register_resolvers(register)``
hook hands over its resolvers, functions included, and what they register is the
:class:`Catalogue`: the one registry of resolvers by name, through which questions are
resolved. :func:`manager` is the process's manager, built on first use;
:func:`make_manager` builds a fresh one (tests use it).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import pluggy

from . import hookspecs
from .errors import PluginError

if TYPE_CHECKING:
    from .fetch import Session
    from .model import Question, Resolver
    from .verdict import Verdict

BUILTINS = ("predreg.resolvers.logic", "predreg.resolvers.web", "predreg.resolvers.services")


class ResolverFunction(Protocol):
    """A resolver: a pure function of the question, its settings, the session and the run's time.

    ``resolve`` resolves a sub-resolver (composites use it). The parameters are taken by
    position, so a resolver may name them as it likes.
    """

    def __call__(
        self,
        question: Question,
        settings: Any,
        session: Session,
        now: dt.datetime,
        resolve: Callable[[Resolver], Verdict],
        /,
    ) -> Verdict: ...


@attrs.frozen
class NoSettings:
    """The settings of a resolver that takes none: its `resolver:` block holds only `name`."""


class Register(Protocol):
    """What ``predreg_register_resolvers`` is given: call it once for each resolver the plugin provides."""

    def __call__(
        self,
        name: str,
        function: ResolverFunction,
        *,
        settings: type = NoSettings,
        version: str,
        doc: str | None = None,
    ) -> None: ...


@attrs.frozen
class RegisteredResolver:
    """A resolver as a plugin registered it, and the one way a question is resolved with it."""

    name: str
    version: str
    """Recorded in every resolution it makes (``resolver_version``)."""
    settings: type
    """attrs class of its settings, each field declared with :func:`predreg.api.spec`."""
    doc: str
    function: ResolverFunction = attrs.field(repr=False)
    plugin: str
    """The name of the plugin that registered it (an entry point's, or a built-in module's)."""

    def resolve(
        self,
        question: Question,
        settings: Any,
        session: Session,
        now: dt.datetime,
        resolve: Callable[[Resolver], Verdict],
    ) -> Verdict:
        """This resolver's verdict on ``question``; whatever the function raises propagates."""
        return self.function(question, settings, session, now, resolve)


class Catalogue(Mapping[str, RegisteredResolver]):
    """Every installed resolver by name: what the plugins registered, each name once."""

    def __init__(self) -> None:
        self._resolvers: dict[str, RegisteredResolver] = {}

    def __getitem__(self, name: str) -> RegisteredResolver:
        return self._resolvers[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._resolvers)

    def __len__(self) -> int:
        return len(self._resolvers)

    def __repr__(self) -> str:
        return f"Catalogue({', '.join(sorted(self._resolvers))})"

    def register_for(self, plugin: str) -> Register:
        """The ``register`` handed to ``plugin``'s hook: each call adds one resolver, owned by ``plugin``."""

        def register(
            name: str,
            function: ResolverFunction,
            *,
            settings: type = NoSettings,
            version: str | None = None,  # required (Register says so); left out, it is refused in our words
            doc: str | None = None,
        ) -> None:
            described = (function.__doc__ or "").strip() if doc is None else doc
            self.add(RegisteredResolver(name, version or "", settings, described, function, plugin))

        return register

    def add(self, resolver: RegisteredResolver) -> None:
        """Add ``resolver``; PluginError if it is not usable or its name is taken."""
        if problem := _unusable(resolver):
            raise PluginError(
                f"the predreg plugin `{resolver.plugin}` registers the resolver {resolver.name!r} with {problem}; "
                "fix or uninstall that plugin"
            )
        taken = self._resolvers.get(resolver.name)
        if taken is not None and taken.plugin == resolver.plugin:
            raise PluginError(
                f"the predreg plugin `{resolver.plugin}` registers the resolver `{resolver.name}` twice; "
                "register each name once"
            )
        if taken is not None:
            raise PluginError(
                f"two plugins provide the resolver `{resolver.name}`: {taken.plugin} and {resolver.plugin}; "
                "uninstall one of them"
            )
        self._resolvers[resolver.name] = resolver


def _unusable(resolver: RegisteredResolver) -> str | None:
    """What is wrong with a registration that predreg could not use later (checked now, to name the plugin)."""
    if not isinstance(resolver.name, str) or not resolver.name:
        return "no name (give a string such as `leaderboard-rank`)"
    if not callable(resolver.function):
        return f"a function that is not callable ({type(resolver.function).__name__})"
    if not (isinstance(resolver.settings, type) and attrs.has(resolver.settings)):
        return "settings that are not an attrs class (declare each key with predreg.api.spec)"
    if not isinstance(resolver.version, str) or not resolver.version:
        return "no version (give `version=` as a string, e.g. your package's)"
    return None


def make_manager(entry_points: bool = True) -> pluggy.PluginManager:
    """A plugin manager holding the built-in resolvers and, unless told not to, the installed plugins."""
    import importlib

    manager = pluggy.PluginManager("predreg")
    manager.add_hookspecs(hookspecs)
    for module in BUILTINS:
        manager.register(importlib.import_module(module), name=module)
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


def catalogue_of(manager: pluggy.PluginManager) -> Catalogue:
    """The resolvers the plugins of ``manager`` register, each plugin's hook called once with its own ``register``.

    Each hook implementation is called by itself, not through ``manager.hook``, so that
    every resolver is known by the plugin that registered it: a duplicate name then
    names both owners.
    """
    _refuse_unknown_hooks(manager)
    found = Catalogue()
    for implementation in manager.hook.predreg_register_resolvers.get_hookimpls():
        register = found.register_for(implementation.plugin_name)
        try:
            implementation.function(*[register for _ in implementation.argnames])
        except PluginError:
            raise
        except Exception as error:  # a plugin's bug while registering: name the plugin, as a failed load does
            raise PluginError(
                f"the predreg plugin `{implementation.plugin_name}` cannot register its resolvers: "
                f"{type(error).__name__}: {error}; fix or uninstall that package"
            ) from error
    return found


def _refuse_unknown_hooks(manager: pluggy.PluginManager) -> None:
    """PluginError for a plugin implementing a hook predreg does not have (such as the two it had before).

    pluggy accepts such a function silently, so the plugin's resolvers would just be
    missing, and every question using them would be "not installed" with no word why.
    """
    for name, caller in vars(manager.hook).items():
        if name.startswith("_") or caller.has_spec():
            continue
        for implementation in caller.get_hookimpls():
            if not implementation.optionalhook:
                raise PluginError(
                    f"the predreg plugin `{implementation.plugin_name}` implements `{name}`, a hook predreg does not "
                    "have; register its resolvers with `predreg_register_resolvers(register)` (see docs/plugins.md)"
                )


_current: pluggy.PluginManager | None = None


def manager() -> pluggy.PluginManager:
    """The process's plugin manager: built-ins and installed plugins, loaded on first use."""
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


def catalogue() -> Catalogue:
    """Every installed resolver by name (of the process's manager)."""
    return _catalogue(id(manager()))


@functools.lru_cache(maxsize=4)
def _catalogue(_: int) -> Catalogue:
    return catalogue_of(manager())
