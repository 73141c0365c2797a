"""Third-party resolvers: found through the `predreg` entry-point group, validated by check, used by resolve."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from predreg import plugins
from predreg.verdict import ResolverInfo

from .evidence_server import EvidenceServer, body
from .resolving import write_registry

PLUGIN = Path(__file__).parent / "example_plugin"
LEADERBOARD = [
    {"model": "Frontier Model 4", "score": 61.0},
    {"model": "Frontier Model 5", "score": 74.5},
    {"model": "Open Model 3", "score": 58.2},
    {"model": "Vision Model X", "score": 12.0},
]


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """A site folder holding the example plugin as pip would install it: the package and its dist-info."""
    site = tmp_path / "site"
    shutil.copytree(PLUGIN / "predreg_leaderboard_rank", site / "predreg_leaderboard_rank")
    info = site / "predreg_leaderboard_rank-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: predreg-leaderboard-rank\nVersion: 1.0.0\n")
    declared = (PLUGIN / "pyproject.toml").read_text().split("[project.entry-points.predreg]")[1].strip()
    unquoted = declared.replace('"', "")  # as pip writes it
    (info / "entry_points.txt").write_text(f"[predreg]\n{unquoted}\n")
    return site


def _predreg(site: Path | None, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if site is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH", "")]))
    command = [sys.executable, "-m", "predreg.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


def _registry(tmp_path: Path, url: str, top: object = 1) -> Path:
    resolver = {"name": "leaderboard-rank", "url": url, "model": "Frontier Model 5", "top": top}
    return write_registry(tmp_path / "registry", {"tops-leaderboard": resolver})


def test_check_knows_a_plugins_resolver_only_once_it_is_installed(installed: Path, tmp_path: Path) -> None:
    root = _registry(tmp_path, "https://example.org/leaderboard.json")
    without = _predreg(None, "check", str(root), "--today", "2026-11-23")
    assert without.returncode == 1 and "no resolver `leaderboard-rank` is installed" in without.stdout
    with_plugin = _predreg(installed, "check", str(root), "--today", "2026-11-23")
    assert with_plugin.returncode == 0, with_plugin.stdout + with_plugin.stderr


def test_a_plugins_settings_are_validated_by_its_own_class(installed: Path, tmp_path: Path) -> None:
    root = _registry(tmp_path, "https://example.org/leaderboard.json", top=0)
    result = _predreg(installed, "check", str(root), "--today", "2026-11-23")
    assert result.returncode == 1
    assert "questions/tops-leaderboard.yaml:6:" in result.stdout and "resolver.top: must be at least 1" in result.stdout


def test_resolve_uses_the_plugin(installed: Path, tmp_path: Path, server: EvidenceServer) -> None:
    server.routes["/leaderboard.json"] = body(json.dumps(LEADERBOARD), content_type="application/json")
    root = _registry(tmp_path, server.url("/leaderboard.json"))
    result = _predreg(
        installed, "resolve", str(root), "--allow-loopback", server.origin, "--now", "2026-11-23T12:00:00Z"
    )
    assert result.returncode == 0, result.stderr
    record = (root / "resolutions" / "tops-leaderboard.yaml").read_text()
    assert "outcome: yes" in record and "resolver: leaderboard-rank" in record and 'resolver_version: "1.0.0"' in record


def test_a_plugin_that_fails_to_load_is_named(installed: Path, tmp_path: Path) -> None:
    (installed / "predreg_leaderboard_rank" / "__init__.py").write_text("raise ImportError('needs numpy 9')\n")
    result = _predreg(installed, "check", str(_registry(tmp_path, "https://example.org/x.json")))
    assert result.returncode == 2
    assert "the predreg plugin `leaderboard-rank`" in result.stderr and "needs numpy 9" in result.stderr
    assert "Traceback" not in result.stderr


def test_two_plugins_may_not_claim_one_resolver_name() -> None:
    class Impostor:
        @plugins.hookspecs.hookimpl
        def predreg_resolvers(self) -> list[ResolverInfo]:
            return [ResolverInfo("http", "9.9", object)]

    manager = plugins.make_manager(entry_points=False)
    manager.register(Impostor(), name="impostor")
    with plugins.using(manager), pytest.raises(plugins.PluginError, match="two plugins provide the resolver `http`"):
        plugins.catalogue()


def test_builtins_are_plugins_like_any_other() -> None:
    manager = plugins.make_manager(entry_points=False)
    names = {manager.get_name(p) for p in manager.get_plugins()}
    assert names == set(plugins.BUILTINS)
    with plugins.using(manager):
        assert {"manual", "http", "json", "csv", "github", "arxiv", "metaculus", "manifold"} <= set(plugins.catalogue())
