"""The ``predreg`` command line: a thin edge over the library.

Exit codes (a contract): 0 all fine, 1 the registry has problems, 2 usage error.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from . import __version__, reports
from .checks import Registry, check_registry
from .defaults import GROUPINGS, MIN_N
from .files import write_atomic
from .load import CLASSES
from .problems import Problem
from .reports import headline, summary
from .schema import json_schema

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_BUSY = 3
"""predreg resolve: another run holds the registry's lock."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def _mapping(text: str) -> dict[str, float]:
    pairs = [part.split("=", 1) for part in text.split(",") if part.strip()]
    try:
        return {key.strip(): float(value) for key, value in pairs}
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write name=number pairs, e.g. a=0.3,b=0.7") from None


def _shard(text: str) -> tuple[int, int]:
    from .shard import parse

    try:
        return parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write I/N with 1 <= I <= N, e.g. 2/7") from None


def _moment(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time; write YYYY-MM-DDTHH:MM:SSZ") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _no_index(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--no-index", action="store_true", help="parse every file (do not use or update .predreg/index.sqlite)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="predreg", description="A git-native registry of dated, scored predictions.")
    parser.add_argument("--version", action="version", version=f"predreg {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate a registry (exit 1 if anything is wrong)")
    _no_index(check)
    check.add_argument("registry", nargs="?", default="registry", help="the registry folder (default: registry)")
    check.add_argument("--today", type=_date, help="check as of this UTC date (default: today)")
    check.add_argument(
        "--format", choices=["text", "json", "md"], default="text", help="how to print problems (md: with --base)"
    )
    check.add_argument(
        "--base",
        metavar="REF",
        help="pull-request mode: check only what changed since the merge base with REF, and what may change",
    )
    check.add_argument("--actor", metavar="LOGIN", help="with --base: the GitHub login that opened the pull request")
    check.add_argument("--shard", type=_shard, metavar="I/N", help="check only the files of shard I of N")
    check.add_argument("--output", "-o", help="with --shard: write the shard's records as JSON lines, for the merge")
    check.add_argument(
        "--tolerance-days", type=int, default=1, help="with --base: how far `registered` may be from today (default 1)"
    )
    check.add_argument("--quiet", "-q", action="store_true", help="print problems only")

    summary_ = commands.add_parser("summary", help="predictions per author and kind")
    _no_index(summary_)
    summary_.add_argument("registry", nargs="?", default="registry")
    summary_.add_argument("--today", type=_date)

    score = commands.add_parser("score", help="the leaderboard: Brier, log and peer scores per author")
    _no_index(score)
    score.add_argument("registry", nargs="?", default="registry")
    score.add_argument("--format", choices=["table", "md", "json", "csv", "html"], default="table")
    score.add_argument("--by", choices=GROUPINGS, help="one leaderboard per tag, year of registration or horizon")
    score.add_argument("--tag", help="only questions with this tag")
    score.add_argument("--author", action="append", help="only this author (repeatable)")
    score.add_argument(
        "--min-n", type=int, default=MIN_N, help=f"scored questions needed to be ranked (default {MIN_N})"
    )
    score.add_argument(
        "--policy", choices=["time-averaged", "last"], default="time-averaged", help="how revisions count"
    )
    score.add_argument("--output", "-o", help="write to this file (for html: this folder, default site/)")
    score.add_argument("--today", type=_date)
    score.add_argument(
        "--merge", nargs="+", metavar="SHARD.jsonl", help="score the records of these shards (`check --shard -o`)"
    )

    resolve = commands.add_parser(
        "resolve", help="resolve every unresolved question through its resolver, recording the evidence"
    )
    resolve.add_argument("registry", nargs="?", default="registry")
    _no_index(resolve)
    resolve.add_argument("--dry-run", action="store_true", help="print what would be resolved; write nothing")
    resolve.add_argument(
        "--offline",
        action="store_true",
        help="fetch nothing: re-resolve the recorded resolutions from the stored evidence and compare (an audit)",
    )
    resolve.add_argument("--question", action="append", help="only this question (repeatable)")
    resolve.add_argument(
        "--shard", type=_shard, metavar="I/N", help="only the questions whose files are in shard I of N"
    )
    resolve.add_argument(
        "--jobs", type=int, default=8, help="questions resolved side by side (default 8); each URL is fetched once"
    )
    resolve.add_argument("--now", type=_moment, help="resolve as of this UTC time (default: now)")
    resolve.add_argument("--format", choices=["text", "json"], default="text", help="how to print the summary")
    resolve.add_argument(
        "--deadline", type=float, default=90.0, metavar="SECONDS", help="most time one fetch may take (default 90)"
    )
    resolve.add_argument(
        "--allow-loopback",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="also fetch from this loopback origin (a local test server); everything private stays refused",
    )

    for name, hidden in (("new", False), ("commit", True)):
        helptext = (
            "write a new prediction, dated today, and check it"
            if not hidden
            else "write a hidden prediction (a salted hash of the forecast); the salt stays on this machine"
        )
        new = commands.add_parser(name, help=helptext)
        new.add_argument("registry", nargs="?", default="registry")
        new.add_argument("--author", help="your author handle (default: $PREDREG_AUTHOR or git config predreg.author)")
        new.add_argument("--id", help="the prediction's id (default: made from the claim, unique)")
        new.add_argument("--question", help="forecast a shared question (questions/<id>.yaml) instead of stating one")
        new.add_argument("--claim")
        new.add_argument("--criteria", help="YES if ..., NO if ...")
        new.add_argument("--resolve-by", type=_date, metavar="YYYY-MM-DD")
        new.add_argument("--kind", choices=["binary", "categorical", "numeric", "ordering"])
        new.add_argument("--resolver", default=None, help="a resolver name (default manual)")
        new.add_argument("--probability", type=float, help="binary: the probability of yes")
        new.add_argument("--probabilities", type=_mapping, help="categorical: a=0.3,b=0.7")
        if not hidden:
            new.add_argument("--quantiles", type=_mapping, help="numeric: 0.05=1.1,0.5=1.6,0.95=3")
            new.add_argument("--unit", help="numeric: the unit")
        new.add_argument("--tags", type=lambda text: [t.strip() for t in text.split(",") if t.strip()])
        new.add_argument("--rationale")
        new.add_argument("--source", help="where the forecast was first stated")
        new.add_argument("--today", type=_date, help=argparse.SUPPRESS)
        if hidden:
            new.add_argument(
                "--keep", type=Path, help="where the salt is kept (default: $PREDREG_KEEP or ~/.local/share)"
            )

    reveal_ = commands.add_parser("reveal", help="reveal a hidden prediction from the salt `predreg commit` kept")
    reveal_.add_argument("id", help="the prediction's id")
    reveal_.add_argument("registry", nargs="?", default="registry")
    reveal_.add_argument("--keep", type=Path)
    reveal_.add_argument("--today", type=_date, help=argparse.SUPPRESS)

    from .init import add_arguments

    add_arguments(commands.add_parser("init", help="set up a registry repository (never over an existing file)"))

    schema = commands.add_parser("schema", help="print the JSON Schema of a registry file, for editors")
    schema.add_argument("kind", nargs="?", default="prediction", choices=sorted(CLASSES))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .plugins import PluginError

    try:
        return _main(argv)
    except PluginError as error:
        print(f"predreg: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head` and cut short: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _main(argv: Sequence[str] | None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "schema":
        print(json.dumps(json_schema(args.kind), indent=2))
        return EXIT_OK
    if args.command == "init":
        from . import init

        return init.run(args)
    if not os.path.isdir(args.registry):
        print(f"predreg: {args.registry}: no such registry folder", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "resolve":
        return _resolve(args)
    if args.command in ("new", "commit", "reveal"):
        return _scaffold(args)
    if args.command == "check" and args.base:
        return _check_pull_request(args)
    if args.command == "check" and args.shard:
        return _check_shard(args)
    if args.command == "score" and args.merge:
        from .shard import merge, open_all

        try:
            merged = merge(args.registry, open_all(args.merge), today=args.today)
        except (OSError, ValueError) as error:
            print(f"predreg: {error}", file=sys.stderr)
            return EXIT_USAGE
        return _score(args, merged)
    if args.command == "check" and args.format == "md":
        print("predreg: --format md goes with --base (a pull-request summary)", file=sys.stderr)
        return EXIT_USAGE
    registry = check_registry(args.registry, today=args.today, index=not args.no_index)
    if args.command == "check":
        return _report(args, registry.problems, headline(registry))
    if args.command == "score":
        return _score(args, registry)
    print(summary(registry))
    for problem in registry.problems:
        print(problem, file=sys.stderr)
    return EXIT_PROBLEMS if registry.problems else EXIT_OK


PROMPTS = {
    "claim": "Claim (one or two sentences): ",
    "criteria": "Criteria (YES if ..., NO if ...): ",
    "resolve_by": "Resolve by (YYYY-MM-DD): ",
    "probability": "Probability of yes (0.001-0.999): ",
}


def _scaffold(args: argparse.Namespace) -> int:
    from . import scaffold

    today = args.today or dt.datetime.now(dt.UTC).date()
    try:
        if args.command == "reveal":
            path, text, problems = scaffold.reveal(args.registry, args.id, today=today, keep=args.keep)
        else:
            fields = _new_fields(args)
            hidden = args.command == "commit"
            keep = getattr(args, "keep", None)
            path, text, problems = scaffold.new_prediction(args.registry, fields, today=today, hidden=hidden, keep=keep)
    except scaffold.ScaffoldError as error:
        print(f"predreg: {error}", file=sys.stderr)
        return EXIT_USAGE
    if problems:
        print(text, end="", file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"predreg: nothing written: fix these and run again ({path} would have them)", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"wrote {path}")
    if args.command == "commit":
        print("the forecast and its salt are kept outside the registry; `predreg reveal` publishes them later")
    return EXIT_OK


def _new_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The new prediction's fields from the flags, asking on a terminal for what is missing."""
    from .scaffold import default_author

    fields: dict[str, Any] = {"author": args.author or default_author(), "id": args.id, "id_given": bool(args.id)}
    if args.question:
        fields["question"] = args.question
        needed: list[str] = []
    else:
        kind = args.kind or "binary"
        fields.update(
            claim=args.claim,
            criteria=args.criteria,
            resolve_by=args.resolve_by,
            resolver={"name": args.resolver or "manual"},
            kind=kind,
        )
        if getattr(args, "unit", None):
            fields["unit"] = args.unit
        needed = ["claim", "criteria", "resolve_by"]
    fields["probability"] = args.probability
    fields["probabilities"] = args.probabilities
    if getattr(args, "quantiles", None):
        fields["quantiles"] = {float(k): v for k, v in args.quantiles.items()}
    if fields.get("kind", "binary") == "binary" and args.probabilities is None and not args.question:
        needed.append("probability")
    fields.update(tags=args.tags, rationale=args.rationale, source=args.source)
    missing = [name for name in needed if fields.get(name) is None]
    if missing and sys.stdin.isatty():
        for name in missing:
            answer = input(PROMPTS[name]).strip()
            fields[name] = _date(answer) if name == "resolve_by" else float(answer) if name == "probability" else answer
        missing = []
    if missing:
        flags = ", ".join("--" + name.replace("_", "-") for name in missing)
        from .scaffold import ScaffoldError

        raise ScaffoldError(f"missing {flags} (or run on a terminal to be asked)")
    return fields


def _report(args: argparse.Namespace, problems: list[Problem], what: str, scope: str = "") -> int:
    """The end of a check: every problem (text or JSON), then a verdict line unless quiet; the exit code."""
    if args.format == "json":
        print(json.dumps([attrs.asdict(problem) for problem in problems], indent=2))
    else:
        for problem in problems:
            print(problem)
        if not args.quiet:
            verdict = f"{len(problems)} problem(s)" if problems else "OK"
            print(f"{args.registry}: {scope}{verdict}: {what}", file=sys.stderr if problems else sys.stdout)
    return EXIT_PROBLEMS if problems else EXIT_OK


def _check_shard(args: argparse.Namespace) -> int:
    from .shard import check_shard, write_lines

    index, count = args.shard
    shard = check_shard(args.registry, index, count, today=args.today)
    if args.output:
        buffer = io.StringIO()
        write_lines(shard, args.registry, buffer)
        write_atomic(args.output, buffer.getvalue())
    return _report(args, shard.problems, f"{len(shard.files)} file(s)", f"shard {index}/{count}: ")


def _check_pull_request(args: argparse.Namespace) -> int:
    from . import pr

    try:
        result = pr.review(args.registry, args.base, actor=args.actor, today=args.today, tolerance=args.tolerance_days)
    except pr.GitError as error:
        print(f"predreg: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "md":
        print(pr.markdown(result))
        return EXIT_PROBLEMS if result.problems else EXIT_OK
    changed = f"{len(result.changes)} changed file(s) since {args.base}, {len(result.added)} new prediction(s)"
    return _report(args, result.problems, changed)


def _resolve(args: argparse.Namespace) -> int:
    from . import resolve
    from .fetch import Limits, Session
    from .files import Busy
    from .progress import Progress

    for origin in args.allow_loopback:
        if not origin.startswith(("127.", "[::1]", "localhost:")) or ":" not in origin:
            print(
                f"predreg: --allow-loopback {origin}: give a loopback HOST:PORT, e.g. 127.0.0.1:8000", file=sys.stderr
            )
            return EXIT_USAGE
    progress = Progress(sys.stderr)
    try:
        if args.offline:
            run = resolve.audit_registry(args.registry, progress=progress.step, index=not args.no_index)
        else:
            limits = Limits(deadline=args.deadline, read_timeout=min(30.0, args.deadline))
            session = Session(
                allow_loopback=[o.replace("localhost:", "127.0.0.1:") for o in args.allow_loopback],
                limits=limits,
                cache=Path(args.registry) / ".predreg" / "http",
                clock=(lambda: args.now) if args.now else None,
            )
            try:
                run = resolve.resolve_registry(
                    args.registry,
                    session=session,
                    now=args.now,
                    dry_run=args.dry_run,
                    only=args.question,
                    progress=progress.step,
                    shard=args.shard,
                    jobs=args.jobs,
                    index=not args.no_index,
                )
            finally:
                session.close()
    except resolve.RegistryInvalid as invalid:
        for problem in invalid.problems:
            print(problem, file=sys.stderr)
        print(f"{args.registry}: fix these problems first (predreg check)", file=sys.stderr)
        return EXIT_PROBLEMS
    except Busy as busy:
        print(f"predreg: {busy}; try again when it has finished", file=sys.stderr)
        return EXIT_BUSY
    finally:
        progress.done()
    summary = reports.resolve_json(run)
    if not (args.dry_run or args.offline):  # the errors stay on record until the next run
        write_atomic(Path(args.registry) / ".predreg" / "last-run.json", summary + "\n")
    # in a log (not a terminal) the progress lines already named each question
    print(summary if args.format == "json" else reports.resolve_text(run, details=progress.terminal))
    return EXIT_PROBLEMS if run.failed else EXIT_OK


def _score(args: argparse.Namespace, registry: Registry) -> int:
    from . import leaderboard  # numpy: only when scoring

    for problem in registry.problems:  # scores use the valid records; say what was left out
        print(problem, file=sys.stderr)
    groups = [("tag", args.tag)] if args.tag else []
    options = {"policy": args.policy, "min_n": args.min_n, "today": args.today, "authors": args.author}
    board = leaderboard.build(registry, groups=groups, **options)
    if args.format == "html":
        try:
            from . import html
        except ImportError:  # pragma: no cover - depends on the install
            print("predreg: the HTML report needs matplotlib: pip install 'predreg[html]'", file=sys.stderr)
            return EXIT_USAGE
        tag_views = leaderboard.views(registry, board, "tag", groups, **options)
        page = html.render(registry, board, dt.datetime.now(dt.UTC), tag_views)
        target = os.path.join(args.output or "site", "index.html")
        write_atomic(target, page)
        print(reports.leaderboard_text(board))
        print(f"\nwrote {target}")
        return EXIT_PROBLEMS if registry.problems else EXIT_OK
    if args.format == "json":
        text = json.dumps(leaderboard.as_json(board, dt.datetime.now(dt.UTC)), indent=2)
    elif args.format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(reports.LEADERBOARD_HEADER)
        writer.writerows(reports.leaderboard_rows(board))
        text = buffer.getvalue().rstrip("\n")
    else:
        render = reports.leaderboard_markdown if args.format == "md" else reports.leaderboard_text
        parts = [render(board)]
        if args.by is not None:
            for key, view in leaderboard.views(registry, board, args.by, groups, **options):
                parts.append(f"\n## {args.by}: {key}\n" if args.format == "md" else f"\n[{args.by}: {key}]")
                parts.append(render(view))
        text = "\n".join(parts)
    if args.output:
        write_atomic(args.output, text + "\n")
    else:
        print(text)
    return EXIT_PROBLEMS if registry.problems else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
