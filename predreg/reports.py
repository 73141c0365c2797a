"""Plain-text views of a checked registry."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .checks import Registry
from .defaults import BRIER_SCALE
from .model import KINDS


def table(header: list[str], rows: list[list[str]]) -> str:
    """A left-aligned text table; numbers (and their columns) are right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = [all(_numeric(row[i]) for row in rows) and bool(rows) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _numeric(cell: str) -> bool:
    return cell.replace(".", "", 1).replace("-", "", 1).replace("+", "", 1).isdigit() or cell == "-"


def summary(registry: Registry) -> str:
    """Predictions per author and kind, with how many are resolved."""
    counts: Counter[tuple[str, str]] = Counter()
    resolved: Counter[str] = Counter()
    for prediction in registry.predictions.values():
        question = registry.questions[prediction.question_id]
        counts[prediction.author, question.kind] += 1
        if registry.resolution(question.id) is not None:
            resolved[prediction.author] += 1
    authors = sorted({author for author, _ in counts} | set(registry.authors))
    rows = []
    for author in authors:
        per_kind = [counts[author, kind] for kind in KINDS]
        rows.append([author, *(str(n) for n in per_kind), str(sum(per_kind)), str(resolved[author])])
    totals = [sum(counts[a, kind] for a in authors) for kind in KINDS]
    rows.append(["all", *(str(n) for n in totals), str(sum(totals)), str(sum(resolved.values()))])
    return table(["author", *KINDS, "total", "resolved"], rows)


def headline(registry: Registry) -> str:
    """One line of counts; a question is "shared" when two or more authors forecast it."""
    authors_of: dict[str, set[str]] = {}
    for prediction in registry.predictions.values():
        authors_of.setdefault(prediction.question_id, set()).add(prediction.author)
    shared = sum(len(authors) > 1 for authors in authors_of.values())
    return (
        f"{len(registry.predictions)} predictions by {len({p.author for p in registry.predictions.values()})} authors "
        f"on {len(registry.questions)} questions ({shared} shared), "
        f"{sum(len(chain) for chain in registry.resolutions.values())} resolution records"
    )


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ci(interval: tuple[float, float] | None) -> str:
    if interval is None or interval[0] != interval[0]:  # NaN: no bootstrap draws
        return "-"
    return f"[{interval[0]:+.3f}, {interval[1]:+.3f}]"


LEADERBOARD_HEADER = [
    "rank",
    "author",
    "n",
    "brier",
    "log",
    "baseline",
    "peer",
    "adjusted",
    "adjusted 95% CI",
    "unscored",
]


def leaderboard_rows(board: Any) -> list[list[str]]:
    """Rows of the leaderboard: ranked authors first, then those below --min-n (rank '-')."""
    rows = []
    for rank, author in [(str(i + 1), a) for i, a in enumerate(board.ranked)] + [("-", a) for a in board.unranked]:
        rows.append(
            [
                rank,
                author.author,
                str(author.n),
                _number(author.brier),
                _number(author.log_score),
                _number(author.baseline, 1),
                "-" if author.peer is None else f"{author.peer:+.3f}",
                "-" if author.adjusted is None else f"{author.adjusted:+.3f}",
                _ci(author.adjusted_ci),
                str(author.unscored),
            ]
        )
    return rows


def leaderboard_text(board: Any) -> str:
    lines = [table(LEADERBOARD_HEADER, leaderboard_rows(board)), ""]
    lines.append(f"{BRIER_SCALE}. Ranked: at least {board.min_n} scored questions; rank '-' is below that.")
    lines.append(f"Revisions scored {board.policy}; peer = own Brier minus the others' mean on shared questions.")
    lines += _unrevealed(board)
    lines += _invalid_resolutions(board)
    return "\n".join(lines)


def _unrevealed(board: Any) -> list[str]:
    """Hidden forecasts never revealed, named: they are scored as the worst forecast."""
    if not board.unrevealed:
        return []
    named = ", ".join(f"{u.author} on {u.question}" for u in board.unrevealed)
    return [f"Unrevealed commitments, scored as the worst forecast: {named}."]


def _invalid_resolutions(board: Any) -> list[str]:
    """Resolutions whose outcome does not fit their question, named by file: left out of scoring."""
    if not board.invalid_resolutions:
        return []
    named = "; ".join(f"{r.path or r.question} ({r.reason})" for r in board.invalid_resolutions)
    return [f"Invalid resolutions, left out of scoring: {named}."]


def leaderboard_markdown(board: Any) -> str:
    rows = leaderboard_rows(board)
    out = ["| " + " | ".join(LEADERBOARD_HEADER) + " |", "|" + "---|" * len(LEADERBOARD_HEADER)]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    out += ["", f"*{BRIER_SCALE}. Ranked at {board.min_n}+ scored questions; revisions scored {board.policy}.*"]
    out += ["", *_unrevealed(board)] if board.unrevealed else []
    out += ["", *_invalid_resolutions(board)] if board.invalid_resolutions else []
    return "\n".join(out)


def resolve_text(run: Any, details: bool = True) -> str:
    """The end of a ``predreg resolve`` run: what was resolved or failed (``details``), the counts."""
    from .progress import describe

    lines = []
    shown: tuple[str, ...] = (
        ("reproduced", "verified", "mismatch", "error") if run.offline else ("resolved", "error", "overdue")
    )
    if not details:  # progress lines named each question already; failures are repeated at the end
        shown = ("mismatch", "error")
    for result in run.results:
        if result.status in shown:
            where = f" -> {result.record}" if result.record else ""
            lines.append(f"{result.question}: {describe(result)}{where}")
    if run.offline:
        counts = (
            f"reproduced {run.count('reproduced')} (re-resolved), verified {run.count('verified')} (manual: bodies"
            f" and excerpts), mismatched {run.count('mismatch')}"
        )
        lines.append(f"offline audit from stored evidence: {counts}, of {len(run.results)} evidenced resolutions")
    else:
        verb = "would resolve" if run.dry_run else "resolved"
        lines.append(
            f"{verb} {run.count('resolved')}, pending {run.count('pending')}, overdue {run.count('overdue')}, "
            f"errored {run.count('error')} (left unresolved)" + (" (dry run: nothing written)" if run.dry_run else "")
        )
        manual = run.overdue_manual()
        if manual:
            lines.append("overdue, awaiting a person: " + ", ".join(r.question for r in manual))
    return "\n".join(lines)


def resolve_json(run: Any) -> str:
    """The run as JSON, for the scheduled job (e.g. one issue per overdue manual question)."""
    import json

    return json.dumps(
        {
            "dry_run": run.dry_run,
            "offline": run.offline,
            "results": [
                {
                    "question": r.question,
                    "resolver": r.resolver,
                    "status": r.status,
                    "outcome": r.verdict.outcome,
                    "reason": r.verdict.reason,
                    "record": str(r.record) if r.record else None,
                }
                for r in run.results
            ],
            "overdue_manual": [r.question for r in run.overdue_manual()],
        },
        indent=2,
        allow_nan=False,
    )
