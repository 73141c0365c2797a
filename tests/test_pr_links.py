"""The pull-request check and files that are not regular files: symbolic links, submodules, git attributes."""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import pytest

from predreg import pr

from .test_pr import (
    PREDICTION,
    TODAY,
    commit,
    git,
    repo,  # noqa: F401 (the fixture)
)

LINK = "file: is a symbolic link: the file it points to could change without this one changing"
REGULAR = "commit the record itself, a regular file"


def problems(repo: Path) -> list[str]:  # noqa: F811 (the fixture's name)
    """Each problem of the pull request, path and hint included, as the check prints it."""
    result = pr.review(str(repo / "registry"), "main", actor="forecaster-a-gh", today=TODAY)
    return [str(attrs.evolve(p, path=os.path.relpath(os.path.abspath(p.path), repo))) for p in result.problems]


def link(repo: Path, relative: str, target: str) -> Path:  # noqa: F811
    path = repo / "registry" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def test_a_prediction_that_links_to_a_docs_file_is_refused(repo: Path) -> None:  # noqa: F811
    """Attack: the forecast lives in docs/, so a later docs-only pull request changes it silently."""
    (repo / "docs").mkdir()
    (repo / "docs" / "notes.yaml").write_text(PREDICTION.format(id="linked", author="forecaster-a", registered=TODAY))
    link(repo, "predictions/forecaster-a/linked.yaml", "../../../docs/notes.yaml")
    commit(repo)
    assert problems(repo) == [f"registry/predictions/forecaster-a/linked.yaml:1:1: {LINK}; {REGULAR}"]


@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/zero", "../../no-such-file.yaml"])
def test_a_link_out_of_the_registry_is_refused_without_reading_it(repo: Path, target: str) -> None:  # noqa: F811
    """Attack: a link to a secret (echoed into the PR comment), to an endless device (a hang), or to nothing."""
    link(repo, "predictions/forecaster-a/leak.yaml", target)
    commit(repo)
    found = problems(repo)
    assert found == [
        f"registry/predictions/forecaster-a/leak.yaml:1:1: {LINK}; commit the record itself, a regular file"
    ]
    assert "root:" not in "".join(found)


def test_authors_yaml_replaced_by_a_link_is_refused(repo: Path) -> None:  # noqa: F811
    """Attack: authors.yaml becomes a link (same bytes, type change T); editing the target then takes over authors."""
    authors = repo / "registry" / "authors.yaml"
    (repo / "people.yaml").write_bytes(authors.read_bytes())
    authors.unlink()
    authors.symlink_to("../people.yaml")
    commit(repo)
    assert f"registry/authors.yaml:1:1: {LINK}; {REGULAR}" in problems(repo)


def test_a_submodule_named_like_a_record_is_refused(repo: Path) -> None:  # noqa: F811
    """Attack: a gitlink `x.yaml` (mode 160000), which checks out as a folder."""
    commit_id = git(repo, "rev-parse", "HEAD").strip()
    target = "registry/predictions/forecaster-a/x.yaml"
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{commit_id},{target}")
    (repo / target).mkdir()
    git(repo, "commit", "-q", "-m", "a submodule")
    assert problems(repo) == [f"{target}:1:1: file: is a folder where git records a file (a submodule); {REGULAR}"]


def test_git_attributes_with_data_are_refused_as_configuration(repo: Path) -> None:  # noqa: F811
    """Attack: `.gitattributes` re-encodes one author's folder on every fresh clone, so the author vanishes."""
    (repo / "registry" / ".gitattributes").write_text("predictions/forecaster-b/** working-tree-encoding=UTF-16LE\n")
    (repo / "registry" / "predictions" / "forecaster-a" / "new-one.yaml").write_text(
        PREDICTION.format(id="new-one", author="forecaster-a", registered=TODAY)
    )
    commit(repo)
    assert problems(repo) == [
        "registry/.gitattributes:1:1: file: changes code or configuration in a pull request that changes registry data;"
        " split it: registry data alone in one pull request, code in another"
    ]


def test_a_registry_that_is_a_link_is_not_judged_through_it(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    """Attack: `registry` replaced by a link to the base's checkout, so every deletion goes unseen."""
    os.rename(repo / "registry", tmp_path / "elsewhere")
    (repo / "registry").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(pr.GitError, match="is a symbolic link"):
        pr.review(str(repo / "registry"), "main", actor="forecaster-a-gh", today=TODAY)


HEX = "ab" * 32


def test_a_submodule_as_stored_evidence_is_one_located_problem(repo: Path) -> None:  # noqa: F811
    """Attack: a gitlink at `evidence/<sha256>`, which checks out as a folder where the body is read."""
    commit_id = git(repo, "rev-parse", "HEAD").strip()
    target = f"registry/evidence/{HEX}"
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{commit_id},{target}")
    (repo / target).mkdir(parents=True)  # as a checkout makes it
    git(repo, "commit", "-q", "-m", "a submodule as evidence")
    assert problems(repo) == [f"{target}:1:1: file: is a folder where git records a file (a submodule); {REGULAR}"]


def test_a_dangling_link_as_stored_evidence_is_one_located_problem(repo: Path) -> None:  # noqa: F811
    """Attack: `evidence/<sha256>` is a link to nothing (or to anything: it is never read)."""
    link(repo, f"evidence/{HEX}", "../no-such-body")
    commit(repo)
    assert problems(repo) == [f"registry/evidence/{HEX}:1:1: {LINK}; {REGULAR}"]
