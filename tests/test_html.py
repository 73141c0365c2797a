"""The HTML report, opened in real headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from predreg.cli import main

from .conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# the flags this machine needs: no sandbox as root, and no background calls to a closed network
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    monkeypatch.chdir(REPO)
    assert main(["score", "registry", "--format", "html", "--min-n", "1", "-o", str(tmp_path / "site")]) == 0
    assert "wrote" in capsys.readouterr().out
    return tmp_path / "site" / "index.html"


def test_the_page_is_one_self_contained_file(site: Path) -> None:
    page = site.read_text(encoding="utf-8")
    assert "<svg" in page and "<table" in page
    # nothing a browser would fetch to show it (XML namespace names are never fetched)
    assert not re.search(r"""(src|href)=["']https?:|url\(\s*["']?https?:|@import""", page)
    assert "<script" not in page and "<link" not in page
    assert oct(os.stat(site).st_mode & 0o777) != oct(0o600)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_chromium_renders_the_leaderboard_table_and_the_plots(site: Path, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    common = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}"]
    url = site.as_uri()
    dom = subprocess.run([*common, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    assert '<table class="leaderboard">' in dom
    assert dom.count("<tr") >= 5  # header and the four scored authors, at least
    for author in ("forecaster-a", "forecaster-b", "forecaster-c", "forecaster-e"):
        assert f'id="author-{author}"' in dom
    assert dom.count("<svg") >= 4  # one calibration plot per author
    shot = tmp_path / "shot.png"
    subprocess.run(
        [*common, "--hide-scrollbars", "--window-size=1280,1600", f"--screenshot={shot}", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 50_000  # a rendered page, not a blank one


def test_the_per_tag_views_honour_the_same_options_as_the_main_board(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    out = tmp_path / "site"
    assert main(["score", "registry", "--format", "html", "--author", "forecaster-b", "-o", str(out)]) == 0
    capsys.readouterr()
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<h3 id="tag-scheming">' in page  # forecaster-b's question is tagged scheming
    assert "forecaster-b" in page
    assert "forecaster-c" not in page  # not in the main board, nor in any tag view
