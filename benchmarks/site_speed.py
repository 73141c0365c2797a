"""What `predreg site` costs beside `predreg score` on the same registry, and how large the site comes out.

    python benchmarks/site_speed.py [--sizes 10000,100000] [--authors 2000] [--runs 3] [--keep DIR]

For each size it writes a synthetic registry (``benchmarks.synthetic.make_registry``
with shared questions, half of them resolved, so boards, charts and evidence pages are
all drawn), warms its index with one ``predreg score``, then runs ``predreg score`` and
``predreg site`` alternately ``--runs`` times and prints the best of each, their ratio
(the target is at most 3), in wall time and in CPU time (on a machine others share, the
CPU time is the steadier figure), the site's files, its bytes and its largest page.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import make_registry  # noqa: E402


def _timed(args: list[str]) -> tuple[float, float]:
    """The wall time of one run, and its CPU time (user and system, its forked workers included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "predreg.cli", *args], capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(size: int, authors: int, runs: int, folder: Path) -> None:
    registry = folder / f"registry-{size}"
    if not registry.exists():
        make_registry(registry, size, authors=authors, shared=True)
    site = folder / f"site-{size}"
    common = [str(registry), "--today", "2026-11-23"]
    _timed(["score", *common])  # the index, warmed
    score, build = [], []
    for _ in range(runs):
        score.append(_timed(["score", *common]))
        build.append(_timed(["site", *common, "-o", str(site)]))
    files = [p for p in site.rglob("*") if p.is_file()]
    largest = max(files, key=lambda p: p.stat().st_size)
    (s_wall, s_cpu), (b_wall, b_cpu) = min(score), min(build)
    print(
        f"{size:>7} predictions, {authors} authors: score {s_wall:.2f} s (CPU {s_cpu:.2f} s),"
        f" site {b_wall:.2f} s (CPU {b_cpu:.2f} s): {b_wall / s_wall:.1f}x wall, {b_cpu / s_cpu:.1f}x CPU;"
        f" {len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:.0f} MB,"
        f" largest {largest.relative_to(site)} {largest.stat().st_size / 1e3:.0f} kB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--authors", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="keep the registries and sites in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="predreg-site-speed-"))
    try:
        for size in (int(s) for s in args.sizes.split(",")):
            measure(size, args.authors, args.runs, folder)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
