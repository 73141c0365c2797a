"""Lookalike handles, ids and registry folders in a pull request (real git, real files).

Each attack adds a name that reads like one already there; each is refused in PR mode,
while lookalikes that a registry already holds are left alone.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from predreg import lookalike, pr

from .conftest import TODAY
from .test_pr import add_prediction, commit, git, repo  # noqa: F401  (repo is a fixture)

AUTHORS = "registry/authors.yaml"
QUESTION = """id: {id}
claim: Another yes/no question.
criteria: YES if the test says so.
resolve_by: 2027-06-30
resolver: {{name: manual}}
kind: binary
"""


def review(repo: Path, actor: str = "forecaster-a-gh") -> list[str]:  # noqa: F811
    result = pr.review(str(repo / "registry"), "main", actor=actor, today=TODAY)
    return [f"{Path(p.path).name}: {p.field}: {p.message}" for p in result.problems]


def add_author(repo: Path, handle: str, login: str = "mallory") -> None:  # noqa: F811
    authors = repo / AUTHORS
    authors.write_text(authors.read_text(encoding="utf-8") + f"  {handle}: {{name: M, github: [{login}]}}\n")


def add_question(repo: Path, qid: str) -> None:  # noqa: F811
    (repo / "registry" / "questions" / f"{qid}.yaml").write_text(QUESTION.format(id=qid), encoding="utf-8")


@pytest.mark.parametrize(
    "handle",
    ["forecaster-ａ", "Forecaster-A", "forecaster-а", "ＦＯＲＥＣＡＳＴＥＲ-А", "fοrecaster-a"],
    ids=["fullwidth", "capital", "cyrillic", "fullwidth-capital-cyrillic", "greek-omicron"],
)
def test_a_new_author_handle_that_looks_like_another_is_refused(repo: Path, handle: str) -> None:  # noqa: F811
    add_author(repo, handle)
    add_prediction(repo, "mallorys-forecast", author=handle)
    commit(repo)
    problems = review(repo, actor="mallory")
    assert any(
        line.startswith(f"authors.yaml: authors.{handle}: `{handle}` looks like `forecaster-a`") for line in problems
    ), problems


def test_the_problem_says_only_new_lookalikes_are_refused(repo: Path) -> None:  # noqa: F811
    add_author(repo, "forecaster-а")
    commit(repo)
    result = pr.review(str(repo / "registry"), "main", actor="mallory", today=TODAY)
    (problem,) = [p for p in result.problems if p.field == "authors.forecaster-а"]
    assert "lookalikes registered before stay" in problem.hint


def test_a_new_handle_unlike_any_other_is_accepted(repo: Path) -> None:  # noqa: F811
    add_author(repo, "forecaster-z")
    commit(repo)
    assert review(repo, actor="mallory") == []


def test_lookalike_handles_already_registered_stay_accepted(repo: Path) -> None:  # noqa: F811
    add_author(repo, "forecaster-а", login="forecaster-a-gh")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "an old lookalike, from before the rule")
    git(repo, "branch", "-f", "main", "HEAD")
    add_prediction(repo, "new-forecast")
    add_prediction(repo, "other-forecast", author="forecaster-а")
    commit(repo)
    assert review(repo) == []


def test_a_new_question_id_in_cyrillic_letters_is_refused(repo: Path) -> None:  # noqa: F811
    add_question(repo, "shаred-questiоn")  # Cyrillic а and о
    commit(repo)
    assert review(repo) == [
        "shаred-questiоn.yaml: id: `shаred-questiоn` looks like the id of questions/shared-question.yaml"
        " (Unicode confusables, TR39)"
    ]


def test_a_new_prediction_id_that_looks_like_a_registered_one_is_refused(repo: Path) -> None:  # noqa: F811
    add_prediction(repo, "оn-shared")  # Cyrillic о
    commit(repo)
    problems = review(repo)
    assert problems == [
        "оn-shared.yaml: id: `оn-shared` looks like the id of predictions/forecaster-a/on-shared.yaml"
        " (Unicode confusables, TR39)"
    ]


def test_two_new_lookalike_ids_in_one_pull_request_are_both_refused(repo: Path) -> None:  # noqa: F811
    add_prediction(repo, "q-lookalike-1")
    add_prediction(repo, "q-lookalike-l")  # digit 1 and letter l share a prototype
    commit(repo)
    assert sorted(line.split(":")[0] for line in review(repo)) == ["q-lookalike-1.yaml", "q-lookalike-l.yaml"]


def test_an_id_differing_only_in_case_is_the_duplicate_rules_not_this_ones(repo: Path) -> None:  # noqa: F811
    add_prediction(repo, "ON-SHARED")
    commit(repo)
    problems = review(repo)
    assert problems and not any("looks like" in line for line in problems)


def test_lookalike_ids_already_registered_stay_accepted(repo: Path) -> None:  # noqa: F811
    add_question(repo, "shаred-questiоn")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "an old lookalike, from before the rule")
    git(repo, "branch", "-f", "main", "HEAD")
    add_prediction(repo, "new-forecast")
    commit(repo)
    assert review(repo) == []


@pytest.mark.parametrize("folder", ["Registry", "REGISTRY", "ｒegistry"])
def test_a_registry_folder_spelled_another_way_is_refused(repo: Path, folder: str) -> None:  # noqa: F811
    twin = repo / folder / "predictions" / "forecaster-a"
    twin.mkdir(parents=True)
    (twin / "unchecked.yaml").write_text("id: unchecked\nprobability: 2\n")
    commit(repo)
    problems = review(repo)
    assert problems == [
        "unchecked.yaml: file: is in a folder spelled like `registry/` but for case: on macOS or Windows it is the"
        " registry"
    ]


def test_a_file_named_like_the_registry_is_refused(repo: Path) -> None:  # noqa: F811
    (repo / "REGISTRY").write_text("on a case-insensitive checkout this file and the registry collide\n")
    commit(repo)
    assert [line.split(":")[0] for line in review(repo)] == ["REGISTRY"]


def test_a_registry_folder_decomposed_is_refused_too(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "données")
    assert decomposed != "données"
    assert lookalike.registry_twins([f"{decomposed}/x.yaml", "données/x.yaml", "other/x.yaml"], "données") == [
        f"{decomposed}/x.yaml"
    ]
    assert lookalike.registry_twins(["Data/Registry/x.yaml", "data/registry/x.yaml"], "data/registry") == [
        "Data/Registry/x.yaml"
    ]
    assert lookalike.registry_twins(["Registry/x.yaml"], ".") == []


# --- the skeleton itself ---------------------------------------------------------------------


def test_the_skeleton_maps_lookalikes_to_one_prototype() -> None:
    assert lookalike.skeleton("раураl") == lookalike.skeleton("paypal") == "paypal"  # Cyrillic р а у
    assert lookalike.skeleton("m") == "rn" and lookalike.skeleton("0") == "O"
    assert lookalike.key("Forecaster-A") == lookalike.key("forecaster-ａ") == lookalike.key("forecaster-а")
    assert lookalike.key("forecaster-a") != lookalike.key("forecaster-b")
    assert lookalike.key("Ελλάδα") != lookalike.key("ελλαδα")  # an accent is not a lookalike of none


def test_the_skeleton_of_each_listed_character_is_its_prototype() -> None:
    """TR39's skeleton, one character at a time: NFD, the prototype confusables.txt gives, NFD."""
    table = lookalike.prototypes()
    assert len(table) > 6000
    for code, prototype in table.items():
        if unicodedata.normalize("NFD", chr(code)) == chr(code):
            assert lookalike.skeleton(chr(code)) == unicodedata.normalize("NFD", prototype), hex(code)


SAMPLE = """\ufeff# confusables.txt
# Date: 2022-08-26, 16:49:08 GMT
# Version: 15.0.0
#
0430 ;\t0061 ;\tMA\t# ( а → a ) CYRILLIC SMALL LETTER A → LATIN SMALL LETTER A\t#

006D ;\t0072 006E ;\tMA\t# ( m → rn ) LATIN SMALL LETTER M → LATIN SMALL LETTER R, LATIN SMALL LETTER N\t#
1D7CE ;\t004F ;\tMA\t# ( 𝟎 → O ) MATHEMATICAL BOLD DIGIT ZERO → LATIN CAPITAL LETTER O\t# →0→
"""


def test_the_table_is_what_the_script_makes_from_confusables_txt() -> None:
    table = lookalike.table_from(SAMPLE)
    rows = [line for line in table.splitlines() if not line.startswith("#")]
    assert rows == ["6D\t72 6E", "430\t61", "1D7CE\t4F"]
    assert "# Version: 15.0.0" in table
    shipped = lookalike.TABLE.read_text(encoding="ascii").splitlines()
    assert set(rows) <= set(shipped)
    assert any(line.startswith("# Version: ") for line in shipped)


def test_a_listing_keyed_at_once_agrees_with_each_name_keyed_alone() -> None:
    """The fast path (every ASCII name keyed as one string) finds what the key of each name finds."""
    names = [f"x{chr(code)}m0" for code in range(1, 128) if chr(code) not in "/\0"]
    paths = [f"questions/{name}.yaml" for name in names] + ["predictions/a/ünï.yaml", "evidence/abc"]
    listing = lookalike.Names(paths)
    for name in names:
        expected = [f"questions/{other}.yaml" for other in names if lookalike.key(other) == lookalike.key(name)]
        assert sorted(listing.like(name)) == sorted(expected), repr(name)
    assert listing.like("ÜNÏ") == ["predictions/a/ünï.yaml"]
