"""The prompts, answer by answer, through a real pseudo-terminal (pexpect).

On a terminal the authoring commands ask for what the flags left out: the author
first, then each missing field, asking again (in the checker's words) until an answer
reads. Ctrl-C and Ctrl-D leave with one line and nothing written.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pexpect
import pytest

from predreg import check_registry

from .conftest import TODAY
from .evidence_server import EvidenceServer, body

TIMEOUT = 20


@pytest.fixture
def terminal_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user with no author configured (no $PREDREG_AUTHOR, no git config)."""
    env = {k: v for k, v in os.environ.items() if k != "PREDREG_AUTHOR" and not k.startswith("PYTEST")}
    env.update(GIT_CONFIG_GLOBAL=str(tmp_path / "no-gitconfig"), GIT_CONFIG_NOSYSTEM="1", TERM="dumb")
    return env


def _as_from_a_shell() -> None:
    # a test runner's worker may ignore SIGINT, and an ignored signal stays ignored across exec:
    # give the command Ctrl-C as an interactive shell would
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Terminal:
    """A predreg command on a pseudo-terminal, driven answer by answer."""

    def __init__(self, args: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "predreg.cli", *args],
            cwd=str(cwd),
            env=env,
            encoding="utf-8",
            codec_errors="replace",  # the terminal echoes what is typed, UTF-8 or not
            timeout=TIMEOUT,
            preexec_fn=_as_from_a_shell,
        )

    def prompt(self, label: str) -> str:
        """Wait for a prompt; what the command printed before it."""
        self.child.expect_exact(label)
        return str(self.child.before)

    def answer(self, label: str, text: str) -> str:
        before = self.prompt(label)
        self.child.sendline(text)
        return before

    def interrupt(self) -> tuple[int, str]:
        """Press Ctrl-C at the prompt shown; the exit code and what was printed after.

        A SIGINT that lands between the prompt being written and the read starting is only
        acted on once the read returns (CPython's race, which a person typing never hits),
        so Ctrl-C is pressed again until the command ends.
        """
        for _ in range(20):
            self.child.sendintr()
            try:
                self.child.expect(pexpect.EOF, timeout=1)
                break
            except pexpect.TIMEOUT:  # what arrived stays in the buffer, for `before` at the end
                continue
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1), str(self.child.before)

    def finish(self) -> tuple[int, str]:
        """The exit code and what was printed after the last answer."""
        self.child.expect(pexpect.EOF)
        self.child.close()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1), str(self.child.before)


Spawn = Callable[..., Terminal]


@pytest.fixture
def spawn(minimal_registry: Path, terminal_env: dict[str, str]) -> Iterator[Spawn]:
    started: list[Terminal] = []

    def start(*args: str) -> Terminal:
        dated = [*args, "--today", str(TODAY)] if args[0] != "resolve" else list(args)  # resolve takes --now
        terminal = Terminal(dated, Path.cwd(), terminal_env)
        started.append(terminal)
        return terminal

    yield start
    for terminal in started:
        terminal.child.close(force=True)


def written(registry: Path) -> list[str]:
    return sorted(str(p.relative_to(registry)) for p in registry.rglob("*") if p.is_file())


AUTHOR = "Author (your handle): "
CLAIM = "Claim (one or two sentences): "
CRITERIA = "Criteria (YES if ..., NO if ...): "
RESOLVE_BY = "Resolve by (YYYY-MM-DD): "
PROBABILITY = "Probability of yes (0.001-0.999): "


def test_the_author_is_asked_first(spawn: Spawn, minimal_registry: Path) -> None:
    terminal = spawn("new", "registry")
    terminal.prompt(AUTHOR)
    assert "Claim" not in str(terminal.child.before)
    terminal.child.sendline("forecaster-b")
    terminal.answer(CLAIM, "A thing happens")
    terminal.answer(CRITERIA, "YES if it does.")
    terminal.answer(RESOLVE_BY, "2027-12-31")
    terminal.answer(PROBABILITY, "0.4")
    code, out = terminal.finish()
    assert code == 0, out
    assert "wrote registry/predictions/forecaster-b/a-thing-happens.yaml" in out
    assert check_registry("registry", today=TODAY).problems == []


def test_an_unlisted_author_is_asked_again_in_the_checkers_words(spawn: Spawn) -> None:
    terminal = spawn("new", "registry", "--question", "shared-question", "--probability", "0.3")
    terminal.answer(AUTHOR, "nobody")
    said = terminal.answer(AUTHOR, "forecaster-b")
    assert "author: `nobody` is not in authors.yaml (known: forecaster-a, forecaster-b)" in said
    code, out = terminal.finish()
    assert code == 0 and "shared-question-forecaster-b.yaml" in out


def test_a_percentage_is_read_as_a_fraction_with_a_note(spawn: Spawn, minimal_registry: Path) -> None:
    terminal = spawn("new", "registry", "--author", "forecaster-a", "--claim", "Percent", "--criteria", "YES if so.",
                     "--resolve-by", "2027-12-31")  # fmt: skip
    terminal.answer(PROBABILITY, "70%")
    code, out = terminal.finish()
    assert code == 0
    assert "read 70% as 0.7" in out
    assert "probability: 0.7\n" in (minimal_registry / "predictions" / "forecaster-a" / "percent.yaml").read_text()


def test_a_relative_date_is_asked_again_with_the_format(spawn: Spawn) -> None:
    terminal = spawn("new", "registry", "--author", "forecaster-a", "--claim", "Dated", "--criteria", "YES if so.",
                     "--probability", "0.2")  # fmt: skip
    terminal.answer(RESOLVE_BY, "end of 2027")
    said = terminal.answer(RESOLVE_BY, "2027-12-31")
    assert "resolve_by: `end of 2027` is a relative date, whose meaning drifts with time" in said
    assert "write YYYY-MM-DD, e.g. 2027-12-31" in said
    assert terminal.finish()[0] == 0


def test_a_date_in_the_past_is_asked_again(spawn: Spawn) -> None:
    terminal = spawn("new", "registry", "--author", "forecaster-a", "--claim", "Past", "--criteria", "YES if so.",
                     "--probability", "0.2")  # fmt: skip
    terminal.answer(RESOLVE_BY, "2026-01-01")
    said = terminal.answer(RESOLVE_BY, "2027-01-01")
    assert "resolve_by: resolve_by 2026-01-01 is not after registered 2026-11-23" in said
    assert terminal.finish()[0] == 0


def test_an_empty_answer_is_asked_again(spawn: Spawn) -> None:
    terminal = spawn("new", "registry", "--author", "forecaster-a", "--criteria", "YES if so.",
                     "--resolve-by", "2027-12-31", "--probability", "0.2")  # fmt: skip
    terminal.answer(CLAIM, "")
    said = terminal.answer(CLAIM, "Not empty")
    assert "claim: is empty" in said
    code, out = terminal.finish()
    assert code == 0 and "not-empty.yaml" in out


def test_a_probability_out_of_range_is_asked_again_in_the_checkers_words(spawn: Spawn) -> None:
    terminal = spawn("new", "registry", "--author", "forecaster-a", "--question", "shared-question")
    terminal.answer(PROBABILITY, "35")
    said = terminal.answer(PROBABILITY, "0.35")
    assert (
        "probability: 35 is outside [0.001, 0.999], the range a forecast may take; if you mean 35%, write `0.35`"
        in (said)
    )
    code, out = terminal.finish()
    assert code == 0 and "supersedes on-shared" in out


def test_ctrl_c_leaves_with_130_and_one_line(spawn: Spawn, minimal_registry: Path) -> None:
    before = written(minimal_registry)
    terminal = spawn("new", "registry", "--author", "forecaster-a")
    terminal.answer(CLAIM, "Half typed")
    terminal.prompt(CRITERIA)
    code, out = terminal.interrupt()
    assert code == 130
    lines = [line for line in out.splitlines() if line.replace("^C", "").strip()]  # the terminal echoes ^C
    assert lines == ["predreg: cancelled (Ctrl-C); nothing written"]
    assert "Traceback" not in out
    assert written(minimal_registry) == before


def test_ctrl_d_leaves_with_1_and_one_line(spawn: Spawn, minimal_registry: Path) -> None:
    before = written(minimal_registry)
    terminal = spawn("new", "registry")
    terminal.prompt(AUTHOR)
    terminal.child.sendeof()
    code, out = terminal.finish()
    assert code == 1
    assert [line for line in out.splitlines() if line.strip()] == ["predreg: no answer (end of input); nothing written"]
    assert written(minimal_registry) == before


def test_missing_resolver_settings_are_asked_for(spawn: Spawn, minimal_registry: Path) -> None:
    terminal = spawn("new", "registry", "--author", "forecaster-a", "--claim", "Card", "--criteria", "YES if so.",
                     "--resolve-by", "2027-12-31", "--probability", "0.5", "--resolver", "http")  # fmt: skip
    said = terminal.answer("Resolver http, setting url: ", "not a url")
    assert "resolver.url: is missing" in said
    said = terminal.answer("Resolver http, setting url: ", "https://example.org/card")
    assert "`not a url` is not an http(s) URL" in said
    said = terminal.answer("Resolver http, setting contains: ", "system card")
    assert "give exactly one of `contains` and `matches`" in said
    assert terminal.finish()[0] == 0
    text = (minimal_registry / "predictions" / "forecaster-a" / "card.yaml").read_text()
    assert 'resolver: {name: http, url: "https://example.org/card", contains: "system card"}' in text


def test_question_new_asks_for_its_fields(spawn: Spawn, minimal_registry: Path) -> None:
    terminal = spawn("question", "new", "registry", "--kind", "categorical")
    terminal.answer(CLAIM, "Which lab?")
    terminal.answer(CRITERIA, "The first to ship.")
    terminal.answer(RESOLVE_BY, "2028-01-01")
    terminal.answer("Outcomes (a, b, ...): ", "lab a, lab-b")
    said = terminal.answer("Outcomes (a, b, ...): ", "lab-a, lab-b")
    assert "outcomes[0]: `lab a` is not a valid outcome name" in said
    code, out = terminal.finish()
    assert code == 0 and "wrote registry/questions/which-lab.yaml" in out
    assert "outcomes: [lab-a, lab-b]\n" in (minimal_registry / "questions" / "which-lab.yaml").read_text()


def test_withdraw_asks_the_author_first_then_why(spawn: Spawn, minimal_registry: Path) -> None:
    terminal = spawn("withdraw", "on-shared", "registry")
    terminal.answer(AUTHOR, "forecaster-a")
    terminal.answer("Reason (for readers of the record): ", "Changed my mind")
    code, out = terminal.finish()
    assert code == 0 and "wrote registry/withdrawals/on-shared.yaml" in out


def test_resolve_manual_asks_again_for_an_outcome_the_question_lacks(
    spawn: Spawn, minimal_registry: Path, server: EvidenceServer
) -> None:
    server.routes["/report"] = body("<p>It happened.</p>")
    terminal = spawn("resolve", "registry", "--manual", "shared-question", "--now", "2026-11-24T12:00:00Z",
                     "--allow-loopback", server.origin)  # fmt: skip
    terminal.answer("Resolved by (your handle): ", "forecaster-b")
    terminal.answer("Outcome (yes, no, annulled or ambiguous): ", "maybe")
    said = terminal.answer("Outcome (yes, no, annulled or ambiguous): ", "yes")
    assert "outcome: `maybe` is not an outcome of binary question `shared-question`" in said
    terminal.answer("Evidence (a URL or a file): ", server.url("/missing"))
    said = terminal.answer("Evidence (a URL or a file): ", server.url("/report"))
    assert "HTTP 404" in said
    code, out = terminal.finish()
    assert code == 0, out
    assert "outcome: yes\n" in (minimal_registry / "resolutions" / "shared-question.yaml").read_text()


def test_a_field_the_check_refuses_is_asked_again_not_all_of_them(spawn: Spawn, minimal_registry: Path) -> None:
    (minimal_registry / "questions" / "which-lab.yaml").write_text(
        "id: which-lab\nclaim: Which lab?\ncriteria: The first.\nresolve_by: 2028-01-01\n"
        "resolver: {name: manual}\nkind: categorical\noutcomes: [lab-a, lab-b]\n"
    )
    terminal = spawn("new", "registry", "--question", "which-lab")
    terminal.answer(AUTHOR, "forecaster-b")
    label = "Probabilities (lab-a=..., lab-b=...; summing to 1): "
    terminal.answer(label, "lab-a=50%,lab-b=0.4")
    said = terminal.answer(label, "lab-a=0.6,lab-b=0.4")
    assert "read 50% as 0.5" in said
    assert "probabilities: sum to 0.9, not 1; adjust them so that they add up to exactly 1" in said
    code, out = terminal.finish()
    assert code == 0, out
    written = (minimal_registry / "predictions" / "forecaster-b" / "which-lab-forecaster-b.yaml").read_text()
    assert "probabilities: {lab-a: 0.6, lab-b: 0.4}\n" in written


def test_an_answer_that_is_not_utf8_is_asked_again(spawn: Spawn, minimal_registry: Path) -> None:
    terminal = spawn("new", "registry", "--author", "forecaster-a", "--criteria", "YES if so.",
                     "--resolve-by", "2027-12-31", "--probability", "0.2")  # fmt: skip
    terminal.prompt(CLAIM)
    os.write(terminal.child.child_fd, b"caf\xe9 latin-1\r")  # as a Latin-1 terminal would send it
    said = terminal.answer(CLAIM, "Café in UTF-8")
    assert "claim: is not UTF-8 text" in said and "Traceback" not in said
    code, out = terminal.finish()
    assert code == 0, out
    written = (minimal_registry / "predictions" / "forecaster-a" / "cafe-in-utf-8.yaml").read_text(encoding="utf-8")
    assert 'claim: "Café in UTF-8"\n' in written


def test_withdrawing_an_unknown_prediction_is_refused_before_anything_is_asked(
    spawn: Spawn, minimal_registry: Path
) -> None:
    terminal = spawn("withdraw", "no-such-prediction", "registry")
    code, out = terminal.finish()
    assert code == 1 and "Author" not in out
    assert "`no-such-prediction` is no valid prediction" in out and "nothing written" in out


def test_withdrawing_as_another_author_is_asked_again_before_the_reason(spawn: Spawn, minimal_registry: Path) -> None:
    terminal = spawn("withdraw", "on-shared", "registry")
    terminal.answer(AUTHOR, "forecaster-b")
    said = terminal.answer(AUTHOR, "forecaster-a")
    assert "author: `forecaster-b` is not forecaster-a, whose prediction this is" in said and "Reason" not in said
    terminal.answer("Reason (for readers of the record): ", "Changed my mind")
    code, out = terminal.finish()
    assert code == 0 and "wrote registry/withdrawals/on-shared.yaml" in out


def test_ctrl_c_during_a_fetch_leaves_with_130_and_one_line(
    spawn: Spawn, minimal_registry: Path, server: EvidenceServer
) -> None:
    from .evidence_server import stall

    before = written(minimal_registry)
    server.routes["/stalled"] = stall(30)
    terminal = spawn("resolve", "registry", "--manual", "shared-question", "--now", "2026-11-24T12:00:00Z",
                     "--by", "forecaster-b", "--outcome", "yes", "--evidence", server.url("/stalled"),
                     "--allow-loopback", server.origin)  # fmt: skip
    while not server.hits["/stalled"]:
        terminal.child.expect(pexpect.TIMEOUT, timeout=0.1)
    code, out = terminal.interrupt()
    assert code == 130
    assert [line for line in out.splitlines() if line.replace("^C", "").strip()] == [
        "predreg: cancelled (Ctrl-C); nothing written"
    ]
    assert written(minimal_registry) == before


def test_evidence_typed_at_a_prompt_may_start_with_a_tilde(
    minimal_registry: Path, terminal_env: dict[str, str], tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "report.txt").write_text("It happened.", encoding="utf-8")
    env = {**terminal_env, "HOME": str(home)}
    terminal = Terminal(["resolve", "registry", "--manual", "shared-question", "--now", "2026-11-24T12:00:00Z",
                         "--by", "forecaster-b", "--outcome", "yes"], Path.cwd(), env)  # fmt: skip
    try:
        terminal.answer("Evidence (a URL or a file): ", "~/report.txt")  # no shell expands it here
        code, out = terminal.finish()
    finally:
        terminal.child.close(force=True)
    assert code == 0, out
    assert 'url: "file:report.txt"' in (minimal_registry / "resolutions" / "shared-question.yaml").read_text()
