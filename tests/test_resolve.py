"""`predreg resolve`: records with evidence, never overwritten, atomic, locked, auditable offline."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from predreg import check_registry
from predreg import files as files_module
from predreg.cli import main
from predreg.fetch import Limits
from predreg.files import create_atomic, create_many, locked
from predreg.resolve import resolve_registry

from .evidence_server import EvidenceServer, body, gzip_bomb, redirect, short_body, stall
from .resolving import NOW, serve_recorded, session, write_registry

NOW_ARG = "2026-11-23T12:00:00Z"


def _questions(origin: str) -> dict[str, dict[str, object]]:
    s = f"http://{origin}"
    return {
        "card-sandbagging": {"name": "http", "url": f"{s}/card", "contains": "sandbagging evaluations"},
        "card-reward-hacking": {
            "name": "http",
            "url": f"{s}/card",
            "contains": "reward hacking",
            "resolve_by": "2027-06-30",
        },
        "pr-merged": {"name": "github", "repo": "example-lab/monitoring", "event": "merged", "number": 412, "api": s},
        "metaculus-scheming": {"name": "metaculus", "id": 31415, "api": s},
        "manual-overdue": {"name": "manual", "resolve_by": "2026-10-01"},
    }


@pytest.fixture
def evidenced(server: EvidenceServer, tmp_path: Path) -> Path:
    serve_recorded(server)
    return write_registry(tmp_path / "registry", _questions(server.origin))


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".predreg" not in p.parts
    }


def test_resolve_writes_records_with_their_evidence(evidenced: Path, server: EvidenceServer) -> None:
    run = resolve_registry(evidenced, session=session(server), now=NOW)
    statuses = {r.question: r.status for r in run.results}
    assert statuses == {
        "card-reward-hacking": "pending",
        "card-sandbagging": "resolved",
        "manual-overdue": "overdue",
        "metaculus-scheming": "resolved",
        "pr-merged": "resolved",
    }
    registry = check_registry(str(evidenced), today=NOW.date())
    assert registry.problems == []
    merged = registry.resolution("pr-merged")
    assert merged is not None and merged.outcome == "yes" and merged.resolver == "github"
    assert merged.resolved_at.isoformat() == "2026-03-09T16:20:04+00:00"  # GitHub's merged_at, not the run's time
    [snapshot] = merged.evidence
    assert snapshot.status == 200 and snapshot.fetched_at == NOW and "merged_at=2026-03-09" in (snapshot.excerpt or "")
    stored = (evidenced / "evidence" / (snapshot.sha256 or "")).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == snapshot.sha256
    assert run.overdue_manual()[0].question == "manual-overdue"


def test_a_rerun_changes_nothing_and_fetches_only_what_is_still_open(evidenced: Path, server: EvidenceServer) -> None:
    resolve_registry(evidenced, session=session(server), now=NOW)
    before = _files(evidenced)
    hits = server.total
    again = resolve_registry(evidenced, session=session(server), now=NOW)
    assert {r.status for r in again.results} == {"pending", "overdue"}
    assert _files(evidenced) == before
    assert server.total == hits + 1  # only the open question's page, fetched afresh


def test_the_same_evidence_gives_byte_identical_files(server: EvidenceServer, tmp_path: Path) -> None:
    serve_recorded(server)
    first = write_registry(tmp_path / "one" / "registry", _questions(server.origin))
    second = write_registry(tmp_path / "two" / "registry", _questions(server.origin))
    resolve_registry(first, session=session(server), now=NOW)
    resolve_registry(second, session=session(server), now=NOW)
    assert _files(first) == _files(second)
    assert any(name.startswith("resolutions/") for name in _files(first))


def test_resolving_from_a_warm_index_writes_the_same_files(server: EvidenceServer, tmp_path: Path) -> None:
    serve_recorded(server)
    parsed = write_registry(tmp_path / "one" / "registry", _questions(server.origin))
    indexed = write_registry(tmp_path / "two" / "registry", _questions(server.origin))
    warm = check_registry(str(indexed), today=NOW.date(), index=True)
    assert warm.problems == []
    again = check_registry(str(indexed), today=NOW.date(), index=True)  # records thawed from the index
    assert all(q.resolver.source is not None for q in again.questions.values())  # thawed, with where it was written
    resolve_registry(parsed, session=session(server), now=NOW)
    run = resolve_registry(indexed, session=session(server), now=NOW, index=True)
    assert run.count("resolved") == 3
    assert _files(parsed) == _files(indexed)


def test_dry_run_writes_nothing(evidenced: Path, server: EvidenceServer, capsys: pytest.CaptureFixture[str]) -> None:
    before = _files(evidenced)
    code = main(["resolve", str(evidenced), "--dry-run", "--now", NOW_ARG, "--allow-loopback", server.origin])
    out = capsys.readouterr().out
    assert code == 0
    assert "would resolve 3, pending 1, overdue 1, errored 0 (left unresolved) (dry run: nothing written)" in out
    assert _files(evidenced) == before


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (stall(3), "broken off"),
        (body(b"x" * 300_000), "cap"),
        (gzip_bomb(20_000_000), "cap"),
        (short_body(), "broken off"),
        (body("slow down", 429, Retry_After="0"), "HTTP 429"),
        (body("down", 500), "HTTP 500"),
        (body("gone", 404), "HTTP 404"),
        (redirect("http://127.0.0.1:9/"), "loopback"),
        (redirect("http://169.254.169.254/latest/meta-data/"), "link-local"),
        (redirect("http://[::ffff:127.0.0.1]:9/"), "loopback"),
    ],
    ids=[
        "stall",
        "over-cap",
        "gzip-bomb",
        "wrong-length",
        "429s",
        "500s",
        "404",
        "to-loopback",
        "to-metadata",
        "to-mapped",
    ],
)
def test_a_failed_fetch_never_resolves(server: EvidenceServer, tmp_path: Path, route: object, reason: str) -> None:
    server.routes["/bad"] = route  # type: ignore[assignment]
    # expect: absent would turn an empty or missing body into "yes" if failures were read as pages
    root = write_registry(
        tmp_path / "registry",
        {
            "q": {
                "name": "http",
                "url": server.url("/bad"),
                "contains": "x",
                "expect": "absent",
                "resolve_by": "2026-01-01",
            }
        },
    )
    [result] = resolve_registry(root, session=session(server), now=NOW).results
    assert result.status == "error" and reason in result.verdict.reason
    assert not (root / "resolutions").exists()


def test_cli_exit_codes_and_json_summary(
    evidenced: Path, server: EvidenceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["resolve", str(evidenced), "--now", NOW_ARG, "--allow-loopback", server.origin, "--format", "json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["overdue_manual"] == ["manual-overdue"]
    server.routes["/card"] = body("gone", 404)
    assert main(args) == 1  # the open question's page now errors
    capsys.readouterr()
    last = json.loads((evidenced / ".predreg" / "last-run.json").read_text())
    [errored] = [r for r in last["results"] if r["status"] == "error"]
    assert errored["question"] == "card-reward-hacking" and "HTTP 404" in errored["reason"]
    assert not (evidenced / "resolutions" / "card-reward-hacking.yaml").exists()
    assert main(["resolve", str(evidenced), "--allow-loopback", "10.0.0.1:80"]) == 2


def test_offline_audit_reproduces_and_catches_tampering(
    evidenced: Path, server: EvidenceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    resolve_registry(evidenced, session=session(server), now=NOW)
    assert main(["resolve", str(evidenced), "--offline"]) == 0
    assert "reproduced 3 (re-resolved), verified 0 (manual: bodies and excerpts), mismatched 0, of 3" in (
        capsys.readouterr().out
    )
    record = check_registry(str(evidenced), today=NOW.date()).resolution("card-sandbagging")
    assert record is not None
    body_file = evidenced / "evidence" / (record.evidence[0].sha256 or "")
    body_file.write_bytes(body_file.read_bytes().replace(b"sandbagging", b"something"))
    assert main(["resolve", str(evidenced), "--offline"]) == 1
    assert "does not match its hash" in capsys.readouterr().out


def test_a_thousand_predictions_on_fifty_urls_make_fifty_requests(server: EvidenceServer, tmp_path: Path) -> None:
    for k in range(50):
        server.routes[f"/page/{k}"] = body(f"<p>result {k}: passed</p>")
    root = write_registry(tmp_path / "registry", {})
    folder = root / "predictions" / "forecaster-a"
    folder.mkdir(parents=True)
    for i in range(1000):  # each prediction states its own question, resolved by the page it links
        resolver = {"name": "http", "url": server.url(f"/page/{i % 50}"), "contains": "passed"}
        (folder / f"p{i:04d}.yaml").write_text(
            f"id: p{i:04d}\nauthor: forecaster-a\nregistered: 2026-11-20\nclaim: Result {i} passes.\n"
            f"criteria: YES if the results page says passed.\nresolve_by: 2027-01-31\n"
            f"resolver: {json.dumps(resolver)}\nkind: binary\nprobability: 0.8\n"
        )
    # timeouts are not under test here: a loaded CI machine must not turn a slow answer into an error
    patient = Limits(connect_timeout=10, read_timeout=10, deadline=30, max_bytes=256 * 1024, retries=0)
    run = resolve_registry(root, session=session(server, patient), now=NOW)
    assert run.count("resolved") == 1000, {r.verdict.reason for r in run.results if r.status != "resolved"}
    assert server.total == 50
    assert check_registry(str(root), today=NOW.date()).problems == []


def test_a_second_run_waits_for_the_lock(
    evidenced: Path, server: EvidenceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with locked(evidenced / ".predreg" / "resolve.lock"):
        code = main(["resolve", str(evidenced), "--allow-loopback", server.origin])
    assert code == 3 and "held by another run" in capsys.readouterr().err
    assert not (evidenced / "resolutions").exists()


def test_create_atomic_never_replaces(tmp_path: Path) -> None:
    target = tmp_path / "record.yaml"
    assert create_atomic(target, "first\n")
    assert not create_atomic(target, "second\n")
    assert target.read_text() == "first\n"
    assert [p.name for p in tmp_path.iterdir()] == ["record.yaml"]  # no temporary file left behind


def test_create_many_links_after_one_sync_in_the_order_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    taken = tmp_path / "records" / "taken.yaml"
    taken.parent.mkdir()
    taken.write_text("already here\n")
    files = [(tmp_path / "evidence" / "abc", b"body"), (taken, "new\n"), (tmp_path / "records" / "q.yaml", "q\n")]
    events: list[str] = []
    real_sync, real_link = files_module._sync, os.link

    def sync(paths: list[str]) -> None:
        events.append(f"sync {len(paths)}")
        real_sync(paths)

    def link(source: str, target: Path) -> None:
        events.append(f"link {Path(target).name}")
        real_link(source, target)

    monkeypatch.setattr(files_module, "_sync", sync)
    monkeypatch.setattr(os, "link", link)
    assert create_many(files) == [True, False, True]
    assert events == ["sync 3", "link abc", "link taken.yaml", "link q.yaml"]
    assert taken.read_text() == "already here\n"  # never replaced
    assert (tmp_path / "evidence" / "abc").read_bytes() == b"body"
    assert (tmp_path / "records" / "q.yaml").read_text() == "q\n"
    assert sorted(p.name for p in tmp_path.rglob(".*")) == []  # no temporary file left behind
    assert oct((tmp_path / "records" / "q.yaml").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _command(root: Path, origin: str) -> list[str]:
    return [
        *(sys.executable, "-m", "predreg.cli", "resolve", str(root)),
        *("--now", NOW_ARG, "--allow-loopback", origin, "--deadline", "2"),
    ]


def _run_cli(root: Path, origin: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(_command(root, origin), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _assert_whole(root: Path) -> None:
    """Every record present loads and every evidence body matches its name."""
    registry = check_registry(str(root), today=NOW.date())
    assert registry.problems == []
    for stored in (root / "evidence").glob("*") if (root / "evidence").exists() else []:
        if not stored.name.startswith("."):
            assert hashlib.sha256(stored.read_bytes()).hexdigest() == stored.name


def test_a_run_killed_midway_leaves_whole_files_and_the_next_run_finishes(
    server: EvidenceServer, tmp_path: Path
) -> None:
    big = b"<p>passed</p>" + b"<!-- padding -->" * 12_000  # ~190 KB per body: writing takes a moment
    for k in range(40):
        server.routes[f"/page/{k}"] = body(big + str(k).encode())
    questions = {
        f"q{i:03d}": {"name": "http", "url": server.url(f"/page/{i}"), "contains": "passed"} for i in range(40)
    }
    reference = write_registry(tmp_path / "reference" / "registry", questions)
    subprocess.run(_command(reference, server.origin), check=True, capture_output=True)
    root = write_registry(tmp_path / "killed" / "registry", questions)
    for delay in (0.35, 0.5, 0.65, 0.8):
        process = _run_cli(root, server.origin)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        _assert_whole(root)
    finished = _run_cli(root, server.origin)
    assert finished.wait(timeout=60) == 0, finished.stderr.read() if finished.stderr else ""
    assert _files(root) == _files(reference)


def test_two_concurrent_runs_do_not_both_write(server: EvidenceServer, tmp_path: Path) -> None:
    server.routes["/slow"] = stall(1.0)
    server.routes["/page"] = body("<p>passed</p>")
    root = write_registry(
        tmp_path / "registry",
        {
            "a-slow": {"name": "http", "url": server.url("/slow"), "contains": "x"},
            "b-page": {"name": "http", "url": server.url("/page"), "contains": "passed"},
        },
    )
    first = _run_cli(root, server.origin)
    time.sleep(0.3)  # the first holds the lock while it waits on the slow page
    second = _run_cli(root, server.origin)
    codes = sorted([first.wait(timeout=30), second.wait(timeout=30)])
    assert codes == [1, 3]  # the first: one fetch errored; the second: busy, wrote nothing
    assert sorted(p.name for p in (root / "resolutions").iterdir()) == ["b-page.yaml"]
    assert os.listdir(root / "resolutions") == ["b-page.yaml"]


def test_offline_audit_verifies_the_example_registrys_manual_resolutions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from .conftest import EXAMPLE_REGISTRY

    root = tmp_path / "registry"
    shutil.copytree(EXAMPLE_REGISTRY, root)
    assert main(["resolve", str(root), "--offline"]) == 0
    assert "verified 3 (manual: bodies and excerpts), mismatched 0, of 3" in capsys.readouterr().out
    record = root / "resolutions" / "blackmail-rate-with-prompt-fixes.yaml"
    record.write_text(record.read_text().replace("to a few percent", "to zero percent"))
    assert main(["resolve", str(root), "--offline"]) == 1
    assert "is not in the stored evidence" in capsys.readouterr().out


def test_excerpts_are_found_in_order_with_gaps_and_spacing_aside() -> None:
    from predreg.resolve import quoted_in

    text = "I expected companies not to deploy\n obviously reward hacky models. Later: This was wrong."
    assert quoted_in('"I expected companies not to deploy obviously reward hacky ... This was wrong."', text)
    assert not quoted_in("This was wrong ... I expected companies", text)  # parts out of order
    assert not quoted_in("companies to deploy", text)


def test_offline_audit_fails_an_automatic_record_without_evidence(
    evidenced: Path, server: EvidenceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Attack: a hand-written `resolved_by: predreg-resolve` with no evidence, which the audit used to skip."""
    resolve_registry(evidenced, session=session(server), now=NOW)
    (evidenced / "resolutions" / "card-reward-hacking.yaml").write_text(
        "question: card-reward-hacking\noutcome: yes\nresolved_at: 2026-11-23\nresolver: http\n"
        "resolved_by: predreg-resolve\n"
    )
    assert main(["resolve", str(evidenced), "--offline"]) == 1
    out = capsys.readouterr().out
    assert "card-reward-hacking: mismatch" in out and "predreg-resolve wrote it with no stored evidence" in out
    assert "mismatched 1, of 4" in out


def test_offline_audit_re_resolves_an_automatic_record_that_names_the_manual_resolver(
    evidenced: Path, server: EvidenceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """Attack: `resolved_by: predreg-resolve` with `resolver: manual` and any page: it was verified, never re-run."""
    resolve_registry(evidenced, session=session(server), now=NOW)
    record = check_registry(str(evidenced), today=NOW.date()).resolution("card-sandbagging")
    assert record is not None and record.evidence[0].sha256
    (evidenced / "resolutions" / "manual-overdue.yaml").write_text(
        "question: manual-overdue\noutcome: yes\nresolved_at: 2026-11-23\nresolver: manual\n"
        "resolved_by: predreg-resolve\n"
        f"evidence:\n  - url: {record.evidence[0].url}\n    sha256: {record.evidence[0].sha256}\n"
    )
    assert main(["resolve", str(evidenced), "--offline"]) == 1
    assert "names resolver manual" in capsys.readouterr().out


def test_a_resolve_by_at_the_end_of_the_calendar_is_simply_not_due(server: EvidenceServer, tmp_path: Path) -> None:
    server.routes["/page"] = body("<p>passed</p>")
    root = write_registry(
        tmp_path / "registry",
        {
            "far-open": {"name": "http", "url": server.url("/page"), "contains": "failed", "resolve_by": "9999-12-31"},
            "far-done": {"name": "http", "url": server.url("/page"), "contains": "passed", "resolve_by": "9999-12-31"},
        },
    )
    run = resolve_registry(root, session=session(server), now=NOW)
    assert {r.question: r.status for r in run.results} == {"far-done": "resolved", "far-open": "pending"}
    record = check_registry(str(root), today=NOW.date()).resolution("far-done")
    assert record is not None and record.outcome == "yes" and record.resolved_at == NOW


CODE_POINTS = {
    "c0": "\x01\x08\x0e\x1b",
    "c0-whitespace": "\t\x0b\x0c\x1c\x1f",
    "c1": "\x80\x9f",
    "double-encoded-apostrophe": "\u00e2\u0080\u0099",
    "del": "\x7f",
    "nel": "\x85",
    "line-separator": "\u2028",
    "paragraph-separator": "\u2029",
    "bom": "\ufeff",
    "nonchars": "\ufffe\uffff\U0001fffe",
    "private-use": "\ue000\U000f0000",
    "unassigned": "\u0378\U0002fffd",
    "astral": "\U0001f600\U00010348",
    "combining": "e\u0301\u20dd",
    "nul": "\x00",
    "quote-and-backslash": '"\\',
}


@pytest.mark.parametrize("characters", CODE_POINTS.values(), ids=CODE_POINTS.keys())
def test_an_excerpt_of_any_code_point_reads_back_and_is_quoted_in_its_page(characters: str) -> None:
    import datetime as dt

    from predreg.load import load_text
    from predreg.model import Resolution, Snapshot
    from predreg.resolve import dump_resolution, one_line, quoted_in

    text = f"<p>The lab{characters}s card says: passed {characters}</p>"
    excerpt = one_line(text)
    when = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    snapshot = Snapshot(url="https://example.org/card", fetched_at=when, sha256="a" * 64, status=200, excerpt=excerpt)
    record = Resolution(
        question="q", outcome="yes", resolved_at=when, resolver="http", evidence=(snapshot,), note=f"n{characters}n"
    )
    loaded = load_text("resolutions/q.yaml", "resolution", dump_resolution(record))
    assert [str(p) for p in loaded.problems] == []
    assert loaded.record == record
    [read] = loaded.record.evidence
    assert read.excerpt is not None and quoted_in(read.excerpt, text)


def test_a_lone_surrogate_from_a_plugin_becomes_a_replacement_character() -> None:
    from predreg.resolve import one_line

    assert one_line("it\udce2s") == "it\ufffds"


def test_a_mojibake_page_resolves_and_its_record_loads_and_audits(
    server: EvidenceServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["/card"] = body("<p>It\u00e2\u0080\u0099s done: passed</p>".encode())
    root = write_registry(
        tmp_path / "registry", {"q": {"name": "http", "url": server.url("/card"), "contains": "passed"}}
    )
    [result] = resolve_registry(root, session=session(server), now=NOW).results
    assert result.status == "resolved", result.verdict.reason
    assert check_registry(str(root), today=NOW.date()).problems == []
    assert main(["resolve", str(root), "--offline"]) == 0
    assert "reproduced 1" in capsys.readouterr().out


def _with_faulty_plugin() -> Any:
    from predreg import plugins

    from . import faulty_plugin

    manager = plugins.make_manager(entry_points=False)
    manager.register(faulty_plugin, name="faulty")
    return plugins.using(manager)


CONTAINED_FAULTS = ["raise", "recursion", "memory", "timeout", "exit", "unusual", "bad-verdict"]


def test_a_resolver_raising_anything_errs_its_own_question_and_the_others_resolve(
    server: EvidenceServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["/page"] = body("<p>passed</p>")
    questions: dict[str, dict[str, object]] = {
        f"f-{fault}": {"name": "faulty", "fault": fault} for fault in CONTAINED_FAULTS
    }
    questions |= {
        "ok-faulty": {"name": "faulty"},
        "ok-page": {"name": "http", "url": server.url("/page"), "contains": "passed"},
    }
    root = write_registry(tmp_path / "registry", questions)
    with _with_faulty_plugin():
        code = main(["resolve", str(root), "--now", NOW_ARG, "--allow-loopback", server.origin, "--format", "json"])
    assert code == 1, capsys.readouterr().err
    last = {r["question"]: r for r in json.loads((root / ".predreg" / "last-run.json").read_text())["results"]}
    assert sorted(last) == sorted(questions)
    assert {q: r["status"] for q, r in last.items() if q.startswith("ok-")} == {
        "ok-faulty": "resolved",
        "ok-page": "resolved",
    }
    for fault in CONTAINED_FAULTS:
        entry = last[f"f-{fault}"]
        assert entry["status"] == "error" and "\n" not in entry["reason"], entry
    assert "RecursionError" in last["f-recursion"]["reason"] and "SystemExit" in last["f-exit"]["reason"]
    assert "TimeoutError: regex matching ran past its deadline" in last["f-timeout"]["reason"]
    assert sorted(p.name for p in (root / "resolutions").iterdir()) == ["ok-faulty.yaml", "ok-page.yaml"]


def _faulty_site(tmp_path: Path) -> dict[str, str]:
    """An environment in which a real `predreg` finds the faulty plugin, installed as pip would."""
    import shutil

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(Path(__file__).parent / "faulty_plugin.py", site / "predreg_faulty.py")
    info = site / "predreg_faulty-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: predreg-faulty\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[predreg]\nfaulty = predreg_faulty\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def test_a_resolver_that_loops_forever_is_given_up_on_at_the_question_deadline(
    server: EvidenceServer, tmp_path: Path
) -> None:
    server.routes["/page"] = body("<p>passed</p>")
    questions: dict[str, dict[str, object]] = {"a-loops": {"name": "faulty", "fault": "loop"}}
    questions |= {f"b-page-{k}": {"name": "http", "url": server.url("/page"), "contains": "passed"} for k in range(3)}
    root = write_registry(tmp_path / "registry", questions)
    command = [*_command(root, server.origin), "--question-deadline", "1", "--jobs", "1"]
    started = time.monotonic()
    ran = subprocess.run(command, env=_faulty_site(tmp_path), capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 30  # it loops forever; the deadline is 1 s
    assert ran.returncode == 1, ran.stderr
    last = {r["question"]: r for r in json.loads((root / ".predreg" / "last-run.json").read_text())["results"]}
    assert last["a-loops"]["status"] == "error" and "still resolving after 1 s" in last["a-loops"]["reason"]
    assert sorted(p.name for p in (root / "resolutions").iterdir()) == [f"b-page-{k}.yaml" for k in range(3)]


def test_one_stuck_question_holds_up_no_other_questions_record(server: EvidenceServer, tmp_path: Path) -> None:
    import threading

    release = threading.Event()

    def never_answers(handler: Any, _: int) -> None:
        release.wait(60)

    server.routes["/stuck"] = never_answers
    server.routes["/page"] = body("<p>passed</p>")
    questions: dict[str, dict[str, object]] = {
        "a-stuck": {"name": "http", "url": server.url("/stuck"), "contains": "x"}
    }
    questions |= {f"b-page-{k}": {"name": "http", "url": server.url("/page"), "contains": "passed"} for k in range(3)}
    root = write_registry(tmp_path / "registry", questions)
    command = [*_command(root, server.origin)[:-1], "60"]  # a fetch may take a minute
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        written = [root / "resolutions" / f"b-page-{k}.yaml" for k in range(3)]
        end = time.monotonic() + 20
        while not all(path.exists() for path in written) and time.monotonic() < end:
            time.sleep(0.05)
        assert all(path.exists() for path in written)
        assert process.poll() is None  # still waiting on the stuck question
        assert process.stderr is not None
        reported = [process.stderr.readline() for _ in written]
        assert sorted(line.split(" ")[1] for line in reported) == ["b-page-0:", "b-page-1:", "b-page-2:"]
    finally:
        release.set()
        process.kill()
        process.wait()


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``, read from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_a_killed_writer_is_an_error_naming_what_was_not_written(server: EvidenceServer, tmp_path: Path) -> None:
    import threading

    release = threading.Event()

    def after_the_kill(handler: Any, seen: int) -> None:
        release.wait(30)
        body("<p>passed</p>")(handler, seen)

    server.routes["/page"] = after_the_kill
    questions = {f"q{k}": {"name": "http", "url": server.url("/page"), "contains": "passed"} for k in range(3)}
    root = write_registry(tmp_path / "registry", questions)
    process = subprocess.Popen(_command(root, server.origin), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 20
        while not (helpers := _children(process.pid)) and time.monotonic() < end:
            time.sleep(0.02)
        [helper] = helpers  # the forked writer: no resolved question has reached it yet
        os.kill(helper, signal.SIGKILL)
    finally:
        release.set()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, (out, err)
    assert "Traceback" not in err
    last = json.loads((root / ".predreg" / "last-run.json").read_text())["results"]
    assert [r["status"] for r in last] == ["error"] * 3
    assert all("not written" in r["reason"] and "SIGKILL" in r["reason"] for r in last), last
    assert "errored 3" in out
    assert not (root / "resolutions").exists() or list((root / "resolutions").iterdir()) == []


def test_after_the_writer_died_a_record_it_had_linked_counts_and_the_rest_are_errors(tmp_path: Path) -> None:
    from predreg.parallel import HelperDied
    from predreg.resolve import Pending, Result, unwritten
    from predreg.verdict import resolved

    linked, lost = tmp_path / "a.yaml", tmp_path / "b.yaml"
    linked.write_text("question: a\n")
    batch = [
        (Result(q, "http", "resolved", resolved("yes", "seen")), Pending(path, f"question: {q}\n", ()))
        for q, path in (("a", linked), ("b", lost))
    ]
    kept, failed = unwritten(batch, HelperDied("was killed by SIGKILL"))
    assert kept.status == "resolved" and kept.record == linked
    assert failed.status == "error" and failed.record is None
    assert failed.verdict.reason == "resolved yes, but not written: the writer process was killed by SIGKILL; run again"
