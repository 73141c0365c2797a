"""The site's static JSON API: every file matches its shipped schema, on the example registry and a hostile one."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest

from benchmarks.synthetic import make_registry
from predreg import commitment, community, leaderboard, plugins
from predreg.checks import check_registry
from predreg.cli import main
from predreg.registry import walk
from predreg.site import facts as site_facts
from predreg.site import jsonapi

from .conftest import EXAMPLE_REGISTRY, REPO, TODAY

HOSTILE_NAME = "<script>alert(1)</script> **Ada** ]]> &amp; \v tab\tend"
HOSTILE_CLAIM = "A claim </textarea><img src=x onerror=alert(1)> <script>x</script> ]]> \v\x0b \x85 \ufffe \x1f end"
EVIDENCE_BODY = b"<html><script>alert('stored')</script>the report says yes</html>\n"
SALT = "ab" * 16


def gather(root: Path | str, today: dt.date = TODAY, base_url: str | None = None) -> site_facts.SiteFacts:
    """The site's facts of a registry, as the site build gathers them."""
    registry = check_registry(walk(str(root), index=False), today=today, resolvers=plugins.catalogue())
    assert registry.problems == [], [str(p) for p in registry.problems]
    method = community.Method()
    board = leaderboard.build(registry, today=today, min_n=1, community=community.Community(method))
    points = community.histories(registry, method)
    return site_facts.gather(
        registry, board, today=today, base_url=base_url, community=points, community_method=method.sentence()
    )


def _quoted(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (control characters as escapes)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


def hostile_registry(root: Path) -> Path:
    """A registry whose text is an attack; with a revision, a withdrawal, a hidden commitment and a correction."""
    sha = hashlib.sha256(EVIDENCE_BODY).hexdigest()
    criteria, rationale = (
        _quoted("YES if <b>bold</b> & \x0b"),
        _quoted("because </script><script>alert(3)</script> \x0b"),
    )
    reason, excerpt, note = _quoted("<b>oops</b> ]]>"), _quoted("<script>x</script> ]]> \x0b"), _quoted("corrected ]]>")
    hidden = commitment.commitment("carol-hidden", "carol", {"probability": 0.9}, SALT)
    shown = commitment.commitment("carol-shown", "carol", {"probability": 0.35}, SALT)
    files = {
        "authors.yaml": (
            f"authors:\n  ada:\n    name: {_quoted(HOSTILE_NAME)}\n    url: 'javascript:alert(1)'\n"
            "  bob: {name: Bob}\n  carol: {name: Carol, url: 'https://carol.example.org/'}\n"
        ),
        "questions/q-hostile.yaml": (
            f"id: q-hostile\nclaim: {_quoted(HOSTILE_CLAIM)}\ncriteria: {criteria}\n"
            "resolve_by: 2026-10-31\nresolver: {name: manual}\nkind: binary\ntags: [attack]\n"
            "evidence: ['javascript:alert(2)', {url: 'https://example.org/a?b=1&c=<2>', title: '<i>t</i>'}]\n"
        ),
        "questions/q-open.yaml": (
            "id: q-open\nclaim: Which lab first?\ncriteria: The first to announce.\nresolve_by: 2027-06-30\n"
            "resolver: {name: manual}\nkind: categorical\noutcomes: [lab-a, lab-b]\n"
        ),
        "predictions/ada/ada-1.yaml": (
            "id: ada-1\nauthor: ada\nregistered: 2026-09-01\nquestion: q-hostile\nprobability: 0.7\n"
            f"rationale: {rationale}\n"
        ),
        "predictions/ada/ada-2.yaml": (
            "id: ada-2\nauthor: ada\nregistered: 2026-09-15\nquestion: q-hostile\nprobability: 0.6\nsupersedes: ada-1\n"
        ),
        "predictions/bob/bob-1.yaml": (
            "id: bob-1\nauthor: bob\nregistered: 2026-09-02\nquestion: q-hostile\nprobability: 0.2\n"
        ),
        "predictions/bob/bob-open.yaml": (
            "id: bob-open\nauthor: bob\nregistered: 2026-11-01\nquestion: q-open\n"
            "probabilities: {lab-a: 0.25, lab-b: 0.75}\n"
        ),
        "predictions/carol/carol-hidden.yaml": (
            f"id: carol-hidden\nauthor: carol\nregistered: 2026-11-02\nquestion: q-open\ncommitment: '{hidden}'\n"
        ),
        "predictions/carol/carol-shown.yaml": (
            f"id: carol-shown\nauthor: carol\nregistered: 2026-09-03\nquestion: q-hostile\ncommitment: '{shown}'\n"
        ),
        "reveals/carol-shown.yaml": f"prediction: carol-shown\nrevealed: 2026-10-20\nsalt: {SALT}\nprobability: 0.35\n",
        "withdrawals/bob-open.yaml": f"prediction: bob-open\nwithdrawn: 2026-11-10\nreason: {reason}\n",
        "resolutions/q-hostile.yaml": (
            "question: q-hostile\noutcome: yes\nresolved_at: 2026-11-01\nresolver: manual\nresolved_by: carol\n"
            f"evidence:\n  - url: 'javascript:alert(4)'\n    sha256: {sha}\n    excerpt: {excerpt}\n"
        ),
        "resolutions/q-hostile.2.yaml": (
            "question: q-hostile\noutcome: no\nresolved_at: 2026-11-05\nresolver: manual\nresolved_by: carol\n"
            f"corrects: q-hostile\ndisputed_by: [ada]\nnote: {note}\n"
        ),
        f"evidence/{sha}": EVIDENCE_BODY,
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


@pytest.fixture(scope="module")
def example() -> dict[str, bytes]:
    return jsonapi.files(gather(EXAMPLE_REGISTRY))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return jsonapi.files(gather(hostile_registry(tmp_path_factory.mktemp("hostile") / "registry")))


def loaded(output: dict[str, bytes], path: str) -> Any:
    return json.loads(output[path])


def kind_of(path: str) -> str:
    """Which shipped schema a file of the API follows."""
    if path == "api/index.json":
        return "index"
    if path == "api/leaderboard.json":
        return "leaderboard"
    if path == "api/community.json":
        return "community"
    if re.fullmatch(r"api/(questions|authors)-\d+\.json|api/.*/(forecasts|scored|authors)-\d+\.json", path):
        return "list"
    return {"api/questions/": "question", "api/authors/": "author"}[path[: path.rindex("/") + 1]]


FORMATS = jsonschema.FormatChecker()
"""jsonschema's checks of formats (``date`` among them), and ``date-time`` as RFC 3339 (it needs a package for it)."""


@FORMATS.checks("date-time", raises=ValueError)
def _moment(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        raise ValueError(f"{value!r} is no RFC 3339 date-time")
    return dt.datetime.fromisoformat(value).tzinfo is not None


def validate(output: dict[str, bytes]) -> None:
    for path, content in output.items():
        validator = jsonschema.Draft202012Validator(jsonapi.schema(kind_of(path)), format_checker=FORMATS)
        errors = [
            f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(json.loads(content))
        ]
        assert errors == []


def test_the_shipped_schemas_are_valid_draft_2020_12_schemas() -> None:
    for name in jsonapi.SCHEMAS:
        document = jsonapi.schema(name)
        assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(document)


def test_the_format_checks_refuse_a_date_for_a_moment_and_a_moment_for_a_date() -> None:
    assert FORMATS.conforms("2026-11-23T00:00:00+00:00", "date-time") and FORMATS.conforms("2026-11-23", "date")
    assert not FORMATS.conforms("2026-11-23", "date-time") and not FORMATS.conforms("2026-11-23T00:00:00", "date")


def test_every_file_of_the_example_registry_matches_its_schema(example: dict[str, bytes]) -> None:
    validate(example)


def test_every_file_of_a_hostile_registry_matches_its_schema(hostile: dict[str, bytes]) -> None:
    validate(hostile)


def test_every_file_names_its_schema_version(example: dict[str, bytes]) -> None:
    assert {loaded(example, path)["schema"] for path in example} == {"predreg-site-api-1"}


def test_a_schema_refuses_a_file_that_renamed_a_key(example: dict[str, bytes]) -> None:
    question = loaded(example, "api/questions/empirical-scheming-report.json")
    question["resolve_date"] = question.pop("resolve_by")
    validator = jsonschema.Draft202012Validator(jsonapi.schema("question"))
    messages = {e.message for e in validator.iter_errors(question)}
    assert "'resolve_by' is a required property" in messages
    assert any("'resolve_date' was unexpected" in m for m in messages)


def test_every_question_and_author_has_its_file(example: dict[str, bytes]) -> None:
    facts = gather(EXAMPLE_REGISTRY)
    assert {f"api/questions/{q}.json" for q in facts.questions} <= set(example)
    assert {f"api/authors/{a}.json" for a in facts.authors} <= set(example)
    index = loaded(example, "api/index.json")
    listed = [e["api"] for page in index["questions"]["pages"] for e in loaded(example, page)["entries"]]
    assert listed == [f"api/questions/{q}.json" for q in sorted(facts.questions)]
    assert index["questions"]["count"] == 18 and index["authors"]["count"] == 9 and index["predictions"] == 19


def test_every_prediction_is_in_its_questions_file_and_its_authors_file(example: dict[str, bytes]) -> None:
    registry = check_registry(walk(str(EXAMPLE_REGISTRY), index=False), today=TODAY, resolvers=plugins.catalogue())
    for prediction in registry.predictions.values():
        question = loaded(example, f"api/questions/{prediction.question_id}.json")
        author = loaded(example, f"api/authors/{prediction.author}.json")
        assert prediction.id in [f["id"] for f in question["forecasts"]]
        [shown] = [f for f in author["forecasts"] if f["id"] == prediction.id]
        assert (
            shown["probability"] == prediction.probability and shown["registered"] == prediction.registered.isoformat()
        )


def test_the_same_registry_gives_the_same_bytes(example: dict[str, bytes]) -> None:
    assert jsonapi.files(gather(EXAMPLE_REGISTRY)) == example


def test_files_are_utf8_json_with_sorted_keys_and_one_newline(example: dict[str, bytes]) -> None:
    for content in example.values():
        assert content.endswith(b"}\n") and content.count(b"\n") == 1
        value = json.loads(content.decode("utf-8"))
        assert jsonapi.encode(value) == content  # sorted and compact: re-encoding changes nothing


def test_the_resolution_shows_evidence_with_its_hash_and_the_sites_copy(example: dict[str, bytes]) -> None:
    resolution = loaded(example, "api/questions/empirical-scheming-report.json")["resolution"]
    assert (resolution["outcome"], resolution["resolved_at"]) == ("yes", "2026-11-23T00:00:00+00:00")
    assert resolution["disputed_by"] == ["forecaster-e"] and resolution["approved_by"] == ["forecaster-h"]
    [evidence] = resolution["evidence"]
    sha = "39ffe87544512ecd73e6ab2e5808d19c7e5827e53963fddd2241ab88575c9e8a"
    assert evidence["sha256"] == sha and evidence["stored"] == f"evidence/{sha}.txt"
    assert evidence["url"] == "seeds/003_2459c67bd2197ca2.txt" and evidence["href"] is None  # not a web address
    assert resolution["corrections"] == []


def test_a_correction_stands_and_lists_the_record_it_replaced(hostile: dict[str, bytes]) -> None:
    question = loaded(hostile, "api/questions/q-hostile.json")
    resolution = question["resolution"]
    assert (resolution["outcome"], resolution["corrects"], resolution["file"]) == (
        "no",
        "q-hostile",
        "q-hostile.2.yaml",
    )
    assert question["status"] == "disputed" and resolution["disputed_by"] == ["ada"]
    [original] = resolution["corrections"]
    assert (original["outcome"], original["file"], original["corrects"]) == ("yes", "q-hostile.yaml", None)
    sha = hashlib.sha256(EVIDENCE_BODY).hexdigest()
    assert original["evidence"][0]["stored"] == f"evidence/{sha}.txt"


def test_a_javascript_url_is_kept_as_text_and_never_given_as_an_href(hostile: dict[str, bytes]) -> None:
    question = loaded(hostile, "api/questions/q-hostile.json")
    evidence = question["resolution"]["corrections"][0]["evidence"][0]
    assert evidence["url"] == "javascript:alert(4)" and evidence["href"] is None
    assert [(link["url"], link["href"]) for link in question["links"]] == [
        ("javascript:alert(2)", None),
        ("https://example.org/a?b=1&c=<2>", None),  # < and > are no part of a URL: shown, not linked
    ]
    assert loaded(hostile, "api/authors/ada.json")["href"] is None
    assert loaded(hostile, "api/authors/carol.json")["href"] == "https://carol.example.org/"


def test_a_claim_holding_a_script_tag_and_control_characters_comes_back_as_the_same_text(
    hostile: dict[str, bytes],
) -> None:
    question = loaded(hostile, "api/questions/q-hostile.json")
    assert question["claim"] == HOSTILE_CLAIM
    assert loaded(hostile, "api/authors/ada.json")["name"] == HOSTILE_NAME
    raw = hostile["api/questions/q-hostile.json"]
    assert b"\x0b" not in raw and b"\\u000b" in raw  # JSON escapes every control character
    [entry] = [e for e in loaded(hostile, "api/leaderboard.json")["authors"] if e["author"] == "ada"]
    assert entry["name"] == HOSTILE_NAME


def test_a_hidden_commitment_is_listed_without_its_forecast(hostile: dict[str, bytes]) -> None:
    [hidden] = [f for f in loaded(hostile, "api/questions/q-open.json")["forecasts"] if f["id"] == "carol-hidden"]
    assert hidden["hidden"] is True and hidden["hidden_until"] == "2027-06-30"
    assert (hidden["probability"], hidden["probabilities"], hidden["quantiles"]) == (None, None, None)
    for path in ("api/questions/q-open.json", "api/authors/carol.json", "api/questions-1.json"):
        assert b":0.9," not in hostile[path] and b":0.9}" not in hostile[path]  # the value is nowhere


def test_a_revealed_commitment_shows_its_forecast_and_the_day_it_was_revealed(hostile: dict[str, bytes]) -> None:
    [shown] = [f for f in loaded(hostile, "api/questions/q-hostile.json")["forecasts"] if f["id"] == "carol-shown"]
    assert (shown["hidden"], shown["probability"], shown["revealed"]) == (False, 0.35, "2026-10-20")


def test_revisions_and_withdrawals_are_linked_both_ways(hostile: dict[str, bytes]) -> None:
    forecasts = {f["id"]: f for f in loaded(hostile, "api/authors/ada.json")["forecasts"]}
    assert (forecasts["ada-2"]["supersedes"], forecasts["ada-1"]["superseded_by"]) == ("ada-1", "ada-2")
    assert [f["id"] for f in loaded(hostile, "api/authors/ada.json")["forecasts"]] == ["ada-2", "ada-1"]  # newest first
    [withdrawn] = loaded(hostile, "api/authors/bob.json")["forecasts"][:1]
    assert (withdrawn["id"], withdrawn["withdrawn"], withdrawn["withdrawal_reason"]) == (
        "bob-open",
        "2026-11-10",
        "<b>oops</b> ]]>",
    )
    assert withdrawn["probabilities"] == {"lab-a": 0.25, "lab-b": 0.75}


def test_the_community_forecast_of_the_row_8_question_is_the_geometric_mean_of_the_odds(
    example: dict[str, bytes],
) -> None:
    question = loaded(example, "api/questions/empirical-scheming-report.json")
    # forecaster-b 0.75 (odds 3) and forecaster-c 0.25 (odds 1/3): the geometric mean of the odds is 1, p = 0.5
    assert [(p["forecast"], p["forecasters"]) for p in question["community"]] == [(pytest.approx(0.5), 2)]
    assert question["community_method"].startswith("The community forecast pools")
    crowd = loaded(example, "api/community.json")
    [row] = [r for r in crowd["scored"] if r["question"] == "empirical-scheming-report"]
    assert row["brier"] == pytest.approx(0.25)  # (0.5 - 1)^2 over the whole window
    assert crowd["score"]["virtual"] is True and loaded(example, "api/index.json")["community"] == "api/community.json"
    board = loaded(example, "api/leaderboard.json")
    assert board["community"]["brier"] == crowd["score"]["brier"] and "questions" not in board["community"]


def test_the_leaderboards_entries_are_score_jsons_entries_without_calibration(example: dict[str, bytes]) -> None:
    facts = gather(EXAMPLE_REGISTRY)
    exported = leaderboard.as_json(facts.board, dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    board = loaded(example, "api/leaderboard.json")
    assert [e["author"] for e in board["authors"]] == [e["author"] for e in exported["authors"]]
    for entry, original in zip(board["authors"], exported["authors"], strict=True):
        assert {k: v for k, v in entry.items() if k not in ("name", "page", "api")} == {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in original.items() if k != "calibration"
        }
        assert entry["api"] == f"api/authors/{entry['author']}.json"
    assert (board["policy"], board["min_n"], board["scale"]) == (exported["policy"], 1, exported["scale"])


def test_an_authors_file_holds_their_score_with_calibration_and_their_scored_questions(
    example: dict[str, bytes],
) -> None:
    author = loaded(example, "api/authors/forecaster-b.json")
    assert author["score"]["author"] == "forecaster-b" and len(author["score"]["calibration"]) == 11
    assert [row["question"] for row in author["scored"]] == ["empirical-scheming-report"]
    assert author["scored"][0]["brier"] == pytest.approx(0.0625)  # 0.75 on yes: (1 - 0.75)^2


def test_a_number_that_is_not_finite_becomes_null() -> None:
    value = {"brier": float("nan"), "ci": (float("inf"), -float("inf")), 0.05: 1.5, "day": dt.date(2026, 1, 2)}
    assert jsonapi.plain(value) == {"brier": None, "ci": [None, None], "0.05": 1.5, "day": "2026-01-02"}
    with pytest.raises(ValueError):
        jsonapi.encode({"brier": float("nan")})


def test_long_lists_are_paged_and_linked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonapi, "PAGE", 5)
    output = jsonapi.files(gather(EXAMPLE_REGISTRY))
    index = loaded(output, "api/index.json")
    assert index["questions"]["pages"] == [f"api/questions-{n}.json" for n in (1, 2, 3, 4)]
    pages = [loaded(output, path) for path in index["questions"]["pages"]]
    assert [len(p["entries"]) for p in pages] == [5, 5, 5, 3]
    assert (pages[0]["previous"], pages[0]["next"]) == (None, "api/questions-2.json")
    assert (pages[-1]["previous"], pages[-1]["next"]) == ("api/questions-3.json", None)
    validate(output)


def example_files() -> dict[str, bytes]:
    return jsonapi.files(gather(EXAMPLE_REGISTRY))


def test_a_long_forecast_list_keeps_its_first_page_and_links_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    whole = example_files()
    monkeypatch.setattr(jsonapi, "PAGE", 2)
    output = jsonapi.files(gather(EXAMPLE_REGISTRY))
    author = loaded(output, "api/authors/forecaster-a.json")  # seven forecasts: pages of 2, 2, 2 and 1
    assert author["forecasts_count"] == 7 and len(author["forecasts"]) == 2
    assert author["forecasts_pages"] == [f"api/authors/forecaster-a/forecasts-{n}.json" for n in (2, 3, 4)]
    second, third, fourth = (loaded(output, path) for path in author["forecasts_pages"])
    assert (second["previous"], second["next"], second["parent"]) == (
        "api/authors/forecaster-a.json",
        "api/authors/forecaster-a/forecasts-3.json",
        "api/authors/forecaster-a.json",
    )
    assert (fourth["next"], len(fourth["entries"])) == (None, 1)
    ids = [f["id"] for f in author["forecasts"] + second["entries"] + third["entries"] + fourth["entries"]]
    assert ids == [f.id for f in gather(EXAMPLE_REGISTRY).authors["forecaster-a"].forecasts]
    assert author["scored_pages"] == [] and author["scored_count"] == len(author["scored"])
    board = loaded(output, "api/leaderboard.json")
    assert len(board["authors"]) == 2 and board["authors_count"] == 4  # four authors have a scored question
    rest = [e["author"] for path in board["authors_pages"] for e in loaded(output, path)["entries"]]
    assert [e["author"] for e in board["authors"]] + rest == [
        e["author"] for e in loaded(whole, "api/leaderboard.json")["authors"]
    ]
    validate(output)


LINKING = ("api", "leaderboard", "next", "previous", "parent", "pages")
"""The keys whose values are paths of the API's own files."""


def test_every_path_the_api_names_is_a_file_of_the_api_or_of_the_site(example: dict[str, bytes]) -> None:
    facts = gather(EXAMPLE_REGISTRY)
    pages = {q.page for q in facts.questions.values()} | {a.page for a in facts.authors.values()}
    named: set[str] = set()

    def walk_values(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk_values(v, k)
        elif isinstance(value, list):
            for v in value:
                walk_values(v, key)
        elif isinstance(value, str) and (key in LINKING or key.endswith("_pages")):
            named.add(value)

    for content in example.values():
        walk_values(json.loads(content))
    assert named and named <= set(example)
    assert {loaded(example, p)["page"] for p in example if "/questions/" in p} <= pages


def test_the_schemas_share_their_definitions() -> None:
    question, author, board = (jsonapi.schema(n) for n in ("question", "author", "leaderboard"))
    pages = jsonapi.schema("list")
    assert question["$defs"]["forecast"] == author["$defs"]["forecast"] == pages["$defs"]["forecast"]
    assert author["$defs"]["scored_row"] == pages["$defs"]["scored_row"]
    assert board["$defs"]["entry"] == pages["$defs"]["entry"]
    score = author["$defs"]["score"]["properties"]
    entry = board["$defs"]["entry"]["properties"]
    assert {k: v for k, v in score.items() if k != "calibration"} == {
        k: v for k, v in entry.items() if k not in ("name", "page", "api")
    }


def documented_keys() -> set[str]:
    text = (REPO / "docs" / "site-api.md").read_text()
    return set(re.findall(r"^\| `([a-z_0-9]+)` \|", text, flags=re.MULTILINE))


def schema_keys(value: Any) -> set[str]:
    keys: set[str] = set()
    if isinstance(value, dict):
        for name, item in value.items():
            if name == "properties":
                keys |= set(item)
            keys |= schema_keys(item)
    elif isinstance(value, list):
        for item in value:
            keys |= schema_keys(item)
    return keys


def test_docs_site_api_documents_every_key_of_every_schema() -> None:
    every = set().union(*(schema_keys(jsonapi.schema(name)) for name in jsonapi.SCHEMAS))
    assert every - documented_keys() == set()


def test_the_leaderboard_of_2000_authors_is_in_files_under_1_mb() -> None:
    facts = gather(EXAMPLE_REGISTRY)
    exported = leaderboard.as_json(facts.board, dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    richest = max(exported["authors"], key=lambda e: len(json.dumps(e)))
    many = [{**richest, "author": f"author-{i:04d}"} for i in range(2000)]  # as benchmarks/synthetic names them
    board = jsonapi.leaderboard_json(facts, {**exported, "authors": many})
    pages = jsonapi.split(facts, "api/leaderboard.json", board, "authors", "leaderboard")
    sizes = [len(jsonapi.encode(board)), *(len(jsonapi.encode(page)) for page in pages.values())]
    assert len(sizes) == 2 and max(sizes) < 1_000_000
    assert board["authors_count"] == 2000 and len(board["authors"]) == jsonapi.PAGE


def test_an_id_that_is_no_plain_name_never_names_a_path_out_of_its_folder() -> None:
    facts = gather(EXAMPLE_REGISTRY)
    question = attrs.evolve(next(iter(facts.questions.values())), id="../../../etc/passwd")
    author = attrs.evolve(next(iter(facts.authors.values())), handle="..")
    assert re.fullmatch(r"api/questions/id-[0-9a-f]{24}\.json", jsonapi.question_path(question))
    assert re.fullmatch(r"api/authors/id-[0-9a-f]{24}\.json", jsonapi.author_path(author))


def test_the_site_predreg_site_writes_holds_the_api_and_every_file_matches_its_schema(tmp_path: Path) -> None:
    target = tmp_path / "site"
    assert main(["site", str(EXAMPLE_REGISTRY), "-o", str(target), "--today", TODAY.isoformat()]) == 0
    written = {
        path.relative_to(target).as_posix(): path.read_bytes() for path in sorted((target / "api").rglob("*.json"))
    }
    assert {"api/index.json", "api/leaderboard.json", "api/community.json"} <= set(written)
    validate(written)
    index = json.loads(written["api/index.json"])
    listed = [e["api"] for page in index["questions"]["pages"] for e in json.loads(written[page])["entries"]]
    assert len(listed) == 18 and set(listed) <= set(written)
    community = json.loads(written["api/questions/empirical-scheming-report.json"])["community"]
    assert [point["forecast"] for point in community] == [pytest.approx(0.5)]  # the site passes the history on


def test_the_busiest_authors_forecasts_go_to_pages_each_under_1_mb(tmp_path: Path) -> None:
    make_registry(tmp_path / "registry", 1100, authors=1)  # one author, 1,100 forecasts: more than a page
    output = jsonapi.files(gather(tmp_path / "registry"))
    author = loaded(output, "api/authors/author-0000.json")
    assert (author["forecasts_count"], len(author["forecasts"])) == (1100, jsonapi.PAGE)
    [rest] = author["forecasts_pages"]
    assert len(loaded(output, rest)["entries"]) == 100
    assert max(len(content) for content in output.values()) < 1_000_000
