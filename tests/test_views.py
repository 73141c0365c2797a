"""What the leaderboard's views (``--by``, ``--tag``) show in every format, and the check headline."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from predreg import check_registry, leaderboard
from predreg.cli import main

from .conftest import TODAY
from .test_check import resolve, write

OTHER = (
    "id: other-question\nclaim: Another question.\ncriteria: YES if so.\nresolve_by: 2027-06-30\n"
    "resolver: {name: manual}\nkind: binary\ntags: [second]\n"
)


def _two_tags(registry: Path) -> None:
    """forecaster-a: annulled on shared-question (tag ``first``), scored on other-question (tag ``second``)."""
    question = registry / "questions" / "shared-question.yaml"
    question.write_text(question.read_text() + "tags: [first]\n")
    write(registry, "questions/other-question.yaml", OTHER)
    write(
        registry,
        "predictions/forecaster-a/on-other.yaml",
        "id: on-other\nauthor: forecaster-a\nregistered: 2026-11-23\nquestion: other-question\nprobability: 0.8\n",
    )
    resolve(registry, "annulled")
    resolve(registry, "yes", question="other-question")


def test_each_tag_view_counts_only_its_own_unscored_series(minimal_registry: Path) -> None:
    _two_tags(minimal_registry)
    registry = check_registry("registry", today=TODAY)
    board = leaderboard.build(registry, min_n=1, today=TODAY)
    [a] = board.ranked
    assert (a.n, a.unscored) == (1, 1)  # the whole board: one scored, one annulled
    views = dict(leaderboard.views(registry, board, "tag", min_n=1, today=TODAY))
    [scored] = views["second"].ranked
    assert (scored.n, scored.unscored) == (1, 0)  # the annulled question is not in this view
    assert views["second"].unscored == []
    # the annulled question has no scored row, so it has no view of its own; narrowing to its tag
    # shows the author with the one unscored series and nothing scored
    first = leaderboard.build(registry, min_n=1, today=TODAY, groups=[("tag", "first")])
    assert [(u.author, u.question) for u in first.unscored] == [("forecaster-a", "shared-question")]
    [(author, n, unscored)] = [(x.author, x.n, x.unscored) for x in first.unranked]
    assert (author, n, unscored) == ("forecaster-a", 0, 1)


def test_by_tag_is_kept_in_csv_with_a_group_column(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _two_tags(minimal_registry)
    assert main(["score", "registry", "--format", "csv", "--by", "tag", "--min-n", "1"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["author"], r["by"], r["group"], r["unscored"]) for r in rows] == [
        ("forecaster-a", "", "", "1"),  # the whole board first, with no group
        ("forecaster-a", "tag", "second", "0"),
    ]


def test_by_tag_is_kept_in_json_under_views(minimal_registry: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _two_tags(minimal_registry)
    assert main(["score", "registry", "--format", "json", "--by", "tag", "--min-n", "1"]) == 0
    export = json.loads(capsys.readouterr().out)
    assert export["by"] == "tag"
    [view] = export["views"]
    assert view["group"] == "second"
    assert [(a["author"], a["n"], a["unscored"]) for a in view["authors"]] == [("forecaster-a", 1, 0)]
    assert [q["question"] for q in view["questions"]] == ["other-question"]
    assert "views" not in json.loads(_score_json(capsys))  # without --by, the export is as before


def _score_json(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["score", "registry", "--format", "json", "--min-n", "1"]) == 0
    return capsys.readouterr().out


def test_a_tag_that_matches_nothing_is_warned_of_with_the_tags_there_are(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _two_tags(minimal_registry)
    assert main(["score", "registry", "--tag", "secnod", "--min-n", "1"]) == 0
    err = capsys.readouterr().err
    assert "predreg: warning: no question or forecast has the tag 'secnod'; tags here: first, second" in err
    assert main(["score", "registry", "--tag", "second", "--min-n", "1"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_the_check_headline_counts_as_shared_only_questions_with_two_authors(
    minimal_registry: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", "registry", "--today", TODAY.isoformat()])
    assert "on 1 questions (0 shared)" in capsys.readouterr().out  # one forecaster: not shared
    write(
        minimal_registry,
        "predictions/forecaster-b/on-shared-b.yaml",
        "id: on-shared-b\nauthor: forecaster-b\nregistered: 2026-11-23\nquestion: shared-question\nprobability: 0.6\n",
    )
    main(["check", "registry", "--today", TODAY.isoformat()])
    assert "on 1 questions (1 shared)" in capsys.readouterr().out
