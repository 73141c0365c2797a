"""The README's error catalogue, generated from the golden fixtures and the rule table.

``python -m predreg.catalogue`` (in a checkout) rewrites the generated parts of
README.md: the table of what each fixture in ``tests/data/invalid/`` gives, with the
rule that finds it, and the table of every rule by name. ``--check`` only says whether
README.md is as generated (exit 1 if not). Each row's message is the fixture's own
``.expected`` line, and its rule is found by checking the fixture, so neither is
written by hand; only the short description of each input is.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import attrs

from . import checks, plugins
from .registry import walk

TODAY = dt.date(2026, 11, 23)
"""The date the golden fixtures are checked as of (as ``tests/conftest.py`` checks them)."""
LOADER = "loader"
"""The rule column of a problem the loader finds (the file's own syntax and fields), not a registry rule."""


@attrs.frozen
class Entry:
    """A row of the catalogue: a fixture, what its input is, and which line of its ``.expected`` the row shows."""

    fixture: str
    given: str
    line: int = 0


ENTRIES = (
    Entry("probability-yes", "`probability: yes`"),
    Entry("probability-quoted", '`probability: "0.7"`'),
    Entry("probability-percent", "`probability: 70%`"),
    Entry("probability-nan", "`probability: nan` (or `.inf`)"),
    Entry("probability-underflow", "`probability: 1e-400` (a number floating point reads as 0)"),
    Entry("quantile-1e400", "`quantiles: {..., 0.95: 1e400}` (or a numeric outcome past ±1e100)"),
    Entry("probability-one", "`probability: 1`"),
    Entry("probability-as-percent-number", "`probability: 35`"),
    Entry("probabilty-typo", "`probabilty: 0.35`", line=1),
    Entry("impossible-date", "`registered: 2025-02-30`"),
    Entry("seed-12-relative-date", "`resolve_by: later this year` (seed row 12)"),
    Entry("seed-11-no-date", "no `resolve_by` (seed rows 7, 11)"),
    Entry("seed-07-risk-share", "no `criteria` (seed row 7)"),
    Entry("duplicate-key", "a key twice"),
    Entry("alias-bomb", "`&anchor` / `*alias`"),
    Entry("python-tag", "`!!python/...` or any tag"),
    Entry("two-documents", "`---` and a second document"),
    Entry("deep-nesting", "nesting over 32 levels"),
    Entry("too-big", "a file over 64 KiB"),
    Entry("latin-1", "bytes that are not UTF-8"),
    Entry("categorical-sum", "probabilities summing to 0.9"),
    Entry("resolver-unknown", "`resolver: {name: htp, ...}`"),
    Entry("resolver-bad-settings", '`matches: "sandbag(ging"`', line=1),
    Entry("resolver-bad-settings", "`contain: ...` in an `http` resolver", line=2),
    Entry("resolver-composite", "a `github` resolver with `event: merged` and no number, inside `all`"),
    Entry("mismatched-id", "an `id:` that is not the file's name"),
    Entry("On-Shared", "`On-Shared.yaml` beside `on-shared.yaml`"),
    Entry("unknown-author", "a prediction outside its author's folder"),
    Entry("unknown-author", "an author authors.yaml does not list", line=1),
    Entry("future-registration", "`registered:` later than tomorrow (UTC)"),
    Entry("unknown-question", "`question:` naming no question"),
    Entry("shared-and-inline", "`question:` and a `claim:` of its own"),
    Entry("wrong-forecast-for-kind", "`quantiles:` for a binary question", line=1),
    Entry("wrong-forecast-for-kind", "no `probability:` for a binary question"),
    Entry("ordering-without-neither", "an ordering forecast without `neither`"),
    Entry("quantiles-decreasing", "quantiles that fall as the level rises"),
    Entry("numeric-no-unit", "a numeric question without `unit:`"),
    Entry("resolve-before-registered", "`resolve_by` on or before `registered`"),
    Entry("given-unknown", "`given:` naming no question"),
    Entry("revision-of-missing", "`supersedes:` naming no prediction"),
)

APPLIES_TO = {
    "identified": "question, prediction",
    "question": "question (shared, or stated by a prediction)",
    "statement": "prediction (the question it states or names)",
    "prediction": "prediction",
    "resolution": "resolution",
    "reveal": "reveal",
    "withdrawal file": "withdrawal (its file's name: the withdrawal still stands)",
    "withdrawal": "withdrawal",
}
"""What the rules under each key of ``checks.RULES`` apply to, in the README's words."""


def shown(line: str) -> str:
    """An ``.expected`` line as the catalogue shows it: `field: message; hint`, without the place."""
    return line.split(": ", 1)[1]


def rule_of(fixture: Path, minimal: Path, line: str) -> str:
    """The rule that gives ``line`` when ``fixture`` is checked in the minimal registry (or ``LOADER``)."""
    with tempfile.TemporaryDirectory() as scratch, contextlib.chdir(scratch):
        # checked as `registry` from beside it, as the fixtures' outputs were: a message may name a path
        shutil.copytree(minimal, "registry")
        shutil.copy(fixture, Path("registry", "predictions", "forecaster-a"))
        registry, rules = checks.traced(walk("registry"), today=TODAY, resolvers=plugins.catalogue())
    for problem in registry.problems:
        if shown(str(problem)) == shown(line):
            return f"`{rules[problem]}`" if problem in rules else LOADER
    raise ValueError(f"{fixture.name}: checking it no longer gives {shown(line)!r}")


def catalogue_table(invalid: Path, minimal: Path) -> list[str]:
    """The error catalogue's table: each entry's input, message and rule."""
    rows = ["| input | message (abridged to field: message; hint) | rule |", "|---|---|---|"]
    for entry in ENTRIES:
        fixture = invalid / f"{entry.fixture}.yaml"
        line = fixture.with_suffix(".expected").read_text(encoding="utf-8").splitlines()[entry.line]
        rows.append(f"| {entry.given} | {shown(line)} | {rule_of(fixture, minimal, line)} |")
    return rows


def rules_table() -> list[str]:
    """Every registry-wide rule by name, what it applies to, and what it holds."""
    rows = ["| rule | applies to | holds that |", "|---|---|---|"]
    for key, rules in checks.RULES.items():
        rows += [f"| `{rule.name}` | {APPLIES_TO[key]} | {rule.doc} |" for rule in rules]
    chain, settings = checks.resolution_chain, checks.resolver_settings_fit
    rows.append(f"| `{chain.__name__}` | the resolutions of a question | {_first_line(chain.__doc__)} |")
    rows.append(f"| `{settings.__name__}` | every resolver block | {_first_line(settings.__doc__)} |")
    return rows


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0]


def generated(readme: str, parts: dict[str, list[str]]) -> str:
    """``readme`` with each generated part replaced: the lines between its begin and end markers."""
    for name, lines in parts.items():
        begin, end = f"<!-- begin generated: {name} -->", f"<!-- end generated: {name} -->"
        start, stop = readme.index(begin) + len(begin), readme.index(end)
        readme = readme[:start] + "\n" + "\n".join(lines) + "\n" + readme[stop:]
    return readme


def readme_as_generated(repo: Path) -> str:
    """README.md of the checkout at ``repo`` with its catalogue and rule table generated anew."""
    data = repo.resolve() / "tests" / "data"
    invalid, minimal = data / "invalid", data / "minimal"
    readme = (repo / "README.md").read_text(encoding="utf-8")
    return generated(readme, {"catalogue": catalogue_table(invalid, minimal), "rules": rules_table()})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m predreg.catalogue", description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=Path.cwd(), help="the checkout (default: here)")
    parser.add_argument("--check", action="store_true", help="only say whether README.md is as generated")
    args = parser.parse_args(argv)
    path = args.repo / "README.md"
    new = readme_as_generated(args.repo)
    if args.check:
        if new != path.read_text(encoding="utf-8"):
            print("predreg: README.md: its catalogue is not as generated; run `python -m predreg.catalogue`")
            return 1
        return 0
    path.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
