"""The ``predreg`` command line: a thin edge over the library.

Exit codes (a contract): 0 all fine, 1 the registry has problems, 2 usage error
(a bad option, no such registry, an output that cannot be written, a missing extra
or git), 3 busy, 4 an internal error (a bug of predreg's own), 130 interrupted.
Every failure a user can cause is one line on stderr, ``predreg: <what>: <why>;
<what to do>``, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import failures, plugins, reports
from .arguments import iso_date
from .checks import Registry, check_registry
from .defaults import GROUPINGS, MIN_N, QUESTION_DEADLINE
from .errors import OutputError, PredregError, UsageError
from .exits import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from .files import WriteError, write_atomic, write_output
from .load import CLASSES
from .problems import Problem, one_line
from .registry import Layout, walk
from .reports import headline, summary
from .schema import json_schema
from .version import __version__

if TYPE_CHECKING:
    from .fetch import Session
    from .leaderboard import Leaderboard
    from .progress import Progress
    from .resolve import Run

    Views = list[tuple[str, Leaderboard]]


class _Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message}; see `{self.prog} --help`\n")


def _count(text: str) -> int:
    """A whole number, 0 or more (``--min-n``, ``--tolerance-days``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; write one, e.g. 5") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; write a whole number, 0 or more")
    return value


def _jobs(text: str) -> int:
    """``--jobs``: 1 or more."""
    value = _count(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text} would resolve nothing; write 1 or more")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds; write one, e.g. 90") from None
    if not (math.isfinite(value) and value > 0):  # nan and inf would make every deadline meaningless
        raise argparse.ArgumentTypeError(f"{text} is not a positive, finite number of seconds; write one, e.g. 90")
    return value


def _factor(text: str) -> float:
    """``--extremise``: a positive, finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; write one, e.g. 1.5") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is not a positive, finite number; write one, e.g. 1.5")
    return value


def _shard(text: str) -> tuple[int, int]:
    from .registry import parse_shard

    try:
        return parse_shard(text)
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


def _workflow_options(check: argparse.ArgumentParser) -> None:
    """The options of ``check --base`` that the pull-request workflow passes."""
    check.add_argument(
        "--registry-only",
        action="store_true",
        help="with --base: any change outside the registry folder, or of code inside it, is a problem",
    )
    check.add_argument(
        "--approved-by",
        action="append",
        default=[],
        metavar="LOGIN",
        help="with --base: a GitHub login whose latest review of the pull request approves it (repeat for each);"
        " only these back the handles in a resolution's approved_by",
    )


def _parser() -> argparse.ArgumentParser:
    from . import authoring_cli  # it imports this module's exit codes
    from .init import add_arguments

    parser = _Parser(prog="predreg", description="A git-native registry of dated, scored predictions.")
    parser.add_argument("--version", action="version", version=f"predreg {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _check_parser(commands.add_parser("check", help="validate a registry (exit 1 if anything is wrong)"))
    summary_ = commands.add_parser("summary", help="predictions per author and kind")
    _no_index(summary_)
    summary_.add_argument("registry", nargs="?", default="registry")
    summary_.add_argument("--today", type=iso_date)
    _score_parser(commands.add_parser("score", help="the leaderboard: Brier, log and peer scores per author"))
    _site_parser(commands.add_parser("site", help="the registry as a static website: leaderboard, questions, authors"))
    _resolve_parser(
        commands.add_parser(
            "resolve", help="resolve every unresolved question through its resolver, recording the evidence"
        )
    )
    authoring_cli.add_commands(commands)
    reveal_ = commands.add_parser("reveal", help="reveal a hidden prediction from the salt `predreg commit` kept")
    reveal_.add_argument("id", help="the prediction's id")
    reveal_.add_argument("registry", nargs="?", default="registry")
    reveal_.add_argument("--keep", type=Path)
    reveal_.add_argument("--today", type=iso_date, help=argparse.SUPPRESS)
    add_arguments(commands.add_parser("init", help="set up a registry repository (never over an existing file)"))
    schema = commands.add_parser("schema", help="print the JSON Schema of a registry file, for editors")
    schema.add_argument("kind", nargs="?", default="prediction", choices=sorted(CLASSES))
    return parser


def _check_parser(check: argparse.ArgumentParser) -> None:
    """``predreg check``: the whole registry, a pull request (``--base``) or a shard (``--shard``)."""
    _no_index(check)
    check.add_argument("registry", nargs="?", default="registry", help="the registry folder (default: registry)")
    check.add_argument("--today", type=iso_date, help="check as of this UTC date (default: today)")
    check.add_argument(
        "--format", choices=["text", "json", "md"], default="text", help="how to print problems (md: with --base)"
    )
    check.add_argument(
        "--base",
        metavar="REF",
        help="pull-request mode: check only what changed since the merge base with REF, and what may change",
    )
    check.add_argument("--actor", metavar="LOGIN", help="with --base: the GitHub login that opened the pull request")
    _workflow_options(check)
    check.add_argument("--shard", type=_shard, metavar="I/N", help="check only the files of shard I of N")
    check.add_argument("--output", "-o", help="with --shard: write the shard's records as JSON lines, for the merge")
    check.add_argument(
        "--tolerance-days",
        type=_count,
        default=1,
        help="with --base: how far `registered`, `revealed`, `withdrawn` and `resolved_at` may be from today"
        " (default 1)",
    )
    check.add_argument("--quiet", "-q", action="store_true", help="print problems only")


def _board_options(command: argparse.ArgumentParser) -> None:
    """The options that shape a leaderboard, shared by ``score`` and ``site`` (the same board either way)."""
    _no_index(command)
    command.add_argument("registry", nargs="?", default="registry")
    command.add_argument("--tag", help="only questions with this tag")
    command.add_argument("--author", action="append", help="only this author (repeatable)")
    command.add_argument(
        "--min-n", type=_count, default=MIN_N, help=f"scored questions needed to be ranked (default {MIN_N})"
    )
    command.add_argument(
        "--policy", choices=["time-averaged", "last"], default="time-averaged", help="how revisions count"
    )
    command.add_argument("--today", type=iso_date)
    command.add_argument(
        "--merge", nargs="+", metavar="SHARD.jsonl", help="score the records of these shards (`check --shard -o`)"
    )
    command.add_argument(
        "--community",
        choices=["geo-mean-odds", "median"],
        default="geo-mean-odds",
        help="how the community forecast pools binary forecasts (default geo-mean-odds)",
    )
    command.add_argument(
        "--extremise",
        type=_factor,
        default=1.0,
        metavar="FACTOR",
        help="raise the community forecast's odds to this power (default 1: as pooled)",
    )


def _score_parser(score: argparse.ArgumentParser) -> None:
    """``predreg score``: the leaderboard, in one of five formats."""
    _board_options(score)
    score.add_argument("--format", choices=["table", "md", "json", "csv", "html"], default="table")
    score.add_argument("--by", choices=GROUPINGS, help="one leaderboard per tag, year of registration or horizon")
    score.add_argument("--output", "-o", help="write to this file (for html: the site's folder, default site/)")


def _site_parser(site: argparse.ArgumentParser) -> None:
    """``predreg site``: the registry as a static website."""
    _board_options(site)
    site.add_argument("--output", "-o", default="site", help="the site's folder (default site/); replaced whole")
    site.add_argument(
        "--templates",
        metavar="DIR",
        help="a folder of templates looked in before the packaged ones (a site's own look)",
    )
    site.add_argument("--base-url", metavar="URL", help="the site's public address, for the feeds' links")


def _resolve_parser(resolve: argparse.ArgumentParser) -> None:
    """``predreg resolve``: the job, its offline audit, and a person's resolution (``--manual``)."""
    from . import authoring_cli

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
        "--jobs", type=_jobs, default=8, help="questions resolved side by side (default 8); each URL is fetched once"
    )
    resolve.add_argument("--now", type=_moment, help="resolve as of this UTC time (default: now)")
    resolve.add_argument("--format", choices=["text", "json"], default="text", help="how to print the summary")
    resolve.add_argument(
        "--deadline", type=_seconds, default=90.0, metavar="SECONDS", help="most time one fetch may take (default 90)"
    )
    resolve.add_argument(
        "--question-deadline",
        type=_seconds,
        default=QUESTION_DEADLINE,
        metavar="SECONDS",
        help=f"most time one question may take, its fetches included, before it is given up on as an error"
        f" (default {QUESTION_DEADLINE:g})",
    )
    authoring_cli.add_manual_flags(resolve)
    resolve.add_argument(
        "--allow-loopback",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="also fetch from this loopback origin (a local test server); everything private stays refused",
    )


READS_REGISTRY = {"check", "summary", "score", "site", "resolve", "new", "commit", "reveal", "question", "withdraw"}
"""The commands that work on an existing registry folder (``schema`` needs none)."""

EXAMPLES = {"table": "leaderboard.txt", "md": "leaderboard.md", "json": "leaderboard.json", "csv": "leaderboard.csv"}
"""The file an ``-o`` for each format of ``score`` would usually name, to suggest one."""


def main(argv: Sequence[str] | None = None) -> int:
    """The ``predreg`` command; returns its exit code. Known failures are one line on stderr."""
    failures.tolerant_output()
    stdout, sys.stdout = sys.stdout, failures.Output(sys.stdout)
    try:
        code = _main(argv)
        sys.stdout.flush()  # now, not at exit: a full disk under `> out.txt` is then reported as below
        return code
    except PredregError as error:  # any failure a user can cause (predreg.errors): its line, its exit code
        print(error.shown(), file=sys.stderr)
        if isinstance(error, OutputError):  # or the exit would try to flush it again, loudly
            os.dup2(os.open(os.devnull, os.O_WRONLY), stdout.fileno())
        return error.exit_code
    except BrokenPipeError:  # output piped into `head` and cut short: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("predreg: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        failures.internal_error(error, argv)
        return EXIT_INTERNAL
    finally:
        sys.stdout = stdout


def _preflight(args: argparse.Namespace) -> None:
    """Refuse, before any work, what would fail later: the registry, the output, a missing extra."""
    if args.command in READS_REGISTRY:
        failures.require_registry(args.registry, args.command)
    output = getattr(args, "output", None)
    if args.command == "check" and output and not args.shard:
        raise UsageError(f"-o {output}: -o goes with --shard (it writes the shard's records); add --shard I/N")
    if args.command == "site" or (args.command == "score" and args.format == "html"):
        failures.require_folder(output or "site")
    elif output:
        what = "with --shard" if args.command == "check" else f"for --format {args.format}"
        failures.require_file(output, what, EXAMPLES.get(args.format, "shard-1.jsonl"))


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "schema":
        print(json.dumps(json_schema(args.kind), indent=2, allow_nan=False))
        return EXIT_OK
    if args.command == "init":
        from . import init

        return init.run(args)
    _preflight(args)
    if args.command in AUTHORING:
        from . import authoring_cli

        return authoring_cli.write_record(args)
    handler = {
        "check": _check,
        "summary": _summary,
        "score": _score_command,
        "site": _site_command,
        "resolve": _resolve,
    }
    return handler[args.command](args)


AUTHORING = ("new", "commit", "reveal", "question", "withdraw")
"""The commands that write one record (``predreg.authoring_cli``)."""


def _checked(args: argparse.Namespace) -> Registry:
    """The registry, loaded and checked as the command's flags ask."""
    records = walk(args.registry, index=not args.no_index)
    return check_registry(records, today=args.today or dt.datetime.now(dt.UTC).date(), resolvers=plugins.catalogue())


def _check(args: argparse.Namespace) -> int:
    """``predreg check``: a pull request (``--base``), a shard (``--shard``) or the whole registry."""
    if args.base:
        return _check_pull_request(args)
    if args.shard:
        return _check_shard(args)
    if args.format == "md":
        raise UsageError("--format md goes with --base (a pull-request summary)")
    return _check_whole(args)


def _check_whole(args: argparse.Namespace) -> int:
    """``predreg check``: every file of the registry."""
    registry = _checked(args)
    return _report(args, registry.problems, headline(registry))


def _summary(args: argparse.Namespace) -> int:
    """``predreg summary``: predictions per author and kind; the problems on stderr."""
    registry = _checked(args)
    print(summary(registry))
    for problem in registry.problems:
        print(problem, file=sys.stderr)
    return EXIT_PROBLEMS if registry.problems else EXIT_OK


def _score_command(args: argparse.Namespace) -> int:
    """``predreg score``: the leaderboard of the registry, or of the shards' files (``--merge``)."""
    return _score(args, _merged(args) if args.merge else _checked(args))


def _is_shard_header(line: str) -> bool:
    try:
        header = json.loads(line)
    except ValueError:
        return False
    return isinstance(header, dict) and "format" in header


MERGE_HINT = "give the files `predreg check --shard I/N -o FILE` wrote, one per shard"


def _merged(args: argparse.Namespace) -> Registry:
    """``score --merge``: the registry rebuilt from the shards' files, each read or refused by name."""
    from .shard import merge

    sources = []
    for path in args.merge:
        try:
            sources.append(Path(path).read_text(encoding="utf-8").splitlines())
        except OSError as error:
            raise UsageError(f"--merge {path}: cannot read it: {(error.strerror or str(error)).lower()}") from None
        except UnicodeDecodeError:
            raise UsageError(f"--merge {path}: is not a shard's file (not UTF-8 text); {MERGE_HINT}") from None
        if not _is_shard_header(sources[-1][0] if sources[-1] else ""):
            raise UsageError(f"--merge {path}: is not a shard's file (no shard header on line 1); {MERGE_HINT}")
    try:
        return merge(args.registry, sources, today=args.today)
    except ValueError as error:
        raise UsageError(f"--merge: {error}; {MERGE_HINT}") from None


def _report(args: argparse.Namespace, problems: list[Problem], what: str, scope: str = "") -> int:
    """The end of a check: every problem (text or JSON), then a verdict line unless quiet; the exit code."""
    if args.format == "json":
        print(json.dumps([problem.shown() for problem in problems], indent=2, allow_nan=False))
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
        write_output(args.output, buffer.getvalue())
    return _report(args, shard.problems, f"{len(shard.files)} file(s)", f"shard {index}/{count}: ")


def _check_pull_request(args: argparse.Namespace) -> int:
    from . import pr

    try:
        result = pr.review(
            args.registry,
            args.base,
            actor=args.actor,
            today=args.today,
            tolerance=args.tolerance_days,
            approved_by=args.approved_by,
        )
        if args.registry_only:
            result = pr.confined_to_registry(args.registry, result)
    except pr.GitError as error:  # git's own message can run to several lines: its first says what
        first = str(error).splitlines()[0]
        if "Not a valid object name" in first:  # e.g. the pre-push hook on the first push to an empty remote
            first = (
                f"no such branch or commit here; `git fetch` it first, or, if the remote has no {args.base} yet"
                " (a first push), there is nothing to compare with: push once with `git push --no-verify`"
            )
        raise UsageError(f"--base {args.base}: {one_line(first)}") from None
    if args.format == "md":
        print(pr.markdown(result))
        for problem in result.problems:  # the job log holds them all; a long comment is cut
            print(problem, file=sys.stderr)
        return EXIT_PROBLEMS if result.problems else EXIT_OK
    changed = f"{len(result.changes)} changed file(s) since {args.base}, {len(result.added)} new prediction(s)"
    return _report(args, result.problems, changed)


def _resolve(args: argparse.Namespace) -> int:
    """``predreg resolve``: a person's resolution (``--manual``), the offline audit, or the job."""
    from . import authoring_cli, resolve
    from .progress import Progress

    if args.manual or any(getattr(args, flag) for flag in authoring_cli.MANUAL_ONLY):
        session = _session(args)
        try:
            return authoring_cli.resolve_manual(args, session)
        finally:
            session.close()
    progress = Progress(sys.stderr)
    try:
        run = _audit(args, progress) if args.offline else _resolve_all(args, progress)
    except resolve.RegistryInvalid as invalid:
        for problem in invalid.problems:
            print(problem, file=sys.stderr)
        print(f"{args.registry}: fix these problems first (predreg check)", file=sys.stderr)
        return EXIT_PROBLEMS
    finally:
        progress.done()
    return _resolved(args, run, progress.terminal)


def _audit(args: argparse.Namespace, progress: Progress) -> Run:
    """``predreg resolve --offline``: every recorded resolution against its stored evidence."""
    from . import resolve

    return resolve.audit_registry(args.registry, progress=progress.step, index=not args.no_index)


def _resolve_all(args: argparse.Namespace, progress: Progress) -> Run:
    """``predreg resolve``: every unresolved question through its resolver, fetching through the safe session."""
    from . import resolve

    session = _session(args)
    try:
        return resolve.resolve_registry(
            args.registry,
            session=session,
            now=args.now,
            dry_run=args.dry_run,
            only=args.question,
            progress=progress.step,
            shard=args.shard,
            jobs=args.jobs,
            index=not args.no_index,
            question_deadline=args.question_deadline,
        )
    finally:
        session.close()


def _resolved(args: argparse.Namespace, run: Run, terminal: bool) -> int:
    """The end of a run: its summary kept in ``.predreg/last-run.json`` (unless it wrote nothing), then told."""
    summary = reports.resolve_json(run)
    unsaved = None
    if not (args.dry_run or args.offline):  # the errors stay on record until the next run
        try:
            write_atomic(Layout(args.registry).local("last-run.json"), summary + "\n")
        except WriteError as error:  # (a full disk): the run's results are still told, then this
            unsaved = error
    # in a log (not a terminal) the progress lines already named each question
    print(summary if args.format == "json" else reports.resolve_text(run, details=terminal))
    if unsaved is not None:
        raise unsaved
    return EXIT_PROBLEMS if run.failed else EXIT_OK


def _session(args: argparse.Namespace) -> Session:
    """The safe session `predreg resolve` fetches through, as its flags set it."""
    from .fetch import Limits, Session, loopback_origin

    try:
        origins = [loopback_origin(origin) for origin in args.allow_loopback]
    except ValueError as error:
        raise UsageError(f"--allow-loopback {error}") from None
    return Session(
        allow_loopback=origins,
        limits=Limits(deadline=args.deadline, read_timeout=min(30.0, args.deadline)),
        cache=Layout(args.registry).local("http"),
        clock=(lambda: args.now) if args.now else None,
    )


def _score(args: argparse.Namespace, registry: Registry) -> int:
    from . import community, leaderboard  # numpy: only when scoring

    for problem in registry.problems:  # scores use the valid records; say what was left out
        print(problem, file=sys.stderr)
    if args.tag:
        _warn_unknown_tag(registry, args.tag)
    if args.format == "html":
        _site(args, registry, print_board=True)
        return EXIT_PROBLEMS if registry.problems else EXIT_OK
    groups = [("tag", args.tag)] if args.tag else []
    options = {"policy": args.policy, "min_n": args.min_n, "today": args.today, "authors": args.author}
    options["community"] = community.Community(community.Method(args.community, args.extremise))
    board = leaderboard.build(registry, groups=groups, **options)
    views = leaderboard.views(registry, board, args.by, groups, **options) if args.by else []
    if args.format == "json":
        text = json.dumps(_json(args, board, views), indent=2, allow_nan=False)
    elif args.format == "csv":
        text = _csv(board, args.by, views)
    else:
        text = _boards(args, board, views)
    if args.output:
        write_output(args.output, text + "\n")
    else:
        print(text)
    return EXIT_PROBLEMS if registry.problems else EXIT_OK


def _site_command(args: argparse.Namespace) -> int:
    """``predreg site``: the registry as a static website; built from the valid records, problems on stderr."""
    registry = _merged(args) if args.merge else _checked(args)
    for problem in registry.problems:  # the site shows the valid records, and says some were left out
        print(problem, file=sys.stderr)
    _site(args, registry, print_board=False)
    return EXIT_PROBLEMS if registry.problems else EXIT_OK


def _site(args: argparse.Namespace, registry: Registry, print_board: bool) -> None:
    """The site written to ``-o`` (default site/), as of the registry's newest date (or --today)."""
    from . import community, leaderboard
    from .site import build, facts, words

    today = facts.as_of(registry, args.today)
    groups = [("tag", args.tag)] if args.tag else []
    crowd = community.Community(community.Method(args.community, args.extremise))
    options = {"policy": args.policy, "min_n": args.min_n, "today": today, "authors": args.author, "community": crowd}
    if getattr(args, "rank_by", None):  # (--rank-by, where the board options have it)
        options["rank_by"] = args.rank_by
    board = leaderboard.build(registry, groups=groups, **options)
    output = args.output or "site"
    _, count, size = build.build_site(
        registry,
        board,
        # a tag's page shows its board, not the community's entry on it: the views are built without
        leaderboard.views(registry, board, "tag", groups, **{**options, "community": None}),
        output=output,
        today=today,
        templates=getattr(args, "templates", None),
        base_url=getattr(args, "base_url", None),
        community=crowd.histories(registry),
        community_method=words.pooling(crowd.method),
    )
    if print_board:
        print(reports.leaderboard_text(board))
        print()
    print(f"wrote {output}: {count} files, {size / 1e6:.1f} MB, as of {today.isoformat()}")


def _warn_unknown_tag(registry: Registry, tag: str) -> None:
    """``--tag`` that no question or forecast carries: said, not a silent board of nothing."""
    known = {t for q in registry.questions.values() for t in q.tags}
    known.update(t for p in registry.predictions.values() for t in p.tags)
    if tag not in known:
        listed = ", ".join(sorted(known)) if known else "none"
        print(f"predreg: warning: no question or forecast has the tag {tag!r}; tags here: {listed}", file=sys.stderr)


def _json(args: argparse.Namespace, board: Leaderboard, views: Views) -> dict[str, object]:
    """The JSON export; with ``--by``, each group's board under ``views`` (docs/scoring.md)."""
    from . import leaderboard

    now = dt.datetime.now(dt.UTC)
    export = leaderboard.as_json(board, now)
    if args.by:
        export["by"] = args.by
        export["views"] = [{"group": key, **leaderboard.as_json(view, now)} for key, view in views]
    return export


def _csv(board: Leaderboard, by: str | None = None, views: Views | None = None) -> str:
    """The board's rows; with ``--by``, each group's rows after them, in two more columns ``by``, ``group``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    extra = ["by", "group"] if by else []
    writer.writerow(reports.LEADERBOARD_HEADER + extra)
    writer.writerows(row + ["", ""] * bool(by) for row in reports.leaderboard_rows(board))
    for key, view in views or []:
        writer.writerows([*row, by or "", key] for row in reports.leaderboard_rows(view))
    return buffer.getvalue().rstrip("\n")


def _boards(args: argparse.Namespace, board: Leaderboard, views: Views) -> str:
    """The leaderboard as a table or Markdown, then one per group of ``--by``."""
    render = reports.leaderboard_markdown if args.format == "md" else reports.leaderboard_text
    parts = [render(board)]
    for key, view in views:
        parts.append(f"\n## {args.by}: {key}\n" if args.format == "md" else f"\n[{args.by}: {key}]")
        parts.append(render(view))
    return "\n".join(parts)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
