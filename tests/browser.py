"""Real Chromium for the tests: one browser, a site served over loopback HTTP, and axe-core.

The site is served by :mod:`http.server` on 127.0.0.1 rather than opened as ``file://``
URLs, because that is how it is read once published (GitHub Pages serves it over
HTTP): a stored evidence body is then a ``.txt`` file with the ``text/plain`` type
a server gives it, links resolve against a real origin, and a page's URL reads
``/questions/<id>.html`` as a reader's would.

Debian's Chromium is driven through Playwright's ``executable_path``; no browser is
ever downloaded. Without it, or without Playwright, the tests that need them skip
with the reason.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
# the flags of tests/test_html.py's FLAGS, less --headless (Playwright adds it): no sandbox
# as root, and no background calls to a closed network
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERIOUS = ("serious", "critical")
"""The impacts of an axe-core violation that fail a page."""


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"Debian's chromium is not installed at {CHROMIUM} (.ci/run installs it)"
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as error:
        return f"{error.name} is not installed (pip install -e '.[test]')"
    return None


class _Pages(SimpleHTTPRequestHandler):
    """A static server that names the encoding of text, as GitHub Pages does (``charset=utf-8``).

    Without it a browser reads a stored evidence body (``.txt``, UTF-8) as windows-1252.
    """

    extensions_map = {  # noqa: RUF012 (the base class declares it so)
        **SimpleHTTPRequestHandler.extensions_map,
        **{
            suffix: f"{kind}; charset=utf-8"
            for suffix, kind in {
                ".txt": "text/plain",
                ".html": "text/html",
                ".css": "text/css",
                ".js": "text/javascript",
                ".json": "application/json",
                ".xml": "application/xml",
            }.items()
        },
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 at a free port; yield its base URL, ending in '/'."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Pages, directory=str(folder)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """One headless Chromium, Debian's, for as long as the block runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it stands."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in SERIOUS]


def describe(violations: list[dict[str, Any]]) -> str:
    """Each violation's rule, impact and the elements it was found on, one per line."""
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:8])
        more = f" (and {len(violation['nodes']) - 8} more)" if len(violation["nodes"]) > 8 else ""
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}: {targets}{more}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """No axe-core violation of impact serious or critical; the failure names each rule and target."""
    found = serious_violations(page)
    assert not found, f"axe-core on {page.url}:\n{describe(found)}"


def visible_rows(page: Page, table: str) -> int:
    """How many body rows of the table with id ``table`` a reader sees."""
    return int(page.locator(f"#{table} tbody tr").filter(visible=True).count())


skip_without_browser = pytest.mark.skipif(missing() is not None, reason=missing() or "")
