"""`predreg check` throughput beside libyaml parsing the same files with no validation.

    python benchmarks/check_speed.py [N]       (default N = 20000)

Both are timed in the same run, on the same files, warm page cache, best of three.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import make_registry
from predreg import check_registry


def best_of(runs: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def libyaml_floor(paths: list[Path]) -> None:
    for path in paths:
        with open(path, "rb") as stream:
            yaml.load(stream.read(), Loader=yaml.CSafeLoader)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "registry"
        paths = make_registry(root, count)
        size = sum(os.path.getsize(p) for p in paths) / len(paths)
        today = dt.date(2026, 11, 23)
        registry = check_registry(str(root), today=today)
        assert registry.ok, registry.problems[:3]
        floor = best_of(3, lambda: libyaml_floor(paths))
        check = best_of(3, lambda: check_registry(str(root), today=today))
    print(f"{count} synthetic predictions, {size:.0f} bytes on average, libyaml={yaml.__with_libyaml__}")
    print(f"{'what':<34}{'seconds':>9}{'files/s':>10}{'ratio':>8}")
    print(f"{'libyaml CSafeLoader, parse only':<34}{floor:>9.2f}{count / floor:>10.0f}{1:>8.2f}")
    print(f"{'predreg check (parse + validate)':<34}{check:>9.2f}{count / check:>10.0f}{check / floor:>8.2f}")


if __name__ == "__main__":
    main()
