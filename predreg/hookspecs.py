"""The hooks a resolver plugin implements (pluggy, project name ``predreg``).

A plugin is any module or object with functions marked ``@hookimpl``. Built-in
resolvers are plugins like any other; third-party packages are found through the
``predreg`` entry-point group::

    [project.entry-points.predreg]
    my_resolvers = "my_package.resolvers"

See ``docs/plugins.md`` for a walk-through, and ``tests/example_plugin/`` for a
complete, tested plugin package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

from .model import Question, Resolver
from .verdict import ResolverInfo, Verdict

if TYPE_CHECKING:
    from .fetch import Session

hookspec = pluggy.HookspecMarker("predreg")
hookimpl = pluggy.HookimplMarker("predreg")


@hookspec
def predreg_resolvers() -> list[ResolverInfo]:  # type: ignore[empty-body]
    """The resolvers this plugin provides: name, version, and the attrs class of its settings.

    The settings class declares each key with :func:`predreg.fields.spec`, so
    ``predreg check`` validates a question's ``resolver:`` block against it (unknown
    resolver or bad settings are check errors) and ``predreg schema`` can describe it.
    """


@hookspec(firstresult=True)
def predreg_resolve(
    name: str,
    question: Question,
    settings: Any,
    session: Session,
    now: dt.datetime,
    resolve: Callable[[Resolver], Verdict],
) -> Verdict | None:
    """Resolve one question with the resolver ``name``; None if this plugin does not provide it.

    ``settings`` is an instance of the resolver's settings class. ``session`` fetches
    evidence safely and records every fetch as a snapshot (never use another HTTP
    client: the snapshots are the proof). ``now`` is the time of the run (UTC), to be
    used instead of the clock. ``resolve`` resolves a sub-resolver, for composites.

    Return :func:`~predreg.verdict.resolved`, :func:`~predreg.verdict.pending` or
    :func:`~predreg.verdict.failed`; an exception is recorded as an error and leaves
    the question pending.
    """
