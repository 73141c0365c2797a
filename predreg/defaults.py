"""Constants needed without loading numpy or requests (the scoring and the resolve job import them from here)."""

BRIER_SCALE = "Brier: binary 0-1, categorical/ordering 0-2 (sum over outcomes); lower is better"

MIN_N = 5
"""Scored questions an author needs to be ranked."""

MIN_SHARED = 2
"""Questions an author must share with the others to be given a difficulty-adjusted interval.

One shared question is no sample at all: every resample that identifies the author
draws that one question, so the bootstrap varies nothing and its interval has zero
width. From two on, the t quantile on m - 1 degrees of freedom (``difficulty.intervals``)
holds the intervals' coverage near 95% (docs/scoring.md, "Interval coverage").
"""

MIN_IDENTIFIED = 0.75
"""Share of bootstrap resamples that must identify an author for their interval to be given.

A resample identifies an author when it keeps them in its largest connected group. An
author linked to the others through one question alone (theirs, or their group's one
bridge) is identified only when that question is drawn: in about 63% of resamples
(1 - 1/e), and their interval never sees that question's noise vary. Two independent
links give about 86%; 75% lies between, several binomial standard deviations from
both at 200 resamples.
"""

RANK_CHOICES = ("adjusted", "adjusted-bound", "scaled-brier", "brier", "peer")
"""The rules ``score --rank-by`` chooses from (``ranking.RANK_RULES`` states each in one sentence)."""

DEFAULT_RANK = "adjusted"
"""The default ranking: difficulty-adjusted skill on the scaled Brier score, shrunk by its standard error."""

GROUPINGS = ("tag", "year", "horizon")
"""How the leaderboard can be split (`score --by`)."""

JOB = "predreg-resolve"
"""``resolved_by`` of the records the resolve job writes; the pull-request check knows it without importing the job."""

QUESTION_DEADLINE = 600.0
"""Seconds `predreg resolve` gives one question, its fetches included, before it gives up on it."""
