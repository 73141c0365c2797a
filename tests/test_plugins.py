"""Third-party resolvers: found through the `predreg` entry-point group, validated by check, used by resolve."""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from predreg import api, plugins
from predreg.cli import main

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


def test_an_installed_plugin_still_on_the_old_hooks_stops_the_check_naming_it(installed: Path, tmp_path: Path) -> None:
    old = "from predreg.api import hookimpl\n\n@hookimpl\ndef predreg_resolve(name):\n    return None\n"
    (installed / "predreg_leaderboard_rank" / "__init__.py").write_text(old)
    result = _predreg(installed, "check", str(_registry(tmp_path, "https://example.org/x.json")))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("predreg: the predreg plugin `leaderboard-rank` implements `predreg_resolve`")
    assert "Traceback" not in result.stderr


def test_the_example_plugin_imports_nothing_of_predreg_but_the_public_api() -> None:
    tree = ast.parse((PLUGIN / "predreg_leaderboard_rank" / "__init__.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {name for name in imported if name and name.split(".")[0] == "predreg"} == {"predreg.api"}


def test_the_example_plugin_registers_through_the_one_hook() -> None:
    source = (PLUGIN / "predreg_leaderboard_rank" / "__init__.py").read_text()
    assert "def predreg_register_resolvers(register: Register)" in source
    assert "predreg_resolve(" not in source and "predreg_resolvers(" not in source


class _Plugin:
    """A plugin registered in-process: its hook registers what it is given."""

    def __init__(self, *registrations: tuple[tuple[object, ...], dict[str, object]]) -> None:
        self.registrations = registrations

    @api.hookimpl
    def predreg_register_resolvers(self, register: api.Register) -> None:
        for args, keywords in self.registrations:
            register(*args, **keywords)  # type: ignore[arg-type]


def _says_yes(
    question: api.Question, settings: object, session: api.Session, now: dt.datetime, resolve: object
) -> api.Verdict:
    """Says yes to anything."""
    return api.resolved("yes", "it said so")


def _catalogue(**extra: object) -> plugins.Catalogue:
    manager = plugins.make_manager(entry_points=False)
    for name, plugin in extra.items():
        manager.register(plugin, name=name)
    return plugins.catalogue_of(manager)


def test_two_plugins_may_not_claim_one_resolver_name() -> None:
    impostor = _Plugin((("http", _says_yes), {"version": "9.9"}))
    with pytest.raises(plugins.PluginError) as raised:
        _catalogue(impostor=impostor)
    assert str(raised.value) == (
        "two plugins provide the resolver `http`: predreg.resolvers.web and impostor; uninstall one of them"
    )


def test_a_duplicate_name_through_the_process_manager_is_the_same_error() -> None:
    manager = plugins.make_manager(entry_points=False)
    manager.register(_Plugin((("http", _says_yes), {"version": "9.9"})), name="impostor")
    with plugins.using(manager), pytest.raises(plugins.PluginError, match="two plugins provide the resolver `http`"):
        plugins.catalogue()


def test_one_plugin_registering_a_name_twice_is_told_so() -> None:
    twice = _Plugin((("echo", _says_yes), {"version": "1"}), (("echo", _says_yes), {"version": "2"}))
    with pytest.raises(plugins.PluginError, match="plugin `twice` registers the resolver `echo` twice"):
        _catalogue(twice=twice)


def test_settings_that_are_not_an_attrs_class_are_refused_naming_the_plugin() -> None:
    careless = _Plugin((("echo", _says_yes), {"version": "1", "settings": dict}))
    with pytest.raises(plugins.PluginError, match="plugin `careless` registers the resolver 'echo' with settings that"):
        _catalogue(careless=careless)


def test_a_registration_without_a_version_is_refused() -> None:
    with pytest.raises(plugins.PluginError, match="'echo' with no version"):
        _catalogue(careless=_Plugin((("echo", _says_yes), {"version": ""})))


def test_a_registration_that_leaves_the_version_out_is_told_to_give_one() -> None:
    # not Python's "missing 1 required keyword-only argument", which names predreg's inner function
    with pytest.raises(plugins.PluginError, match=r"'echo' with no version \(give `version=`"):
        _catalogue(careless=_Plugin((("echo", _says_yes), {})))


def test_a_hook_that_raises_while_registering_names_its_plugin() -> None:
    broken = _Plugin((("echo",), {"version": "1"}))  # no function: register itself raises TypeError
    with pytest.raises(plugins.PluginError) as raised:
        _catalogue(broken=broken)
    assert str(raised.value).startswith("the predreg plugin `broken` cannot register its resolvers: TypeError:")


class _OldStyle:
    """A plugin written against the two hooks predreg had before."""

    @api.hookimpl
    def predreg_resolvers(self) -> list[object]:
        return []


def test_a_plugin_implementing_the_old_hooks_is_told_to_register_instead() -> None:
    with pytest.raises(plugins.PluginError) as raised:
        _catalogue(old=_OldStyle())
    assert str(raised.value) == (
        "the predreg plugin `old` implements `predreg_resolvers`, a hook predreg does not have; "
        "register its resolvers with `predreg_register_resolvers(register)` (see docs/plugins.md)"
    )


def test_the_catalogue_holds_what_was_registered_with_its_owner() -> None:
    catalogue = _catalogue(mine=_Plugin((("echo", _says_yes), {"version": "2.1"})))
    echo = catalogue["echo"]
    assert (echo.name, echo.version, echo.plugin, echo.function) == ("echo", "2.1", "mine", _says_yes)
    assert catalogue["http"].plugin == "predreg.resolvers.web"


def test_doc_is_the_functions_docstring_unless_given() -> None:
    catalogue = _catalogue(
        mine=_Plugin((("echo", _says_yes), {"version": "1"}), (("quiet", _says_yes), {"version": "1", "doc": "Quiet."}))
    )
    assert (catalogue["echo"].doc, catalogue["quiet"].doc) == ("Says yes to anything.", "Quiet.")


def test_a_resolver_registered_without_settings_takes_none() -> None:
    settings = _catalogue(mine=_Plugin((("echo", _says_yes), {"version": "1"})))["echo"].settings
    assert settings is api.NoSettings and attrs.fields(settings) == ()


@attrs.frozen
class _Seen:
    word: str = api.spec(api.Text("hello"), "A word to say back.")


def test_resolving_calls_the_registered_function_with_the_question_its_settings_and_the_runs_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[str, object, dt.datetime]] = []

    def echo(
        question: api.Question, settings: _Seen, session: api.Session, now: dt.datetime, resolve: object
    ) -> api.Verdict:
        calls.append((question.id, settings, now))
        return api.resolved("yes", f"said {settings.word}")

    manager = plugins.make_manager(entry_points=False)
    manager.register(_Plugin((("echo", echo), {"settings": _Seen, "version": "3.0"})), name="mine")
    root = write_registry(tmp_path / "registry", {"says": {"name": "echo", "word": "hi"}})
    with plugins.using(manager):
        assert main(["resolve", str(root), "--now", "2026-11-23T12:00:00Z"]) == 0, capsys.readouterr().err
    assert calls == [("says", _Seen("hi"), dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC))]
    record = (root / "resolutions" / "says.yaml").read_text()
    assert 'resolver_version: "3.0"' in record and "said hi" in record


def test_builtins_are_plugins_like_any_other() -> None:
    manager = plugins.make_manager(entry_points=False)
    names = {manager.get_name(p) for p in manager.get_plugins()}
    assert names == set(plugins.BUILTINS)
    with plugins.using(manager):
        assert {"manual", "http", "json", "csv", "github", "arxiv", "metaculus", "manifold"} <= set(plugins.catalogue())
