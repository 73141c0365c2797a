"""Helpers for resolution tests: registries of questions whose evidence a local server serves."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from predreg.fetch import Limits, Session

from .evidence_server import EvidenceServer, recorded

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
FAST = Limits(connect_timeout=1, read_timeout=0.5, deadline=2, max_bytes=256 * 1024, retries=2, backoff=0.05)

ROUTES = {
    "/card": ("model-card.html", "text/html; charset=utf-8"),
    "/benchmark.json": ("benchmark-results.json", "application/json"),
    "/models.csv": ("notable-models.csv", "text/csv"),
    "/repos/example-lab/monitoring/pulls/412": ("github-pull-merged.json", "application/json"),
    "/repos/example-lab/monitoring/issues/77": ("github-issue-open.json", "application/json"),
    "/repos/example-lab/monitoring/releases": ("github-releases.json", "application/json"),
    "/arxiv/query": ("arxiv-query.xml", "application/atom+xml"),
    "/arxiv-empty/query": ("arxiv-empty.xml", "application/atom+xml"),
    "/api/posts/31415/": ("metaculus-post-resolved.json", "application/json"),
    "/api/posts/27182/": ("metaculus-post-open.json", "application/json"),
    "/api/posts/16180/": ("metaculus-post-annulled.json", "application/json"),
    "/v0/market/p2XcLzQv8hT1": ("manifold-market-cancelled.json", "application/json"),
    "/v0/market/yEsMaRkEt001": ("manifold-market-yes.json", "application/json"),
    "/v0/market/oPeNmArKeT02": ("manifold-market-open.json", "application/json"),
}


def serve_recorded(server: EvidenceServer) -> None:
    for path, (name, content_type) in ROUTES.items():
        server.routes[path] = recorded(name, content_type)


def session(server: EvidenceServer, limits: Limits = FAST, **options: Any) -> Session:
    return Session(allow_loopback=[server.origin], limits=limits, clock=lambda: NOW, **options)


def write_registry(root: Path, questions: dict[str, dict[str, Any]]) -> Path:
    """A valid registry of the given questions: id -> resolver (plus optional question fields)."""
    (root / "questions").mkdir(parents=True, exist_ok=True)
    (root / "authors.yaml").write_text("authors:\n  forecaster-a: {name: Forecaster A}\n", encoding="utf-8")
    for qid, spec in questions.items():
        spec = dict(spec)
        events = spec.pop("events", None)  # ordering: {question: prose by event, resolver: resolver by event}
        if events is not None:
            spec["events"] = events["resolver"]
        fields = {
            "id": qid,
            "claim": f"Claim {qid}.",
            "criteria": "YES if the linked evidence shows it by the resolve-by date, NO otherwise.",
            "resolve_by": spec.pop("resolve_by", "2026-12-31"),
            "kind": spec.pop("kind", "binary"),
            **({"events": events["question"]} if events else {}),
            **{key: spec.pop(key) for key in ("outcomes", "unit") if key in spec},
            "resolver": spec,
        }
        text = "".join(f"{key}: {json.dumps(value)}\n" for key, value in fields.items())
        (root / "questions" / f"{qid}.yaml").write_text(text.replace('"resolve_by"', "resolve_by"), encoding="utf-8")
    return root
