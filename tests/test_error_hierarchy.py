"""predreg.errors: one home for the exceptions, its docstring the map of them, the old names still importable."""

from __future__ import annotations

import errno
import importlib
import pickle
import re

import pytest

from predreg import errors
from predreg.files import WriteError

USER_FACING = {
    "UsageError": "failures",
    "MissingExtra": "extras",
    "PluginError": "plugins",
    "InitError": "init",
    "ScaffoldError": "scaffold",
    "OutputError": "failures",
    "Busy": "files",
    "Unresolvable": "manual",
    "RegistryInvalid": "resolve",
    "Cancelled": "answers",
}
"""Each error a user can cause, and the module that raised it before predreg.errors (which still exports it)."""

SIGNALS = {"Blocked": "connect", "BadAnswer": "answers", "HelperDied": "parallel"}
"""Internal signals, caught where they are raised."""


@pytest.mark.parametrize(("name", "module"), sorted({**USER_FACING, **SIGNALS}.items()))
def test_each_exception_is_still_importable_from_the_module_that_raised_it(name: str, module: str) -> None:
    assert getattr(importlib.import_module(f"predreg.{module}"), name) is getattr(errors, name)


@pytest.mark.parametrize("name", sorted(USER_FACING))
def test_each_error_a_user_can_cause_is_a_predreg_error(name: str) -> None:
    assert issubclass(getattr(errors, name), errors.PredregError)


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_an_internal_signal_is_no_predreg_error(name: str) -> None:
    assert not issubclass(getattr(errors, name), errors.PredregError)


def test_the_docstring_draws_every_exception_the_module_exports() -> None:
    drawn = {match.group(1) for match in re.finditer(r"(?m)^ {4}[│├└─ ]*([A-Z]\w+) ", errors.__doc__ or "")}
    assert set(errors.__all__) <= drawn


def test_an_error_is_shown_as_one_line_with_its_hint() -> None:
    assert errors.Busy("registry/.predreg/resolve.lock is held by another run").shown() == (
        "predreg: registry/.predreg/resolve.lock is held by another run; try again when it has finished"
    )


def test_a_newline_in_an_error_starts_a_line_and_a_control_character_is_escaped() -> None:
    assert errors.UsageError("a\x1b[31m\nb").shown() == "predreg: a\\x1b[31m\nb"


def test_each_error_carries_its_exit_code() -> None:
    codes = {
        errors.UsageError("x"): 2,
        errors.Busy("x"): 3,
        errors.Unresolvable("x"): 1,
        errors.RegistryInvalid([]): 1,
        errors.Cancelled(130, "x"): 130,
    }
    assert {type(error).__name__: error.exit_code for error in codes} == {
        type(error).__name__: code for error, code in codes.items()
    }


def test_a_failed_write_is_told_with_a_hint_by_its_cause_and_survives_pickling() -> None:
    error = WriteError("registry/resolutions/q.yaml", "no space left on device", errno.ENOSPC)
    again = pickle.loads(pickle.dumps(error))
    assert isinstance(again, errors.CannotWrite)
    assert again.shown() == (
        "predreg: registry/resolutions/q.yaml: cannot write: no space left on device; free some space and run again"
    )
