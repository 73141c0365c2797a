"""The static HTML leaderboard: one self-contained page, no network needed to view it.

Calibration plots are drawn by matplotlib as SVG and inlined, so the page is a single
file that opens anywhere. matplotlib is the optional extra ``predreg[html]``; it is
imported only here, through :func:`pyplot`.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from collections.abc import Iterable
from types import ModuleType

from . import reports
from .checks import Registry
from .defaults import BRIER_SCALE
from .extras import require
from .leaderboard import AuthorScore, Leaderboard
from .scoring import CalibrationBin
from .version import __version__

_STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2330; background: #f6f7f9; }
header { background: #1d2330; color: #fff; padding: 1.4rem 2rem; }
header h1 { margin: 0; font-size: 1.5rem; } header p { margin: .3rem 0 0; color: #c8cdd8; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 2rem 3rem; }
section { background: #fff; border-radius: 8px; padding: 1rem 1.4rem; margin: 1.2rem 0; box-shadow: 0 1px 3px #0001; }
h2 { font-size: 1.2rem; margin: .2rem 0 .8rem; } h3 { font-size: 1.05rem; margin: 1rem 0 .4rem; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e6e8ec; }
th { font-weight: 600; color: #4a5263; font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; }
td.num, th.num { text-align: right; }
tr.unranked td { color: #6b7385; }
.note { color: #6b7385; font-size: .88rem; }
.authors { display: grid; grid-template-columns: repeat(auto-fill, minmax(330px, 1fr)); gap: 1rem; }
.author { border: 1px solid #e6e8ec; border-radius: 8px; padding: .6rem .9rem; }
.author svg { width: 100%; height: auto; }
.author table { table-layout: fixed; font-size: .88rem; }
.author td a { word-break: break-all; }
nav a { margin-right: 1rem; color: #3b5bdb; text-decoration: none; }
"""


def _cells(row: list[str], header: list[str]) -> str:
    numeric = {"n", "brier", "log", "baseline", "peer", "adjusted", "unscored", "rank"}
    return "".join(
        f'<td class="num">{html.escape(cell)}</td>' if name in numeric else f"<td>{html.escape(cell)}</td>"
        for cell, name in zip(row, header, strict=True)
    )


def leaderboard_table(board: Leaderboard) -> str:
    header = reports.LEADERBOARD_HEADER
    head = "".join(f'<th class="num">{h}</th>' if h != "author" else f"<th>{h}</th>" for h in header)
    rows = []
    for row in reports.leaderboard_rows(board):
        css = ' class="unranked"' if row[0] == "-" else ""
        rows.append(f"<tr{css}>{_cells(row, header)}</tr>")
    return f'<table class="leaderboard"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


PURPOSE = "the HTML report (--format html)"


def pyplot() -> ModuleType:
    """matplotlib's pyplot, drawing off-screen; :class:`~predreg.extras.MissingExtra` without the extra."""
    require("matplotlib", "html", PURPOSE).use("Agg")  # before pyplot: no display is needed, or wanted
    return require("matplotlib.pyplot", "html", PURPOSE)


def calibration_svg(author: str, bins: list[CalibrationBin]) -> str:
    """A calibration plot: observed frequency per bin with its Wilson 95% band."""
    plt = pyplot()
    figure, axes = plt.subplots(figsize=(4.2, 3.4))
    axes.plot([0, 1], [0, 1], color="#b8bfcc", linewidth=1, linestyle="--", label="perfect calibration")
    points = [(b.mean_forecast, b.observed, b.interval, b.count) for b in bins if b.mean_forecast is not None]
    if points:
        x = [p[0] for p in points]
        observed = [p[1] or 0.0 for p in points]  # a bin with forecasts always has an observed share
        axes.fill_between(
            x, [p[2][0] for p in points], [p[2][1] for p in points], color="#3b5bdb", alpha=0.15, label="95% interval"
        )
        axes.plot(x, observed, color="#3b5bdb", marker="o", linewidth=1.5, label="observed")
        for forecast, share, _, count in points:
            axes.annotate(str(count), (forecast, share or 0.0), textcoords="offset points", xytext=(4, 4), fontsize=7)
    else:
        axes.text(
            0.5, 0.5, "no binary question past its\nresolve-by date yet", ha="center", va="center", color="#6b7385"
        )
    axes.set(xlim=(0, 1.05), ylim=(0, 1.05), xlabel="forecast probability", ylabel="observed frequency")
    axes.legend(fontsize=7, loc="upper left", frameon=False)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]  # drop the XML prolog and doctype: the SVG is inlined


def _resolved_table(author: AuthorScore, board: Leaderboard, registry: Registry) -> str:
    rows = []
    for series in (s for s in board.series if s.author == author.author):
        resolution = registry.resolution(series.question)
        links = " ".join(
            f'<a href="{html.escape(e.url)}">{html.escape(e.url.rsplit("/", 1)[-1] or e.url)}</a>'
            for e in (resolution.evidence if resolution else ())
        )
        outcome = series.outcome if isinstance(series.outcome, str) else f"{series.outcome:g}"
        score = "-" if series.brier is None else f"{series.brier:.3f}"
        rows.append(
            f"<tr><td>{html.escape(series.question)}</td><td>{html.escape(outcome)}</td>"
            f'<td class="num">{score}</td><td>{links or "-"}</td></tr>'
        )
    if not rows:
        return '<p class="note">No resolved predictions yet.</p>'
    head = '<tr><th>question</th><th>outcome</th><th class="num">brier</th><th>evidence</th></tr>'
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>"


def render(
    registry: Registry, board: Leaderboard, generated_at: dt.datetime, tag_views: Iterable[tuple[str, Leaderboard]] = ()
) -> str:
    """The whole page as one HTML string; ``tag_views`` from ``leaderboard.views(..., "tag")``."""
    authors = board.ranked + board.unranked
    cards = "".join(
        f'<div class="author" id="author-{html.escape(a.author)}"><h3>{html.escape(a.author)}</h3>'
        f"{calibration_svg(a.author, a.calibration)}{_resolved_table(a, board, registry)}</div>"
        for a in authors
    )
    tag_sections = "".join(
        f'<h3 id="tag-{html.escape(tag)}">{html.escape(tag)}</h3>' + leaderboard_table(view) for tag, view in tag_views
    )
    unscored = "".join(
        f"<li>{html.escape(u.author)} on {html.escape(u.question)}: {html.escape(u.reason)}</li>"
        for u in board.unscored
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>predreg leaderboard</title><style>{_STYLE}</style></head>
<body><header><h1>Prediction registry leaderboard</h1>
<p>{len(registry.predictions)} predictions by {len({p.author for p in registry.predictions.values()})} authors;
generated {generated_at:%Y-%m-%d %H:%M} UTC by predreg {__version__}</p></header>
<main><nav><a href="#leaderboard">Leaderboard</a><a href="#authors">Authors</a><a href="#tags">By tag</a></nav>
<section id="leaderboard"><h2>Leaderboard</h2>{leaderboard_table(board)}
<p class="note">{html.escape(BRIER_SCALE)}. Ranked: at least {board.min_n} scored questions (greyed rows have fewer).
Revisions scored {board.policy}. Peer: own Brier minus the others' mean on shared questions.
Adjusted: author effect from a fit with question difficulty, with a question-bootstrap 95% interval.</p>
{f"<h3>Not scored</h3><ul class='note'>{unscored}</ul>" if unscored else ""}</section>
<section id="authors"><h2>Calibration and resolved predictions</h2>
<p class="note">Binary forecasts standing at resolution, on questions past their resolve-by date; bins are 5 points
wide at the extremes and 10 in the middle; the band is a Wilson 95% interval; numbers are counts.</p>
<div class="authors">{cards}</div></section>
<section id="tags"><h2>By tag</h2>{tag_sections or '<p class="note">No tags.</p>'}</section>
</main></body></html>
"""
