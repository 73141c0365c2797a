"""The ``predreg`` command line: a thin edge over the library.

Exit codes (a contract): 0 all fine, 1 the registry has problems, 2 usage error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence

import attrs

from . import __version__
from .checks import check_registry
from .load import CLASSES
from .reports import headline, summary
from .schema import json_schema

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="predreg", description="A git-native registry of dated, scored predictions.")
    parser.add_argument("--version", action="version", version=f"predreg {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate a registry (exit 1 if anything is wrong)")
    check.add_argument("registry", nargs="?", default="registry", help="the registry folder (default: registry)")
    check.add_argument("--today", type=_date, help="check as of this UTC date (default: today)")
    check.add_argument("--format", choices=["text", "json"], default="text", help="how to print problems")
    check.add_argument("--quiet", "-q", action="store_true", help="print problems only")

    summary_ = commands.add_parser("summary", help="predictions per author and kind")
    summary_.add_argument("registry", nargs="?", default="registry")
    summary_.add_argument("--today", type=_date)

    schema = commands.add_parser("schema", help="print the JSON Schema of a registry file, for editors")
    schema.add_argument("kind", nargs="?", default="prediction", choices=sorted(CLASSES))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "schema":
        print(json.dumps(json_schema(args.kind), indent=2))
        return EXIT_OK
    if not os.path.isdir(args.registry):
        print(f"predreg: {args.registry}: no such registry folder", file=sys.stderr)
        return EXIT_USAGE
    registry = check_registry(args.registry, today=args.today)
    if args.command == "check":
        if args.format == "json":
            print(json.dumps([attrs.asdict(problem) for problem in registry.problems], indent=2))
        else:
            for problem in registry.problems:
                print(problem)
        if not args.quiet and args.format == "text":
            verdict = f"{len(registry.problems)} problem(s)" if registry.problems else "OK"
            print(
                f"{args.registry}: {verdict}: {headline(registry)}",
                file=sys.stderr if registry.problems else sys.stdout,
            )
        return EXIT_PROBLEMS if registry.problems else EXIT_OK
    print(summary(registry))
    for problem in registry.problems:
        print(problem, file=sys.stderr)
    return EXIT_PROBLEMS if registry.problems else EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
