"""What reading a page's visible text costs: predreg's one-pass scan beside two baselines, in one run.

    python benchmarks/html_speed.py [--cap SECONDS]      (default cap 120 s per baseline run)

The ``http`` resolver reads an HTML page as its visible text before matching it.
Three regular expressions did that until issue 14, and an unclosed ``<`` made them
scan the rest of the page once per ``<``: quadratic. This prints, for hostile pages
(400 KB and 4 MB of ``<``, of ``<!--``) and an ordinary one (a model card repeated to
about 1 MB), the time of:

- ``regexes``: the three regular expressions used before (the baseline being replaced);
- ``html.parser``: the standard library's parser alone, collecting text (a floor for
  what a real HTML tokenizer costs in pure Python);
- ``predreg``: :func:`predreg.resolvers.web.visible_text`, and then the RE2 search the
  resolver runs on its result (``+ match``).

A baseline still running after ``--cap`` seconds is stopped and shown as ``> cap``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import sys
import time
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from predreg.patterns import compile_pattern, search  # noqa: E402
from predreg.resolvers.web import visible_text  # noqa: E402

CARD = (ROOT / "tests" / "data" / "recorded" / "model-card.html").read_text(encoding="utf-8")


def regexes(html: str) -> str:
    """The extraction predreg used before: quadratic on unclosed markup."""
    html = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", html, flags=re.IGNORECASE | re.DOTALL)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.DOTALL)
    return unescape(re.sub(r"<[^>]*>", " ", html))


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []

    def handle_data(self, data: str) -> None:
        self.pieces.append(data)


def html_parser(html: str) -> str:
    parser = _TextOnly()
    parser.feed(html)
    parser.close()
    return " ".join(parser.pieces)


def predreg_and_match(html: str) -> str:
    text = " ".join(visible_text(html).split())
    search(compile_pattern(r"verbalised .* in \d+% of"), text)
    return text


PAGES = {
    "400 KB of <": "<" * 400_000,
    "4 MB of <": "<" * 4_000_000,
    "400 KB of <!--": "<!--" * 100_000,
    "4 MB of <!--": "<!--" * 1_000_000,
    "model card x 1,700 (1 MB)": CARD * 1_700,
}


def _timed(function: Callable[[str], str], page: str, sink: object) -> None:
    started = time.process_time()
    function(page)
    sink.send(time.process_time() - started)  # type: ignore[attr-defined]


def seconds(function: Callable[[str], str], page: str, cap: float) -> float | None:
    """CPU seconds of one call in a forked child, or None if it ran past ``cap``."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_timed, args=(function, page, send))
    child.start()
    try:
        return float(receive.recv()) if receive.poll(cap) else None
    finally:
        child.kill()
        child.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=120.0, help="seconds a baseline may run (default 120)")
    cap = parser.parse_args().cap
    print(f"{'page':<28}{'regexes s':>12}{'html.parser s':>15}{'predreg + match s':>19}")
    for name, page in PAGES.items():
        cells = [seconds(function, page, cap) for function in (regexes, html_parser, predreg_and_match)]
        shown = [f"> {cap:g}" if cell is None else f"{cell:.3f}" for cell in cells]
        print(f"{name:<28}{shown[0]:>12}{shown[1]:>15}{shown[2]:>19}")


if __name__ == "__main__":
    main()
