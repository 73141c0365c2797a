"""Deterministic synthetic registries shaped like the example registry.

With ``shared=True`` (the benchmarks' mix) predictions come in blocks of ten
consecutive ones, by ten different authors. Every other block states its own
questions inline, as most example predictions do; the others forecast one shared
question (``questions/<id>.yaml``), and half of those questions are resolved
(``resolutions/<id>.yaml``), their forecasts registered months before.
"""

from __future__ import annotations

import random
from pathlib import Path

_KINDS = ("binary",) * 7 + ("categorical", "numeric", "ordering")
BLOCK = 10
"""Forecasts per shared question (consecutive predictions, so consecutive authors)."""
_CRITERIA = (
    "criteria: >-\n"
    "  YES if an independent evaluator publishes the measurement by the resolve-by\n"
    "  date and it meets the threshold, NO if it does not. Annulled otherwise.\n"
)


def _forecast(kind: str, rng: random.Random) -> str:
    """The forecast fields of one prediction of ``kind``."""
    if kind == "binary":
        return f"probability: {rng.randint(1, 999) / 1000}\n"
    if kind == "categorical":
        first = rng.randint(1, 998) / 1000
        return f"probabilities: {{low: {first}, high: {round(1 - first, 3)}}}\n"
    if kind == "numeric":
        median = rng.randint(10, 50) / 10
        return f"quantiles: {{0.05: {median / 2:.2f}, 0.5: {median}, 0.95: {median * 2:.2f}}}\n"
    a = rng.randint(1, 500) / 1000
    b = rng.randint(1, 400) / 1000
    return f"probabilities: {{a: {a}, b: {b}, neither: {round(1 - a - b, 3)}}}\n"


def _statement(kind: str, shared: bool) -> str:
    """What a question of ``kind`` needs besides its claim and criteria.

    An inline categorical question takes its outcomes from the forecast's probabilities.
    """
    return {
        "categorical": "outcomes: [low, high]\n" if shared else "",
        "numeric": "unit: x\n",
        "ordering": "events: {a: The first event happens., b: The second event happens.}\n",
    }.get(kind, "")


def prediction_text(index: int, author: str, rng: random.Random) -> str:
    """One prediction file of 400-600 bytes stating its own question, of a kind drawn like the example's mix."""
    kind = rng.choice(_KINDS)
    return (
        f"id: synthetic-{index:07d}\n"
        f"author: {author}\n"
        "registered: 2026-11-23\n"
        f"claim: Synthetic claim number {index} about a frontier model behaving in a measurable way.\n"
        + _CRITERIA
        + f"resolve_by: {2027 + index % 8}-12-31\n"
        "resolver: {name: manual}\n"
        f"kind: {kind}\n"
        f"tags: [synthetic, topic-{index % 17}]\n" + _statement(kind, shared=False) + _forecast(kind, rng)
    )


def _question_text(block: int, kind: str, resolved: bool) -> str:
    return (
        f"id: question-{block:06d}\n"
        f"claim: Shared synthetic claim number {block} about a frontier model behaving in a measurable way.\n"
        + _CRITERIA
        + f"resolve_by: {'2026-12-31' if resolved else f'{2027 + block % 8}-12-31'}\n"
        "resolver: {name: manual}\n"
        f"kind: {kind}\n"
        f"tags: [synthetic, topic-{block % 17}]\n" + _statement(kind, shared=True)
    )


def _resolution_text(block: int, kind: str, rng: random.Random) -> str:
    outcome = {
        "binary": "yes" if rng.random() < 0.4 else "no",
        "categorical": rng.choice(["low", "high"]),
        "numeric": str(rng.randint(10, 50) / 10),
        "ordering": rng.choice(["a", "b", "neither"]),
    }[kind]
    if rng.random() < 0.05:
        outcome = "annulled"
    return (
        f"question: question-{block:06d}\noutcome: {outcome}\nresolved_at: 2026-10-01\n"
        "resolver: manual\nresolved_by: author-0000\n"
    )


def make_registry(root: Path, predictions: int, authors: int = 200, seed: int = 1, shared: bool = False) -> list[Path]:
    """Write a valid registry of ``predictions`` files under ``root``; return their paths.

    ``shared`` mixes in shared questions, half of them resolved (see the module's docstring).
    """
    rng = random.Random(seed)
    handles = [f"author-{i:04d}" for i in range(authors)]
    root.mkdir(parents=True, exist_ok=True)
    (root / "authors.yaml").write_text(
        "authors:\n" + "".join(f"  {handle}: {{name: Synthetic {handle}}}\n" for handle in handles), encoding="utf-8"
    )
    paths = []
    made: set[Path] = set()
    for index in range(predictions):
        block = index // BLOCK
        on_shared = shared and block % 2 == 1
        # a shared question's ten forecasters are shifted by block, so that authors meet many others
        author = handles[(index + 7 * block * on_shared) % authors]
        folder = root / "predictions" / author
        if folder not in made:
            folder.mkdir(parents=True, exist_ok=True)
            made.add(folder)
        path = folder / f"synthetic-{index:07d}.yaml"
        text = _shared_prediction(root, index, author, block, rng) if on_shared else prediction_text(index, author, rng)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _shared_prediction(root: Path, index: int, author: str, block: int, rng: random.Random) -> str:
    """A forecast on the block's shared question, writing the question (and its resolution) first."""
    kind = random.Random(block).choice(_KINDS)  # the same for each of the block's forecasts
    resolved = block % 4 == 1
    if index % BLOCK == 0:
        (root / "questions").mkdir(exist_ok=True)
        (root / "questions" / f"question-{block:06d}.yaml").write_text(
            _question_text(block, kind, resolved), encoding="utf-8"
        )
        if resolved:
            (root / "resolutions").mkdir(exist_ok=True)
            (root / "resolutions" / f"question-{block:06d}.yaml").write_text(
                _resolution_text(block, kind, rng), encoding="utf-8"
            )
    registered = f"2026-{1 + index % 9:02d}-15" if resolved else "2026-11-23"
    return (
        f"id: synthetic-{index:07d}\nauthor: {author}\nregistered: {registered}\nquestion: question-{block:06d}\n"
        f"tags: [synthetic]\n" + _forecast(kind, rng)
    )
