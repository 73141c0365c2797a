"""The public interface for resolver plugins: a plugin imports everything from here.

::

    from predreg.api import Register, Text, hookimpl, resolved, spec

A plugin implements one hook, ``predreg_register_resolvers(register)`` (see
:mod:`predreg.hookspecs`), and hands each resolver over with
``register(name, function, settings=..., version=..., doc=...)``. This module only
re-exports; each name is documented where it is defined, and ``docs/plugins.md``
walks through a complete plugin.
"""

from .fetch import Fetched, Session
from .fieldtypes import Choice, Config, Date, Integer, ListOf, MappingOf, Number, Pattern, Plain, Text, Url, spec
from .hookspecs import hookimpl
from .model import AMBIGUOUS, ANNULLED, NEITHER, Question, Resolver
from .plugins import NoSettings, Register, ResolverFunction
from .resolvers import by_deadline, deadline, fetch_json, happened, timestamp
from .verdict import Verdict, failed, pending, resolved

__all__ = [
    "AMBIGUOUS",
    "ANNULLED",
    "NEITHER",
    "Choice",
    "Config",
    "Date",
    "Fetched",
    "Integer",
    "ListOf",
    "MappingOf",
    "NoSettings",
    "Number",
    "Pattern",
    "Plain",
    "Question",
    "Register",
    "Resolver",
    "ResolverFunction",
    "Session",
    "Text",
    "Url",
    "Verdict",
    "by_deadline",
    "deadline",
    "failed",
    "fetch_json",
    "happened",
    "hookimpl",
    "pending",
    "resolved",
    "spec",
    "timestamp",
]
