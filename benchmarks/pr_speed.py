"""`predreg check --base` on a 10-file pull request in a registry of N predictions (default 100,000).

    python benchmarks/pr_speed.py [N]

Builds a git repository with N synthetic prediction files on `main`, adds 10 new
predictions on a branch, and times the pull-request check beside the full check of
the same registry and beside git's own `diff --name-status` (the floor: listing the
change without reading anything).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import make_registry, prediction_text
from predreg import check_registry, pr

GOAL_SECONDS = 2.0
TODAY = dt.date(2026, 11, 23)


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env)


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder)
        registry = repo / "registry"
        started = time.perf_counter()
        make_registry(registry, count)
        git(repo, "init", "-q", "-b", "main")
        git(repo, "-c", "user.name=b", "-c", "user.email=b@example.org", "add", "-A")
        git(repo, "-c", "user.name=b", "-c", "user.email=b@example.org", "commit", "-q", "-m", "registry")
        git(repo, "checkout", "-q", "-b", "pr")
        import random

        rng = random.Random(7)
        for k in range(10):
            index = count + k
            path = registry / "predictions" / "author-0000" / f"synthetic-{index:07d}.yaml"
            path.write_text(prediction_text(index, "author-0000", rng), encoding="utf-8")
        git(repo, "-c", "user.name=b", "-c", "user.email=b@example.org", "add", "-A")
        git(repo, "-c", "user.name=b", "-c", "user.email=b@example.org", "commit", "-q", "-m", "10 new")
        print(f"built {count:,} files in a git repository in {time.perf_counter() - started:.0f} s")

        floor = timed(lambda: subprocess.run(["git", "diff", "--name-status", "main"], cwd=repo, capture_output=True))
        result: list[pr.Review] = []
        ours = timed(lambda: result.append(pr.review(str(registry), "main", actor="author-0000", today=TODAY)))
        assert result[0].problems == [], result[0].problems[:3]
        assert len(result[0].added) == 10
        full = timed(lambda: check_registry(str(registry), today=TODAY))
        print(f"{'what':<58}{'seconds':>9}{'ratio':>8}")
        print(f"{'git diff --name-status (the floor: list the change)':<58}{floor:>9.3f}{1:>8.1f}")
        print(f"{'predreg check --base main (10 new files)':<58}{ours:>9.3f}{ours / floor:>8.1f}")
        print(f"{'predreg check (every file)':<58}{full:>9.2f}{full / floor:>8.1f}")
        verdict = "met" if ours < GOAL_SECONDS else "NOT met"
        print(f"goal: a 10-file pull request on {count:,} predictions under {GOAL_SECONDS:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
