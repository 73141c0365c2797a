"""``predreg init [DIR]``: set up a repository to hold a registry.

It writes, each only where no such file exists (created whole or not at all, never
over a file that is there):

- ``registry/authors.yaml`` with the first author, asked for on a terminal or given
  as ``--author``, ``--name`` and ``--github``, and checked as ``predreg check`` does;
- ``requirements.txt`` pinning the running predreg, which every workflow installs;
- ``.github/workflows/`` (pull-request check, scheduled resolution, sharded check, the
  website on GitHub Pages) and
  ``.pre-commit-config.yaml``, naming the repository's default branch;
- ``README.md`` for contributors.

``.gitignore`` is the one file it adds to: the lines it needs (``.predreg/``,
``site/``, ``.venv/``) are appended when missing, and the rest of the file is left as it is.
A folder that is not yet a git repository gets ``git init``; a folder inside one but
not at its top is refused, since GitHub reads workflows only from the top. A second
run writes nothing and says so.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import attrs

from .emit import flow
from .errors import InitError
from .files import create_many
from .load import load_text
from .version import __version__

PREDREG_SOURCE = "https://github.com/predreg/predreg"
"""predreg's repository: requirements.txt pins a tag of it, and pre-commit installs its hooks from it."""

WORKFLOWS = ("predreg-pr.yml", "predreg-resolve.yml", "predreg-sharded.yml", "predreg-pages.yml")
IGNORED = (".predreg/", "site/", ".venv/")
"""What .gitignore must hold: predreg's local state in each registry, the leaderboard page, the usual venv."""
_PLACEHOLDER = re.compile(r"__[A-Z_]+__")
_BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
"""Branch names written into workflows: no character YAML or a shell would read as syntax."""

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
"""The CLI's exit codes (predreg.cli), and 130 for Ctrl-C, as a shell reports SIGINT."""


@attrs.frozen
class FirstAuthor:
    handle: str
    name: str
    github: str


def template(*parts: str) -> str:
    """A file of the package's ``templates/`` folder, read through importlib.resources (so from a wheel too)."""
    return resources.files("predreg").joinpath("templates", *parts).read_text(encoding="utf-8")


def render(text: str, *, branch: str, source: str, version: str = __version__) -> str:
    """A template with its placeholders filled; every placeholder must be known."""
    values = {"__DEFAULT_BRANCH__": branch, "__PREDREG_SOURCE__": source, "__PREDREG_VERSION__": version}
    rendered = _PLACEHOLDER.sub(lambda match: values.get(match.group(0), match.group(0)), text)
    left = [name for name in _PLACEHOLDER.findall(rendered) if name not in values]
    if left:  # a template's mistake, not the user's: say which
        raise ValueError(f"unknown placeholder(s) {', '.join(sorted(set(left)))} in a template")
    return rendered


def _git(folder: Path, *args: str) -> str | None:
    """git's output, stripped, or None if git failed or is missing."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=folder, capture_output=True, encoding="utf-8", errors="surrogateescape", check=False
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def default_branch(folder: Path) -> str:
    """The branch pull requests go to: origin's HEAD, else the current branch, else init.defaultBranch, else main."""
    remote = _git(folder, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
    if remote and remote.startswith("refs/remotes/origin/"):
        return remote.removeprefix("refs/remotes/origin/")
    current = _git(folder, "symbolic-ref", "--quiet", "HEAD")  # also on a branch without commits yet
    if current and current.startswith("refs/heads/"):
        return current.removeprefix("refs/heads/")
    return _git(folder, "config", "init.defaultBranch") or "main"


def check_branch(branch: str) -> str:
    """``branch`` if it can be written into the workflows as it is, else InitError."""
    if not _BRANCH.match(branch) or ".." in branch or branch.endswith((".lock", "/", ".")):
        raise InitError(
            f"--branch {branch!r}: not a branch name predreg writes into workflows; use A-Z a-z 0-9 . _ / -"
        )
    return branch


def check_source(source: str) -> str:
    """``source`` if pip and pre-commit can both fetch predreg from it, else InitError."""
    url = urllib.parse.urlsplit(source)
    # no query or fragment: `#...` would swallow the `@v<version>` pin, and pip would take the default branch;
    # no plain http: this is the code that judges pull requests
    loose = url.query or url.fragment or "#" in source or "?" in source or any(c.isspace() for c in source)
    if url.scheme not in ("https", "ssh", "file") or not url.netloc or loose:
        raise InitError(
            f"--predreg-source {source!r}: give a git URL with a host, e.g. {PREDREG_SOURCE}"
            " (a local clone: file://localhost/path/to/predreg; pip refuses a URL without a host)"
        )
    return source.rstrip("/")


def author_problems(author: FirstAuthor) -> list[tuple[str, str]]:
    """What ``predreg check`` would say about the author's entry in authors.yaml: (field, message; hint)."""
    loaded = load_text("registry/authors.yaml", "authors", authors_text(author))
    return [(problem.field, f"{problem.message}; {problem.hint}") for problem in loaded.problems]


def authors_text(author: FirstAuthor) -> str:
    return (
        "# Who may forecast here: handle -> name, and the GitHub logins whose pull requests\n"
        "# register forecasts for that handle. Add yourself in a pull request of its own.\n"
        "authors:\n"
        f"  {flow(author.handle)}:\n"
        f"    name: {flow(author.name)}\n"
        f"    github: [{flow(author.github)}]\n"
    )


RENDERED = (
    ("requirements.txt", ("requirements.txt",)),
    *((f".github/workflows/{name}", ("github", "workflows", name)) for name in WORKFLOWS),
    (".pre-commit-config.yaml", ("pre-commit-config.yaml",)),
    ("README.md", ("registry", "README.md")),
)
"""Each file rendered from a template: its path from the top, and the template's parts under templates/."""


def planned_files(branch: str, source: str, author: FirstAuthor | None) -> list[tuple[str, str]]:
    """(path from the top, text) of every file init creates where none exists, in the order written."""
    files = [("registry/authors.yaml", authors_text(author))] if author else []
    files += [(path, render(template(*parts), branch=branch, source=source)) for path, parts in RENDERED]
    return files


def read_gitignore(gitignore: Path) -> bytes | None:
    """The bytes of ``gitignore``, or None if there is none."""
    try:
        return gitignore.read_bytes()
    except FileNotFoundError:
        return None


def missing_ignores(existing: bytes | None) -> list[str]:
    """The lines of IGNORED that a .gitignore of bytes ``existing`` lacks (all of them if there is none)."""
    if existing is None:
        return list(IGNORED)
    text = existing.decode("utf-8", errors="surrogateescape")  # git reads any bytes
    present = {line.strip().removeprefix("\ufeff").rstrip("/") for line in text.splitlines()}
    return [line for line in IGNORED if line.rstrip("/") not in present]


def append_ignores(gitignore: Path, existing: bytes | None, lines: list[str]) -> None:
    """Add ``lines`` at the end of ``gitignore`` (now of bytes ``existing``) in one write, never touching the rest."""
    block = "".join(f"{line}\n" for line in lines)
    if existing:  # say whose lines these are, on a line of their own
        block = "# predreg: local state, the leaderboard page, a virtual environment\n" + block
        block = ("" if existing.endswith(b"\n") else "\n") + block
    handle = os.open(gitignore, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
    try:
        os.write(handle, block.encode("utf-8"))
        os.fsync(handle)
    finally:
        os.close(handle)


@attrs.frozen
class Outcome:
    wrote: list[str]
    kept: list[str]
    appended: list[str]
    """Lines added to an existing .gitignore."""
    git_init: bool


def scaffold(top: Path, *, branch: str, source: str, author: FirstAuthor | None, git_init: bool) -> Outcome:
    """Write what is missing at ``top``; say what was written and what was kept."""
    if git_init:
        subprocess.run(["git", "init", "--quiet", f"--initial-branch={branch}"], cwd=top, check=True)
    files = planned_files(branch, source, author)
    _refuse_linked_folders(top, [path for path, _ in files])
    created = create_many([(top / path, text) for path, text in files])
    existing = read_gitignore(top / ".gitignore")
    lines = missing_ignores(existing)
    if lines:
        append_ignores(top / ".gitignore", existing, lines)
    wrote = [path for (path, _), made in zip(files, created, strict=True) if made]
    if lines and existing is None:
        wrote.append(".gitignore")
        lines = []
    kept = [path for (path, _), made in zip(files, created, strict=True) if not made]
    if author is None:
        kept.insert(0, "registry/authors.yaml")
    return Outcome(wrote, kept, lines, git_init)


def _refuse_linked_folders(top: Path, paths: list[str]) -> None:
    """InitError if a folder init writes into is a symbolic link: GitHub reads no workflow through one."""
    for path in paths:
        for parent in Path(path).parents:
            if parent != Path(".") and (top / parent).is_symlink():
                raise InitError(f"{top / parent} is a symbolic link; make it a folder of the repository and run again")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``predreg init``."""
    parser.add_argument("dir", nargs="?", default=".", help="the repository's top folder (default: .)")
    parser.add_argument("--author", metavar="HANDLE", help="the first author's handle in authors.yaml")
    parser.add_argument("--name", help="the first author's name, as the leaderboard shows it")
    parser.add_argument("--github", metavar="LOGIN", help="the first author's GitHub login")
    parser.add_argument("--branch", help="the default branch (default: origin's HEAD, else the current branch)")
    parser.add_argument(
        "--predreg-source",
        default=PREDREG_SOURCE,
        metavar="URL",
        help=f"predreg's git repository, for requirements.txt and .pre-commit-config.yaml (default {PREDREG_SOURCE})",
    )


def run(args: argparse.Namespace, ask: Callable[[str], str] = input, terminal: bool | None = None) -> int:
    """``predreg init``: exit 0 done (or nothing to do), 1 no answer, 2 usage error, 130 interrupted.

    ``ask`` puts a question to the user, who is there when ``terminal`` (default: stdin is a terminal).
    """
    top = Path(args.dir)
    terminal = sys.stdin.isatty() if terminal is None else terminal
    try:
        git_init = _where(top)
        branch = check_branch(args.branch or default_branch(top))
        source = check_source(args.predreg_source)
        author = None
        if not (top / "registry" / "authors.yaml").exists():
            author = _first_author(args, ask, terminal)
        elif args.author or args.name or args.github:
            print("registry/authors.yaml is there already: add authors by editing it (--author and the rest unused)")
        outcome = scaffold(top, branch=branch, source=source, author=author, git_init=git_init)
    except InitError as error:
        print(f"predreg init: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\npredreg init: interrupted; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except EOFError:
        print("\npredreg init: no answer (end of input); nothing written", file=sys.stderr)
        return EXIT_PROBLEMS
    except OSError as error:
        print(f"predreg init: {error.filename or top}: {error.strerror or error}; stopped there", file=sys.stderr)
        return EXIT_PROBLEMS
    print(report(top, branch, outcome))
    return EXIT_OK


def _where(top: Path) -> bool:
    """Whether ``top`` needs ``git init``; InitError if it is not a folder, or inside a repository but not its top."""
    if top.exists() and not top.is_dir():
        raise InitError(f"{top}: is a file, not a folder; give the folder of the registry's repository")
    if not top.is_dir():
        raise InitError(f"{top}: no such folder; create it first (mkdir {top})")
    if shutil.which("git") is None:
        raise InitError("git is not installed (a registry is a git repository); install it and run again")
    if "true" in (_git(top, "rev-parse", "--is-bare-repository"), _git(top, "rev-parse", "--is-inside-git-dir")):
        raise InitError(f"{top} is a bare repository or a .git folder; run predreg init in a clone's working tree")
    inside = _git(top, "rev-parse", "--show-toplevel")
    if inside is None:
        return True
    if os.path.realpath(inside) != os.path.realpath(top):
        raise InitError(f"{top} is inside the git repository {inside}, not its top; run predreg init in {inside}")
    return False


PROMPTS = {
    "handle": "Your author handle (letters, digits, '-', '_', '.'; e.g. ada-lovelace): ",
    "name": "Your name, as the leaderboard shows it: ",
    "github": "Your GitHub login (pull requests you open register forecasts as this handle): ",
}
_FLAGS = {"handle": "--author", "name": "--name", "github": "--github"}
_LABELS = {"handle": "the handle", "name": "the name", "github": "the GitHub login"}
_PLACEHOLDERS = FirstAuthor("someone", "Someone", "someone")


def _first_author(args: argparse.Namespace, ask: Callable[[str], str], terminal: bool) -> FirstAuthor:
    """The first author from the flags, asking on a terminal for what is missing or wrong."""
    given = {"handle": args.author, "name": args.name, "github": args.github}
    if not terminal:
        missing = [_FLAGS[field] for field, value in given.items() if not value]
        if missing:
            raise InitError(
                f"missing {', '.join(missing)} for registry/authors.yaml (or run on a terminal to be asked)"
            )
    values: dict[str, str] = {}
    for field, value in given.items():
        while True:
            if value is None:
                value = ask(PROMPTS[field]).strip()
            problems = author_problems(attrs.evolve(_PLACEHOLDERS, **{field: value}))
            if not problems:
                values[field] = value
                break
            # the others are placeholders: only this answer can be wrong, so its field's path says nothing
            path, said = problems[0]
            said = said.replace(f"`{path}: ", f"`{field}: ")
            if not terminal:
                raise InitError(f"{_FLAGS[field]} {value!r}: {said}")
            print(f"  {_LABELS[field]}: {said}", file=sys.stderr)
            value = None
    return FirstAuthor(**values)


def report(top: Path, branch: str, outcome: Outcome) -> str:
    """What init did, and what to do next."""
    lines = [f"predreg init: {top} (default branch {branch})"]
    if outcome.git_init:
        lines.append("  ran git init")
    lines += [f"  wrote    {path}" for path in outcome.wrote]
    if outcome.appended:
        lines.append(f"  .gitignore: added {', '.join(outcome.appended)} (the rest of the file is as it was)")
    lines += [f"  kept     {path} (it was there; not changed)" for path in outcome.kept]
    if not outcome.wrote and not outcome.appended:
        lines.append("nothing written: everything init makes was there already")
        return "\n".join(lines)
    lines += [
        "next:",
        f'  git add -A && git commit -m "A predreg registry" && git push -u origin {branch}',
        "  on GitHub: allow Actions to create pull requests, and require the status `predreg`",
        f"    on {branch} (predreg's README, 'GitHub settings')",
        "  on GitHub: Settings > Pages > Source: GitHub Actions, for the website predreg-pages.yml publishes",
        "  pip install -r requirements.txt pre-commit && pre-commit install   (checks before each commit and push)",
        "  predreg new --author HANDLE --claim ... --criteria ... --resolve-by YYYY-MM-DD --probability 0.3",
    ]
    return "\n".join(lines)
