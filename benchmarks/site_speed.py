"""The site at a real community's size: `predreg site` beside `predreg score`, its pages, and Chromium on them.

    python -m benchmarks.site_speed [--sizes 10000,100000] [--repeat 3] [--write docs/performance.md]

For each size it writes a registry shaped like a public community
(:mod:`benchmarks.community`: 2,000 authors at 100k predictions, one author per 50
predictions below that, long-tailed activity), warms its index with `predreg check`
(as a second `score` would find it), then times, as whole processes on the same
registry in the same run, `predreg score --format json` and `predreg site -o`
(into an empty folder each time, as a CI job builds it). It reports their ratio
(the floor: site <= 3x score), the site's page count and largest page (the floor:
1 MB), and how Debian's Chromium renders the index and the largest page served
over loopback HTTP, each in a new browser context: the time `page.goto(...,
wait_until="load")` takes, the navigation's loadEventEnd, and the JS heap and DOM
nodes after it (the floor: the index under 2 s).

Needs the test extras (Playwright) and /usr/bin/chromium for the render figures;
without them those cells read "-".
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.community import TODAY, Shape, make_community  # noqa: E402

PY = sys.executable
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BUDGET = 60.0
"""A command runs again only while its runs so far took less than this (seconds)."""
VISITS = 3
"""Each page is rendered this many times, each in a new context; the fastest counts."""


@attrs.frozen
class Timing:
    """One command's fastest run: wall seconds, CPU seconds (user and system, its forked workers included), peak RSS."""

    wall: float
    cpu: float
    rss_mb: float


@attrs.frozen
class Render:
    """One page in Chromium: milliseconds to load, and what it holds once loaded."""

    page: str
    size: int
    goto_ms: float
    load_event_ms: float
    heap_mb: float
    nodes: int
    renderer_mb: float
    """The resident memory of the largest renderer process once the page has loaded."""


@attrs.frozen
class Measured:
    """The figures of one registry size."""

    shape: Shape
    score: Timing
    """`predreg score --format json`."""
    site: Timing
    pages: int
    files: int
    site_mb: float
    largest: tuple[str, int]
    """The largest HTML page of the site, and its size in bytes."""
    renders: tuple[Render, ...]

    @property
    def ratio(self) -> float:
        return self.site.wall / self.score.wall

    @property
    def cpu_ratio(self) -> float:
        return self.site.cpu / self.score.cpu


def authors_at(size: int) -> int:
    """2,000 authors at 100k predictions, and as many per prediction at other sizes (at least 20)."""
    return max(20, min(2000, size // 50))


def run(command: Sequence[str], repeat: int, before: Callable[[], None] | None = None) -> Timing:
    """The fastest wall and CPU seconds of up to ``repeat`` runs of one command, and their peak RSS (MB).

    The CPU time is the steadier figure on a shared machine: a busy neighbour stretches
    the wall time of a run, not the work it does.
    """
    best, cpu, peak, spent = float("inf"), float("inf"), 0.0, 0.0
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    for _ in range(repeat):
        if before is not None:
            before()
        with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty command never blocks on it
            start = time.perf_counter()
            process = subprocess.Popen(
                list(command), cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=errors
            )
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - start
            if os.waitstatus_to_exitcode(status) != 0:
                errors.seek(0)
                raise RuntimeError(f"{' '.join(command)} failed: {errors.read().decode()[-2000:]}")
        best, peak, spent = min(best, seconds), max(peak, usage.ru_maxrss / 1024), spent + seconds
        cpu = min(cpu, usage.ru_utime + usage.ru_stime)  # (a process's usage includes the children it waited for)
        if spent > BUDGET:
            break
    return Timing(best, cpu, peak)


def predreg(*args: str) -> list[str]:
    return [PY, "-m", "predreg.cli", *args]


def measure(size: int, work: Path, repeat: int) -> Measured:
    """Write the registry of ``size`` predictions under ``work``, and measure score, site and Chromium on it."""
    registry, site = work / "registry", work / "site"
    shape = make_community(registry, size, authors=authors_at(size))
    run(predreg("check", str(registry), "-q", "--today", str(TODAY)), 1)  # builds the index
    time.sleep(2.1)  # index rows older than its racy window, as between two real runs
    score = run(predreg("score", str(registry), "--format", "json", "--today", str(TODAY)), repeat)
    built = run(
        predreg("site", str(registry), "-o", str(site), "--today", str(TODAY)),
        repeat,
        before=lambda: shutil.rmtree(site, ignore_errors=True),
    )
    files = [path for path in site.rglob("*") if path.is_file()]
    pages = [path for path in files if path.suffix == ".html"]
    largest = max(pages, key=lambda path: (path.stat().st_size, str(path)))
    renders = render(site, ["index.html", largest.relative_to(site).as_posix()])
    return Measured(
        shape=shape,
        score=score,
        site=built,
        pages=len(pages),
        files=len(files),
        site_mb=sum(path.stat().st_size for path in files) / 1e6,
        largest=(largest.relative_to(site).as_posix(), largest.stat().st_size),
        renders=tuple(renders),
    )


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def render(site: Path, pages: list[str]) -> list[Render]:
    """Each page rendered by Chromium, the fastest of VISITS fresh visits; none without Playwright or Chromium."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return []
    if not os.access(CHROMIUM, os.X_OK):
        return []
    with serving(site) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            return [
                min((_visit(browser, base, page, site) for _ in range(VISITS)), key=lambda r: r.goto_ms)
                for page in pages
            ]
        finally:
            browser.close()


def _visit(browser: Any, base: str, page: str, site: Path) -> Render:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        tab = context.new_page()
        started = time.perf_counter()
        tab.goto(base + page, wait_until="load")
        goto_ms = (time.perf_counter() - started) * 1000
        load_event = tab.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
        session = context.new_cdp_session(tab)
        session.send("Performance.enable")
        metrics = {m["name"]: m["value"] for m in session.send("Performance.getMetrics")["metrics"]}
        return Render(
            page,
            (site / page).stat().st_size,
            goto_ms,
            float(load_event),
            metrics["JSHeapUsedSize"] / 1e6,
            int(metrics["Nodes"]),
            renderer_mb(),
        )
    finally:
        context.close()


def renderer_mb() -> float:
    """The largest resident set (MB) among this process's descendants that are Chromium renderers (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):  # (a process may end while it is read)
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
    largest = 0.0
    for pid in parents:
        with contextlib.suppress(OSError):
            if (
                os.getpid() in _ancestors(pid, parents)
                and b"--type=renderer" in Path(f"/proc/{pid}/cmdline").read_bytes()
            ):
                status = Path(f"/proc/{pid}/status").read_text()
                largest = max(largest, int(status.split("VmRSS:", 1)[1].split()[0]) / 1024)
    return largest


def _ancestors(pid: int, parents: dict[int, int]) -> Iterator[int]:
    while pid in parents:
        pid = parents[pid]
        yield pid


def table(figures: list[Measured]) -> str:
    """The figures as a Markdown table, one column per size."""
    rows: list[tuple[str, Callable[[Measured], str]]] = [
        ("authors", lambda m: f"{m.shape.authors:,}"),
        ("forecasts of the five busiest", lambda m: ", ".join(f"{n:,}" for n in m.shape.busiest)),
        ("authors with 1 to 5 forecasts", lambda m: f"{m.shape.one_to_five:.0%}"),
        ("questions (shared / open)", _questions),
        ("revisions, withdrawals, commitments", _follow_ups),
        ("resolutions (evidence bodies)", lambda m: f"{m.shape.resolutions:,} ({m.shape.evidence_bodies:,})"),
        ("`predreg score --format json`: wall s, CPU s (peak RSS MB)", lambda m: _timing(m.score)),
        ("`predreg site -o`: wall s, CPU s (peak RSS MB)", lambda m: _timing(m.site)),
        ("**site / score** (floor: <= 3x): wall, CPU", lambda m: f"**{m.ratio:.2f}x**, {m.cpu_ratio:.2f}x"),
        ("pages (files, MB in all)", lambda m: f"{m.pages:,} ({m.files:,}, {m.site_mb:.0f} MB)"),
        ("**largest page** (floor: <= 1 MB)", lambda m: f"**{m.largest[1] / 1e6:.2f} MB** `{m.largest[0]}`"),
    ]
    for index, what in enumerate(("index", "largest page")):
        floor = " (floor: < 2,000)" if index == 0 else ""
        rows += [
            (f"Chromium: {what}, `goto` to load, ms{floor}", functools.partial(_render_cell, index, "goto_ms")),
            (f"Chromium: {what}, loadEventEnd, ms", functools.partial(_render_cell, index, "load_event_ms")),
            (f"Chromium: {what}, JS heap MB / DOM nodes", functools.partial(_render_cell, index, "heap")),
            (f"Chromium: {what}, renderer RSS MB", functools.partial(_render_cell, index, "renderer_mb")),
        ]
    lines = [
        "| | " + " | ".join(f"{m.shape.predictions:,} predictions" for m in figures) + " |",
        "|---|" + "---:|" * len(figures),
    ]
    lines += [f"| {what} | " + " | ".join(cell(m) for m in figures) + " |" for what, cell in rows]
    return "\n".join(lines)


def _timing(timing: Timing) -> str:
    return f"{timing.wall:.2f}, {timing.cpu:.2f} ({timing.rss_mb:.0f})"


def _questions(m: Measured) -> str:
    return f"{m.shape.questions:,} ({m.shape.shared_questions:,} / {m.shape.open_questions:,})"


def _follow_ups(m: Measured) -> str:
    return f"{m.shape.revisions:,}, {m.shape.withdrawals:,}, {m.shape.commitments:,}"


def _render_cell(index: int, field: str, measured: Measured) -> str:
    if len(measured.renders) <= index:
        return "-"
    shown = measured.renders[index]
    if field == "heap":
        return f"{shown.heap_mb:.1f} / {shown.nodes:,}"
    if field == "renderer_mb":
        return f"{shown.renderer_mb:,.0f}"
    return f"{getattr(shown, field):,.0f}"


def write(document: Path, text: str) -> None:
    """Put ``text`` between the document's site-table markers."""
    begin, end = "<!-- benchmark table site: begin -->", "<!-- benchmark table site: end -->"
    content = document.read_text(encoding="utf-8")
    if begin not in content:
        raise SystemExit(f"{document} has no {begin} marker: add one where the table goes, and {end}")
    head, _, rest = content.partition(begin)
    _, _, tail = rest.partition(end)
    document.write_text(f"{head}{begin}\n{text}\n{end}{tail}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.site_speed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="registry sizes (predictions), comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command, the fastest counted (default 3)")
    parser.add_argument("--write", type=Path, help="put the table into this Markdown file, between its markers")
    args = parser.parse_args()
    figures = []
    started = time.perf_counter()
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            figures.append(measure(size, Path(folder), max(1, args.repeat)))
        print(f"-- {size:,} predictions done ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    machine = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, {sys.platform}"
    stamp = (
        f"`python -m benchmarks.site_speed {' '.join(sys.argv[1:])}` on {dt.date.today()}, {machine}, the fastest"
        f" of up to {args.repeat} runs of each command and of {VISITS} visits of each page:"
    )
    text = f"{stamp}\n\n{table(figures)}"
    print(text)
    if args.write:
        write(args.write, text)


if __name__ == "__main__":
    main()
