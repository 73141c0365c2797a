"""Sharded runs (N = 1, 3, 7) give exactly what an unsharded run gives: check, score and resolve."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from benchmarks.synthetic import make_registry
from predreg.cli import main
from predreg.shard import shard_of

from .conftest import DATA
from .evidence_server import EvidenceServer, body
from .resolving import NOW

TODAY = "2026-11-23"
LATER = "2027-06-01"


def _synthetic(root: Path, server: EvidenceServer | None = None, invalid: bool = True) -> Path:
    """300 synthetic predictions by 20 authors, some resolved; optionally bad files and web-resolved questions."""
    make_registry(root, 300, authors=20)
    rng = random.Random(3)
    (root / "resolutions").mkdir()
    for path in sorted((root / "predictions").rglob("*.yaml"))[::4]:
        text = path.read_text()
        kind = text.split("kind: ")[1].split("\n")[0]
        outcome = {"binary": rng.choice(["yes", "no"]), "categorical": "low", "ordering": "neither"}.get(kind, "2.5")
        if rng.random() < 0.1:
            outcome = "annulled"
        (root / "resolutions" / path.name).write_text(
            f"question: {path.stem}\noutcome: {outcome}\nresolved_at: 2026-11-23\nresolver: manual\n"
        )
    if invalid:
        for name in ("probability-yes", "given-unknown", "resolver-unknown", "mismatched-id", "duplicate-key"):
            shutil.copy(DATA / "invalid" / f"{name}.yaml", root / "predictions" / "author-0003")
        (root / "questions").mkdir(exist_ok=True)
        (root / "questions" / "stray.yml").write_text("id: stray\n")
    if server is not None:
        (root / "questions").mkdir(exist_ok=True)
        for k in range(12):
            server.routes[f"/page/{k}"] = body("<p>done</p>" if k % 3 else "<p>not yet</p>")
            (root / "questions" / f"web-{k:02d}.yaml").write_text(
                f"id: web-{k:02d}\nclaim: Page {k} says done.\ncriteria: YES if it says done.\n"
                f"resolve_by: 2027-06-30\nkind: binary\n"
                f'resolver: {{name: http, url: "{server.url(f"/page/{k}")}", contains: done}}\n'
            )
    return root


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    main(list(args))
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("count", [1, 3, 7])
def test_sharded_check_and_score_equal_the_unsharded_ones(
    count: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = str(_synthetic(tmp_path / "registry"))
    whole = _json(capsys, "check", root, "--format", "json", "--today", TODAY)
    assert len(whole) >= 6  # type: ignore[arg-type]  # the bad files are all reported
    union: list[object] = []
    outputs = []
    for index in range(1, count + 1):
        output = str(tmp_path / f"shard-{index}.jsonl")
        union += _json(
            capsys, "check", root, "--shard", f"{index}/{count}", "--format", "json", "--today", TODAY, "-o", output
        )  # type: ignore[operator]
        outputs.append(output)
    key = lambda p: json.dumps(p, sort_keys=True)  # noqa: E731
    assert sorted(union, key=key) == sorted(whole, key=key)  # type: ignore[arg-type]
    unsharded = _json(capsys, "score", root, "--format", "json", "--today", LATER, "--min-n", "1")
    merged = _json(capsys, "score", root, "--merge", *outputs, "--format", "json", "--today", LATER, "--min-n", "1")
    for export in (unsharded, merged):
        export.pop("generated_at")  # type: ignore[attr-defined]
    assert merged == unsharded
    assert len(unsharded["questions"]) > 50  # type: ignore[index]


def test_a_merge_with_a_shard_missing_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(_synthetic(tmp_path / "registry", invalid=False))
    main(["check", root, "--shard", "1/3", "-o", str(tmp_path / "one.jsonl"), "--today", TODAY])
    main(["check", root, "--shard", "3/3", "-o", str(tmp_path / "three.jsonl"), "--today", TODAY])
    capsys.readouterr()
    assert main(["score", root, "--merge", str(tmp_path / "one.jsonl"), str(tmp_path / "three.jsonl")]) == 2
    assert "shards missing: 2/3" in capsys.readouterr().err


@pytest.mark.parametrize("count", [1, 3, 7])
def test_sharded_resolve_writes_what_the_unsharded_run_writes(
    count: int, tmp_path: Path, server: EvidenceServer
) -> None:
    whole = _synthetic(tmp_path / "whole" / "registry", server, invalid=False)
    split = tmp_path / "split" / "registry"
    shutil.copytree(whole, split)
    common = ["--now", NOW.isoformat(), "--allow-loopback", server.origin]
    assert main(["resolve", str(whole), *common]) == 0
    per_shard = []
    for index in range(1, count + 1):
        before = {p.stem for p in (split / "resolutions").glob("web-*.yaml")}
        assert main(["resolve", str(split), "--shard", f"{index}/{count}", *common]) == 0
        added = {p.stem for p in (split / "resolutions").glob("web-*.yaml")} - before
        per_shard.append(len(added))
        for name in added:  # a shard resolves only questions whose files it owns
            assert shard_of(f"questions/{name}.yaml", count) == index
    assert sum(per_shard) == 8 and (count == 1 or max(per_shard) < 8)

    def files(root: Path) -> dict[str, bytes]:
        return {
            str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*"))
            if p.is_file() and ".predreg" not in p.parts
        }

    written = files(whole)
    assert sum(name.startswith("resolutions/web-") for name in written) == 8  # pages 1, 2, 4, 5, 7, 8, 10, 11
    assert files(split) == written


def test_pytest_shards_partition_the_items(pytester: pytest.Pytester) -> None:
    _synthetic(pytester.path / "registry", invalid=False)
    every = {line for line in pytester.runpytest("registry", "--collect-only", "-q").outlines if "::" in line}
    parts = [
        {
            line
            for line in pytester.runpytest("registry", "--collect-only", "-q", f"--predreg-shard={i}/3").outlines
            if "::" in line
        }
        for i in (1, 2, 3)
    ]
    assert set().union(*parts) == every and sum(map(len, parts)) == len(every)
    sample = next(iter(parts[1]))
    assert shard_of(sample.split("::")[0].removeprefix("registry/"), 3) == 2


pytest_plugins = ["pytester"]
