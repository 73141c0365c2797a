"""The registry on disk has one owner, and the rules are named functions in a table.

``predreg.registry`` says where each kind of record lives and gives records from a walk,
a closure or shards' lines, all of the same type; ``checks.check_registry`` applies the
rules to whichever it is given, reading no file and no clock.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pytest

from predreg import checks, codec, plugins, registry, shard
from predreg.catalogue import readme_as_generated
from predreg.load import load_file, load_text

from .conftest import DATA, EXAMPLE_REGISTRY, REPO

TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("relative", "kind"),
    [
        ("authors.yaml", "authors"),
        ("questions/q.yaml", "question"),
        ("predictions/alice/p.yaml", "prediction"),
        ("resolutions/q.2.yaml", "resolution"),
        ("reveals/p.yaml", "reveal"),
        ("withdrawals/p.yaml", "withdrawal"),
        ("evidence/0f00", "evidence"),
        ("predictions/p.yaml", None),
        ("questions/q.yml", None),
        ("notes.txt", None),
    ],
)
def test_the_layout_names_the_kind_each_path_holds(relative: str, kind: str | None) -> None:
    assert registry.kind_of(relative) == kind


@pytest.mark.parametrize(
    ("kind", "record_id", "author"),
    [("question", "q", None), ("prediction", "p", "alice"), ("resolution", "q", None), ("reveal", "p", None)],
)
def test_the_path_of_a_record_holds_that_kind(kind: str, record_id: str, author: str | None) -> None:
    assert registry.kind_of(registry.record_path(kind, record_id, author)) == kind


@pytest.mark.parametrize(("relative", "question"), [("resolutions/q.yaml", "q"), ("resolutions/q.v2.3.yaml", "q.v2")])
def test_a_resolution_file_names_its_question(relative: str, question: str) -> None:
    assert registry.question_of(relative) == question


def test_local_state_lives_under_dot_predreg(tmp_path: Path) -> None:
    assert registry.Layout(str(tmp_path)).local("index.sqlite") == tmp_path / ".predreg" / "index.sqlite"


def test_a_file_found_alone_is_placed_in_its_registry(tmp_path: Path) -> None:
    root = tmp_path / "registry"
    assert registry.locate(root / "predictions" / "alice" / "p.yaml") == (root, "prediction")
    assert registry.locate(root / "questions" / "q.yaml") == (root, "question")
    assert registry.locate(root / "authors.yaml") == (root, "authors")
    assert registry.locate(root / "notes" / "n.yaml") is None


def test_the_codec_gives_back_the_loaded_file(example_registry: Path) -> None:
    for item in registry.walk(str(example_registry)).loaded:
        line = codec.dumps(codec.encode(item, "anywhere.yaml"), sort_keys=True)
        assert codec.decode(codec.loads(line), item.path) == item


def test_the_codec_refuses_numbers_no_writer_writes() -> None:
    with pytest.raises(ValueError, match="not a JSON number"):
        codec.loads('{"probability": NaN}')
    with pytest.raises(ValueError, match="beyond a float"):
        codec.loads('{"probability": 1e400}')


def test_checking_reads_no_file(tmp_path: Path) -> None:
    """Records need not be on disk: the check judges what it is given."""
    text = (DATA / "invalid" / "future-registration.yaml").read_text(encoding="utf-8")
    path = str(tmp_path / "nowhere" / "predictions" / "forecaster-a" / "future-registration.yaml")
    records = registry.Records(str(tmp_path / "nowhere"), (load_text(path, "prediction", text),))
    found = checks.check_registry(records, today=TODAY, resolvers=plugins.catalogue()).problems
    assert [p.field for p in found] == ["registered"]
    assert not (tmp_path / "nowhere").exists()


def test_the_check_is_as_of_the_date_it_is_given() -> None:
    records = registry.walk(str(EXAMPLE_REGISTRY))
    assert checks.check_registry(records, today=TODAY, resolvers=plugins.catalogue()).ok
    assert not checks.check_registry(records, today=dt.date(2000, 1, 1), resolvers=plugins.catalogue()).ok


def test_every_source_gives_the_check_of_a_walk(example_registry: Path) -> None:
    walked = checks.check_registry(registry.walk(str(example_registry)), today=TODAY, resolvers=plugins.catalogue())
    indexed = checks.check_registry(
        registry.walk(str(example_registry), index=True), today=TODAY, resolvers=plugins.catalogue()
    )
    part = shard.check_shard(str(example_registry), 1, 1, today=TODAY)
    lines = io.StringIO()
    shard.write_lines(part, str(example_registry), lines)
    merged = checks.check_registry(
        registry.shard_lines(str(example_registry), [lines.getvalue().splitlines()]),
        today=TODAY,
        resolvers=plugins.catalogue(),
    )
    for other in (indexed, merged, part.registry):
        assert other.predictions == walked.predictions
        assert other.problems == walked.problems


def test_a_closure_reads_only_what_its_files_refer_to(minimal_registry: Path) -> None:
    shutil.copy(DATA / "invalid" / "unknown-question.yaml", minimal_registry / "predictions" / "forecaster-a")
    present = registry.Layout(str(minimal_registry)).listing().relative()
    records = registry.closure(str(minimal_registry), ["predictions/forecaster-a/unknown-question.yaml"], present)
    read = sorted(registry.Layout(str(minimal_registry)).relative(item.path) for item in records.loaded)
    assert read == ["authors.yaml", "predictions/forecaster-a/unknown-question.yaml"]


def test_rule_names_are_unique_and_each_rule_says_what_it_holds() -> None:
    names = [rule.name for rules in checks.RULES.values() for rule in rules]
    forecast = {rule.name for rule in checks.FORECAST_RULES}
    assert len(names) == len(set(names))
    assert forecast <= set(names)
    assert all(rule.doc for rules in checks.RULES.values() for rule in rules)


def test_a_stopping_rule_ends_its_records_checks(minimal_registry: Path) -> None:
    """A reveal of no prediction is not judged further: its salt is not weighed."""
    reveals = minimal_registry / "reveals"
    reveals.mkdir()
    (reveals / "ghost.yaml").write_text("prediction: ghost\nrevealed: 2026-11-23\nprobability: 0.3\nsalt: ab\n")
    item = load_file(str(reveals / "ghost.yaml"), "reveal")
    assert item.record is not None
    found = checks.apply(checks.RULES["reveal"], item, checks.Context(today=TODAY))
    assert [p.message for p in found] == ["`ghost` is no valid prediction"]
    assert list(checks.salt_is_long(item, checks.Context(today=TODAY)))  # the salt would have been refused


def test_each_problem_is_traced_to_the_rule_that_found_it(minimal_registry: Path) -> None:
    shutil.copy(DATA / "invalid" / "unknown-author.yaml", minimal_registry / "predictions" / "forecaster-a")
    checked, rules = checks.traced(registry.walk(str(minimal_registry)), today=TODAY, resolvers=plugins.catalogue())
    assert sorted(rules[p] for p in checked.problems) == ["author_is_listed", "author_matches_folder"]


def test_the_readme_catalogue_is_as_generated() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert readme == readme_as_generated(REPO), "run `python -m predreg.catalogue` to regenerate it"


def test_a_misnamed_withdrawal_is_reported_and_still_stands(minimal_registry: Path) -> None:
    folder = minimal_registry / "withdrawals"
    folder.mkdir()
    (folder / "misnamed.yaml").write_text("prediction: on-shared\nwithdrawn: 2026-11-23\nreason: changed my mind\n")
    checked = checks.check_registry(registry.walk(str(minimal_registry)), today=TODAY, resolvers=plugins.catalogue())
    assert [p.message for p in checked.problems] == ["`on-shared` differs from the file name"]
    assert "on-shared" in checked.withdrawals
