"""Deterministic synthetic registries shaped like the example registry."""

from __future__ import annotations

import random
from pathlib import Path

_KINDS = ("binary",) * 7 + ("categorical", "numeric", "ordering")


def prediction_text(index: int, author: str, rng: random.Random) -> str:
    """One prediction file of about 400-600 bytes, of a kind drawn like the example's mix."""
    kind = rng.choice(_KINDS)
    head = (
        f"id: synthetic-{index:07d}\n"
        f"author: {author}\n"
        "registered: 2026-11-23\n"
        f"claim: Synthetic claim number {index} about a frontier model behaving in a measurable way.\n"
        "criteria: >-\n"
        "  YES if an independent evaluator publishes the measurement by the resolve-by\n"
        "  date and it meets the threshold, NO if it does not. Annulled otherwise.\n"
        f"resolve_by: {2027 + index % 8}-12-31\n"
        "resolver: {name: manual}\n"
        f"kind: {kind}\n"
        f"tags: [synthetic, topic-{index % 17}]\n"
    )
    if kind == "binary":
        return head + f"probability: {rng.randint(1, 999) / 1000}\n"
    if kind == "categorical":
        first = rng.randint(1, 998) / 1000
        return head + f"probabilities: {{low: {first}, high: {round(1 - first, 3)}}}\n"
    if kind == "numeric":
        median = rng.randint(10, 50) / 10
        return head + f"unit: x\nquantiles: {{0.05: {median / 2:.2f}, 0.5: {median}, 0.95: {median * 2:.2f}}}\n"
    a = rng.randint(1, 500) / 1000
    b = rng.randint(1, 400) / 1000
    return (
        head
        + "events: {a: The first event happens., b: The second event happens.}\n"
        + f"probabilities: {{a: {a}, b: {b}, neither: {round(1 - a - b, 3)}}}\n"
    )


def make_registry(root: Path, predictions: int, authors: int = 200, seed: int = 1) -> list[Path]:
    """Write a valid registry of ``predictions`` files under ``root``; return their paths."""
    rng = random.Random(seed)
    handles = [f"author-{i:04d}" for i in range(authors)]
    root.mkdir(parents=True, exist_ok=True)
    (root / "authors.yaml").write_text(
        "authors:\n" + "".join(f"  {handle}: {{name: Synthetic {handle}}}\n" for handle in handles), encoding="utf-8"
    )
    paths = []
    for index in range(predictions):
        author = handles[index % authors]
        folder = root / "predictions" / author
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"synthetic-{index:07d}.yaml"
        path.write_text(prediction_text(index, author, rng), encoding="utf-8")
        paths.append(path)
    return paths
