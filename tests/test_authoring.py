"""Authoring from flags: `predreg new`, `question new`, `withdraw` and `resolve --manual`, on real files.

Every flag is read by the loader's field types, so a value the checker would refuse
is refused before anything is written, in the checker's words; every record written
passes `predreg check`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from predreg import check_registry
from predreg.cli import main

from .conftest import TODAY
from .evidence_server import EvidenceServer, body

A = "forecaster-a"
B = "forecaster-b"
NOW = "2026-11-24T12:00:00Z"
PAGE = "<html><body><p>The lab released the report on 2026-11-20.</p></body></html>"


@pytest.fixture(autouse=True)
def no_default_author(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No author from the environment or git: each test says who writes."""
    monkeypatch.delenv("PREDREG_AUTHOR", raising=False)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def new(*args: str, author: str = A) -> int:
    return main(["new", "registry", "--author", author, "--today", str(TODAY), *args])


def inline(*args: str, claim: str = "Something happens") -> int:
    return new("--claim", claim, "--criteria", "YES if it does.", "--resolve-by", "2027-12-31", *args)


def problems() -> list[str]:
    return [f"{p.path}: {p.field}: {p.message}" for p in check_registry("registry", today=TODAY).problems]


def text(registry: Path, relative: str) -> str:
    return (registry / relative).read_text(encoding="utf-8")


def predictions(registry: Path, author: str = A) -> list[str]:
    return sorted(p.name for p in (registry / "predictions" / author).glob("*.yaml"))


# --- predreg new: values read as the checker reads them ---------------------------------


def test_a_percentage_flag_is_read_as_a_fraction_and_said(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert inline("--probability", "70%") == 0
    assert "--probability: read 70% as 0.7" in capsys.readouterr().out
    assert "probability: 0.7\n" in text(minimal_registry, "predictions/forecaster-a/something-happens.yaml")
    assert problems() == []


def test_a_relative_date_flag_is_refused_with_the_format_to_write(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = new("--claim", "X", "--criteria", "YES", "--resolve-by", "end of 2027", "--probability", "0.3")
    assert code == 2
    err = capsys.readouterr().err
    assert "resolve_by: `end of 2027` is a relative date" in err and "write YYYY-MM-DD, e.g. 2027-12-31" in err
    assert predictions(minimal_registry) == ["on-shared.yaml"]


def test_a_probability_out_of_range_is_refused_in_the_checkers_words(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert inline("--probability", "35") == 2
    assert (
        "probability: 35 is outside [0.001, 0.999], the range a forecast may take; if you mean 35%, write `0.35`"
        in capsys.readouterr().err
    )


def test_every_bad_flag_is_named_at_once(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert new("--claim", "X", "--criteria", "YES", "--resolve-by", "2027-02-30", "--probability", "yes") == 2
    err = capsys.readouterr().err
    assert "--resolve-by '2027-02-30': resolve_by: 2027-02-30 is not a day of the calendar" in err
    assert "--probability 'yes': probability: is the boolean `yes`, not a number" in err


# --- ids and revisions on shared questions ------------------------------------------------


def test_a_forecast_on_a_shared_question_is_named_question_then_author(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert new("--question", "shared-question", "--probability", "0.4", author=B) == 0
    assert predictions(minimal_registry, B) == ["shared-question-forecaster-b.yaml"]
    assert new("--question", "shared-question", "--probability", "0.5", author=B) == 0
    assert predictions(minimal_registry, B) == [
        "shared-question-forecaster-b-2.yaml",
        "shared-question-forecaster-b.yaml",
    ]
    assert problems() == []


def test_a_second_forecast_on_a_question_supersedes_the_authors_latest_and_says_so(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert new("--question", "shared-question", "--probability", "0.45") == 0  # A already has `on-shared`
    out = capsys.readouterr().out
    assert "supersedes on-shared, your latest forecast on shared-question" in out
    assert "supersedes: on-shared\n" in text(
        minimal_registry, "predictions/forecaster-a/shared-question-forecaster-a.yaml"
    )
    assert new("--question", "shared-question", "--probability", "0.5") == 0
    assert "supersedes shared-question-forecaster-a," in capsys.readouterr().out  # the latest, not the first
    assert problems() == []


def test_a_forecast_on_a_prediction_that_states_a_question_supersedes_it(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert inline("--probability", "0.2", claim="Inline claim") == 0
    assert new("--question", "inline-claim", "--probability", "0.3") == 0
    written = text(minimal_registry, "predictions/forecaster-a/inline-claim-forecaster-a.yaml")
    assert "question: inline-claim\n" in written and "supersedes: inline-claim\n" in written
    assert problems() == []


def test_an_explicit_supersedes_is_kept_and_checked(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert new("--question", "shared-question", "--probability", "0.4", "--supersedes", "nothing-like-it") == 1
    assert "supersedes: no prediction `nothing-like-it` exists" in capsys.readouterr().err
    assert predictions(minimal_registry) == ["on-shared.yaml"]


def test_flags_that_state_a_question_do_not_go_with_question(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert new("--question", "shared-question", "--probability", "0.4", "--claim", "Other") == 2
    assert "--claim state a question" in capsys.readouterr().err


# --- the rest of the format as flags --------------------------------------------------------


def test_given_evidence_tags_rationale_and_source_are_written(minimal_registry: Path) -> None:
    code = inline(
        "--probability", "0.6", "--given", "shared-question", "--tags", "evals, labs",
        "--evidence", "https://example.org/report The 2026 report", "--evidence", "https://example.org/data",
        "--rationale", "Because.", "--source", "a thread",
    )  # fmt: skip
    assert code == 0
    written = text(minimal_registry, "predictions/forecaster-a/something-happens.yaml")
    assert "given: shared-question\n" in written
    assert "tags: [evals, labs]\n" in written
    assert 'evidence: [{url: "https://example.org/report", title: "The 2026 report"}, "https://example.org/data"]' in (
        written
    )
    assert "rationale: Because.\n" in written and 'source: "a thread"\n' in written
    assert problems() == []


def test_a_bad_tag_is_refused_in_the_checkers_words(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert inline("--probability", "0.6", "--tags", "ok,not ok") == 2
    assert "tags[1]: `not ok` is not a valid tag" in capsys.readouterr().err


def test_a_condition_must_be_a_binary_question(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["question", "new", "registry", "--claim", "Which?", "--criteria", "The first.", "--resolve-by",
                 "2027-12-31", "--kind", "categorical", "--outcomes", "a,b", "--today", str(TODAY)]) == 0  # fmt: skip
    assert inline("--probability", "0.6", "--given", "which") == 1
    assert "given: `which` is categorical; a condition must be a binary question" in capsys.readouterr().err


def test_categorical_numeric_and_ordering_forecasts_from_flags(minimal_registry: Path) -> None:
    assert inline("--kind", "categorical", "--probabilities", "derpy=2/3".replace("2/3", "0.667") + ",competent=0.333",
                  claim="Derpy or competent") == 0  # fmt: skip
    assert inline("--kind", "numeric", "--unit", "x", "--quantiles", "0.05=1.1,0.5=1.6,0.95=3", claim="Speed-up") == 0
    assert inline("--kind", "ordering", "--event", "a=A happens, first", "--event", "b=B happens",
                  "--probabilities", "a=0.5,b=0.3,neither=0.2", claim="A before B") == 0  # fmt: skip
    folder = "predictions/forecaster-a"
    assert "probabilities: {derpy: 0.667, competent: 0.333}" in text(
        minimal_registry, f"{folder}/derpy-or-competent.yaml"
    )
    assert "quantiles: {0.05: 1.1, 0.5: 1.6, 0.95: 3.0}" in text(minimal_registry, f"{folder}/speed-up.yaml")
    assert 'events: {a: "A happens, first", b: "B happens"}' in text(minimal_registry, f"{folder}/a-before-b.yaml")
    assert problems() == []


def test_a_numeric_forecast_without_a_unit_names_the_missing_flag(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert inline("--kind", "numeric", "--quantiles", "0.5=1") == 2
    assert "missing --unit (or run on a terminal to be asked)" in capsys.readouterr().err


# --- resolver settings ---------------------------------------------------------------------


def test_resolver_settings_are_written_and_checked(minimal_registry: Path) -> None:
    args = ["--probability", "0.3", "--resolver", "http", "--set", "url=https://example.org/card",
            "--set", "contains=system card"]  # fmt: skip
    assert inline(*args) == 0
    written = text(minimal_registry, "predictions/forecaster-a/something-happens.yaml")
    assert 'resolver: {name: http, url: "https://example.org/card", contains: "system card"}\n' in written
    assert problems() == []


def test_a_setting_in_flow_yaml_is_read_by_the_safe_loader(minimal_registry: Path) -> None:
    args = ["--probability", "0.3", "--resolver", "csv", "--set", "url=https://example.org/models.csv",
            "--set", 'where={Organization: Example Lab, "Training compute (FLOP)": {">=": 1e26}}']  # fmt: skip
    assert inline(*args) == 0
    written = text(minimal_registry, "predictions/forecaster-a/something-happens.yaml")
    assert 'where: {Organization: "Example Lab", "Training compute (FLOP)": {">=": 1e+26}}' in written
    assert problems() == []


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        ([], "resolver.url: is missing; add --set url=..."),
        (["url=https://example.org", "contain=x"], "resolver.contain: is not a field of this format; remove it; "
         "did you mean `contains`?"),
        (["url=https://example.org"], "resolver.contains: give exactly one of `contains` and `matches`"),
        (["url=example.org", "contains=x"], "resolver.url: `example.org` is not an http(s) URL"),
        (["url=https://example.org", "matches=a(b"], "resolver.matches: is not a valid regular expression"),
    ],
)  # fmt: skip
def test_resolver_settings_are_checked_against_its_settings_class(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str], settings: list[str], said: str
) -> None:
    flags = [part for setting in settings for part in ("--set", setting)]
    assert inline("--probability", "0.3", "--resolver", "http", *flags) == 2
    assert said in capsys.readouterr().err
    assert predictions(minimal_registry) == ["on-shared.yaml"]


def test_an_unknown_resolver_is_named_with_a_suggestion(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert inline("--probability", "0.3", "--resolver", "htp", "--set", "url=https://example.org") == 2
    assert "resolver.name: no resolver `htp` is installed; did you mean `http`?" in capsys.readouterr().err


def test_set_without_a_resolver_is_a_usage_error(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert inline("--probability", "0.3", "--set", "url=https://example.org") == 2
    assert "--set goes with --resolver NAME" in capsys.readouterr().err


# --- predreg question new --------------------------------------------------------------------


def question(*args: str) -> int:
    return main(["question", "new", "registry", "--today", str(TODAY), *args])


def test_question_new_writes_a_checked_shared_question(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = question(
        "--claim", "Which lab ships first?", "--criteria", "The first to ship.", "--resolve-by", "2028-06-30",
        "--kind", "categorical", "--outcomes", "lab-a,lab-b", "--tags", "labs", "--source", "a thread",
        "--resolver", "http", "--set", "url=https://example.org/news", "--set", "contains=ships",
        "--evidence", "https://example.org/news Where it will be announced",
    )  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out == "wrote registry/questions/which-lab-ships-first.yaml\n"
    assert text(minimal_registry, "questions/which-lab-ships-first.yaml") == (
        "id: which-lab-ships-first\n"
        'claim: "Which lab ships first?"\n'
        'criteria: "The first to ship."\n'
        "resolve_by: 2028-06-30\n"
        'resolver: {name: http, url: "https://example.org/news", contains: ships}\n'
        "kind: categorical\n"
        "outcomes: [lab-a, lab-b]\n"
        "tags: [labs]\n"
        'evidence: [{url: "https://example.org/news", title: "Where it will be announced"}]\n'
        'source: "a thread"\n'
    )
    assert new("--question", "which-lab-ships-first", "--probabilities", "lab-a=60%,lab-b=40%") == 0
    assert problems() == []


def test_question_new_makes_a_unique_id_and_never_overwrites(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--claim", "Shared question", "--criteria", "YES if so.", "--resolve-by", "2028-01-01"]
    assert question(*args) == 0
    assert question(*args) == 0
    assert sorted(p.name for p in (minimal_registry / "questions").iterdir()) == [
        "shared-question-2.yaml", "shared-question-3.yaml", "shared-question.yaml"
    ]  # fmt: skip
    before = text(minimal_registry, "questions/shared-question.yaml")
    assert question(*args, "--id", "shared-question") == 2
    assert "exists already" in capsys.readouterr().err
    assert text(minimal_registry, "questions/shared-question.yaml") == before


def test_question_new_names_what_its_kind_needs(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--claim", "Which?", "--criteria", "The first.", "--resolve-by", "2028-01-01"]
    assert question(*args, "--kind", "categorical") == 2
    assert "missing --outcomes" in capsys.readouterr().err
    assert question(*args, "--kind", "ordering", "--event", "a=A") == 1  # one event: the check's rule
    assert "events: an ordering question compares two events, not 1" in capsys.readouterr().err
    assert not (minimal_registry / "questions" / "which.yaml").exists()


def test_question_help_lists_new(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["question", "--help"])
    assert exited.value.code == 0
    assert "new       write a shared question, questions/<id>.yaml, and check it" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["question"])
    assert exited.value.code == 2


# --- predreg withdraw --------------------------------------------------------------------------


def withdraw(*args: str) -> int:
    return main(["withdraw", *args, "--today", str(TODAY)])


def test_withdraw_writes_a_checked_withdrawal(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert withdraw("on-shared", "registry", "--author", A, "--reason", "I no longer believe it") == 0
    assert text(minimal_registry, "withdrawals/on-shared.yaml") == (
        f'prediction: on-shared\nwithdrawn: {TODAY}\nreason: "I no longer believe it"\n'
    )
    assert problems() == []
    registry = check_registry("registry", today=TODAY)
    assert "on-shared" in registry.withdrawals


def test_only_the_author_withdraws_a_prediction(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert withdraw("on-shared", "registry", "--author", B, "--reason", "not mine") == 1
    assert "prediction: `on-shared` is by forecaster-a, not forecaster-b" in capsys.readouterr().err
    assert not (minimal_registry / "withdrawals").exists()


def test_a_prediction_is_withdrawn_once(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert withdraw("on-shared", "registry", "--author", A, "--reason", "first") == 0
    assert withdraw("on-shared", "registry", "--author", A, "--reason", "second") == 2
    assert "exists already" in capsys.readouterr().err
    assert "first" in text(minimal_registry, "withdrawals/on-shared.yaml")


def test_withdrawing_an_unknown_prediction_names_it(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert withdraw("no-such-prediction", "registry", "--author", A, "--reason", "x") == 1
    assert "`no-such-prediction` is no valid prediction" in capsys.readouterr().err


def test_withdraw_without_a_terminal_names_what_is_missing(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert withdraw("on-shared", "registry") == 2
    assert "missing --author, --reason" in capsys.readouterr().err


# --- predreg resolve --manual ------------------------------------------------------------------


def manual(*args: str) -> int:
    return main(["resolve", "registry", "--now", NOW, *args])


def test_a_manual_resolution_keeps_the_fetched_evidence(
    minimal_registry: Path, server: EvidenceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["/report"] = body(PAGE)
    url = server.url("/report")
    code = manual("--manual", "shared-question", "--outcome", "yes", "--evidence", url, "--by", B,
                  "--excerpt", "released the report", "--note", "The report  is the evidence.",
                  "--allow-loopback", server.origin)  # fmt: skip
    assert code == 0, capsys.readouterr().err
    digest = hashlib.sha256(PAGE.encode()).hexdigest()
    assert (minimal_registry / "evidence" / digest).read_bytes() == PAGE.encode()
    assert text(minimal_registry, "resolutions/shared-question.yaml") == (
        "question: shared-question\noutcome: yes\nresolved_at: 2026-11-24T12:00:00Z\nresolver: manual\n"
        f'resolved_by: forecaster-b\nevidence:\n  - url: "{url}"\n    fetched_at: 2026-11-24T12:00:00Z\n'
        f'    status: 200\n    sha256: {digest}\n    excerpt: "released the report"\n'
        'note: "The report is the evidence."\n'
    )
    assert server.hits["/report"] == 1
    assert check_registry("registry", today=TODAY).problems == []
    capsys.readouterr()
    assert main(["resolve", "registry", "--offline"]) == 0  # the audit finds body, hash and excerpt
    assert "verified 1" in capsys.readouterr().out


def test_a_manual_resolution_from_a_file(minimal_registry: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(PAGE, encoding="utf-8")
    assert manual("--manual", "shared-question", "--outcome", "no", "--evidence", str(report), "--by", B) == 0
    written = text(minimal_registry, "resolutions/shared-question.yaml")
    assert 'url: "file:report.html"' in written and "status" not in written and "outcome: no\n" in written
    assert (minimal_registry / "evidence" / hashlib.sha256(PAGE.encode()).hexdigest()).is_file()
    assert check_registry("registry", today=TODAY).problems == []


def test_a_manual_resolution_of_a_binary_file_quotes_nothing(minimal_registry: Path, tmp_path: Path) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.7\x00\x01\x02 binary")
    assert manual("--manual", "shared-question", "--outcome", "yes", "--evidence", str(scan), "--by", B) == 0
    assert "excerpt" not in text(minimal_registry, "resolutions/shared-question.yaml")


def test_a_manual_outcome_must_fit_the_question(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.txt"
    report.write_text("maybe", encoding="utf-8")
    assert manual("--manual", "shared-question", "--outcome", "maybe", "--evidence", str(report), "--by", B) == 1
    err = capsys.readouterr().err
    assert "outcome: `maybe` is not an outcome of binary question `shared-question`" in err and "nothing written" in err
    assert not (minimal_registry / "resolutions").exists() and not (minimal_registry / "evidence").exists()


def test_categorical_and_numeric_outcomes_are_read_per_kind(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.txt"
    report.write_text("lab-b shipped; the speed-up was 2.5x", encoding="utf-8")
    assert question("--claim", "Which lab?", "--criteria", "The first.", "--resolve-by", "2028-01-01",
                    "--kind", "categorical", "--outcomes", "lab-a,lab-b") == 0  # fmt: skip
    assert question("--claim", "How fast?", "--criteria", "Measured.", "--resolve-by", "2028-01-01",
                    "--kind", "numeric", "--unit", "x") == 0  # fmt: skip
    assert manual("--manual", "which-lab", "--outcome", "lab-b", "--evidence", str(report), "--by", B) == 0
    assert manual("--manual", "how-fast", "--outcome", "2.5", "--evidence", str(report), "--by", B) == 0
    assert "outcome: lab-b\n" in text(minimal_registry, "resolutions/which-lab.yaml")
    assert "outcome: 2.5\n" in text(minimal_registry, "resolutions/how-fast.yaml")
    assert check_registry("registry", today=TODAY).problems == []


@pytest.mark.parametrize(
    ("route", "said"),
    [("/missing", "HTTP 404"), (None, "is a loopback address")],
)
def test_evidence_that_cannot_be_fetched_writes_nothing(
    minimal_registry: Path, server: EvidenceServer, capsys: pytest.CaptureFixture[str], route: str | None, said: str
) -> None:
    allow = ["--allow-loopback", server.origin] if route else []  # without it, loopback is refused
    url = server.url(route or "/report")
    server.routes["/report"] = body(PAGE)
    assert manual("--manual", "shared-question", "--outcome", "yes", "--evidence", url, "--by", B, *allow) == 1
    err = capsys.readouterr().err
    assert said in err and "nothing written" in err and "Traceback" not in err
    assert not (minimal_registry / "resolutions").exists() and not (minimal_registry / "evidence").exists()


def test_an_excerpt_must_be_quoted_from_the_evidence(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.txt"
    report.write_text(PAGE, encoding="utf-8")
    args = ["--manual", "shared-question", "--outcome", "yes", "--evidence", str(report), "--by", B]
    assert manual(*args, "--excerpt", "words that are not there") == 1
    assert "is not in the evidence" in capsys.readouterr().err
    assert not (minimal_registry / "resolutions").exists()


def test_a_resolved_question_is_not_resolved_again(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.txt"
    report.write_text(PAGE, encoding="utf-8")
    args = ["--manual", "shared-question", "--evidence", str(report), "--by", B, "--outcome"]
    assert manual(*args, "yes") == 0
    assert manual(*args, "no") == 2
    assert "a correction is a new file resolutions/shared-question.2.yaml" in capsys.readouterr().err
    assert "outcome: yes" in text(minimal_registry, "resolutions/shared-question.yaml")


def test_manual_flags_go_with_manual(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert manual("--outcome", "yes") == 2
    assert "--outcome go with --manual QUESTION" in capsys.readouterr().err
    assert manual("--manual", "no-such-question", "--outcome", "yes", "--evidence", "x", "--by", B) == 1
    assert "no question `no-such-question` exists" in capsys.readouterr().err


def test_a_manual_resolution_without_its_resolver_names_the_flag_that_exists(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.txt"
    report.write_text(PAGE, encoding="utf-8")
    assert manual("--manual", "shared-question", "--outcome", "yes", "--evidence", str(report)) == 2
    assert "missing --by (or run on a terminal to be asked)" in capsys.readouterr().err


def test_a_manual_resolution_waits_for_no_running_resolve(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from predreg.files import locked

    report = tmp_path / "report.txt"
    report.write_text(PAGE, encoding="utf-8")
    with locked(minimal_registry / ".predreg" / "resolve.lock"):  # as a running `predreg resolve` holds it
        code = manual("--manual", "shared-question", "--outcome", "yes", "--evidence", str(report), "--by", B)
    assert code == 3
    assert "try again when it has finished" in capsys.readouterr().err
    assert not (minimal_registry / "resolutions").exists()


def test_a_question_is_named_as_it_spells_its_id(minimal_registry: Path) -> None:
    assert new("--question", "Shared-Question", "--probability", "0.4", author=B) == 0
    written = text(minimal_registry, "predictions/forecaster-b/shared-question-forecaster-b.yaml")
    assert "question: shared-question\n" in written
    assert problems() == []


def test_a_second_withdrawal_is_refused_before_anything_is_asked(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert withdraw("on-shared", "registry", "--author", A, "--reason", "first") == 0
    assert withdraw("on-shared", "registry") == 2  # no author, no reason: the refusal comes first
    err = capsys.readouterr().err
    assert "is withdrawn already" in err and "missing" not in err


def test_an_id_that_could_not_name_a_file_is_refused(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert withdraw("../authors", "registry", "--author", A, "--reason", "x") == 2
    assert "`../authors` is not a valid id" in capsys.readouterr().err
    assert inline("--probability", "0.3", "--id", "../../escape") == 2
    assert "--id '../../escape': id: `../../escape` is not a valid id" in capsys.readouterr().err
    assert not (minimal_registry.parent / "escape.yaml").exists()


def test_a_hidden_forecast_on_a_shared_question_is_named_question_then_author(
    minimal_registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREDREG_KEEP", str(tmp_path / "kept"))
    code = main(["commit", "registry", "--author", B, "--question", "shared-question", "--probability", "35%",
                 "--today", str(TODAY)])  # fmt: skip
    assert code == 0
    written = text(minimal_registry, "predictions/forecaster-b/shared-question-forecaster-b.yaml")
    assert "commitment:" in written and "probability" not in written
    assert (tmp_path / "kept" / "shared-question-forecaster-b.json").is_file()
    assert problems() == []


# --- attacks: what a hostile or careless author tries ------------------------------------


@pytest.mark.parametrize(
    ("command", "given"),
    [("new", "ON-SHARED"), ("new", "ｏｎ-shared"), ("new", "Shared-Question"), ("question", "SHARED-QUESTION")],
)
def test_an_id_taken_ignoring_case_and_unicode_form_is_refused(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str], command: str, given: str
) -> None:
    before = sorted(p for p in minimal_registry.rglob("*.yaml"))
    args = ["--id", given, "--claim", "X happens", "--criteria", "YES if X.", "--resolve-by", "2027-12-31"]
    code = inline("--probability", "0.3", "--id", given) if command == "new" else question(*args)
    assert code == 1
    assert f"`{given}` is also the id of registry/" in capsys.readouterr().err
    assert sorted(p for p in minimal_registry.rglob("*.yaml")) == before
    assert problems() == []


@pytest.mark.parametrize("given", ["007", "1e400", "-0", "0.10"])
def test_a_text_setting_that_looks_like_a_number_is_written_as_given(minimal_registry: Path, given: str) -> None:
    from predreg.load import load_file
    from predreg.plugins import catalogue
    from predreg.settings import resolver_settings

    assert inline("--probability", "0.3", "--resolver", "http", "--set", "url=https://example.org/page",
                  "--set", f"contains={given}") == 0  # fmt: skip
    path = minimal_registry / "predictions" / "forecaster-a" / "something-happens.yaml"
    prediction = load_file(str(path), "prediction").record
    settings, _ = resolver_settings(prediction.resolver, catalogue())
    assert settings.contains == given  # the words the page is searched for
    assert problems() == []


def test_a_text_setting_of_a_sub_resolver_is_written_as_given(minimal_registry: Path) -> None:
    sub = '{name: http, url: "https://example.org/a", contains: 007}'
    assert inline("--probability", "0.3", "--resolver", "any", "--set", f"of=[{sub}, {{name: manual}}]") == 0
    written = text(minimal_registry, "predictions/forecaster-a/something-happens.yaml")
    assert 'contains: "007"' in written
    assert problems() == []


def test_a_flag_that_is_not_utf8_is_a_usage_error_naming_it(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_utf8 = b"caf\xe9".decode("utf-8", "surrogateescape")  # as Python passes such bytes in argv
    assert inline("--probability", "0.3", claim=not_utf8) == 2
    assert "predreg: --claim: is not UTF-8 text" in capsys.readouterr().err
    assert withdraw(not_utf8, "registry", "--author", A, "--reason", "x") == 2
    assert manual("--manual", "shared-question", "--note", not_utf8) == 2
    assert "predreg: --note: is not UTF-8 text" in capsys.readouterr().err
    assert predictions(minimal_registry) == ["on-shared.yaml"]
    assert not (minimal_registry / "withdrawals").exists() and not (minimal_registry / "resolutions").exists()


def in_the_way(registry: Path, relative: str) -> None:
    """A file where a folder must go: the registry cannot be written there, even by root (as a read-only one)."""
    (registry / relative).parent.mkdir(parents=True, exist_ok=True)
    (registry / relative).write_text("in the way\n", encoding="utf-8")


def test_a_registry_that_cannot_be_written_is_said_in_a_line_not_a_traceback(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    in_the_way(minimal_registry, "predictions/forecaster-b")
    in_the_way(minimal_registry, "withdrawals")
    in_the_way(minimal_registry, ".predreg")
    report = tmp_path / "report.txt"
    report.write_text(PAGE, encoding="utf-8")
    assert new("--question", "shared-question", "--probability", "0.4", author=B) == 2  # as any write that fails
    assert withdraw("on-shared", "registry", "--author", A, "--reason", "x") == 2
    assert manual("--manual", "shared-question", "--outcome", "yes", "--evidence", str(report), "--by", B) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.splitlines()) == 3
    assert all(line.startswith("predreg: registry/") for line in err.splitlines())
    assert "registry/predictions/forecaster-b" in err and "registry/withdrawals" in err and "registry/.predreg" in err
    assert not (minimal_registry / "resolutions").exists() and not (minimal_registry / "evidence").exists()


def test_a_hidden_forecast_that_cannot_be_written_keeps_no_salt(
    minimal_registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PREDREG_KEEP", str(tmp_path / "kept"))
    in_the_way(minimal_registry, "predictions/forecaster-b")
    args = ["commit", "registry", "--author", B, "--question", "shared-question", "--probability", "0.35"]
    assert main([*args, "--today", str(TODAY)]) == 2
    assert list((tmp_path / "kept").iterdir()) == []  # else the retry is refused: "exists already"
    (minimal_registry / "predictions" / "forecaster-b").unlink()
    assert main([*args, "--today", str(TODAY)]) == 0, capsys.readouterr().err
    assert (tmp_path / "kept" / "shared-question-forecaster-b.json").is_file()


@pytest.mark.parametrize("kind", ["folder", "fifo", "device"])
def test_evidence_that_is_not_a_regular_file_is_refused_not_read(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    import os

    source = {"folder": tmp_path / "folder", "fifo": tmp_path / "fifo", "device": Path("/dev/zero")}[kind]
    if kind == "folder":
        source.mkdir()
    elif kind == "fifo":
        os.mkfifo(source)  # no writer: a read would wait for ever
    assert manual("--manual", "shared-question", "--outcome", "yes", "--evidence", str(source), "--by", B) == 1
    assert f"evidence {source}: is not a regular file" in capsys.readouterr().err
    assert not (minimal_registry / "resolutions").exists() and not (minimal_registry / "evidence").exists()


@pytest.mark.skipif(not Path("/proc/self/pagemap").exists(), reason="Linux's /proc")
def test_evidence_that_holds_more_than_its_size_says_is_read_only_to_the_cap(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = Path("/proc/self/pagemap")  # stat says 0 bytes; it holds 8 for each page of the address space
    assert source.stat().st_size == 0
    assert manual("--manual", "shared-question", "--outcome", "yes", "--evidence", str(source), "--by", B) == 1
    assert "over the 5,242,880-byte cap of a stored body" in capsys.readouterr().err
    assert not (minimal_registry / "evidence").exists()


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--kind", "categorical", "--probabilities", "a=0.3,a=0.7"], "probabilities.a: is given twice"),
        (["--kind", "ordering", "--event", "a=A", "--event", "a=B", "--probabilities", "a=0.5,neither=0.5"],
         "events.a: is given twice"),
    ],
)  # fmt: skip
def test_a_name_given_twice_is_refused_not_kept_once(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str], flags: list[str], said: str
) -> None:
    assert inline(*flags) == 2
    assert said in capsys.readouterr().err
    assert predictions(minimal_registry) == ["on-shared.yaml"]


def test_reveal_refuses_an_id_that_could_not_name_a_file_before_reading_one(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "outside.json").write_text('{"salt": "00", "forecast": {"probability": 0.5}}', encoding="utf-8")
    kept = tmp_path / "kept"
    kept.mkdir()
    assert main(["reveal", "../outside", "registry", "--keep", str(kept)]) == 2
    assert "`../outside` is not a valid id" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content", ["not json", "[]", '{"salt": 1}', '{"salt": "00", "forecast": {"prediction": "x"}}']
)
def test_a_kept_commitment_that_is_not_what_commit_keeps_is_named(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    (tmp_path / "on-shared.json").write_text(content, encoding="utf-8")
    assert main(["reveal", "on-shared", "registry", "--keep", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "on-shared.json is not what `predreg commit` keeps" in err and "Traceback" not in err
    assert not (minimal_registry / "reveals").exists()


def test_a_percentage_is_read_as_the_loader_reads_numbers(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert inline("--probability", "1_0%") == 2  # Python's Decimal reads `1_0` as 10; YAML and the loader do not
    assert "probability: `1_0%` is not a number" in capsys.readouterr().err
    assert predictions(minimal_registry) == ["on-shared.yaml"]


def test_a_value_with_a_newline_is_refused_in_one_line(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert new("--question", "shared-question", "--probability", "0.3", author="forecaster-a\nforged: line") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "`forecaster-a\\nforged: line` is not a valid author handle" in err


def test_an_excerpt_of_a_page_in_another_encoding_is_quoted_as_the_audit_reads_it(
    minimal_registry: Path, server: EvidenceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    page = "<p>Caf\u00e9 closed \u2014 the lab released the report.</p>".encode("cp1252")  # not UTF-8
    server.routes["/latin"] = body(page, content_type="text/html; charset=windows-1252")
    code = manual("--manual", "shared-question", "--outcome", "yes", "--evidence", server.url("/latin"), "--by", B,
                  "--excerpt", "the lab released the report", "--allow-loopback", server.origin)  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert 'excerpt: "the lab released the report"' in text(minimal_registry, "resolutions/shared-question.yaml")
    capsys.readouterr()
    assert main(["resolve", "registry", "--offline"]) == 0
    assert "verified 1" in capsys.readouterr().out


def test_a_hidden_forecast_on_a_numeric_question_names_no_flag_commit_lacks(
    minimal_registry: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PREDREG_KEEP", str(tmp_path / "kept"))
    assert question("--id", "how-much", "--claim", "How much?", "--criteria", "Measured.", "--resolve-by", "2028-01-01",
                    "--kind", "numeric", "--unit", "x") == 0  # fmt: skip
    assert main(["commit", "registry", "--author", B, "--question", "how-much", "--today", str(TODAY)]) == 2
    err = capsys.readouterr().err
    assert "--quantiles" not in err and "`predreg commit` hides a probability or probabilities" in err
    assert not (tmp_path / "kept").exists()


def test_the_id_made_for_a_forecast_on_a_question_with_a_long_id_fits(minimal_registry: Path) -> None:
    long_id = "q" * 115  # an id may have 120 characters; with `-forecaster-a` after it, this one would not
    assert question("--id", long_id, "--claim", "Long?", "--criteria", "YES if so.", "--resolve-by", "2028-01-01") == 0
    assert new("--question", long_id, "--probability", "0.3") == 0
    assert new("--question", long_id, "--probability", "0.4", "--supersedes", "on-shared") == 1  # another's question
    assert new("--question", long_id, "--probability", "0.4") == 0  # a revision: `-2` fits too
    assert sorted(len(name.removesuffix(".yaml")) for name in predictions(minimal_registry)) == [9, 117, 119]
    assert problems() == []


def test_a_forecast_on_a_resolved_question_is_told_it_is_not_scored(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.txt"
    report.write_text(PAGE, encoding="utf-8")
    assert manual("--manual", "shared-question", "--outcome", "yes", "--evidence", str(report), "--by", B) == 0
    capsys.readouterr()
    assert new("--question", "shared-question", "--probability", "0.9", author=B) == 0
    assert "`shared-question` is resolved already: a forecast registered after its resolution is not scored" in (
        capsys.readouterr().out
    )


def test_a_manual_resolution_of_a_question_with_another_resolver_says_it_takes_its_place(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.txt"
    report.write_text(PAGE, encoding="utf-8")
    assert question("--id", "card", "--claim", "A card?", "--criteria", "YES if published.", "--resolve-by",
                    "2028-01-01", "--resolver", "http", "--set", "url=https://example.org/card",
                    "--set", "contains=system card") == 0  # fmt: skip
    capsys.readouterr()
    assert manual("--manual", "card", "--outcome", "yes", "--evidence", str(report), "--by", B) == 0
    assert "`card` names the http resolver; this resolution takes its place" in capsys.readouterr().out
    assert problems() == []


@pytest.mark.parametrize("link", ["predictions/forecaster-b", "withdrawals", "evidence", "resolutions", ".predreg"])
def test_a_symbolic_link_out_of_the_registry_is_not_written_through(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], link: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (minimal_registry / link).parent.mkdir(parents=True, exist_ok=True)
    (minimal_registry / link).symlink_to(outside)  # as a pull request may add it: git keeps symbolic links
    report = tmp_path / "report.txt"
    report.write_text(PAGE, encoding="utf-8")
    codes = [
        new("--question", "shared-question", "--probability", "0.4", author=B),
        withdraw("on-shared", "registry", "--author", A, "--reason", "x"),
        manual("--manual", "shared-question", "--outcome", "yes", "--evidence", str(report), "--by", B),
    ]
    assert f"registry/{link} leads outside the registry" in capsys.readouterr().err
    assert 2 in codes and list(outside.iterdir()) == []


def test_an_author_in_git_config_that_is_not_utf8_is_refused_as_a_handle(
    minimal_registry: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "no-gitconfig").write_bytes(b"[predreg]\n\tauthor = x\xff\n")  # the test's global git config
    assert main(["new", "registry", "--question", "shared-question", "--probability", "0.3"]) == 2
    err = capsys.readouterr().err
    assert "is not a valid author handle" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "flags", [["--id", "mine", "--supersedes", "mine"], ["--supersedes", "shared-question-forecaster-b"]]
)
def test_a_prediction_that_supersedes_itself_is_refused(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str], flags: list[str]
) -> None:
    assert new("--question", "shared-question", "--probability", "0.4", *flags, author=B) == 1
    assert "supersedes: `" in capsys.readouterr().err  # the made id, shared-question-forecaster-b, would be its own
    assert predictions(minimal_registry, B) == []


def test_the_same_evidence_given_twice_is_kept_once(minimal_registry: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.txt"
    report.write_text(PAGE, encoding="utf-8")
    args = ["--manual", "shared-question", "--outcome", "yes", "--by", B, "--evidence", str(report)]
    assert manual(*args, "--evidence", str(report)) == 0
    assert text(minimal_registry, "resolutions/shared-question.yaml").count("  - url:") == 1


def test_evidence_at_a_url_with_a_password_is_refused_not_published(
    minimal_registry: Path, server: EvidenceServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.routes["/report"] = body(PAGE)
    url = server.url("/report").replace("http://", "http://alice:s3cret@")
    code = manual("--manual", "shared-question", "--outcome", "yes", "--evidence", url, "--by", B,
                  "--allow-loopback", server.origin)  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "a URL with a user name or password would publish it in the record" in err and "s3cret" not in err
    assert not (minimal_registry / "resolutions").exists() and server.hits["/report"] == 0


@pytest.mark.parametrize("url", ["http://[::1", "http://127.0.0.1:99999/report", "http://127.0.0.1:port/"])
def test_evidence_at_a_malformed_url_is_refused_in_a_line(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    assert manual("--manual", "shared-question", "--outcome", "yes", "--evidence", url, "--by", B) == 1
    err = capsys.readouterr().err
    assert f"evidence {url}: is not a URL that can be fetched" in err and "Traceback" not in err
    assert not (minimal_registry / "resolutions").exists()
