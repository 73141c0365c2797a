"""Every built-in resolver against a real local server serving recorded service responses."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import pytest

from predreg import check_registry
from predreg.fetch import Limits
from predreg.resolve import ask
from predreg.resolvers.web import visible_text

from .evidence_server import EvidenceServer, body
from .resolving import FAST, NOW, serve_recorded, session, write_registry

GH = {"name": "github", "repo": "example-lab/monitoring"}

# (resolver settings and question fields, expected status, expected outcome, date it happened)
CASES: dict[str, tuple[dict[str, Any], str, Any, str | None]] = {
    "http-contains": (
        {"name": "http", "url": "{s}/card", "contains": "Sandbagging evaluations"},
        "resolved",
        "yes",
        None,
    ),
    "http-matches": (
        {"name": "http", "url": "{s}/card", "matches": r"verbalised .* in \d+% of"},
        "resolved",
        "yes",
        None,
    ),
    "http-waits": (
        {"name": "http", "url": "{s}/card", "contains": "reward hacking", "resolve_by": "2027-06-30"},
        "pending",
        None,
        None,
    ),
    "http-no-after-deadline": (
        {"name": "http", "url": "{s}/card", "contains": "reward hacking", "resolve_by": "2026-06-30"},
        "resolved",
        "no",
        None,
    ),
    "http-absent-waits": (
        {"name": "http", "url": "{s}/card", "contains": "sandbagging", "expect": "absent"},
        "pending",
        None,
        None,
    ),
    "json-compare": (
        {"name": "json", "url": "{s}/benchmark.json", "pointer": "/results/0/score", "op": ">=", "value": 0.6},
        "resolved",
        "yes",
        None,
    ),
    "json-waits": (
        {"name": "json", "url": "{s}/benchmark.json", "pointer": "/results/1/score", "op": ">=", "value": 0.6},
        "pending",
        None,
        None,
    ),
    "json-exists-no": (
        {
            "name": "json",
            "url": "{s}/benchmark.json",
            "pointer": "/results/2",
            "op": "exists",
            "resolve_by": "2026-10-01",
        },
        "resolved",
        "no",
        None,
    ),
    "json-equal-text": (
        {"name": "json", "url": "{s}/benchmark.json", "pointer": "/results/0/model", "value": "Frontier Model 5"},
        "resolved",
        "yes",
        None,
    ),
    "csv-dated-row": (
        {
            "name": "csv",
            "url": "{s}/models.csv",
            "where": {"Training compute (FLOP)": {">=": 1e26}, "Domain": "language"},
            "date_column": "Publication date",
        },
        "resolved",
        "yes",
        "2026-08-07",
    ),
    "csv-row-after-deadline": (
        {
            "name": "csv",
            "url": "{s}/models.csv",
            "where": {"Training compute (FLOP)": {">=": 1e26}, "Domain": "Language"},
            "date_column": "Publication date",
            "resolve_by": "2026-06-30",
        },
        "resolved",
        "no",
        "2026-08-07",
    ),
    "csv-no-row-yet": (
        {"name": "csv", "url": "{s}/models.csv", "where": {"Organization": {"contains": "nobody"}}},
        "pending",
        None,
        None,
    ),
    "github-merged": ({**GH, "event": "merged", "number": 412, "api": "{s}"}, "resolved", "yes", "2026-03-09"),
    "github-merged-too-late": (
        {**GH, "event": "merged", "number": 412, "api": "{s}", "resolve_by": "2026-03-01"},
        "resolved",
        "no",
        "2026-03-09",
    ),
    "github-issue-open": ({**GH, "event": "closed", "number": 77, "api": "{s}"}, "pending", None, None),
    "github-issue-open-past": (
        {**GH, "event": "closed", "number": 77, "api": "{s}", "resolve_by": "2026-11-01"},
        "resolved",
        "no",
        None,
    ),
    "github-release": ({**GH, "event": "released", "tag": "v2.0.0", "api": "{s}"}, "resolved", "yes", "2026-08-21"),
    "github-prerelease-does-not-count": (
        {**GH, "event": "released", "api": "{s}", "resolve_by": "2026-07-15"},
        "resolved",
        "no",
        None,
    ),
    "arxiv-paper": (
        {"name": "arxiv", "query": 'ti:"monitorability"', "api": "{s}/arxiv/query"},
        "resolved",
        "yes",
        "2026-04-02",
    ),
    "arxiv-none-yet": (
        {"name": "arxiv", "query": 'ti:"neuralese"', "api": "{s}/arxiv-empty/query"},
        "pending",
        None,
        None,
    ),
    "metaculus-yes": ({"name": "metaculus", "id": 31415, "api": "{s}"}, "resolved", "yes", "2026-09-30"),
    "metaculus-open": ({"name": "metaculus", "id": 27182, "api": "{s}"}, "pending", None, None),
    "metaculus-annulled": ({"name": "metaculus", "id": 16180, "api": "{s}"}, "resolved", "annulled", "2026-09-30"),
    "manifold-cancel": (
        {"name": "manifold", "market": "p2XcLzQv8hT1", "api": "{s}"},
        "resolved",
        "annulled",
        "2025-11-01",
    ),
    "manifold-yes": ({"name": "manifold", "market": "yEsMaRkEt001", "api": "{s}"}, "resolved", "yes", "2025-07-01"),
    "manifold-open": ({"name": "manifold", "market": "oPeNmArKeT02", "api": "{s}"}, "pending", None, None),
    "all": (
        {
            "name": "all",
            "of": [
                {**GH, "event": "merged", "number": 412, "api": "{s}"},
                {"name": "arxiv", "query": "x", "api": "{s}/arxiv/query"},
            ],
        },
        "resolved",
        "yes",
        "2026-04-02",
    ),
    "all-one-no": (
        {
            "name": "all",
            "resolve_by": "2026-10-01",
            "of": [
                {**GH, "event": "merged", "number": 412, "api": "{s}"},
                {"name": "http", "url": "{s}/card", "contains": "reward hacking"},
            ],
        },
        "resolved",
        "no",
        None,
    ),
    "any": (
        {
            "name": "any",
            "of": [
                {"name": "http", "url": "{s}/card", "contains": "reward hacking"},
                {"name": "metaculus", "id": 31415, "api": "{s}"},
            ],
        },
        "resolved",
        "yes",
        "2026-09-30",
    ),
    "not": (
        {"name": "not", "of": {"name": "http", "url": "{s}/card", "contains": "sandbagging"}},
        "resolved",
        "no",
        None,
    ),
    "before": (
        {
            "name": "before",
            "kind": "ordering",
            "events": {"monitor": "A monitor ships.", "paper": "A paper appears."},
            "resolvers": {
                "monitor": {**GH, "event": "merged", "number": 412, "api": "{s}"},
                "paper": {"name": "arxiv", "query": "x", "api": "{s}/arxiv/query"},
            },
        },
        "resolved",
        "monitor",
        "2026-03-09",
    ),
    "before-neither": (
        {
            "name": "before",
            "kind": "ordering",
            "resolve_by": "2026-11-01",
            "events": {"monitor": "An issue is closed.", "paper": "A paper appears."},
            "resolvers": {
                "monitor": {**GH, "event": "closed", "number": 77, "api": "{s}"},
                "paper": {"name": "arxiv", "query": "x", "api": "{s}/arxiv-empty/query"},
            },
        },
        "resolved",
        "neither",
        None,
    ),
}


def _fill(value: Any, origin: str) -> Any:
    if isinstance(value, str):
        return value.replace("{s}", f"http://{origin}")
    if isinstance(value, dict):
        return {k: _fill(v, origin) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, origin) for v in value]
    return value


@pytest.mark.parametrize("name", list(CASES))
def test_builtin_resolver_against_recorded_responses(name: str, server: EvidenceServer, tmp_path: Path) -> None:
    serve_recorded(server)
    spec = _fill(CASES[name][0], server.origin)
    if spec.get("kind") == "ordering":  # the question's events are prose; the resolver maps each to a resolver
        spec["events"] = {"question": spec["events"], "resolver": spec.pop("resolvers")}
    root = write_registry(tmp_path / "registry", {"q": spec})
    registry = check_registry(str(root), today=NOW.date())
    assert registry.problems == []
    question = registry.questions["q"]
    verdict = ask(question.resolver, question, session(server), NOW)
    _, status, outcome, day = CASES[name]
    assert (verdict.status, verdict.outcome) == (status, outcome), verdict.reason
    if day is not None:
        assert verdict.happened_at is not None and verdict.happened_at.date() == dt.date.fromisoformat(day)


# --- hostile questions: a pattern or a page built to make resolution hang ------------------


def _verdict_within(seconds: float, question: Any, server: EvidenceServer, limits: Limits = FAST) -> Any:
    """The question's verdict, asked in a forked child that must finish well inside ``seconds``.

    A child, not a thread: a regex stuck in C holds the GIL, so a thread could not be waited for.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    run = session(server, limits)
    child = context.Process(target=lambda: send.send(ask(question.resolver, question, run, NOW)))
    child.start()
    try:
        assert receive.poll(seconds), f"still resolving after {seconds} s"
        return receive.recv()
    finally:
        child.kill()
        child.join()


def _question(tmp_path: Path, server: EvidenceServer, **resolver: Any) -> Any:
    root = write_registry(tmp_path / "registry", {"q": {"name": "http", "url": server.url("/page"), **resolver}})
    registry = check_registry(str(root), today=NOW.date())
    assert registry.problems == []
    return registry.questions["q"]


def test_regex_that_backtracks_forever_is_cut_off(server: EvidenceServer, tmp_path: Path) -> None:
    server.routes["/page"] = body("a" * 40 + "b", content_type="text/plain")
    question = _question(tmp_path, server, matches="(a+)+$")
    verdict = _verdict_within(20, question, server)  # Python's re takes about 2**40 steps here
    assert (verdict.status, verdict.outcome) == ("pending", None)


def test_the_check_and_the_resolver_run_the_same_engine(server: EvidenceServer, tmp_path: Path) -> None:
    # \p{Lu} is RE2 syntax that Python's re refuses: the check accepts it because the resolver runs it
    server.routes["/page"] = body("<p>The Frontier card is out</p>")
    question = _question(tmp_path, server, matches=r"\p{Lu}\p{Ll}+ card")
    verdict = ask(question.resolver, question, session(server), NOW)
    assert (verdict.status, verdict.outcome) == ("resolved", "yes"), verdict.reason


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(a)\1", "backreference"),
        (r"(?P<x>a)(?P=x)", "backreference"),
        (r"card(?= released)", "lookahead"),
        (r"(?<!no )card", "lookbehind"),
        (r"(?x) card", "verbose"),
        (r"card\Z", r"\z"),
        ("sandbag(ging", "missing )"),
        ("(?:" * 50 + r"\pL{20}" + ")" * 50, "too large"),
    ],
    ids=["backreference", "named-backref", "lookahead", "lookbehind", "verbose", "python-end", "unclosed", "large"],
)
def test_a_pattern_the_linear_engine_cannot_run_is_refused_at_check_time(
    pattern: str, message: str, tmp_path: Path
) -> None:
    question = {"name": "http", "url": "https://example.org/", "matches": pattern}
    root = write_registry(tmp_path / "registry", {"q": question})
    problems = check_registry(str(root), today=NOW.date()).problems
    assert [(p.path.endswith("q.yaml"), p.field) for p in problems] == [(True, "resolver.matches")], problems
    assert problems[0].line > 1 and message in str(problems[0]) and "\n" not in str(problems[0])


def test_a_page_too_long_for_its_pattern_fails_instead_of_running_for_minutes(
    server: EvidenceServer, tmp_path: Path
) -> None:
    # a pattern RE2 cannot run as a DFA costs (program size x text size): this one over 5 MB took 30 s
    server.routes["/page"] = body("ab" * 2_500_000, content_type="text/plain")
    question = _question(tmp_path, server, matches="a[ab]{990}c")
    verdict = _verdict_within(20, question, server, attrs.evolve(FAST, max_bytes=6_000_000, deadline=10))
    assert verdict.status == "error" and "too long for this pattern" in verdict.reason


@pytest.mark.parametrize(
    "page",
    ["<" * 400_000, "<a" * 200_000, "<!--" * 100_000, "<script>" * 50_000, "<style " * 57_000, "</script" * 50_000],
    ids=["open-brackets", "unclosed-tags", "unclosed-comments", "unclosed-scripts", "unclosed-styles", "stray-closes"],
)
def test_html_of_400_kb_of_unclosed_markup_is_read_in_linear_time(
    page: str, server: EvidenceServer, tmp_path: Path
) -> None:
    server.routes["/page"] = body(page)  # 400 KB of "<" took 48 s to strip (each "<" scanned to the end)
    question = _question(tmp_path, server, contains="needle")
    verdict = _verdict_within(20, question, server, attrs.evolve(FAST, max_bytes=1_000_000))
    assert verdict.status == "pending", verdict.reason


@pytest.mark.parametrize(
    ("html", "seen"),
    [
        ("<p>one</p><p>two</p>", "one two"),
        ("a<script>var s = '<p>hidden</p>';</script>b", "a b"),
        ("a<STYLE type='x'>p { color: red }</STYLE >b", "a b"),
        ("a<script>x</script\n>b", "a b"),
        ("<scripts>shown</scripts>", "shown"),
        ("a<!-- hidden <p>too</p> -->b", "a b"),
        ("a<!-->b", "a b"),
        ("1 < 2 and 3 <= 4", "1 < 2 and 3 <= 4"),
        ("fish &amp; chips &lt;b&gt; &#x41;", "fish & chips <b> A"),
        ("a<br/>b<img src='x>y'>c", "a b y'>c"),  # a tag ends at its first >, quoted or not
        ("a<script>never closed <p>x</p>", "a"),
        ("a<!-- never closed <p>x</p>", "a"),
        ("a < b <!-- c", "a < b"),
    ],
)
def test_visible_text_is_what_a_reader_sees(html: str, seen: str) -> None:
    assert " ".join(visible_text(html).split()) == seen


def test_a_gzip_page_cut_in_half_does_not_resolve_an_expect_absent_question_yes(
    server: EvidenceServer, tmp_path: Path
) -> None:
    import gzip

    whole = gzip.compress(b"<p>" + b"filler text, " * 5_000 + b"the retraction notice</p>")
    server.routes["/page"] = body(whole[: len(whole) // 2], Content_Encoding="gzip")  # the notice is in the lost half
    question = _question(tmp_path, server, contains="retraction notice", expect="absent")
    verdict = ask(question.resolver, question, session(server), NOW)
    assert verdict.status == "error" and "cut short" in verdict.reason, verdict


@pytest.mark.parametrize("resolution", ["nan", "inf", "-Infinity", "1e400"])
def test_a_metaculus_numeric_resolution_that_is_no_finite_number_does_not_resolve(
    resolution: str, server: EvidenceServer, tmp_path: Path
) -> None:
    # attack: the mirrored platform (or a server posing as it) answers a number that floating point reads as NaN or inf
    post = {"question": {"status": "resolved", "resolution": resolution, "actual_resolve_time": "2026-09-30T12:00:00Z"}}
    server.routes["/api/posts/99/"] = body(json.dumps(post), content_type="application/json")
    root = write_registry(
        tmp_path / "registry",
        {"q": {"name": "metaculus", "id": 99, "api": server.url(""), "kind": "numeric", "unit": "x"}},
    )
    registry = check_registry(str(root), today=NOW.date())
    assert registry.problems == []
    question = registry.questions["q"]
    verdict = ask(question.resolver, question, session(server), NOW)
    assert (verdict.status, verdict.outcome) == ("error", None), verdict
    assert "not a finite number" in verdict.reason


def test_a_csv_row_shorter_than_its_header_is_a_row_without_a_date(server: EvidenceServer, tmp_path: Path) -> None:
    # attack: the table ends a matching row early, so csv reads its missing date cell as None, not as text
    table = "Model,Organization,Publication date\nShort Model,Big Lab\nLong Model,Big Lab,2026-05-01\n"
    server.routes["/models.csv"] = body(table, content_type="text/csv")
    resolver = {"name": "csv", "url": server.url("/models.csv"), "where": {"Organization": {"contains": "Big Lab"}}}
    root = write_registry(tmp_path / "registry", {"q": {**resolver, "date_column": "Publication date"}})
    registry = check_registry(str(root), today=NOW.date())
    assert registry.problems == []
    question = registry.questions["q"]
    verdict = ask(question.resolver, question, session(server), NOW)
    assert (verdict.status, verdict.outcome) == ("resolved", "yes"), verdict.reason
    assert verdict.happened_at == dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
