"""Loading is a function of the bytes; resolver settings are checked against the catalogue the check is given."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path
from typing import Any

import attrs

from predreg import check_registry, plain, plugins
from predreg.fields import Text, Url, spec
from predreg.load import load_text
from predreg.model import Question, Resolver
from predreg.settings import resolver_settings

from .conftest import DATA, TODAY

QUESTION = """\
id: card-mentions-sandbagging
claim: A frontier lab's model card reports sandbagging evaluations.
criteria: YES if the card says so by the resolve-by date.
resolve_by: 2027-06-30
resolver:
  name: card
  url: {url}
kind: binary
"""


@attrs.frozen
class CardSettings:
    url: str = spec(Url(), "The model card.")
    section: str | None = spec(Text(), "Where to look.", default=None)


@attrs.frozen
class Entry:
    """A catalogue entry as the check reads it: anything with ``.settings``."""

    settings: type


@attrs.frozen
class NoSettings:
    pass


CATALOGUE = {"card": Entry(CardSettings), "manual": Entry(NoSettings)}  # the minimal registry's question is manual


def registry_with(tmp_path: Path, question: str) -> Path:
    root = tmp_path / "registry"
    shutil.copytree(DATA / "minimal", root)
    (root / "questions" / "card-mentions-sandbagging.yaml").write_text(question, encoding="utf-8")
    return root


def test_a_resolver_block_loads_as_plain_values_without_asking_the_plugins(monkeypatch: Any) -> None:
    def refuse() -> None:
        raise AssertionError("the loader asked for the plugin catalogue")

    monkeypatch.setattr(plugins, "catalogue", refuse)
    loaded = load_text("questions/q.yaml", "question", QUESTION.format(url="example.org/card"))
    assert loaded.problems == ()
    assert loaded.record.resolver == Resolver("card", {"url": "example.org/card"})


def test_the_check_validates_settings_against_the_catalogue_it_is_given(tmp_path: Path) -> None:
    root = registry_with(tmp_path, QUESTION.format(url="example.org/card"))
    registry = check_registry(str(root), today=TODAY, resolvers=CATALOGUE)
    assert [(p.line, p.col, p.field, p.message) for p in registry.problems] == [
        (7, 8, "resolver.url", "`example.org/card` is not an http(s) URL")
    ]


def test_a_resolver_the_given_catalogue_lacks_is_not_installed(tmp_path: Path) -> None:
    root = registry_with(tmp_path, QUESTION.format(url="https://example.org/card"))
    registry = check_registry(str(root), today=TODAY, resolvers={"manual": Entry(NoSettings)})
    assert [(p.line, p.col, p.field) for p in registry.problems] == [(6, 9, "resolver.name")]
    assert registry.problems[0].message == "no resolver `card` is installed"
    assert registry.problems[0].hint.endswith(
        "Installed: manual (a plugin's resolvers appear once its package is installed)"
    )


def test_valid_settings_give_the_settings_object() -> None:
    loaded = load_text("questions/q.yaml", "question", QUESTION.format(url="https://example.org/card"))
    settings, problems = resolver_settings(loaded.record.resolver, CATALOGUE)
    assert settings == CardSettings(url="https://example.org/card")
    assert problems == []


def test_a_resolver_made_in_code_is_checked_from_its_config() -> None:
    settings, problems = resolver_settings(Resolver("card", {"url": "https://example.org/card"}), CATALOGUE)
    assert settings == CardSettings(url="https://example.org/card")
    assert problems == []


def test_where_a_resolver_block_was_written_survives_the_plain_round_trip() -> None:
    loaded = load_text("questions/q.yaml", "question", QUESTION.format(url="example.org/card"))
    thawed = plain.load(Question, plain.dump(loaded.record))
    assert thawed == loaded.record
    assert resolver_settings(thawed.resolver, CATALOGUE) == resolver_settings(loaded.record.resolver, CATALOGUE)


def test_a_loaded_record_pickles_without_any_plugin_object() -> None:
    text = QUESTION.format(url="https://example.org/card").replace("name: card", "name: http\n  contains: sandbagging")
    loaded = load_text("questions/q.yaml", "question", text)  # a built-in resolver, whose settings class is a plugin's
    pickled = pickle.dumps(loaded)
    assert b"predreg.resolvers" not in pickled
    assert b"plugins" not in pickled
    assert pickle.loads(pickled) == loaded


def test_the_settings_of_a_file_whose_record_cannot_be_built_are_still_checked(tmp_path: Path) -> None:
    root = registry_with(tmp_path, QUESTION.format(url="example.org/card").replace("kind: binary", "kind: 70%"))
    runs = [  # parsed, then written to the index, then thawed from it
        check_registry(str(root), today=TODAY, index=index, resolvers=CATALOGUE).problems
        for index in (False, True, True)
    ]
    assert runs[0] == runs[1] == runs[2]
    assert [(p.line, p.field) for p in runs[0]] == [(7, "resolver.url"), (8, "kind")]


def test_the_same_bad_block_in_two_files_is_reported_in_each(tmp_path: Path) -> None:
    root = registry_with(tmp_path, QUESTION.format(url="example.org/card"))
    twin = QUESTION.format(url="example.org/card").replace("id: card-mentions-sandbagging", "id: card-twin")
    (root / "questions" / "card-twin.yaml").write_text(twin, encoding="utf-8")
    problems = check_registry(str(root), today=TODAY, resolvers=CATALOGUE).problems
    assert [(Path(p.path).name, p.line, p.col, p.field) for p in problems] == [
        ("card-mentions-sandbagging.yaml", 7, 8, "resolver.url"),
        ("card-twin.yaml", 7, 8, "resolver.url"),
    ]
