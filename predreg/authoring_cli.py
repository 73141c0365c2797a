"""The authoring commands at the command line: their flags, and their outcome as output and an exit code.

``new``, ``commit``, ``reveal``, ``question new``, ``withdraw`` and ``resolve --manual``.
What they write, and how each value is read and asked for, is ``predreg.scaffold``,
``predreg.authoring`` and ``predreg.manual``; this module only prints and exits.
Exit codes as for every command (``predreg.cli``): 0 written, 1 problems (nothing
written), 2 usage error, 3 busy; 130 after Ctrl-C, 1 after Ctrl-D at a prompt. The
user's errors (:class:`predreg.errors.PredregError`: a missing value, a busy lock, a
prompt left) reach ``predreg.cli.main``, which prints each and exits with its code.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .arguments import iso_date
from .exits import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from .problems import Problem

if TYPE_CHECKING:
    from .answers import Answers
    from .fetch import Session


def _question_flags(command: argparse.ArgumentParser) -> None:
    """The flags that state a question, shared by `predreg new` and `predreg question new`."""
    command.add_argument("--claim")
    command.add_argument("--criteria", help="YES if ..., NO if ...")
    command.add_argument("--resolve-by", metavar="YYYY-MM-DD")
    command.add_argument("--kind", choices=["binary", "categorical", "numeric", "ordering"])
    command.add_argument("--unit", help="numeric: the unit")
    command.add_argument(
        "--event", action="append", metavar="NAME=DESCRIPTION", help="ordering: one of the two events (twice)"
    )
    command.add_argument("--resolver", help="a resolver name (default manual)")
    command.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="a setting of the resolver (repeatable), e.g. --set url=https://... ({...} and [...] read as YAML)",
    )
    command.add_argument("--tags", help="topics, a,b")
    command.add_argument(
        "--evidence", action="append", metavar="LINK", help="a URL, or 'URL title words', that bears on it (repeatable)"
    )
    command.add_argument("--source", help="where it was first stated")


def add_commands(commands: argparse._SubParsersAction[Any]) -> None:
    """`new`, `commit`, `question new` and `withdraw`: the commands that write a record from flags and prompts."""
    for name, hidden in (("new", False), ("commit", True)):
        helptext = (
            "write a new prediction, dated today, and check it"
            if not hidden
            else "write a hidden prediction (a salted hash of the forecast); the salt stays on this machine"
        )
        new = commands.add_parser(name, help=helptext)
        new.add_argument("registry", nargs="?", default="registry")
        new.add_argument("--author", help="your author handle (default: $PREDREG_AUTHOR or git config predreg.author)")
        new.add_argument("--id", help="the prediction's id (default: <question>-<author>, or made from the claim)")
        new.add_argument("--question", help="forecast a shared question (questions/<id>.yaml) instead of stating one")
        _question_flags(new)
        new.add_argument("--probability", help="binary: the probability of yes (70%% is read as 0.7)")
        new.add_argument("--probabilities", help="categorical and ordering: a=0.3,b=0.7")
        if not hidden:
            new.add_argument("--quantiles", help="numeric: 0.05=1.1,0.5=1.6,0.95=3")
        new.add_argument("--given", metavar="QUESTION", help="conditional: a binary question assumed to resolve yes")
        new.add_argument(
            "--supersedes",
            metavar="ID",
            help="your earlier prediction this revises (default with --question: your latest on that question)",
        )
        new.add_argument("--rationale")
        new.add_argument("--today", type=iso_date, help=argparse.SUPPRESS)
        if hidden:
            new.add_argument(
                "--keep", type=Path, help="where the salt is kept (default: $PREDREG_KEEP or ~/.local/share)"
            )

    question = commands.add_parser("question", help="shared questions: `predreg question new`")
    question_commands = question.add_subparsers(dest="action", required=True, metavar="ACTION")
    question_new = question_commands.add_parser(
        "new", help="write a shared question, questions/<id>.yaml, and check it"
    )
    question_new.add_argument("registry", nargs="?", default="registry")
    question_new.add_argument("--id", help="the question's id (default: made from the claim, unique)")
    _question_flags(question_new)
    question_new.add_argument("--outcomes", help="categorical: the outcome names, a,b,c")
    question_new.add_argument("--today", type=iso_date, help=argparse.SUPPRESS)

    withdraw = commands.add_parser("withdraw", help="withdraw one of your predictions (it is still scored)")
    withdraw.add_argument("id", help="the prediction's id")
    withdraw.add_argument("registry", nargs="?", default="registry")
    withdraw.add_argument("--author", help="your author handle (default: $PREDREG_AUTHOR or git config predreg.author)")
    withdraw.add_argument("--reason", help="why, for readers of the record")
    withdraw.add_argument("--today", type=iso_date, help=argparse.SUPPRESS)


def add_manual_flags(resolve: argparse.ArgumentParser) -> None:
    """`predreg resolve --manual QUESTION` and the flags that go with it."""
    resolve.add_argument("--manual", metavar="QUESTION", help="record a person's resolution of this question")
    resolve.add_argument("--outcome", help="with --manual: yes, no, a category, a number, annulled or ambiguous")
    resolve.add_argument(
        "--evidence", action="append", metavar="URL|FILE", help="with --manual: the evidence, fetched or read and kept"
    )
    resolve.add_argument("--excerpt", help="with --manual: the words of the evidence that decide")
    resolve.add_argument("--by", metavar="HANDLE", help="with --manual: who resolves (default: your author handle)")
    resolve.add_argument("--note", help="with --manual: how the criteria were read")


def write_record(args: argparse.Namespace) -> int:
    """`new`, `commit`, `reveal`, `question new` and `withdraw`: check the record, write it or say why not."""
    from . import scaffold
    from .answers import Answers

    if wrong := _not_utf8(args):
        return _refused(wrong)
    today = args.today or dt.datetime.now(dt.UTC).date()
    answers = Answers(sys.stdin.isatty())
    try:
        if args.command == "reveal":
            path, text, problems = scaffold.reveal(args.registry, args.id, today=today, keep=args.keep)
        elif args.command == "withdraw":
            path, text, problems = _withdraw(args, answers, today)
        else:
            path, text, problems = _drafted(args, answers, today)
    except KeyboardInterrupt:  # while checking or writing: the write is whole or absent
        return _interrupted()
    except OSError as error:
        return _unwritable(error)
    kept = ["the forecast and its salt are kept outside the registry; `predreg reveal` publishes them later"]
    return _written(path, text, problems, kept if args.command == "commit" else ())


def _drafted(args: argparse.Namespace, answers: Answers, today: dt.date) -> tuple[Path, str, list[Problem]]:
    """A new prediction or question, written once it passes the check; on a terminal, refused fields are asked again."""
    from . import authoring, scaffold

    flags = {**vars(args), "events": args.event}
    if args.command == "question":
        draft = authoring.question_fields(args.registry, flags, answers, today=today)
    else:
        flags["author"] = args.author or scaffold.default_author()
        flags["hidden"] = args.command == "commit"
        draft = authoring.prediction_fields(args.registry, flags, answers, today=today)
    for note in draft.notes:
        print(note)
    while True:
        if args.command == "question":
            path, text, problems = scaffold.new_question(args.registry, dict(draft.values), today=today)
        else:
            hidden, keep = args.command == "commit", getattr(args, "keep", None)
            path, text, problems = scaffold.new_prediction(
                args.registry, dict(draft.values), today=today, hidden=hidden, keep=keep
            )
        if not draft.mend(problems, answers):
            return path, text, problems


def _written(path: Path, text: str, problems: list[Problem], after: Sequence[str] = ()) -> int:
    """The end of writing a record: what was written (and ``after`` it), or its problems and that nothing was."""
    if problems:
        print(text, end="", file=sys.stderr)
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"predreg: nothing written: fix these and run again ({path} would have them)", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"wrote {path}")
    for line in after:
        print(line)
    return EXIT_OK


def _unwritable(error: OSError) -> int:
    """A file that cannot be written or read (a read-only registry, a full disk): one line; exit 2, as any write."""
    name = str(error.filename or "")
    if name.endswith(".tmp") and os.path.basename(name).startswith("."):  # a temporary file of files.py's
        name = os.path.dirname(name)
    where = f"{name}: " if name else ""
    print(f"predreg: {where}{error.strerror or error}; nothing written: check the path and run again", file=sys.stderr)
    return EXIT_USAGE


def _interrupted() -> int:
    from .answers import CANCELLED, CTRL_C

    print(f"\n{CANCELLED}", file=sys.stderr)  # the same line as at a prompt
    return CTRL_C


PATHS = ("registry", "keep", "command", "action")
"""Arguments that are not written into a record (a path may be any bytes)."""


def _not_utf8(args: argparse.Namespace) -> str:
    """A line for each argument holding bytes that are not UTF-8 (as a shell passes them), which no record can hold."""
    from .answers import NOT_UTF8
    from .authoring import flag_name
    from .load import is_utf8

    wrong = []
    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        if name not in PATHS and any(isinstance(v, str) and not is_utf8(v) for v in values):
            shown = name.upper() if name == "id" and args.command in ("withdraw", "reveal") else flag_name(name)
            wrong.append(f"{shown}: {NOT_UTF8}; give it in UTF-8")
    return "\n".join(wrong)


def _refused(error: Exception | str) -> int:
    """A usage error (a bad or missing flag, a file that exists already), one line per problem."""
    for line in str(error).splitlines():
        print(f"predreg: {line}", file=sys.stderr)
    return EXIT_USAGE


def _withdraw(args: argparse.Namespace, answers: Answers, today: dt.date) -> tuple[Path, str, list[Problem]]:
    from .authoring import withdrawal_fields
    from .scaffold import default_author, not_withdrawable_by, withdraw, withdrawable

    pid, prediction = withdrawable(args.registry, args.id)  # before anyone types who or why
    if prediction is None:
        refused = not_withdrawable_by(args.registry, pid, prediction, None)
        assert refused is not None
        return Path(refused.path), "", [refused]
    flags = {"author": args.author or default_author(), "reason": args.reason}
    fields = withdrawal_fields(args.registry, flags, answers, author=prediction.author)
    return withdraw(args.registry, pid, author=fields["author"], reason=fields["reason"], today=today)


MANUAL_ONLY = ("outcome", "evidence", "excerpt", "by", "note")
"""`predreg resolve` flags that belong to --manual."""


def resolve_manual(args: argparse.Namespace, session: Session) -> int:
    """`predreg resolve --manual`: a person's resolution, its evidence fetched through ``session``."""
    from . import manual
    from .answers import Answers
    from .scaffold import default_author

    if wrong := _not_utf8(args):
        return _refused(wrong)
    if not args.manual or args.offline or args.dry_run:
        given = ", ".join("--" + flag for flag in MANUAL_ONLY if getattr(args, flag))
        wrong = (
            f"{given} go with --manual QUESTION"
            if not args.manual
            else "--manual writes: not with --offline or --dry-run"
        )
        print(f"predreg: {wrong}", file=sys.stderr)
        return EXIT_USAGE
    now = args.now or dt.datetime.now(dt.UTC)
    flags = {"resolved_by": args.by or default_author(), "outcome": args.outcome, "evidence": args.evidence}
    try:
        question, values = manual.manual_fields(
            args.registry, args.manual, flags, Answers(sys.stdin.isatty()), session=session, now=now
        )
        if question.resolver.name != "manual":  # allowed (a broken page, a dead API), but said
            print(f"`{question.id}` names the {question.resolver.name} resolver; this resolution takes its place")
        path, text, problems = manual.resolve_manually(
            args.registry, question, values, now=now, note=args.note, excerpt=args.excerpt
        )
    except KeyboardInterrupt:  # while fetching evidence or writing: the writes are whole or absent
        return _interrupted()
    except OSError as error:
        return _unwritable(error)
    return _written(path, text, problems, [f"kept evidence/{evidence.sha256}" for evidence in values["evidence"]])
