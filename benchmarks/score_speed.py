"""`predreg score` on N synthetic resolved forecasts, beside sklearn's Brier on the same numbers.

    python benchmarks/score_speed.py [N]      (default N = 1,000,000)

The registry is built in memory (loading files is measured by check_speed.py), so
this times the scoring reduce step alone: series, Brier/log/baseline, peer scores,
calibration, Murphy and the difficulty-adjusted fit with its bootstrap.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from predreg import leaderboard
from predreg.checks import Registry
from predreg.model import Prediction, Question, Resolution, Resolver

GOAL_SECONDS = 10.0


def synthetic(count: int, authors: int = 2000, per_question: int = 10, seed: int = 1) -> Registry:
    """``count`` binary forecasts: ``per_question`` authors on each question, all resolved."""
    rng = random.Random(seed)
    day = dt.date(2026, 1, 1)
    questions: dict[str, Question] = {}
    resolutions: dict[str, list[Resolution]] = {}
    predictions: dict[str, Prediction] = {}
    manual = Resolver("manual")
    for q in range(count // per_question):
        qid = f"q{q}"
        questions[qid] = Question(qid, "c", "c", dt.date(2027, 1, 1), manual, "binary", tags=(f"t{q % 20}",))
        outcome = "yes" if rng.random() < 0.4 else "no"
        resolutions[qid] = [Resolution(qid, outcome, dt.datetime(2026, 12, 1, tzinfo=dt.UTC), "manual")]
        for k in rng.sample(range(authors), per_question):
            pid = f"{qid}-a{k}"
            p = round(rng.uniform(0.01, 0.99), 3)
            predictions[pid] = Prediction(pid, f"a{k}", day, question=qid, probability=p)
    return Registry("synthetic", {}, questions, predictions, resolutions, {}, [])


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    registry = synthetic(count)
    start = time.perf_counter()
    board = leaderboard.build(registry, today=dt.date(2027, 6, 1))
    ours = time.perf_counter() - start

    from sklearn.metrics import brier_score_loss

    p = np.array([x.probability for x in registry.predictions.values()])
    o = np.array([registry.resolutions[x.question_id][0].outcome == "yes" for x in registry.predictions.values()])
    start = time.perf_counter()
    reference = brier_score_loss(o, p)
    floor = time.perf_counter() - start
    mean = float(np.mean([s.brier for s in board.series]))
    assert abs(mean - reference) < 1e-9, (mean, reference)
    print(f"{count} resolved binary forecasts, {len(board.ranked)} ranked authors")
    print(f"{'what':<52}{'seconds':>9}{'ratio':>9}")
    print(f"{'sklearn brier_score_loss, numbers already in memory':<52}{floor:>9.3f}{1:>9.1f}")
    print(f"{'predreg leaderboard (all scores, fit, bootstrap)':<52}{ours:>9.2f}{ours / floor:>9.1f}")
    if count >= 1_000_000:
        verdict = "met" if ours < GOAL_SECONDS else "NOT met"
        print(f"goal: 1,000,000 forecasts under {GOAL_SECONDS:.0f} s on this machine: {verdict}")


if __name__ == "__main__":
    main()
