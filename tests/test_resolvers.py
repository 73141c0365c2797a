"""Every built-in resolver against a real local server serving recorded service responses."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from predreg.checks import check_registry
from predreg.resolve import ask

from .evidence_server import EvidenceServer
from .resolving import NOW, serve_recorded, session, write_registry

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
