"""The pytest plugin, run through pytester on real registries."""

from __future__ import annotations

import functools
import shutil

import pytest

from .conftest import DATA, EXAMPLE_REGISTRY, TODAY
from .evidence_server import EvidenceServer
from .test_check import NOT_REGULAR, plant

pytest_plugins = ["pytester"]


@pytest.fixture
def example(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(EXAMPLE_REGISTRY, pytester.path / "registry")
    return pytester


def files_in(registry: str) -> int:
    return sum(1 for _ in (EXAMPLE_REGISTRY.parent / registry).rglob("*.yaml"))


def test_every_registry_file_is_an_item_named_path_and_id(example: pytest.Pytester) -> None:
    result = example.runpytest("registry", "--collect-only", "-q", f"--predreg-today={TODAY}")
    ids = [line for line in result.outlines if "::" in line]
    assert len(ids) == files_in("registry")
    assert "registry/predictions/forecaster-a/mythos-level-scheming.yaml::mythos-level-scheming" in ids
    assert "registry/authors.yaml::authors" in ids
    assert "registry/questions/empirical-scheming-report.yaml::empirical-scheming-report" in ids


def test_the_example_registry_passes(example: pytest.Pytester) -> None:
    result = example.runpytest("registry", f"--predreg-today={TODAY}")
    result.assert_outcomes(passed=files_in("registry"))


def test_a_copied_in_invalid_fixture_fails_with_the_clis_message(example: pytest.Pytester) -> None:
    fixture = DATA / "invalid" / "probability-yes.yaml"
    shutil.copy(fixture, example.path / "registry" / "predictions" / "forecaster-a")
    result = example.runpytest("registry", f"--predreg-today={TODAY}")
    result.assert_outcomes(passed=files_in("registry"), failed=1)
    expected = fixture.with_suffix(".expected").read_text(encoding="utf-8").strip()
    result.stdout.fnmatch_lines([expected])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*def runtest*")


def test_a_file_that_does_not_parse_is_a_failing_item_not_a_collection_error(example: pytest.Pytester) -> None:
    shutil.copy(DATA / "invalid" / "alias-bomb.yaml", example.path / "registry" / "predictions" / "forecaster-a")
    result = example.runpytest("registry", f"--predreg-today={TODAY}")
    result.assert_outcomes(passed=files_in("registry"), failed=1, errors=0)
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_problems_of_files_that_are_not_items_still_fail_the_run(example: pytest.Pytester) -> None:
    (example.path / "registry" / "predictions" / "forecaster-a" / "stray.yml").write_text("id: stray\n")
    result = example.runpytest("registry", f"--predreg-today={TODAY}")
    result.assert_outcomes(passed=files_in("registry") - 1, failed=1)
    result.stdout.fnmatch_lines(["*stray.yml:1:1: file: is not read*rename it to stray.yaml"])


def test_it_works_under_xdist(example: pytest.Pytester) -> None:
    shutil.copy(
        DATA / "invalid" / "probability-quoted.yaml", example.path / "registry" / "predictions" / "forecaster-a"
    )
    result = example.runpytest_subprocess("registry", "-n", "2", "-p", "xdist", f"--predreg-today={TODAY}")
    result.assert_outcomes(passed=files_in("registry"), failed=1)
    result.stdout.fnmatch_lines(['*probability-quoted.yaml:9:14: probability: is the quoted string "0.7"*'])


def test_it_can_be_switched_off(example: pytest.Pytester) -> None:
    result = example.runpytest("registry", "-p", "no:predreg")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_yaml_outside_a_registry_is_left_alone(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", **{"questions/config": "a: 1\n", "authors": "x: 1\n"})
    result = pytester.runpytest("--collect-only")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


@pytest.mark.parametrize("workers", [[], ["-n", "2", "-p", "xdist"]], ids=["serial", "xdist"])
def test_the_leaderboard_is_printed_once_at_the_end(example: pytest.Pytester, workers: list[str]) -> None:
    result = example.runpytest_subprocess("registry", *workers, f"--predreg-today={TODAY}")
    assert result.ret == 0
    text = result.stdout.str()
    assert text.count("predreg leaderboard: registry") == 1
    result.stdout.fnmatch_lines(["*forecaster-b  1  0.062*-0.500*"])


def _evidenced(pytester: pytest.Pytester, server: EvidenceServer) -> None:
    from .resolving import serve_recorded, write_registry

    serve_recorded(server)
    s = f"http://{server.origin}"
    questions = {
        "card-sandbagging": {"name": "http", "url": f"{s}/card", "contains": "sandbagging evaluations"},
        "card-reward-hacking": {
            "name": "http",
            "url": f"{s}/card",
            "contains": "reward hacking",
            "resolve_by": "2099-06-30",
        },
        "metaculus-annulled": {"name": "metaculus", "id": 16180, "api": s},
        "issue-closed": {
            "name": "github",
            "repo": "example-lab/monitoring",
            "event": "closed",
            "number": 77,
            "api": s,
            "resolve_by": "2026-11-01",
        },
        "manual-overdue": {"name": "manual", "resolve_by": "2026-10-01"},
        "broken-link": {"name": "http", "url": f"{s}/missing", "contains": "x"},
    }
    root = write_registry(pytester.path / "registry", questions)
    (root / "predictions").mkdir()


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_predreg_resolve_reports_statuses_and_writes_each_record_once(
    pytester: pytest.Pytester, server: EvidenceServer, workers: list[str]
) -> None:
    _evidenced(pytester, server)
    result = pytester.runpytest_subprocess(
        "registry",
        "--predreg-resolve",
        "--predreg-allow-loopback",
        server.origin,
        "-v",
        "-p",
        "no:cacheprovider",
        *workers,
    )
    out = result.stdout.str()
    for node, word in [
        ("card-sandbagging", "RESOLVED-YES"),
        ("card-reward-hacking", "PENDING"),
        ("metaculus-annulled", "RESOLVED-ANNULLED"),
        ("issue-closed", "RESOLVED-NO"),
        ("manual-overdue", "OVERDUE"),
    ]:
        assert any(node in line and word in line for line in result.outlines), (node, word, out)
    assert "broken-link" in out and "HTTP 404" in out
    assert result.ret == 1  # the broken link is an error, as `predreg resolve` exits 1
    written = sorted(p.name for p in (pytester.path / "registry" / "resolutions").iterdir())
    assert written == ["card-sandbagging.yaml", "issue-closed.yaml", "metaculus-annulled.yaml"]
    assert 1 <= server.hits["/card"] <= (2 if workers else 1)  # at most once per process
    again = pytester.runpytest_subprocess("registry", "--predreg-resolve", "-v", "-p", "no:cacheprovider")
    assert any("card-sandbagging" in line and "RESOLVED-YES" in line for line in again.outlines)


@pytest.fixture
def minimal(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(DATA / "minimal", pytester.path / "registry")
    return pytester


@pytest.mark.parametrize("attack", NOT_REGULAR)
def test_a_record_that_is_not_a_regular_file_fails_the_run_unread(minimal: pytest.Pytester, attack: str) -> None:
    """Attack: a link (to a secret, an endless device, nothing, another record), a FIFO, a socket, a folder."""
    expected = plant(minimal.path / "registry", attack)
    arguments = ("registry", f"--predreg-today={TODAY}", "-p", "no:cacheprovider")
    # a FIFO in a process of its own: a hang then fails this test instead of stopping the suite
    run = functools.partial(minimal.runpytest_subprocess, timeout=60) if attack == "fifo" else minimal.runpytest
    result = run(*arguments)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*{expected}"])
    assert "root:" not in result.stdout.str()
    result.stdout.no_fnmatch_line("*Traceback*")


def test_records_behind_a_linked_folder_are_not_items(minimal: pytest.Pytester) -> None:
    """Attack: `predictions/forecaster-b -> /somewhere`: its files would be items that pass, read from outside."""
    outside = minimal.path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    (minimal.path / "registry" / "predictions" / "forecaster-b").symlink_to(outside)
    result = minimal.runpytest("registry", f"--predreg-today={TODAY}", "-p", "no:cacheprovider", "-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*registry/predictions/forecaster-b:1:1: folder: is a symbolic link*"])
    result.stdout.no_fnmatch_line("*secret*")


def test_a_shard_fails_on_a_record_that_is_not_a_regular_file(minimal: pytest.Pytester) -> None:
    """Attack: a dangling link named like a record was skipped by a shard's check, and the run passed."""
    expected = plant(minimal.path / "registry", "dangling-link")
    result = minimal.runpytest("registry", f"--predreg-today={TODAY}", "--predreg-shard=1/1", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*{expected}"])
