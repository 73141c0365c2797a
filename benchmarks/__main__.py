"""predreg's speed against the floor and against the tools users would otherwise pick, in one table.

    python -m benchmarks [--sizes 10000,100000] [--peers-at 10000] [--write docs/performance.md]

Needs the extra `bench` (pip install -e '.[bench]'). For each size it builds a
deterministic synthetic registry in a temporary folder and runs every command as a
subprocess, measuring wall time and peak memory (RSS); each figure is printed beside
its baseline from the same run, as a ratio. The peers (check-jsonschema, yamale,
tavern) are slow, so by default they run at the smallest size only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import make_registry, prediction_text  # noqa: E402

PY = sys.executable
TODAY = "2026-11-23"
LATENCY = 0.05
JOBS = 8


@attrs.frozen
class Figure:
    what: str
    size: str
    seconds: float
    rss_mb: float
    baseline: str
    baseline_seconds: float
    target: str = ""

    @property
    def ratio(self) -> float:
        return self.seconds / self.baseline_seconds if self.baseline_seconds else float("nan")


REPEAT = 3
"""Each command runs up to this many times (while its runs take under a minute in all); the fastest counts."""
BUDGET = 60.0


def run(
    command: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    before: Callable[[], None] | None = None,
) -> tuple[float, float]:
    """Best wall seconds and peak RSS (MB) of one command; it must succeed (or exit 1: problems found).

    ``before`` runs ahead of each repetition (to put back what the command changed).
    This machine's timings vary run to run, so the fastest of a few runs is the figure.
    """
    best, peak, spent = float("inf"), 0.0, 0.0
    environment = {**os.environ, **(env or {})}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)  # measured as installed: compiled modules cached
    for _ in range(REPEAT):
        if before:
            before()
        seconds, rss = _once(command, cwd, environment)
        best, peak, spent = min(best, seconds), max(peak, rss), spent + seconds
        if spent > BUDGET:
            break
    return best, peak


def _once(command: Sequence[str], cwd: Path | None, env: dict[str, str]) -> tuple[float, float]:
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty command must never block on it
        start = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 1):
            errors.seek(0)
            raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {errors.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def predreg(*args: str) -> list[str]:
    return [PY, "-m", "predreg.cli", *args]


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@example.org", *args], cwd=repo, check=True,
                   capture_output=True, env=env)  # fmt: skip


YAMALE_SCHEMA = """\
id: str()
author: str()
registered: day()
question: str(required=False)
claim: str(required=False)
criteria: str(required=False)
resolve_by: day(required=False)
resolver: map(required=False)
kind: enum('binary', 'categorical', 'numeric', 'ordering', required=False)
tags: list(str(), required=False)
probability: num(min=0.001, max=0.999, required=False)
probabilities: map(num(min=0.001, max=0.999), required=False)
quantiles: map(num(), key=num(), required=False)
unit: str(required=False)
events: map(str(), required=False)
"""


def check_rows(root: Path, size: str, peers: bool, work: Path) -> list[Figure]:
    rows = []
    floor, floor_rss = run([PY, "-m", "benchmarks.floor_libyaml", str(root)], cwd=ROOT)
    rows.append(Figure("libyaml parse only (the floor)", size, floor, floor_rss, "itself", floor))
    seconds, rss = run(predreg("check", str(root), "--no-index", "-q", "--today", TODAY), cwd=ROOT)
    rows.append(Figure("predreg check (every file parsed)", size, seconds, rss, "libyaml floor", floor, "<= 1.5x"))
    shutil.rmtree(root / ".predreg", ignore_errors=True)
    run(predreg("check", str(root), "-q", "--today", TODAY), cwd=ROOT)  # builds the index
    time.sleep(2.1)  # rows older than the racy window, as between two real runs
    seconds, rss = run(predreg("check", str(root), "-q", "--today", TODAY), cwd=ROOT)
    rows.append(Figure("predreg check, index warm (no file changed)", size, seconds, rss, "libyaml floor", floor))
    seconds, rss = run(predreg("score", str(root), "--today", TODAY), cwd=ROOT)
    rows.append(Figure("predreg score, index warm (loading included)", size, seconds, rss, "libyaml floor", floor))
    if peers:
        schema = work / "prediction.schema.json"
        schema.write_text(
            subprocess.run(predreg("schema", "prediction"), capture_output=True, text=True, check=True).stdout
        )
        files = sorted(str(p) for p in (root / "predictions").rglob("*.yaml"))
        total, peak = 0.0, 0.0
        for start in range(0, len(files), 2000):
            seconds, rss = run(
                [str(Path(PY).parent / "check-jsonschema"), "--schemafile", str(schema), *files[start : start + 2000]]
            )
            total, peak = total + seconds, max(peak, rss)
        ours = next(r for r in rows if r.what.startswith("predreg check (every"))
        rows.append(Figure("check-jsonschema, predreg's schema", size, total, peak, "libyaml floor", floor))
        rows.append(
            Figure(
                "predreg check vs check-jsonschema",
                size,
                ours.seconds,
                ours.rss_mb,
                "check-jsonschema",
                total,
                "~10x faster",
            )
        )
        yamale = work / "yamale.yaml"
        yamale.write_text(YAMALE_SCHEMA)
        seconds, rss = run([str(Path(PY).parent / "yamale"), "-s", str(yamale), "-n", "1", str(root / "predictions")])
        rows.append(Figure("yamale (an equivalent schema)", size, seconds, rss, "libyaml floor", floor))
        rows.append(Figure("predreg check vs yamale", size, ours.seconds, ours.rss_mb, "yamale", seconds))
    return rows


def pytest_rows(root: Path, size: str, peers: bool, work: Path) -> list[Figure]:
    rows = []
    quiet = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    env = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    floor_collect, rss_floor = run(
        [PY, "-m", "pytest", str(root), "--collect-only", *quiet, "-p", "benchmarks.nonpython_plugin"],
        cwd=ROOT,
        env=env,
    )
    rows.append(
        Figure(
            "pytest --collect-only, minimal YAML plugin (floor)",
            size,
            floor_collect,
            rss_floor,
            "itself",
            floor_collect,
        )
    )
    seconds, rss = run(
        [PY, "-m", "pytest", str(root), "--collect-only", *quiet, "-p", "predreg.plugin", f"--predreg-today={TODAY}"],
        cwd=ROOT,
        env=env,
    )
    rows.append(
        Figure(
            "pytest registry/ --collect-only (predreg)", size, seconds, rss, "minimal plugin", floor_collect, "<= 1.3x"
        )
    )
    floor_run, rss_floor = run(
        [PY, "-m", "pytest", str(root), *quiet, "-p", "benchmarks.nonpython_plugin"], cwd=ROOT, env=env
    )
    rows.append(Figure("pytest run, minimal YAML plugin (floor)", size, floor_run, rss_floor, "itself", floor_run))
    seconds, rss = run(
        [PY, "-m", "pytest", str(root), *quiet, "-p", "predreg.plugin", f"--predreg-today={TODAY}"], cwd=ROOT, env=env
    )
    rows.append(
        Figure(
            "pytest registry/ (predreg, full check, leaderboard)",
            size,
            seconds,
            rss,
            "minimal plugin",
            floor_run,
            "<= 1.3x",
        )
    )
    if peers:
        tavern = work / "tavern"
        tavern.mkdir()
        count = min(int(size.replace(",", "")), 5000)
        for i in range(count):
            (tavern / f"test_{i:05d}.tavern.yaml").write_text(
                f"test_name: check {i}\nstages:\n  - name: get\n    request:\n      url: http://127.0.0.1:9/x\n"
                "      method: GET\n    response:\n      status_code: 200\n"
            )
        seconds, rss = run(
            [str(_tavern_python()), "-m", "pytest", str(tavern), "--collect-only", "-q", "-p", "no:cacheprovider"],
            cwd=work,
        )
        per_item = seconds / count
        ours = rows[1].seconds / int(size.replace(",", ""))
        rows.append(
            Figure(
                f"tavern --collect-only, {count:,} one-test files (per item)", size, per_item, rss, "itself", per_item
            )
        )
        rows.append(
            Figure(
                "predreg collect per item vs tavern per item",
                size,
                ours,
                rows[1].rss_mb,
                "tavern",
                per_item,
                ">= 2.5x cheaper",
            )
        )
    return rows


def _tavern_python() -> Path:
    """A venv with tavern and a pytest it supports (tavern 3.7 does not import under pytest 9)."""
    venv = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "predreg-bench" / "tavern-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([PY, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "tavern", "pytest<9"], check=True)
    return python


def pr_rows(root: Path, size: str) -> list[Figure]:
    repo = root.parent
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "registry")
    git(repo, "checkout", "-q", "-b", "pr")
    rng = random.Random(7)
    count = len(list((root / "predictions").rglob("*.yaml")))
    for k in range(10):
        path = root / "predictions" / "author-0000" / f"synthetic-{count + k:07d}.yaml"
        path.write_text(
            prediction_text(count + k, "author-0000", rng).replace(
                "registered: 2026-11-23", f"registered: {dt.datetime.now(dt.UTC).date()}"
            )
        )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "10 new")
    floor, _ = run(["git", "diff", "--name-status", "main"], cwd=repo)
    seconds, rss = run(predreg("check", "registry", "--base", "main", "--actor", "author-0000", "-q"), cwd=repo)
    return [
        Figure(
            "predreg check --base (10-file PR, incl. interpreter start)",
            size,
            seconds,
            rss,
            "git diff --name-status",
            floor,
            "< 1 s",
        )
    ]


class _Slow(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else each small response waits on a delayed ACK (about 40 ms)
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        time.sleep(LATENCY)
        payload = b"<p>passed</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def resolve_rows(work: Path, predictions: int = 10_000, urls: int = 1_000) -> list[Figure]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"127.0.0.1:{server.server_address[1]}"
    root = work / "resolve" / "registry"
    make_registry(root, 0, authors=20)
    folder = root / "predictions" / "author-0000"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(predictions):
        (folder / f"due-{i:05d}.yaml").write_text(
            f"id: due-{i:05d}\nauthor: author-0000\nregistered: 2026-01-05\nclaim: Result {i} passes.\n"
            "criteria: YES if the results page says passed.\nresolve_by: 2026-06-30\nkind: binary\n"
            f'resolver: {{name: http, url: "http://{origin}/r/{i % urls}", contains: passed}}\nprobability: 0.7\n'
        )

    def unresolved() -> None:  # each repetition starts from the same unresolved registry
        for made in ("resolutions", "evidence", ".predreg"):
            shutil.rmtree(root / made, ignore_errors=True)
        _Slow.hits = 0

    seconds, rss = run(
        predreg("resolve", str(root), "--allow-loopback", origin, "--jobs", str(JOBS), "--now", "2026-11-23T12:00:00Z"),
        cwd=ROOT,
        before=unresolved,
    )
    server.shutdown()
    floor = urls * LATENCY / JOBS
    what = f"predreg resolve: {predictions:,} due, {urls:,} URLs, {LATENCY * 1000:.0f} ms latency, {JOBS} jobs"
    assert _Slow.hits == urls, _Slow.hits
    writes = (  # the same files, written the way resolve writes them (batches made durable together)
        "import tempfile, pathlib; from predreg.files import create_many; from predreg.resolve import BATCH;"
        "d = pathlib.Path(tempfile.mkdtemp()); files = [(d / f'{i}.yaml', 'x' * 600) for i in range("
        f"{predictions})] + [(d / f'e{{i}}', 'y' * 200) for i in range({urls})];"
        "[create_many(files[k : k + BATCH]) for k in range(0, len(files), BATCH)]"
    )
    write_floor, _ = run([PY, "-c", writes], cwd=ROOT)
    return [
        Figure(what, f"{predictions:,}", seconds, rss, "URLs x latency / jobs", floor, "<= 1.5x"),
        Figure(
            what, f"{predictions:,}", seconds, rss, f"writing its {predictions + urls:,} files alone", write_floor, ""
        ),
    ]


def score_rows() -> list[Figure]:
    code = (
        "import sys, time, datetime as dt; sys.path.insert(0, '.');"
        "from benchmarks.score_speed import synthetic; from predreg import leaderboard;"
        "r = synthetic(1_000_000); t = time.perf_counter(); leaderboard.build(r, today=dt.date(2027, 6, 1));"
        "print(time.perf_counter() - t)"
    )
    ours = min(
        float(subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()[-1])
        for _ in range(REPEAT)
    )
    _, rss = run([PY, "-c", code], cwd=ROOT)
    sk = (
        "import numpy as np, time; from sklearn.metrics import brier_score_loss;"
        "rng = np.random.default_rng(1); p = rng.uniform(0.01, 0.99, 1_000_000); o = rng.random(1_000_000) < 0.4;"
        "t = time.perf_counter(); brier_score_loss(o, p); print(time.perf_counter() - t)"
    )
    floor = float(subprocess.run([PY, "-c", sk], capture_output=True, text=True, check=True).stdout.strip())
    return [
        Figure(
            "predreg score: 1,000,000 resolved forecasts in memory (all scores, fit, bootstrap)",
            "1,000,000",
            ours,
            rss,
            "sklearn brier_score_loss",
            floor,
            "< 10 s (issue 5)",
        )
    ]


def site_rows(sizes: Sequence[int]) -> list[Figure]:
    """`predreg site` beside `predreg score` on a registry shaped like a community (benchmarks/site_speed.py)."""
    from benchmarks import site_speed

    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as folder:
            measured = site_speed.measure(size, Path(folder), REPEAT)
        label, authors = f"{size:,}", measured.shape.authors
        score, site = measured.score, measured.site
        rows.append(Figure(f"predreg score --format json, community of {authors:,}", label, score.wall,
                           score.rss_mb, "itself", score.wall))  # fmt: skip
        rows.append(Figure(f"predreg site -o, community of {authors:,}", label, site.wall, site.rss_mb,
                           "predreg score --format json", score.wall, "<= 3x"))  # fmt: skip
    return rows


def table(figures: list[Figure]) -> str:
    lines = [
        "| what | predictions | seconds | peak RSS (MB) | baseline | baseline s | ratio | target |",
        "|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for f in figures:
        seconds = f"{f.seconds * 1000:.3f} ms" if f.seconds < 0.01 else f"{f.seconds:.2f}"
        base = f"{f.baseline_seconds * 1000:.3f} ms" if f.baseline_seconds < 0.01 else f"{f.baseline_seconds:.2f}"
        cells = [f.what, f.size, seconds, f"{f.rss_mb:.0f}", f.baseline, base, f"{f.ratio:.2f}x", f.target]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    global REPEAT
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="registry sizes (predictions), comma-separated")
    parser.add_argument(
        "--peers-at", type=int, default=None, help="size at which to run the peers (default: the smallest)"
    )
    parser.add_argument(
        "--skip", default="", help="comma-separated parts to skip: check,peers,pytest,pr,resolve,score,site"
    )
    parser.add_argument(
        "--table",
        default="",
        help="the --write file's table to replace, named in its markers (default: the main one)",
    )
    parser.add_argument("--write", type=Path, help="put the table into this Markdown file, between its markers")
    parser.add_argument(
        "--repeat", type=int, default=REPEAT, help=f"runs per command, the fastest counted (default {REPEAT})"
    )
    args = parser.parse_args()
    REPEAT = max(1, args.repeat)
    sizes = [int(s) for s in args.sizes.split(",")]
    peers_at = args.peers_at or min(sizes)
    skip = set(filter(None, args.skip.split(",")))
    figures: list[Figure] = []
    started = time.perf_counter()
    for size in sizes:
        label = f"{size:,}"
        with tempfile.TemporaryDirectory() as folder:
            work = Path(folder)
            root = work / "repo" / "registry"
            make_registry(root, size, shared=True)
            print(f"-- {label} predictions ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
            if "check" not in skip:
                figures += check_rows(root, label, size == peers_at and "peers" not in skip, work)
            if "pytest" not in skip:
                figures += pytest_rows(root, label, size == peers_at and "peers" not in skip, work)
            if "pr" not in skip and size == max(sizes):
                shutil.rmtree(root / ".predreg", ignore_errors=True)
                figures += pr_rows(root, label)
    with tempfile.TemporaryDirectory() as folder:
        if "resolve" not in skip:
            figures += resolve_rows(Path(folder))
    if "score" not in skip:
        figures += score_rows()
    if "site" not in skip:
        figures += site_rows(sizes)
    machine = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}"
    text = table(figures)
    print(text)
    print(f"\n{machine}; total {time.perf_counter() - started:.0f} s", file=sys.stderr)
    if args.write:
        document = args.write.read_text(encoding="utf-8")
        name = f"benchmark table {args.table}".rstrip()
        begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
        if begin not in document:
            raise SystemExit(f"{args.write} has no {begin} marker: add one where the table goes, and {end}")
        head, _, rest = document.partition(begin)
        _, _, tail = rest.partition(end)
        stamp = (
            f"`python -m benchmarks {' '.join(sys.argv[1:])}` on {dt.date.today()}, {machine}, the fastest of up to"
            f" {REPEAT} runs of each command:"
        )
        args.write.write_text(f"{head}{begin}\n{stamp}\n\n{text}\n{end}{tail}", encoding="utf-8")
        print(json.dumps({"wrote": str(args.write)}), file=sys.stderr)


if __name__ == "__main__":
    main()
