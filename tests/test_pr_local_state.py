"""The pull-request rule `local_state`: nothing under a `.predreg/` folder goes into git."""

from __future__ import annotations

from pathlib import Path

from predreg import pr

from .conftest import TODAY
from .test_pr import add_prediction, commit, git, repo  # noqa: F401 (the fixture)

INDEX = "registry/.predreg/index.sqlite"


def review(repo: Path) -> list[str]:  # noqa: F811
    result = pr.review(str(repo / "registry"), "main", actor="forecaster-a-gh", today=TODAY)
    return [f"{p.path}: {p.field}: {p.message}; {p.hint}" for p in result.problems]


def index_file(repo: Path) -> Path:  # noqa: F811
    path = repo / INDEX
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"SQLite format 3\x00 a machine's cache")
    return path


def test_a_committed_index_is_refused_with_the_command_that_removes_it(repo: Path) -> None:  # noqa: F811
    add_prediction(repo, "good-forecast")
    index_file(repo)
    (repo / ".gitignore").write_text(".predreg/\n")
    git(repo, "add", "-f", INDEX)  # what `git add -A` does where .predreg/ was not ignored yet
    commit(repo)
    [message] = review(repo)
    assert INDEX in message and "committed to git" in message
    assert f"`git rm --cached {INDEX}`" in message and "add `.predreg/` to .gitignore" in message


def test_the_refusal_is_the_only_problem_for_that_file(repo: Path) -> None:  # noqa: F811
    index_file(repo)
    git(repo, "add", "-f", INDEX)
    commit(repo)
    found = review(repo)
    assert len(found) == 1 and "is not a registry file" not in found[0]


def test_an_index_git_does_not_ignore_is_refused_before_it_is_committed(repo: Path) -> None:  # noqa: F811
    index_file(repo)
    [message] = review(repo)
    assert INDEX in message and "`git add -A` would commit it" in message
    assert "add `.predreg/` to .gitignore (`predreg init` writes it)" in message


def test_an_ignored_index_is_none_of_the_pull_requests_business(repo: Path) -> None:  # noqa: F811
    (repo / ".gitignore").write_text(".predreg/\n")
    index_file(repo)
    add_prediction(repo, "good-forecast")
    commit(repo)
    assert review(repo) == []


def test_deleting_a_committed_index_is_the_fix_and_is_allowed(repo: Path) -> None:  # noqa: F811
    git(repo, "checkout", "-q", "main")
    index_file(repo)
    git(repo, "add", "-f", INDEX)
    commit(repo)
    git(repo, "checkout", "-q", "-B", "cleanup")
    git(repo, "rm", "-q", "--cached", INDEX)
    (repo / ".gitignore").write_text(".predreg/\n")
    commit(repo)
    assert review(repo) == []


def test_a_predreg_folder_anywhere_counts(repo: Path) -> None:  # noqa: F811
    stray = repo / "registry" / "predictions" / ".predreg" / "last-run.json"
    stray.parent.mkdir(parents=True)
    stray.write_text("{}\n")
    git(repo, "add", "-f", str(stray.relative_to(repo)))
    commit(repo)
    [message] = review(repo)
    assert "registry/predictions/.predreg/last-run.json" in message and "committed to git" in message


def test_requirements_txt_is_configuration_and_never_rides_with_data(repo: Path) -> None:  # noqa: F811
    add_prediction(repo, "good-forecast")
    (repo / "requirements.txt").write_text("predreg @ git+https://example.org/fork-that-passes-everything\n")
    commit(repo)
    assert any("requirements.txt" in m and "changes code or configuration" in m for m in review(repo))
