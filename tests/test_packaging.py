"""What ships: the wheel and the sdist hold every package file, and releases come from pinned, tokenless workflows."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

import predreg

from .conftest import REPO


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built as `.ci/run` and the release workflow build them (the wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    return out


def tracked(prefix: str) -> set[str]:
    listing = subprocess.run(["git", "ls-files", "-z", prefix], cwd=REPO, capture_output=True, check=True).stdout
    return {name for name in listing.decode().split("\0") if name and (REPO / name).is_file()}


def test_the_wheel_holds_every_tracked_package_file_templates_included(dist: Path) -> None:
    [wheel] = dist.glob("predreg-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = tracked("predreg")
    assert "predreg/templates/github/workflows/predreg-pr.yml" in package
    assert {"predreg/templates/site/base.html", "predreg/templates/site/static/site.js"} <= names  # the site's
    assert package - names == set()


def test_the_sdist_holds_what_builds_and_tests_it(dist: Path) -> None:
    [sdist] = dist.glob("predreg-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    wanted = tracked("predreg") | tracked("requirements") | {"pyproject.toml", "README.md", "CHANGELOG.md"}
    assert wanted - names == set()


def test_the_version_is_the_same_in_the_metadata_and_the_package() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert predreg.__version__ == declared == importlib.metadata.version("predreg")


def release() -> dict[str, Any]:
    document: dict[Any, Any] = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    document["on"] = document.pop(True, document.get("on"))  # YAML 1.1 reads the key `on` as true
    return document


def test_releases_are_built_from_tags_and_published_without_a_stored_token() -> None:
    document = release()
    assert document["on"] == {"push": {"tags": ["v*"]}}
    assert document["permissions"] == {}
    jobs = document["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read"}
    assert jobs["publish"]["permissions"] == {"id-token": "write"} and jobs["publish"]["needs"] == "build"
    publish = jobs["publish"]["steps"][-1]
    assert publish["uses"].startswith("pypa/gh-action-pypi-publish@") and "with" not in publish  # no password


def test_every_action_of_the_release_is_pinned_by_commit() -> None:
    uses = [step["uses"] for job in release()["jobs"].values() for step in job["steps"] if "uses" in step]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action) for action in uses), uses
