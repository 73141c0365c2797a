"""The difficulty fit's intervals mean what they say: checked by construction and by simulation."""

from __future__ import annotations

import math

import numpy as np

from predreg import scoring


def _two_authors_linked_by_one_question() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """a and b each answer 8 questions of their own and share question 0: the seed's row-8 shape."""
    rng = np.random.default_rng(3)
    authors = np.array([0, 1] + [0] * 8 + [1] * 8)
    questions = np.array([0, 0, *range(1, 9), *range(9, 17)])
    return authors, questions, rng.random(len(authors)) * 0.5


def test_an_author_linked_by_one_shared_question_gets_no_zero_width_interval() -> None:
    # Before the fix every resample gave the same two effects (the shared question drawn or,
    # when it was not, the warm start kept), so the interval was a single point.
    effects, low, high = scoring.adjusted_effects(*_two_authors_linked_by_one_question(), 2, resamples=100)
    assert not math.isnan(effects[0])  # the effect itself is still estimated
    for i in (0, 1):
        assert math.isnan(low[i]) or low[i] < high[i], (low[i], high[i])
