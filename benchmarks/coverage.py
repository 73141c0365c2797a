"""Do the difficulty fit's 95% intervals cover the true author effects? A simulation, by bucket of n.

    python -m benchmarks.coverage [--replicates 40] [--authors 200] [--resamples 200] [--noise normal|skewed]

Each replicate is a synthetic registry whose truth is known by construction: author i
answers n_i distinct questions of 400 (a quarter of the authors each at n = 1, 2-4,
5-19 and 20-60), and each score is ``a_i + b_j + e`` (skill ``a_i ~ N(0, 0.05)``,
difficulty ``b_j ~ U(0, 0.5)``, noise sd 0.1: normal, or a centred exponential for
the skew of real Brier scores). The true effect is ``a_i`` minus the mean over the
fitted authors, the fit's own centring. Every question has several forecasters, so
an author's n is also the number of questions they share.

Prints, per bucket: how many author effects were given an interval, the share of
those intervals that cover the truth (the interval predreg gives, and the plain
percentile interval of the same draws, for comparison), and the median width. The
table in docs/scoring.md ("Interval coverage") is its output.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import attrs
import numpy as np

from predreg import difficulty, parallel, scoring

BUCKETS = ((1, 1, "1"), (2, 4, "2-4"), (5, 19, "5-19"), (20, 10**9, "20+"))
QUESTIONS = 400


@attrs.frozen
class Bucket:
    """Coverage of the author effects whose n falls in one bucket, over all replicates."""

    name: str
    authors: int
    given: int
    covered: int
    percentile_covered: int
    widths: tuple[float, ...]

    @property
    def coverage(self) -> float | None:
        return self.covered / self.given if self.given else None

    @property
    def percentile_coverage(self) -> float | None:
        return self.percentile_covered / self.given if self.given else None


def registry(rng: np.random.Generator, authors: int, noise: str) -> tuple[np.ndarray, ...]:
    """(author, question, score) rows of one synthetic registry, and the authors' skills and n."""
    quarter = authors // 4
    n = np.concatenate(
        [
            np.ones(authors - 3 * quarter, dtype=np.intp),
            rng.integers(2, 5, quarter),
            rng.integers(5, 20, quarter),
            rng.integers(20, 61, quarter),
        ]
    )
    skill = rng.normal(0, 0.05, authors)
    difficulty = rng.uniform(0, 0.5, QUESTIONS)
    author = np.repeat(np.arange(authors), n)
    question = np.concatenate([rng.choice(QUESTIONS, k, replace=False) for k in n.tolist()])
    error = rng.normal(0, 0.1, len(author)) if noise == "normal" else rng.exponential(0.1, len(author)) - 0.1
    return author, question, skill[author] + difficulty[question] + error, skill, n


def replicate(rng: np.random.Generator, authors: int, resamples: int, noise: str) -> list[tuple[int, ...]]:
    """Per author of one synthetic registry: (n, given, covered, percentile-covered, width in 1e-6)."""
    author, question, score, skill, n = registry(rng, authors, noise)
    keep = scoring.largest_connected(author, question)
    design = scoring.TwoWay.from_rows(author[keep], question[keep], score[keep], authors)
    effects = design.fit()
    draws = difficulty._bootstrap([design], [effects], resamples, int(rng.integers(2**31)), parallel.serial)[0]
    low, high, _ = scoring.intervals(effects, draws, design.shared())
    fitted = ~np.isnan(effects)
    truth = skill - skill[fitted].mean()
    result = []
    for i in np.flatnonzero(fitted).tolist():
        column = draws[:, i][~np.isnan(draws[:, i])]
        given = not np.isnan(low[i])
        p_low, p_high = np.percentile(column, [2.5, 97.5]) if len(column) else (np.nan, np.nan)
        covered = given and low[i] <= truth[i] <= high[i]
        percentile = given and p_low <= truth[i] <= p_high
        result.append(
            (int(n[i]), int(given), int(covered), int(percentile), round((high[i] - low[i]) * 1e6) if given else 0)
        )
    return result


def simulate(replicates: int, authors: int, resamples: int, seed: int = 0, noise: str = "normal") -> list[Bucket]:
    """Coverage by bucket of n over ``replicates`` synthetic registries (deterministic for a seed)."""
    rng = np.random.default_rng(seed)
    rows = [row for _ in range(replicates) for row in replicate(rng, authors, resamples, noise)]
    buckets = []
    for low, high, name in BUCKETS:
        mine = [r for r in rows if low <= r[0] <= high]
        widths = tuple(r[4] / 1e6 for r in mine if r[1])
        buckets.append(
            Bucket(name, len(mine), sum(r[1] for r in mine), sum(r[2] for r in mine), sum(r[3] for r in mine), widths)
        )
    return buckets


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def table(buckets: Sequence[Bucket]) -> str:
    """The coverage table as Markdown."""
    lines = [
        "| n (shared questions) | author effects | given an interval | coverage | percentile interval | median width |",
        "|---|---|---|---|---|---|",
    ]
    for b in buckets:
        width = f"{float(np.median(b.widths)):.3f}" if b.widths else "-"
        lines.append(
            f"| {b.name} | {b.authors} | {b.given} | {_percent(b.coverage)} "
            f"| {_percent(b.percentile_coverage)} | {width} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.coverage", description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--authors", type=int, default=200)
    parser.add_argument("--resamples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--noise", choices=["normal", "skewed"], default="normal")
    args = parser.parse_args(argv)
    buckets = simulate(args.replicates, args.authors, args.resamples, args.seed, args.noise)
    print(
        f"{args.replicates} registries of {args.authors} authors, {QUESTIONS} questions, {args.noise} noise; "
        f"{args.resamples} resamples; nominal 95%"
    )
    print(table(buckets))


if __name__ == "__main__":
    main()
