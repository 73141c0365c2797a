"""`predreg site`: the registry as a static website, built from real registries into real folders."""

from __future__ import annotations

import ctypes
import datetime as dt
import hashlib
import html
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import attrs
import pytest

from predreg import leaderboard, plugins
from predreg.checks import check_registry
from predreg.cli import main
from predreg.defaults import DEFAULT_RANK
from predreg.model import Question, Resolution, Resolver
from predreg.ranking import RANK_RULES
from predreg.registry import walk
from predreg.site import build, facts, pages

from .conftest import EXAMPLE_REGISTRY, TODAY


def _site(out: Path, *args: str, registry: Path = EXAMPLE_REGISTRY) -> int:
    return main(["site", str(registry), "-o", str(out), "--min-n", "1", *args])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example registry's site, built once for the module's read-only tests."""
    out = tmp_path_factory.mktemp("built") / "site"
    assert _site(out) == 0
    return out


def _pages(site: Path) -> dict[str, str]:
    return {str(path.relative_to(site)): path.read_text(encoding="utf-8") for path in sorted(site.rglob("*.html"))}


class _Links(HTMLParser):
    """Every id, href and src of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.links: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs_: list[tuple[str, str | None]]) -> None:
        found = dict(attrs_)
        self.tags.append((tag, found))
        if found.get("id"):
            self.ids.append(str(found["id"]))
        for name in ("href", "src"):
            if found.get(name) is not None:
                self.links.append(str(found[name]))

    handle_startendtag = handle_starttag


def _parsed(text: str) -> _Links:
    parser = _Links()
    parser.feed(text)
    parser.close()
    return parser


def _registry(path: Path = EXAMPLE_REGISTRY, today: dt.date = TODAY):  # type: ignore[no-untyped-def]
    return check_registry(walk(str(path), index=False), today=today, resolvers=plugins.catalogue())


# --- what the site shows -------------------------------------------------------------------------


def test_every_prediction_appears_on_its_question_page_and_on_its_author_page(site: Path) -> None:
    registry = _registry()
    assert len(registry.predictions) == 19
    for prediction in registry.predictions.values():
        question = (site / "questions" / f"{prediction.question_id}.html").read_text(encoding="utf-8")
        author = (site / "authors" / f"{prediction.author}.html").read_text(encoding="utf-8")
        assert f'id="f-{prediction.id}"' in question, prediction.id
        assert f'id="p-{prediction.id}"' in author, prediction.id
        assert f"authors/{prediction.author}.html#p-{prediction.id}" in question


def test_every_page_kind_is_there(site: Path) -> None:
    names = set(_pages(site))
    assert {"index.html", "open.html", "tags.html", "tags/scheming.html"} <= names
    assert "questions/empirical-scheming-report.html" in names
    assert {f"authors/forecaster-{c}.html" for c in "abcdefghi"} <= names
    assert (site / "static" / "site.css").is_file() and (site / "static" / "site.js").is_file()


def test_the_community_forecast_is_a_marked_virtual_row_and_on_each_question_page(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "The community forecast, a virtual entry" in index and "(community)" in index
    page = (site / "questions" / "no-reward-hacky-deployments.html").read_text(encoding="utf-8")
    assert "Community forecast: 85% (the geometric mean of the odds, over" in page  # its one forecaster's 0.85
    assert "<title>community</title>" in page  # its line on the chart


def test_the_leaderboard_links_each_row_to_its_author_by_display_name(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<a href="authors/forecaster-b.html">Forecaster B</a>' in index
    assert html.escape(RANK_RULES[DEFAULT_RANK].sentence) in index  # the ranking rule, in one sentence


def test_every_internal_link_resolves_to_a_file_and_every_anchor_to_an_id(site: Path) -> None:
    ids = {name: set(_parsed(text).ids) for name, text in _pages(site).items()}
    checked = 0
    for name, text in _pages(site).items():
        for link in _parsed(text).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc:
                assert parts.scheme in ("http", "https"), (name, link)
                continue
            target = (site / name).parent / unquote(parts.path) if parts.path else site / name
            target = target.resolve()
            assert target.is_file(), (name, link)
            assert site.resolve() in target.parents, (name, link)
            if parts.fragment:
                assert parts.fragment in ids[str(target.relative_to(site.resolve()))], (name, link)
            checked += 1
    assert checked > 300


def test_ids_are_unique_on_every_page_svg_ones_included(site: Path) -> None:
    svg_ids = 0
    for name, text in _pages(site).items():
        found = _parsed(text).ids
        assert len(found) == len(set(found)), name
        svg_ids += sum(1 for i in found if i.startswith("chart-"))
    assert svg_ids > 10


def test_no_page_is_over_one_megabyte(site: Path) -> None:
    assert max(path.stat().st_size for path in site.rglob("*") if path.is_file()) < 1_000_000


def test_the_same_registry_builds_a_byte_identical_site(site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert _site(again) == 0

    def tree(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    assert tree(again) == tree(site)


def test_the_site_is_as_of_the_registrys_newest_date_not_the_clock(site: Path) -> None:
    assert "As of 2026-11-23:" in (site / "index.html").read_text(encoding="utf-8")


def test_source_date_epoch_sets_the_day_the_site_is_as_of(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2027, 1, 5, tzinfo=dt.UTC).timestamp())))
    assert facts.as_of(_registry()) == dt.date(2027, 1, 5)


def test_evidence_bodies_are_copied_as_text_and_linked_and_seed_paths_are_not_links(site: Path) -> None:
    for body in (EXAMPLE_REGISTRY / "evidence").iterdir():
        copy = site / "evidence" / f"{body.name}.txt"
        assert copy.read_bytes() == body.read_bytes()
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == body.name
    page = (site / "questions" / "empirical-scheming-report.html").read_text(encoding="utf-8")
    assert 'href="../evidence/39ffe87544512ecd73e6ab2e5808d19c7e5827e53963fddd2241ab88575c9e8a.txt"' in page
    for name, text in _pages(site).items():
        assert not any(link.startswith("seeds/") for link in _parsed(text).links), name
    assert "seeds/003_2459c67bd2197ca2.txt" in page  # shown, as text


def test_a_question_page_shows_the_outcome_dispute_approvers_and_the_criteria(site: Path) -> None:
    page = (site / "questions" / "empirical-scheming-report.html").read_text(encoding="utf-8")
    assert 'class="status status-disputed">disputed' in page
    assert "Disputed by</dt><dd" in page and "forecaster-e" in page
    assert "Approved by</dt><dd>forecaster-h" in page
    assert "YES if a reviewer who does not forecast this question" in page
    assert page.count('role="img"') >= 1


def test_a_correction_chain_is_shown_oldest_last_with_the_standing_record_marked(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    shutil.copytree(EXAMPLE_REGISTRY, registry)
    (registry / "resolutions" / "no-reward-hacky-deployments.1.yaml").write_text(
        "question: no-reward-hacky-deployments\noutcome: annulled\nresolved_at: 2026-11-23\nresolver: manual\n"
        "resolved_by: forecaster-d\ncorrects: no-reward-hacky-deployments\nnote: The criteria cannot be read.\n",
        encoding="utf-8",
    )
    assert _registry(registry).problems == []
    assert _site(tmp_path / "site", registry=registry) == 0
    page = (tmp_path / "site" / "questions" / "no-reward-hacky-deployments.html").read_text(encoding="utf-8")
    assert "no-reward-hacky-deployments.1.yaml (standing)" in page
    assert "no-reward-hacky-deployments.yaml (corrected by a later record)" in page
    assert page.index(".1.yaml (standing)") < page.index(".yaml (corrected")
    assert 'status-annulled">annulled' in page


def test_an_author_page_lists_open_and_resolved_forecasts_with_revisions(site: Path) -> None:
    page = (site / "authors" / "forecaster-a.html").read_text(encoding="utf-8")
    assert "revises neuralese-before-full-automation" in page
    assert "revised by neuralese-before-full-automation-revised" in page
    assert 'status-open">open' in page and 'status-resolved">resolved' in page
    assert "full-automation 60%, neither 10%, neuralese 30%" in page


def test_an_author_page_draws_calibration_and_says_murphys_terms(tmp_path: Path) -> None:
    # past blackmail-rate-with-prompt-fixes' resolve-by date, its binary forecasts count for calibration
    assert _site(tmp_path / "site", "--today", "2027-07-01") == 0
    page = (tmp_path / "site" / "authors" / "forecaster-e.html").read_text(encoding="utf-8")
    assert 'viewBox="0 0 560 420"' in page
    assert '<text x="' in page and 'class="count">1</text>' in page
    assert re.search(r"Reliability 0\.\d{3} \(lower is better", page)
    assert "came true 100% of the time" in page  # the one forecast near 80%, of a question that resolved yes
    assert "Brier 0.040 = reliability" in page  # (1 - 0.8)^2, by hand


def test_a_hidden_commitment_is_shown_as_hidden_until_its_resolve_by_date() -> None:
    registry = _registry()
    prediction = registry.predictions["mythos-level-scheming"]
    hidden = attrs.evolve(prediction, probability=None, commitment="sha256:" + "0" * 64)
    registry.predictions[prediction.id] = hidden
    board = leaderboard.build(registry, today=TODAY, min_n=1)
    gathered = facts.gather(registry, board, today=TODAY)
    [forecast] = gathered.questions["mythos-level-scheming"].forecasts
    due = registry.questions["mythos-level-scheming"].resolve_by
    assert forecast.shown == f"hidden until {due.isoformat()}"
    assert forecast.probability is None


@pytest.mark.parametrize(
    ("resolve_by", "outcome", "disputed", "expected"),
    [
        (dt.date(2027, 1, 1), None, (), "open"),
        (dt.date(2026, 12, 20), None, (), "due"),
        (dt.date(2026, 11, 22), None, (), "overdue"),
        (dt.date(2026, 11, 22), "yes", (), "resolved"),
        (dt.date(2026, 11, 22), "annulled", (), "annulled"),
        (dt.date(2026, 11, 22), "ambiguous", (), "annulled"),
        (dt.date(2026, 11, 22), "no", ("someone",), "disputed"),
    ],
)
def test_a_questions_status(resolve_by: dt.date, outcome: str | None, disputed: tuple[str, ...], expected: str) -> None:
    question = Question("q", "c", "crit", resolve_by, Resolver("manual"), "binary")
    resolution = None
    if outcome is not None:
        moment = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
        resolution = Resolution("q", outcome, moment, "manual", disputed_by=disputed)
    assert facts.status(question, resolution, TODAY) == expected


def test_the_leaderboard_is_paginated_with_every_page_linked(tmp_path: Path) -> None:
    from benchmarks.synthetic import make_registry

    registry = tmp_path / "registry"
    make_registry(registry, 600, authors=150, shared=True)
    assert _site(tmp_path / "site", "--today", "2026-11-23", registry=registry) == 0
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    second = tmp_path / "site" / "leaderboard" / "2.html"
    assert second.is_file() and 'href="leaderboard/2.html"' in index
    board = index.split('id="leaderboard"')[1].split("</table>")[0]
    assert board.count("<tr") == pages.BOARD_PAGE + 1  # its header, and a page of rows
    assert 'href="../index.html">1</a>' in second.read_text(encoding="utf-8")


def test_a_question_with_many_forecasts_spreads_its_table_over_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "QUESTION_PAGE", 1)
    assert _site(tmp_path / "site") == 0
    first = (tmp_path / "site" / "questions" / "empirical-scheming-report.html").read_text(encoding="utf-8")
    second = (tmp_path / "site" / "questions" / "empirical-scheming-report" / "2.html").read_text(encoding="utf-8")
    assert 'id="f-empirical-scheming-report-b"' in first and 'id="f-empirical-scheming-report-c"' not in first
    assert (
        'id="f-empirical-scheming-report-c"' in second
        and 'href="../questions/empirical-scheming-report/2.html"' in first
    )
    assert "<svg" in first and "<svg" not in second.split('id="forecasts"')[1].split("</section>")[0]


def test_every_filter_box_is_labelled_and_names_a_table_on_its_page(site: Path) -> None:
    for name, text in _pages(site).items():
        parsed = _parsed(text)
        labels = {found.get("for") for tag, found in parsed.tags if tag == "label"}
        for tag, found in parsed.tags:
            if tag == "input":
                assert found.get("type") == "search" and found.get("id") in labels, name
                assert found.get("data-filter-for") in parsed.ids, name


# --- hostile registry text -----------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """The example registry with a script in a display name, markup in a claim and javascript: evidence."""
    registry = tmp_path / "registry"
    shutil.copytree(EXAMPLE_REGISTRY, registry)
    authors = registry / "authors.yaml"
    text = authors.read_text(encoding="utf-8")
    authors.write_text(
        text.replace("name: Forecaster B", f"name: '{SCRIPT} **bold** [x](javascript:alert(1))'"), encoding="utf-8"
    )
    question = registry / "questions" / "empirical-scheming-report.yaml"
    claim = "claim: >-\n  The 2025 empirical report"
    question.write_text(
        question.read_text(encoding="utf-8").replace(claim, "claim: >-\n  </textarea><img src=x onerror=alert(1)> The"),
        encoding="utf-8",
    )
    resolution = registry / "resolutions" / "empirical-scheming-report.yaml"
    resolution.write_text(
        resolution.read_text(encoding="utf-8").replace(
            "  - url: seeds/", "  - url: 'javascript:alert(1)'\n  - url: seeds/"
        ),
        encoding="utf-8",
    )
    assert _registry(registry).problems == []
    assert _site(tmp_path / "site", registry=registry) == 0
    return tmp_path / "site"


def test_a_display_name_holding_a_script_tag_is_shown_as_text(hostile: Path) -> None:
    for name, text in _pages(hostile).items():
        assert SCRIPT not in text, name
    page = (hostile / "authors" / "forecaster-b.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** [x](javascript:alert(1))" in page


def test_a_claim_holding_a_closing_textarea_and_an_img_onerror_is_shown_as_text(hostile: Path) -> None:
    for name, text in _pages(hostile).items():
        assert "<img" not in text and "</textarea>" not in text, name
    page = (hostile / "questions" / "empirical-scheming-report.html").read_text(encoding="utf-8")
    assert "&lt;/textarea&gt;&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_javascript_url_in_evidence_is_text_never_an_active_link(hostile: Path) -> None:
    for name, text in _pages(hostile).items():
        for link in _parsed(text).links:
            assert not link.strip().lower().startswith(("javascript:", "data:", "vbscript:")), (name, link)
    page = (hostile / "questions" / "empirical-scheming-report.html").read_text(encoding="utf-8")
    assert '<span class="url">javascript:alert(1)</span>' in page


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JaVaScRiPt:x", "data:text/html,x", "//evil.example/x", "http:/x", "https://a b"]
)
def test_only_an_http_address_with_a_host_becomes_a_link(url: str) -> None:
    assert facts.web_link(url) is None
    assert facts.web_link("https://example.org/a?b=1") == "https://example.org/a?b=1"


def test_a_hostile_id_that_check_would_refuse_never_names_a_file_outside_the_site(tmp_path: Path) -> None:
    registry = _registry()
    for evil in ("../../escape", "/etc/passwd", "..", "a/../../b", "x\\..\\y"):
        registry.questions[evil] = Question(
            evil, "claim", "criteria", dt.date(2030, 1, 1), Resolver("manual"), "binary"
        )
    board = leaderboard.build(registry, today=TODAY, min_n=1)
    out = tmp_path / "nest" / "site"
    build.build_site(registry, board, [], output=str(out), today=TODAY)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(out in p.parents for p in written)
    assert not (tmp_path / "escape").exists() and not (tmp_path / "escape.html").exists()
    assert len(list((out / "questions").iterdir())) == 18 + 5


@pytest.mark.parametrize("path", ["../x.html", "/etc/x", "a/../b", "", "a//b", "a\\b"])
def test_a_producer_path_leaving_the_site_is_refused(path: str) -> None:
    gathered = facts.gather(_registry(), leaderboard.build(_registry(), today=TODAY), today=TODAY)
    with pytest.raises(ValueError, match="inside the site"):
        build.compose(gathered, [lambda _: {path: b"x"}])


# --- templates, output, the command line ---------------------------------------------------------


def test_a_templates_folder_overrides_one_template_and_the_rest_are_packaged(site: Path, tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "tags.html").write_text(
        '{% extends "base.html" %}{% block title %}Our tags{% endblock %}'
        "{% block main %}<h1>Our own tag list</h1>{% endblock %}",
        encoding="utf-8",
    )
    assert _site(tmp_path / "site", "--templates", str(own)) == 0
    assert "<h1>Our own tag list</h1>" in (tmp_path / "site" / "tags.html").read_text(encoding="utf-8")
    for name in ("index.html", "questions/empirical-scheming-report.html", "static/site.css"):
        assert (tmp_path / "site" / name).read_bytes() == (site / name).read_bytes()


def test_a_missing_templates_folder_is_a_usage_error_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _site(tmp_path / "site", "--templates", str(tmp_path / "nope")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"predreg: --templates {tmp_path / 'nope'}: no such folder;")
    assert not (tmp_path / "site").exists()


def test_a_folder_holding_other_files_is_never_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work\n", encoding="utf-8")
    assert _site(mine) == 2
    assert "holds files that are not a site predreg built" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.tex"]


def test_a_rebuild_replaces_the_old_site_whole(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert _site(out) == 0
    (out / "questions" / "stale.html").write_text("from an older build\n", encoding="utf-8")
    assert _site(out) == 0
    assert not (out / "questions" / "stale.html").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.")]  # nothing left beside it


def _drop_override() -> None:
    """In the child, before exec: root without the capabilities that ignore file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        libc.prctl(24, capability, 0, 0, 0)


def test_a_read_only_output_folder_is_a_clear_error_and_the_old_site_stays(tmp_path: Path) -> None:
    out = tmp_path / "site"
    assert _site(out) == 0
    before = (out / "index.html").read_bytes()
    out.chmod(0o555)
    try:
        ran = subprocess.run(
            [sys.executable, "-m", "predreg.cli", "site", str(EXAMPLE_REGISTRY), "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PREDREG_DEBUG": ""},
            preexec_fn=_drop_override if os.geteuid() == 0 else None,
        )
        probe = subprocess.run(
            [sys.executable, "-c", f"open({str(out / 'probe')!r}, 'w')"],
            capture_output=True,
            preexec_fn=_drop_override if os.geteuid() == 0 else None,
        )
    finally:
        out.chmod(0o755)
    if probe.returncode == 0:
        pytest.skip("cannot make a read-only folder here (root whose capabilities cannot be dropped)")
    assert ran.returncode == 2, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0] == f"predreg: -o {out}: {out} is not writable; choose a folder you can write to"
    assert "Traceback" not in ran.stderr
    assert (out / "index.html").read_bytes() == before


def test_a_registry_with_problems_builds_from_its_valid_records_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    registry = tmp_path / "registry"
    shutil.copytree(EXAMPLE_REGISTRY, registry)
    (registry / "predictions" / "forecaster-b" / "broken.yaml").write_text("id: broken\n", encoding="utf-8")
    assert _site(tmp_path / "site", registry=registry) == 1
    assert "broken.yaml" in capsys.readouterr().err
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "The check found" in index and "problem(s)" in index


def test_score_format_html_writes_the_site_and_prints_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "site"
    assert main(["score", str(EXAMPLE_REGISTRY), "--format", "html", "--min-n", "1", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "forecaster-b" in printed and f"wrote {out}:" in printed
    assert (out / "index.html").is_file() and (out / "authors" / "forecaster-b.html").is_file()


def test_site_and_score_take_the_same_board_options() -> None:
    from predreg.cli import _parser

    commands = next(
        a.choices for a in _parser()._actions if hasattr(a, "choices") and a.choices and "site" in a.choices
    )

    def options(name: str) -> set[str]:
        return {flag for action in commands[name]._actions for flag in action.option_strings}

    board = {"--policy", "--min-n", "--tag", "--author", "--today", "--merge", "--no-index"}
    assert board <= options("site") and board <= options("score")


WORKERS = """
import os, sys
from predreg.site import build
parent = os.getpid()

def page(n):
    def render():
        if os.getpid() != parent and n % 2:  # a worker that fails on its share
            open(sys.argv[2], "a").write("failed\\n")
            raise OSError("the worker's disk filled up")
        return f"page {n}".encode()
    return render

pages = [(f"p/{n}.html", page(n)) for n in range(40)]
print(build.write_site(sys.argv[1], {"a.txt": b"a"}, pages, workers=2))
"""


def test_pages_a_failed_worker_left_are_written_by_the_main_process(tmp_path: Path) -> None:
    out = tmp_path / "site"
    failed = tmp_path / "failed"
    ran = subprocess.run(
        [sys.executable, "-c", WORKERS, str(out), str(failed)], capture_output=True, text=True, timeout=120
    )
    assert ran.returncode == 0, ran.stderr
    assert failed.read_text() == "failed\n"  # the worker ran, and failed on its first odd page
    assert sorted(p.name for p in (out / "p").iterdir()) == sorted(f"{n}.html" for n in range(40))
    assert all((out / "p" / f"{n}.html").read_bytes() == f"page {n}".encode() for n in range(40))
    marker = (out / build.MARKER).stat().st_size
    assert int(ran.stdout) == marker + 1 + sum(len(f"page {n}") for n in range(40))  # each page counted once


def test_the_community_method_chosen_is_said_on_the_pages(tmp_path: Path) -> None:
    assert _site(tmp_path / "site", "--community", "median", "--extremise", "1.5") == 0
    index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "for binary questions the median, extremised by raising the odds to 1.5;" in index
    page = (tmp_path / "site" / "questions" / "empirical-scheming-report.html").read_text(encoding="utf-8")
    assert "(the median, extremised by raising the odds to 1.5, over the authors' standing forecasts)" in page


def test_an_authors_scored_questions_spread_over_the_pages_of_their_forecasts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long record's scored table went whole onto its first page (1.5 MB at 100k predictions)."""
    from benchmarks.synthetic import make_registry

    monkeypatch.setattr(pages, "LIST_PAGE", 2)
    registry = tmp_path / "registry"
    make_registry(registry, 300, authors=10, shared=True)
    assert _site(tmp_path / "site", "--today", "2026-11-23", registry=registry) in (0, 1)
    totals = {}
    for page in sorted((tmp_path / "site" / "authors").rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        rows = (
            text.split('id="scored-table"')[1].split("</tbody>")[0].count("<tr><td>") if "scored-table" in text else 0
        )
        assert rows <= 2, page  # no page holds more than its share
        handle = page.stem if page.parent.name == "authors" else page.parent.name
        totals[handle] = totals.get(handle, 0) + rows
    assert max(totals.values()) > 2  # and a long record's rows are all there, over several pages
