"""The hook a resolver plugin implements (pluggy, project name ``predreg``).

A plugin is any module or object with a function marked ``@hookimpl``. Built-in
resolvers are plugins like any other; third-party packages are found through the
``predreg`` entry-point group::

    [project.entry-points.predreg]
    my_resolvers = "my_package.resolvers"

A plugin author imports what they need from :mod:`predreg.api`. See
``docs/plugins.md`` for a walk-through, and ``tests/example_plugin/`` for a complete,
tested plugin package.

This module imports nothing of predreg at run time (the types are for type checkers
only), so it can never be part of an import cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from .plugins import Register

hookspec = pluggy.HookspecMarker("predreg")
hookimpl = pluggy.HookimplMarker("predreg")


@hookspec
def predreg_register_resolvers(register: Register) -> None:
    """Register the resolvers this plugin provides: ``register(name, function, settings=..., version=..., doc=...)``.

    Call ``register`` once for each resolver. Names are global: a name two plugins
    register is an error naming both.

    - ``function(question, settings, session, now, resolve)`` returns a
      :class:`~predreg.verdict.Verdict`: :func:`~predreg.verdict.resolved`,
      :func:`~predreg.verdict.pending` or :func:`~predreg.verdict.failed`. ``settings``
      is an instance of the settings class, already validated; ``session`` fetches
      evidence safely and records every fetch as a snapshot (never use another HTTP
      client: the snapshots are the proof); ``now`` is the time of the run (UTC), to be
      used instead of the clock; ``resolve`` resolves a sub-resolver, for composites.
      An exception is recorded as an error and leaves the question pending.
    - ``settings`` is the attrs class of the ``resolver:`` block's keys, each declared
      with :func:`predreg.api.spec`, so ``predreg check`` validates a question's block
      against it. Without it, the resolver takes no settings.
    - ``version`` is recorded in every resolution the resolver makes.
    - ``doc`` describes the resolver in one sentence; the function's docstring if not given.
    """
