"""The site in real Chromium: a reader's path through it, its filter, its look, axe-core, and no JavaScript.

One browser for the module, and the example registry's site built once and served
over loopback HTTP (see tests/browser.py for why not ``file://``). Screenshots go
to pytest's temporary folder, and also to ``$PREDREG_SHOTS`` when it is set, to
look at.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from predreg.cli import main

from .browser import assert_accessible, chromium, serving, skip_without_browser, visible_rows
from .conftest import EXAMPLE_REGISTRY

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = skip_without_browser

KINDS = {
    "index": "index.html",
    "question": "questions/empirical-scheming-report.html",
    "author": "authors/forecaster-a.html",
    "open": "open.html",
    "tag": "tags/scheming.html",
    "tags": "tags.html",
}
"""One page of each kind the site makes, from the example registry."""
WIDTHS = (1280, 400)
EVIDENCE = "39ffe87544512ecd73e6ab2e5808d19c7e5827e53963fddd2241ab88575c9e8a"
"""The stored body behind empirical-scheming-report's resolution."""


def build(registry: Path, out: Path) -> Path:
    assert main(["site", str(registry), "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example registry's site, built once."""
    work = tmp_path_factory.mktemp("example-site")
    shutil.copytree(EXAMPLE_REGISTRY, work / "registry")
    return build(work / "registry", work / "site")


@pytest.fixture(scope="module")
def base(example_site: Path) -> Iterator[str]:
    """The URL of the example registry's site, served over loopback HTTP."""
    with serving(example_site) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def wide(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def page(wide: BrowserContext) -> Iterator[Page]:
    opened = wide.new_page()
    yield opened
    opened.close()


def heading(page: Page) -> str:
    return " ".join(page.locator("h1").inner_text().split())


def claim_of(question: str) -> str:
    """The claim as the registry states it, its folded lines joined."""
    text = (EXAMPLE_REGISTRY / "questions" / f"{question}.yaml").read_text(encoding="utf-8")
    after = text.split("claim:", 1)[1].split("\ncriteria:", 1)[0]
    return " ".join(after.replace(">-", "").split())


# --- a reader's path ---------------------------------------------------------------------------


def test_a_reader_goes_from_the_leaderboard_to_an_author_a_question_its_evidence_and_back(
    page: Page, base: str
) -> None:
    question = "empirical-scheming-report"
    page.goto(base + "index.html")
    assert heading(page) == "Leaderboard"
    page.locator("#leaderboard tbody a", has_text="Forecaster B").click()
    assert page.url == base + "authors/forecaster-b.html"
    assert heading(page) == "Forecaster B"
    page.locator("#forecasts-table a", has_text=claim_of(question)).click()
    assert page.url == base + f"questions/{question}.html"
    assert heading(page) == claim_of(question)
    page.get_by_role("link", name="the stored body").click()
    assert page.url == base + f"evidence/{EVIDENCE}.txt"
    assert page.evaluate("document.contentType") == "text/plain"
    assert page.evaluate("document.characterSet") == "UTF-8"
    stored = (EXAMPLE_REGISTRY / "evidence" / EVIDENCE).read_text(encoding="utf-8")
    assert page.evaluate("document.body.innerText").strip() == stored.strip()
    page.go_back()
    assert (page.url, heading(page)) == (base + f"questions/{question}.html", claim_of(question))
    page.go_back()
    assert (page.url, heading(page)) == (base + "authors/forecaster-b.html", "Forecaster B")
    page.go_back()
    assert (page.url, heading(page)) == (base + "index.html", "Leaderboard")


def test_the_site_read_from_a_folder_links_the_same_way(page: Page, example_site: Path) -> None:
    """Opened as files (``file://``), as someone reads a site they built before publishing it."""
    page.goto((example_site / "index.html").as_uri())
    page.locator("#leaderboard tbody a", has_text="Forecaster B").click()
    assert page.url == (example_site / "authors" / "forecaster-b.html").as_uri()
    assert heading(page) == "Forecaster B"
    page.get_by_role("link", name="Leaderboard").first.click()
    assert page.url == (example_site / "index.html").as_uri()


def test_the_filter_narrows_the_leaderboard_to_the_rows_holding_its_words(page: Page, base: str) -> None:
    page.goto(base + "index.html")
    everyone = visible_rows(page, "leaderboard")
    assert everyone == page.locator("#leaderboard tbody tr").count() >= 4
    page.get_by_label("Filter authors").fill("forecaster b")
    assert visible_rows(page, "leaderboard") == 1
    assert "Forecaster B" in page.locator("#leaderboard tbody tr").filter(visible=True).inner_text()
    page.get_by_label("Filter authors").fill("")
    assert visible_rows(page, "leaderboard") == everyone


def test_the_filter_narrows_an_authors_forecasts(page: Page, base: str) -> None:
    page.goto(base + "authors/forecaster-a.html")
    before = visible_rows(page, "forecasts-table")
    page.get_by_label("Filter forecasts").fill("neuralese")
    after = visible_rows(page, "forecasts-table")
    assert before == 7  # forecaster-a's seven prediction files
    assert after == 2  # the ordering question on neuralese, and its revision


def test_a_column_header_sorts_the_leaderboard(page: Page, base: str) -> None:
    page.goto(base + "index.html")
    column = page.locator("#leaderboard thead th").all_inner_texts().index("author")
    page.locator("#leaderboard thead th button", has_text="author").click()
    names = page.locator(f"#leaderboard tbody tr td:nth-child({column + 1})").all_inner_texts()
    assert names == sorted(names, key=str.lower)
    page.locator("#leaderboard thead th button", has_text="author").click()
    again = page.locator(f"#leaderboard tbody tr td:nth-child({column + 1})").all_inner_texts()
    assert again == names[::-1]


# --- how it looks ------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_each_kind_of_page_is_photographed_at_a_desktop_and_a_phone_width(
    browser: Browser, base: str, width: int, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    shots = Path(os.environ["PREDREG_SHOTS"]) if os.environ.get("PREDREG_SHOTS") else None
    try:
        opened = context.new_page()
        for kind, path in KINDS.items():
            opened.goto(base + path)
            shot = tmp_path / f"{kind}-{width}.png"
            opened.screenshot(path=str(shot), full_page=True)
            data = shot.read_bytes()
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000, kind  # drawn, not blank
            if shots is not None:
                shots.mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, shots / shot.name)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_window(browser: Browser, base: str, width: int) -> None:
    """A long table scrolls inside its own box; the page never scrolls sideways."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        opened = context.new_page()
        wider = {}
        for kind, path in KINDS.items():
            opened.goto(base + path)
            overflow = opened.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                wider[kind] = overflow
        assert not wider, f"pixels wider than a {width} px window: {wider}"
    finally:
        context.close()


# --- axe-core ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_axe_core_finds_no_serious_violation(page: Page, base: str, kind: str) -> None:
    page.goto(base + KINDS[kind])
    assert_accessible(page)


# --- without JavaScript ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def without_script(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def test_without_javascript_the_index_shows_its_table(without_script: BrowserContext, base: str) -> None:
    opened = without_script.new_page()
    opened.goto(base + "index.html")
    assert visible_rows(opened, "leaderboard") >= 4
    assert opened.locator("#leaderboard thead th button").count() == 0  # the script did not run
    opened.close()


def test_without_javascript_a_question_shows_its_chart_and_table(without_script: BrowserContext, base: str) -> None:
    opened = without_script.new_page()
    opened.goto(base + KINDS["question"])
    chart = opened.locator("figure.chart svg").first
    assert chart.is_visible() and chart.bounding_box()["width"] >= 300  # type: ignore[index]
    assert visible_rows(opened, "forecast-table") == 2  # forecasters b and c
    assert opened.locator("#forecast-table thead th button").count() == 0
    opened.close()


# --- hostile registry text, in a real browser ----------------------------------------------------

SCRIPTED_CLAIM = "Will it run? <img src=x onerror=\"window.__pwned='claim'\"> <script>window.__pwned='claim'</script>"
SCRIPTED_NAME = "<script>window.__pwned='name'</script><b>Mallory</b>"
SCRIPTED_BODY = "<html><body><h1>evidence</h1><script>window.__pwned='evidence'</script></body></html>\n"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A site whose author name, claim and stored evidence each hold a script."""
    root = tmp_path_factory.mktemp("hostile") / "registry"
    digest = hashlib.sha256(SCRIPTED_BODY.encode()).hexdigest()
    files = {
        "authors.yaml": f"authors:\n  mallory: {{name: {json.dumps(SCRIPTED_NAME)}}}\n  reviewer: {{name: Reviewer}}\n",
        "questions/scripted.yaml": (
            f"id: scripted\nclaim: {json.dumps(SCRIPTED_CLAIM)}\ncriteria: YES if it runs.\n"
            "resolve_by: 2026-06-30\nresolver: {name: manual}\nkind: binary\n"
        ),
        "predictions/mallory/on-scripted.yaml": (
            "id: on-scripted\nauthor: mallory\nregistered: 2026-01-05\nquestion: scripted\nprobability: 0.7\n"
        ),
        "resolutions/scripted.yaml": (
            "question: scripted\noutcome: yes\nresolved_at: 2026-07-01\nresolver: manual\nresolved_by: reviewer\n"
            f"evidence:\n  - url: https://example.org/report\n    sha256: {digest}\n"
            "    fetched_at: 2026-07-01T12:00:00Z\n    content_type: text/html\n"
        ),
        f"evidence/{digest}": SCRIPTED_BODY,
    }
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text, encoding="utf-8")
    with serving(build(root, root.parent / "site")) as url:
        yield url


def test_an_author_name_and_a_claim_holding_scripts_are_shown_as_text_and_never_run(page: Page, hostile: str) -> None:
    for path in ("index.html", "authors/mallory.html", "questions/scripted.html", "open.html"):
        page.goto(hostile + path)
        assert page.evaluate("typeof window.__pwned") == "undefined", path
        assert page.locator("img[src=x]").count() == 0, path
    page.goto(hostile + "questions/scripted.html")
    assert heading(page) == " ".join(SCRIPTED_CLAIM.split())
    page.goto(hostile + "authors/mallory.html")
    assert heading(page) == SCRIPTED_NAME


def test_a_stored_evidence_body_holding_a_script_opens_as_plain_text(page: Page, hostile: str) -> None:
    page.goto(hostile + "questions/scripted.html")
    page.get_by_role("link", name="the stored body").click()
    assert page.evaluate("document.contentType") == "text/plain"
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("h1").count() == 0
    assert page.evaluate("document.body.innerText").strip() == SCRIPTED_BODY.strip()


# --- a community's site: long lists, calibration charts -------------------------------------------


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A site of 2,000 predictions by 30 authors of long-tailed activity; its URL and the busiest author."""
    from benchmarks.community import handles, make_community

    root = tmp_path_factory.mktemp("community") / "registry"
    make_community(root, 2000, authors=30)
    with serving(build(root, root.parent / "site")) as url:
        yield url, handles(30)[0]


def test_a_long_list_runs_over_pages_linked_both_ways(page: Page, community: tuple[str, str]) -> None:
    base, busiest = community
    page.goto(base + f"authors/{busiest}.html")
    first = visible_rows(page, "forecasts-table")
    pages = page.get_by_role("navigation", name="Pages of forecasts")
    pages.get_by_role("link", name="2", exact=True).click()
    assert page.url == base + f"authors/{busiest}/2.html"
    assert 0 < visible_rows(page, "forecasts-table") <= first == 200
    page.get_by_role("navigation", name="Pages of forecasts").get_by_role("link", name="1", exact=True).click()
    assert page.url == base + f"authors/{busiest}.html"


def chart_text_sizes(page: Page) -> list[float]:
    """The height in CSS pixels each chart label is drawn at: its font size times the chart's scale."""
    return list(
        page.evaluate(
            """Array.from(document.querySelectorAll('figure svg[viewBox] text')).map(text => {
                const svg = text.ownerSVGElement;
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                return parseFloat(getComputedStyle(text).fontSize) * scale;
            })"""
        )
    )


@pytest.mark.parametrize(
    "width",
    [
        1280,
        400,  # the charts keep their drawn size on a phone, and their figure scrolls
    ],
)
def test_chart_labels_are_drawn_at_least_11_px_tall(browser: Browser, community: tuple[str, str], width: int) -> None:
    """The issue's plots had 6 px counts; a label under 11 px is hard to read on a phone."""
    base, busiest = community
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        opened = context.new_page()
        small = {}
        for path in (f"authors/{busiest}.html", "questions/q-000000.html"):
            opened.goto(base + path)
            sizes = chart_text_sizes(opened)
            assert sizes, f"{path} has no chart"
            if min(sizes) < 11:
                small[path] = round(min(sizes), 1)
        assert not small, f"the smallest chart label at {width} px: {small}"
    finally:
        context.close()


def test_axe_core_finds_no_serious_violation_on_a_calibration_chart_and_a_paginated_list(
    page: Page, community: tuple[str, str]
) -> None:
    base, busiest = community
    page.goto(base + f"authors/{busiest}.html")
    assert page.locator("#calibration ~ figure svg, figure.calibration svg").count() == 1
    assert_accessible(page)
