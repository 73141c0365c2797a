"""The community forecast on N synthetic forecasts: its histories, and its score beside the leaderboard's.

    python benchmarks/community_speed.py [N]      (default N = 100,000)

The registry is built in memory: 2,000 authors of long-tailed activity (author k
forecasts with weight 1/(k+1)), questions of 1 to 60 forecasters (most of a few),
forecasts registered over a year, a fifth of them revisions of the author's
forecast before; a tenth of the questions categorical, a tenth numeric.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from predreg import community, leaderboard, parallel
from predreg.checks import Registry
from predreg.model import Prediction, Question, Resolution, Resolver

START = dt.date(2026, 1, 1)


def _question(qid: str, rng: random.Random) -> Question:
    kind = rng.choices(["binary", "categorical", "numeric"], [8, 1, 1])[0]
    outcomes = ("low", "high") if kind == "categorical" else ()
    return Question(qid, "c", "c", dt.date(2027, 1, 1), Resolver("manual"), kind, outcomes=outcomes)


def _forecast(kind: str, rng: random.Random) -> dict[str, object]:
    if kind == "binary":
        return {"probability": rng.randint(1, 999) / 1000}
    if kind == "categorical":
        low = rng.randint(1, 999) / 1000
        return {"probabilities": {"low": low, "high": round(1 - low, 3)}}
    median = rng.randint(10, 50) / 10
    return {"quantiles": {0.05: median / 2, 0.5: median, 0.95: median * 2}}


def synthetic(count: int, authors: int = 2000, seed: int = 1) -> Registry:
    """About ``count`` forecasts on questions of long-tailed size, half of them resolved."""
    rng = random.Random(seed)
    weights = [1 / (k + 1) for k in range(authors)]
    questions: dict[str, Question] = {}
    resolutions: dict[str, list[Resolution]] = {}
    predictions: dict[str, Prediction] = {}
    while len(predictions) < count:
        qid = f"q{len(questions)}"
        question = questions[qid] = _question(qid, rng)
        if rng.random() < 0.5:
            outcome = {"binary": "yes", "categorical": "low", "numeric": 2.5}[question.kind]
            resolutions[qid] = [Resolution(qid, outcome, dt.datetime(2026, 12, 31, tzinfo=dt.UTC), "manual")]
        size = min(60, int(rng.paretovariate(1.2)) + 1)
        for k in sorted(set(rng.choices(range(authors), weights, k=size))):
            before = None
            for _ in range(1 + (rng.random() < 0.2)):
                pid = f"{qid}-a{k}-{len(predictions)}"
                day = START + dt.timedelta(days=rng.randint(0, 360))
                day = max(day, before.registered) if before else day
                forecast = _forecast(question.kind, rng)
                predictions[pid] = before = Prediction(
                    pid, f"a{k}", day, question=qid, supersedes=before.id if before else None, **forecast
                )
    return Registry("synthetic", {}, questions, predictions, resolutions, {}, [])


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    registry = synthetic(count)
    start = time.perf_counter()
    points = community.histories(registry)
    pooling = time.perf_counter() - start
    start = time.perf_counter()
    board = leaderboard.build(registry, today=dt.date(2027, 6, 1), mapper=parallel.serial)
    scoring = time.perf_counter() - start
    start = time.perf_counter()
    crowd = community.score(registry, board.table, dt.date(2027, 6, 1), points=points)
    crowd_scoring = time.perf_counter() - start
    assert crowd is not None
    changes = sum(len(p) for p in points.values())
    print(f"{len(registry.predictions)} forecasts on {len(registry.questions)} questions, {changes} community points")
    print(f"{'what':<56}{'seconds':>9}")
    print(f"{'community.histories (every question, one pass)':<56}{pooling:>9.2f}")
    print(f"{'community.score, given the histories':<56}{crowd_scoring:>9.2f}")
    print(f"{'leaderboard.build without the community (serial)':<56}{scoring:>9.2f}")
    print(f"community: n={crowd.n} brier={crowd.brier:.4f}; mean author Brier gap (peer) {crowd.peer:+.4f}")


if __name__ == "__main__":
    main()
