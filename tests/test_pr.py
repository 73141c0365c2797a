"""`predreg check --base`: pull-request rules, in real temporary git repositories (real git, no mocks)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from predreg import pr, trust
from predreg.checks import normalised
from predreg.cli import main

from .conftest import DATA, TODAY

PREDICTION = """id: {id}
author: {author}
registered: {registered}
question: shared-question
probability: 0.4
"""


def git(repo: Path, *args: str, **env: str) -> str:
    environment = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", **env}
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=environment, check=True)
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose main branch holds the minimal registry, on a pull-request branch `pr`."""
    root = tmp_path / "repo"
    shutil.copytree(DATA / "minimal", root / "registry")
    (root / "README.md").write_text("a registry\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "ci@example.org")
    git(root, "config", "user.name", "CI")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "registry")
    git(root, "checkout", "-q", "-b", "pr")
    return root


def commit(repo: Path, message: str = "change", **env: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, **env)


def add_prediction(
    repo: Path, pid: str, author: str = "forecaster-a", registered: dt.date = TODAY, **extra: str
) -> Path:
    folder = repo / "registry" / "predictions" / author
    folder.mkdir(parents=True, exist_ok=True)
    text = PREDICTION.format(id=pid, author=author, registered=registered)
    text += "".join(f"{key}: {value}\n" for key, value in extra.items())
    (folder / f"{pid}.yaml").write_text(text)
    return folder / f"{pid}.yaml"


def problems(repo: Path, actor: str | None = "forecaster-a-gh", today: dt.date = TODAY) -> list[str]:
    result = pr.review(str(repo / "registry"), "main", actor=actor, today=today)
    return [f"{p.field}: {p.message}" for p in result.problems]


def test_a_new_prediction_by_its_author_is_accepted(repo: Path) -> None:
    add_prediction(repo, "new-forecast")
    commit(repo)
    result = pr.review(str(repo / "registry"), "main", actor="forecaster-a-gh", today=TODAY)
    assert result.problems == []
    assert [p.id for p, _ in result.added] == ["new-forecast"]
    row = "forecaster-a new-forecast A shared yes/no question. 0.4 2027-06-30"
    assert row in [" ".join(line.split()) for line in pr.markdown(result).split("\n")]


def test_an_uncommitted_new_file_counts_too(repo: Path) -> None:
    add_prediction(repo, "not-yet-committed", registered=dt.date(2026, 1, 1))
    assert problems(repo) == ["registered: is 2026-01-01, but the pull request is checked on 2026-11-23 (UTC)"]


def test_a_backdated_prediction_is_refused_even_with_old_git_dates(repo: Path) -> None:
    add_prediction(repo, "backdated", registered=dt.date(2021, 3, 4))
    old = "2021-03-04T12:00:00+00:00"
    commit(repo, GIT_AUTHOR_DATE=old, GIT_COMMITTER_DATE=old)
    assert git(repo, "log", "-1", "--format=%ad %cd", "--date=short").split() == ["2021-03-04", "2021-03-04"]
    assert problems(repo) == ["registered: is 2021-03-04, but the pull request is checked on 2026-11-23 (UTC)"]


def test_registered_may_be_a_day_off_but_no_more(repo: Path) -> None:
    add_prediction(repo, "yesterday", registered=TODAY - dt.timedelta(days=1))
    add_prediction(repo, "two-days-ago", registered=TODAY - dt.timedelta(days=2))
    commit(repo)
    assert problems(repo) == ["registered: is 2026-11-21, but the pull request is checked on 2026-11-23 (UTC)"]


def test_someone_else_may_not_register_for_an_author(repo: Path) -> None:
    add_prediction(repo, "impostor")
    commit(repo)
    assert problems(repo, actor="mallory") == ["author: `forecaster-a` is not `mallory`, who opened the pull request"]
    assert problems(repo, actor="Forecaster-A-GH") == []  # GitHub logins ignore case


@pytest.mark.parametrize("how", ["edit", "delete", "rename"])
def test_a_registered_prediction_never_changes(repo: Path, how: str) -> None:
    path = repo / "registry" / "predictions" / "forecaster-a" / "on-shared.yaml"
    if how == "edit":
        path.write_text(path.read_text().replace("probability: 0.3", "probability: 0.9"))
    elif how == "delete":
        path.unlink()
    else:
        path.rename(path.with_name("renamed.yaml"))
    commit(repo)
    [message] = problems(repo)
    assert message.startswith(f"file: is a registered prediction and was {how if how != 'delete' else 'delet'}")


def test_a_revision_with_supersedes_is_the_allowed_way(repo: Path) -> None:
    add_prediction(repo, "on-shared-revised", supersedes="on-shared")
    commit(repo)
    assert problems(repo) == []


def test_a_revision_of_someone_elses_forecast_is_refused(repo: Path) -> None:
    add_prediction(repo, "hijack", author="forecaster-b", supersedes="on-shared")
    commit(repo)
    found = problems(repo, actor="forecaster-b")
    assert any(m.startswith("supersedes:") for m in found), found


def test_an_id_already_registered_under_another_author_is_refused(repo: Path) -> None:
    add_prediction(repo, "On-Shared", author="forecaster-b")
    commit(repo)
    assert "id: `On-Shared` is already registered as predictions/forecaster-a/on-shared.yaml" in problems(
        repo, actor="forecaster-b"
    )


def test_an_id_in_other_characters_that_normalise_alike_is_already_registered(repo: Path) -> None:
    add_prediction(repo, "ＯＮ-shared", author="forecaster-b")  # fullwidth letters: NFKC reads on-shared
    commit(repo)
    assert "id: `ＯＮ-shared` is already registered as predictions/forecaster-a/on-shared.yaml" in problems(
        repo, actor="forecaster-b"
    )


@pytest.mark.parametrize("extra", [[], ["predictions/c/ｆｏｏ.yaml"]], ids=["ascii-searched", "non-ascii-filed"])
def test_files_found_by_id_on_demand_are_those_filing_every_name_finds(extra: list[str]) -> None:
    listing = [
        "questions/Foo.yaml",
        "predictions/a/foo.yaml",
        "predictions/b/xfoo.yaml",
        "predictions/b/foo.yaml.bak",
        "resolutions/foo.yaml",
        "questions/bar.yaml",
        "evidence/0f00",
        *extra,
    ]
    stems = pr.Stems(listing)
    assert (stems.filed is None) == (not extra)
    filed: dict[str, list[str]] = {}
    for path in listing:
        if path.endswith(".yaml") and path.startswith(("questions/", "predictions/")):
            filed.setdefault(normalised(path.rsplit("/", 1)[1][:-5]), []).append(path)
    for key in ("foo", "FOO", "ｆｏｏ", "xfoo", "bar", "baz", "yaml"):
        assert sorted(stems.of(key)) == sorted(filed.get(normalised(key), [])), key
    assert sorted(stems.of("foo")) == sorted(["questions/Foo.yaml", "predictions/a/foo.yaml", *extra])


RESOLUTION = "question: shared-question\noutcome: yes\nresolved_at: 2026-11-23\nresolver: manual\nresolved_by: {by}\n"


def test_a_forecaster_may_not_resolve_their_question_alone(repo: Path) -> None:
    (repo / "registry" / "resolutions").mkdir(exist_ok=True)
    record = repo / "registry" / "resolutions" / "shared-question.yaml"
    record.write_text(RESOLUTION.format(by="forecaster-a"))
    commit(repo)
    [message] = problems(repo)
    assert message.startswith("approved_by: `forecaster-a-gh` (forecaster-a) forecast this question")
    record.write_text(RESOLUTION.format(by="forecaster-a") + "approved_by: [forecaster-a]\n")  # self-approval
    commit(repo)
    assert len(problems(repo)) == 2  # no approver, and forecaster-a approves no resolution of their own
    record.write_text(RESOLUTION.format(by="forecaster-a") + "approved_by: [forecaster-b]\n")
    commit(repo)
    result = pr.review(
        str(repo / "registry"), "main", actor="forecaster-a-gh", today=TODAY, approved_by=["forecaster-b"]
    )
    assert result.problems == []  # forecaster-b approved the pull request on GitHub
    record.write_text(RESOLUTION.format(by="forecaster-b"))
    commit(repo)
    assert problems(repo, actor="forecaster-b") == []  # someone who does not forecast it


def test_a_resolution_is_corrected_never_edited(repo: Path) -> None:
    (repo / "registry" / "resolutions").mkdir(exist_ok=True)
    (repo / "registry" / "resolutions" / "shared-question.yaml").write_text(RESOLUTION.format(by="forecaster-b"))
    commit(repo)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "pr")
    git(repo, "checkout", "-q", "-b", "pr2")
    original = repo / "registry" / "resolutions" / "shared-question.yaml"
    original.write_text(original.read_text().replace("outcome: yes", "outcome: no"))
    commit(repo)
    [message] = problems(repo, actor="forecaster-b")
    assert message.startswith("file: is a resolution and was edited")
    git(repo, "checkout", "-q", "main", "--", "registry/resolutions/shared-question.yaml")
    correction = repo / "registry" / "resolutions" / "shared-question.2.yaml"
    correction.write_text(RESOLUTION.format(by="forecaster-b").replace("yes", "no") + "corrects: shared-question\n")
    commit(repo)
    assert problems(repo, actor="forecaster-b") == []


def test_data_and_code_in_one_pull_request_are_refused(repo: Path) -> None:
    add_prediction(repo, "with-code")
    (repo / "registry" / "conftest.py").write_text("def pytest_runtest_call(item):\n    pass\n")
    commit(repo)
    assert problems(repo) == ["file: changes code or configuration in a pull request that changes registry data"]


def test_data_and_a_new_pin_of_predreg_in_one_pull_request_are_refused(repo: Path) -> None:
    """Attack: a forecast slipped in beside a requirements.txt that pins a predreg which judges more kindly."""
    add_prediction(repo, "with-new-judge")
    (repo / "requirements.txt").write_text("predreg @ git+https://example.invalid/kind-predreg@v9\n")
    commit(repo)
    assert problems(repo) == ["file: changes code or configuration in a pull request that changes registry data"]


def test_authors_may_join_but_not_edit_one_another(repo: Path) -> None:
    authors = repo / "registry" / "authors.yaml"
    authors.write_text(authors.read_text() + "  forecaster-c: {name: C, github: [c-gh]}\n")
    commit(repo)
    assert problems(repo, actor="c-gh") == []
    authors.write_text(authors.read_text().replace("github: [forecaster-a-gh]", "github: [mallory]"))
    commit(repo)
    assert problems(repo, actor="mallory") == ["authors.forecaster-a: was changed by mallory, not by forecaster-a"]


def test_the_cli_prints_a_pr_comment_and_exits_by_the_contract(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    add_prediction(repo, "fine")
    add_prediction(repo, "late", registered=dt.date(2025, 1, 1))
    commit(repo)
    monkeypatch.chdir(repo)
    args = ["check", "registry", "--base", "main", "--actor", "forecaster-a-gh", "--today", str(TODAY)]
    assert main([*args, "--format", "md"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("### predreg: 1 new prediction(s), ❌ 1 problem(s)")
    assert "  fine  " in out and "late.yaml:3:1: registered: is 2025-01-01" in out
    assert main(["check", "registry", "--base", "no-such-branch"]) == 2
    assert "no-such-branch" in capsys.readouterr().err


def test_a_withdrawal_is_a_new_record_by_the_author_and_the_forecast_is_still_scored(repo: Path) -> None:
    from predreg import check_registry, leaderboard

    (repo / "registry" / "withdrawals").mkdir()
    withdrawal = repo / "registry" / "withdrawals" / "on-shared.yaml"
    withdrawal.write_text(f"prediction: on-shared\nwithdrawn: {TODAY}\nreason: I no longer believe it.\n")
    commit(repo)
    assert problems(repo) == []
    assert problems(repo, actor="forecaster-b") == ["prediction: is forecaster-a's, not `forecaster-b`'s"]
    (repo / "registry" / "resolutions").mkdir(exist_ok=True)
    (repo / "registry" / "resolutions" / "shared-question.yaml").write_text(RESOLUTION.format(by="forecaster-b"))
    registry = check_registry(str(repo / "registry"), today=TODAY)
    assert registry.problems == [] and "on-shared" in registry.withdrawals
    [series] = leaderboard.build(registry, min_n=1, today=TODAY).series
    assert series.predictions == ("on-shared",) and series.brier == pytest.approx(0.49, abs=1e-12)


def test_git_commands_run_together_and_a_failing_one_is_named(repo: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    log, tree = pr.git_all(repo, ("log", "--format=%H", "-1"), ("ls-tree", "-r", "--name-only", "HEAD"))
    assert log.strip() == head and "registry/authors.yaml" in tree.splitlines()
    with pytest.raises(pr.GitError, match="git ls-tree no-such-ref"):
        pr.git_all(repo, ("status", "--porcelain"), ("ls-tree", "no-such-ref"), ("log", "-1"))


def test_a_base_that_does_not_exist_says_what_to_do_on_a_first_push(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-push hook on the first push to an empty remote: origin/<branch> does not exist yet."""
    from predreg.cli import EXIT_USAGE, main

    monkeypatch.chdir(repo)
    assert main(["check", "registry", "--base", "origin/trunk", "--quiet"]) == EXIT_USAGE
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("predreg: --base origin/trunk: no such branch or commit here; `git fetch` it first")
    assert "git push --no-verify" in line


def test_an_account_named_like_a_handle_is_not_that_author_once_logins_are_listed(repo: Path) -> None:
    """Attack: the GitHub account literally named `forecaster-a` files for forecaster-a, who lists `forecaster-a-gh`."""
    add_prediction(repo, "not-mine")
    commit(repo)
    assert problems(repo, actor="forecaster-a") == [
        "author: `forecaster-a` is not `forecaster-a`, who opened the pull request"
    ]
    assert problems(repo, actor="forecaster-a-gh") == []


def test_a_handle_with_no_logins_listed_is_its_own_login(repo: Path) -> None:
    add_prediction(repo, "by-b", author="forecaster-b")
    commit(repo)
    assert problems(repo, actor="forecaster-b") == []


# Issue 14, item 3: self-resolution cannot be laundered. Item 11: dates are judged on the day of the check.

OTHER_QUESTION = """id: other-question
claim: Another yes/no question.
criteria: YES if the other test says so, NO otherwise.
resolve_by: 2027-06-30
resolver: {name: manual}
kind: binary
"""


def on_main(repo: Path, files: dict[str, str]) -> None:
    """Register ``files`` (paths inside the registry) on main, then bring them into the pull request's branch."""
    git(repo, "checkout", "-q", "main")
    for relative, text in files.items():
        path = repo / "registry" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    commit(repo, "registered on main")
    git(repo, "checkout", "-q", "pr")
    git(repo, "merge", "-q", "main")


def resolve(repo: Path, by: str, *extra: str, resolved_at: dt.date = TODAY) -> Path:
    folder = repo / "registry" / "resolutions"
    folder.mkdir(exist_ok=True)
    record = folder / "shared-question.yaml"
    text = RESOLUTION.format(by=by).replace("resolved_at: 2026-11-23", f"resolved_at: {resolved_at}")
    record.write_text(text + "".join(line + "\n" for line in extra))
    commit(repo)
    return record


def reviewed(repo: Path, actor: str | None, *approved_by: str, today: dt.date = TODAY) -> list[str]:
    result = pr.review(str(repo / "registry"), "main", actor=actor, today=today, approved_by=approved_by)
    return [f"{p.field}: {p.message}" for p in result.problems]


def test_an_approver_written_into_the_record_with_no_approving_review_is_refused(repo: Path) -> None:
    """Attack: the forecaster writes `approved_by: [forecaster-b]` themselves; forecaster-b never saw it."""
    resolve(repo, "forecaster-a", "approved_by: [forecaster-b]")
    [alone, unbacked] = reviewed(repo, "forecaster-a-gh")
    assert unbacked == "approved_by: `forecaster-b` has no approving review of this pull request (GitHub: forecaster-b)"
    assert alone.startswith("approved_by: `forecaster-a-gh` (forecaster-a) forecast this question")
    assert len(reviewed(repo, "forecaster-a-gh", "mallory")) == 2  # an approval by someone else backs no one
    assert reviewed(repo, "forecaster-a-gh", "Forecaster-B") == []  # GitHub logins ignore case


def test_an_approver_who_is_no_author_is_refused(repo: Path) -> None:
    """Attack: `approved_by: [nobody-at-all]`, a handle that authors.yaml does not list."""
    resolve(repo, "forecaster-a", "approved_by: [nobody-at-all]")
    found = reviewed(repo, "forecaster-a-gh", "nobody-at-all")
    assert "approved_by: `nobody-at-all` is no author in authors.yaml" in found
    assert reviewed(repo, None) == ["approved_by: `nobody-at-all` is no author in authors.yaml"]  # no actor needed


def test_the_pull_requests_author_is_no_approver_of_it(repo: Path) -> None:
    resolve(repo, "forecaster-b", "approved_by: [forecaster-b]")
    assert reviewed(repo, "forecaster-b", "forecaster-b") == [
        "approved_by: `forecaster-b` is `forecaster-b`, who opened the pull request: nobody approves their own change"
    ]


def test_a_forecaster_of_the_question_is_no_approver(repo: Path) -> None:
    on_main(repo, {"authors.yaml": (DATA / "minimal" / "authors.yaml").read_text() + "  forecaster-c: {name: C}\n"})
    resolve(repo, "forecaster-c", "approved_by: [forecaster-a]")
    assert reviewed(repo, "forecaster-c", "forecaster-a-gh") == [
        "approved_by: `forecaster-a` forecasts this question (on-shared), so cannot approve its resolution"
    ]


def test_a_forecaster_given_the_question_is_no_approver(repo: Path) -> None:
    """A forecast `given: Q` is annulled or scored by Q's outcome: its author has a stake in Q."""
    conditional = PREDICTION.format(id="b-given", author="forecaster-b", registered=TODAY)
    conditional = conditional.replace("shared-question", "other-question") + "given: shared-question\n"
    on_main(
        repo, {"questions/other-question.yaml": OTHER_QUESTION, "predictions/forecaster-b/b-given.yaml": conditional}
    )
    resolve(repo, "forecaster-a", "approved_by: [forecaster-b]")
    found = reviewed(repo, "forecaster-a-gh", "forecaster-b")
    assert (
        "approved_by: `forecaster-b` forecasts given this question (b-given), so cannot approve its resolution" in found
    )


def test_resolving_the_condition_of_ones_own_forecast_needs_an_approver(repo: Path) -> None:
    """Attack: forecaster-b resolves `no` the condition of their losing forecast, which annuls it, alone."""
    conditional = PREDICTION.format(id="b-given", author="forecaster-b", registered=TODAY)
    conditional = conditional.replace("shared-question", "other-question") + "given: shared-question\n"
    on_main(
        repo, {"questions/other-question.yaml": OTHER_QUESTION, "predictions/forecaster-b/b-given.yaml": conditional}
    )
    resolve(repo, "forecaster-b")
    [message] = reviewed(repo, "forecaster-b")
    assert message.startswith(
        "approved_by: `forecaster-b` (forecaster-b) forecast given this question and resolves it without a second"
    )


def test_dropping_ones_login_from_authors_yaml_does_not_hide_ones_forecast(repo: Path) -> None:
    """Attack: forecaster-a lists another login in the same pull request, so forecaster-a-gh looks like no one."""
    authors = repo / "registry" / "authors.yaml"
    authors.write_text(authors.read_text().replace("github: [forecaster-a-gh]", "github: [someone-new]"))
    resolve(repo, "forecaster-b")
    [message] = reviewed(repo, "forecaster-a-gh")
    assert message.startswith("approved_by: `forecaster-a-gh` (forecaster-a) forecast this question")


def test_an_approver_who_joins_authors_yaml_in_the_same_pull_request_is_refused(repo: Path) -> None:
    """Attack: a second account of the forecaster is added as a new author, then approves."""
    authors = repo / "registry" / "authors.yaml"
    authors.write_text(authors.read_text() + "  sock: {name: Sock, github: [sock-gh]}\n")
    resolve(repo, "forecaster-a", "approved_by: [sock]")
    found = reviewed(repo, "forecaster-a-gh", "sock-gh")
    assert "approved_by: `sock` joins authors.yaml in this pull request, so cannot approve it" in found


def test_a_resolution_backdated_before_another_authors_forecast_is_refused(repo: Path) -> None:
    """Attack: `resolved_at` the day before b's forecast, so that b's forecast counts as made after the outcome."""
    on_main(
        repo,
        {
            "predictions/forecaster-b/b-on-shared.yaml": PREDICTION.format(
                id="b-on-shared", author="forecaster-b", registered=TODAY
            )
        },
    )
    resolve(repo, "forecaster-b", "approved_by: [forecaster-b]", resolved_at=TODAY - dt.timedelta(days=1))
    found = reviewed(repo, "forecaster-a-gh", "forecaster-b")
    assert (
        "resolved_at: 2026-11-22 is before forecaster-b's forecast b-on-shared was registered (2026-11-23),"
        " which would then go unscored"
    ) in found


def test_a_resolution_backdated_before_a_reveal_is_refused(repo: Path) -> None:
    """Attack: `resolved_at` before b's reveal, so that b's hidden forecast scores as never revealed (the worst)."""
    from predreg import commitment

    salt = "ab" * 16
    hidden = commitment.commitment("b-hidden", "forecaster-b", {"probability": 0.9}, salt)
    text = PREDICTION.format(id="b-hidden", author="forecaster-b", registered=TODAY - dt.timedelta(days=3))
    reveal = f"prediction: b-hidden\nrevealed: {TODAY}\nsalt: {salt}\nprobability: 0.9\n"
    on_main(
        repo,
        {
            "predictions/forecaster-b/b-hidden.yaml": text.replace("probability: 0.4", f"commitment: '{hidden}'"),
            "reveals/b-hidden.yaml": reveal,
        },
    )
    resolve(repo, "forecaster-b", "approved_by: [forecaster-b]", resolved_at=TODAY - dt.timedelta(days=1))
    found = reviewed(repo, "forecaster-a-gh", "forecaster-b")
    assert (
        "resolved_at: 2026-11-22 is before b-hidden was revealed (2026-11-23), which would then count as never revealed"
    ) in found


def test_a_hand_written_automatic_record_is_refused_from_anyone_but_the_resolve_job(repo: Path) -> None:
    """Attack: `resolved_by: predreg-resolve`, written by a person, which the offline audit used to skip."""
    resolve(repo, "predreg-resolve")
    assert reviewed(repo, "forecaster-b") == [
        "resolved_by: `predreg-resolve` is the resolve job's name, and `forecaster-b` opened this pull request"
    ]
    assert reviewed(repo, trust.RESOLVE_JOB_LOGIN) == []


def test_the_resolve_jobs_pull_request_holds_only_its_own_records(repo: Path) -> None:
    """A person's resolution pushed onto the resolve job's branch would be judged as the job's, with no approver."""
    resolve(repo, "forecaster-a")
    assert reviewed(repo, trust.RESOLVE_JOB_LOGIN) == [
        "resolved_by: is `forecaster-a`, but the resolve job's pull requests hold only its own records"
    ]


def test_the_resolve_jobs_record_keeps_the_time_its_evidence_gives(repo: Path) -> None:
    """The resolve job dates a record when its evidence says it happened, which may be long before the check."""
    resolve(repo, "predreg-resolve", resolved_at=TODAY - dt.timedelta(days=30))
    assert reviewed(repo, trust.RESOLVE_JOB_LOGIN) == []


@pytest.mark.parametrize(
    ("relative", "text", "field"),
    [
        ("reveals/on-shared.yaml", "prediction: on-shared\nrevealed: {day}\nsalt: " + "ab" * 16 + "\n", "revealed"),
        ("withdrawals/on-shared.yaml", "prediction: on-shared\nwithdrawn: {day}\nreason: no.\n", "withdrawn"),
        (
            "resolutions/shared-question.yaml",
            RESOLUTION.replace("2026-11-23", "{day}").format(day="{day}", by="forecaster-b"),
            "resolved_at",
        ),
    ],
)
def test_a_record_dated_away_from_the_day_of_the_check_is_refused(
    repo: Path, relative: str, text: str, field: str
) -> None:
    """Attack: a reveal, withdrawal or resolution dated as if written on another day (the scores read these dates)."""
    path = repo / "registry" / relative
    path.parent.mkdir(exist_ok=True)
    path.write_text(text.format(day=TODAY - dt.timedelta(days=5)))
    commit(repo)
    found = reviewed(repo, "forecaster-a-gh" if field != "resolved_at" else "forecaster-b")
    assert f"{field}: is 2026-11-18, but the pull request is checked on 2026-11-23 (UTC)" in found
    path.write_text(text.format(day=TODAY - dt.timedelta(days=1)))
    commit(repo)
    assert not any(
        m.startswith(f"{field}: is ")
        for m in reviewed(repo, "forecaster-a-gh" if field != "resolved_at" else "forecaster-b")
    )


def test_a_correction_may_keep_the_date_of_the_resolution_it_corrects(repo: Path) -> None:
    """A correction dated today would move the end of every forecast's scored span; keeping the date moves nothing."""
    on_main(repo, {"resolutions/shared-question.yaml": RESOLUTION.format(by="forecaster-b")})
    correction = repo / "registry" / "resolutions" / "shared-question.2.yaml"
    correction.write_text(RESOLUTION.format(by="forecaster-b").replace("yes", "no") + "corrects: shared-question\n")
    commit(repo)
    weeks_later = TODAY + dt.timedelta(days=20)
    assert reviewed(repo, "forecaster-b", today=weeks_later) == []
    correction.write_text(correction.read_text().replace(str(TODAY), str(TODAY + dt.timedelta(days=3))))
    commit(repo)
    assert reviewed(repo, "forecaster-b", today=weeks_later) == [
        "resolved_at: is 2026-11-26, but the pull request is checked on 2026-12-13 (UTC)"
    ]


def test_a_forecast_opened_before_a_resolution_and_merged_after_it_is_refused_after_the_merge(repo: Path) -> None:
    """Attack: a forecast waits in an open pull request until the outcome is known, then is merged; its date is old."""
    add_prediction(repo, "waited", author="forecaster-b")
    commit(repo)
    assert reviewed(repo, "forecaster-b") == []  # as the pull request was checked when it was opened
    git(repo, "checkout", "-q", "main")
    (repo / "registry" / "resolutions").mkdir()
    (repo / "registry" / "resolutions" / "shared-question.yaml").write_text(RESOLUTION.format(by="forecaster-b"))
    commit(repo, "resolved")
    before = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "merge", "-q", "--no-ff", "-m", "merge the waiting forecast", "pr")
    # the check the default branch runs on push: what the merge brought, judged on the day of the merge
    merged_on = TODAY
    result = pr.review(str(repo / "registry"), before, actor="forecaster-b", today=merged_on)
    assert [f"{p.field}: {p.message}" for p in result.problems] == [
        "question: `shared-question` is already resolved (2026-11-23): a forecast merged after the resolution is not"
        " judged by the day it was written"
    ]
    later = pr.review(str(repo / "registry"), before, actor="forecaster-b", today=TODAY + dt.timedelta(days=4))
    assert any(p.field == "registered" for p in later.problems)


def test_the_cli_takes_each_approving_review_as_approved_by(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve(repo, "forecaster-a", "approved_by: [forecaster-b]")
    monkeypatch.chdir(repo)
    args = ["check", "registry", "--base", "main", "--actor", "forecaster-a-gh", "--today", str(TODAY), "-q"]
    assert main(args) == 1
    assert "has no approving review" in capsys.readouterr().out
    assert main([*args, "--approved-by", "mallory", "--approved-by", "forecaster-b"]) == 0


def test_a_backdated_forecast_renamed_into_the_registry_from_outside_meets_the_rules_for_a_new_one(
    repo: Path,
) -> None:
    # attack: commit the forecast outside the registry first, then move it in; git reports
    # a rename, which the rules for added files never saw
    (repo / "docs").mkdir()
    (repo / "docs" / "notes.yaml").write_text(
        PREDICTION.format(id="moved-in", author="forecaster-b", registered=dt.date(2026, 1, 1))
    )
    commit(repo, "notes")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "pr")
    git(repo, "checkout", "-q", "pr")
    folder = repo / "registry" / "predictions" / "forecaster-b"
    folder.mkdir(parents=True, exist_ok=True)
    git(repo, "mv", "docs/notes.yaml", "registry/predictions/forecaster-b/moved-in.yaml")
    commit(repo, "move in")
    found = problems(repo)
    assert any(p.startswith("registered: is 2026-01-01") for p in found), found
    assert any("forecaster-b" in p for p in found if not p.startswith("registered")), found


def test_a_backdated_forecast_renamed_from_a_file_in_the_registry_that_holds_no_record_meets_the_rules_for_a_new_one(
    repo: Path,
) -> None:
    # attack: one pull request turns a file that holds no record (the registry's README) into a
    # backdated forecast in another author's name; a second one renames it to a prediction's path
    readme = repo / "registry" / "README.md"
    readme.write_text("# About this registry\n")
    commit(repo, "readme")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "pr")
    git(repo, "checkout", "-q", "pr")
    readme.write_text(PREDICTION.format(id="sneaky", author="forecaster-b", registered=dt.date(2020, 1, 1)))
    commit(repo, "readme holds a forecast")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "pr")
    git(repo, "checkout", "-q", "pr")
    (repo / "registry" / "predictions" / "forecaster-b").mkdir(parents=True, exist_ok=True)
    git(repo, "mv", "registry/README.md", "registry/predictions/forecaster-b/sneaky.yaml")
    commit(repo, "move")
    found = problems(repo)
    assert any(p.startswith("registered: is 2020-01-01") for p in found), found
    assert any("forecaster-b" in p for p in found if not p.startswith("registered")), found


def test_a_registered_forecast_renamed_out_of_the_registry_is_a_deleted_record(repo: Path) -> None:
    registered = next((repo / "registry" / "predictions").rglob("*.yaml"))
    (repo / "docs").mkdir()
    git(repo, "mv", str(registered.relative_to(repo)), "docs/gone.yaml")
    commit(repo, "move out")
    assert any("deleted" in p for p in problems(repo)), problems(repo)
