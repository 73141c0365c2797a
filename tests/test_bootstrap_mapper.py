"""The difficulty fit's bulk work goes through the mapper its caller passes: the core keeps no state for a fork."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from predreg import check_registry, difficulty, leaderboard, parallel, scoring

from .conftest import REPO, TODAY


class Recording:
    """A mapper that delegates to another and counts the pieces it is given."""

    def __init__(self, inner: parallel.Mapper = parallel.serial) -> None:
        self.inner = inner
        self.items = 0

    def __call__(self, function: Callable[[list[Any]], Any], items: Sequence[Any], /) -> list[Any]:
        self.items += len(items)
        return self.inner(function, items)


def _rows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(15)
    return rng.integers(0, 12, 2000), rng.integers(0, 150, 2000), rng.random(2000)


def test_bootstrap_draws_through_worker_processes_equal_those_made_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(difficulty, "PARALLEL_ROWS", 0)  # every fit large enough for the mapper
    here = scoring.adjusted_effects(*_rows(), 12, resamples=24, mapper=parallel.serial)
    forked = scoring.adjusted_effects(*_rows(), 12, resamples=24, mapper=parallel.split_map)
    for ours, theirs in zip(here, forked, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_large_fit_hands_every_resample_to_the_mapper(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(difficulty, "PARALLEL_ROWS", 0)
    mapper = Recording()
    scoring.adjusted_effects(*_rows(), 12, resamples=24, mapper=mapper)
    assert mapper.items == 24


def test_a_fit_below_the_threshold_never_uses_the_mapper() -> None:
    mapper = Recording()
    scoring.adjusted_effects(*_rows(), 12, resamples=24, mapper=mapper)
    assert mapper.items == 0


def test_the_leaderboard_passes_its_mapper_to_the_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(difficulty, "PARALLEL_ROWS", 0)
    registry = check_registry(str(REPO / "registry"), today=TODAY)
    mapper = Recording()
    board = leaderboard.build(registry, today=TODAY, resamples=10, mapper=mapper)
    assert mapper.items == 10
    serial = leaderboard.build(registry, today=TODAY, resamples=10, mapper=parallel.serial)
    assert [a.adjusted_ci for a in board.ranked + board.unranked] == [
        a.adjusted_ci for a in serial.ranked + serial.unranked
    ]
