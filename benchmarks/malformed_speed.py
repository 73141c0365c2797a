"""What reading a malformed file costs: predreg's parse (libyaml, then the pure-Python re-read) beside libyaml alone.

    python benchmarks/malformed_speed.py [N]       (default N = 2000 of each kind)

A file that libyaml finds malformed is read a second time by the pure-Python parser,
so that every PyYAML build words the problem the same way (``predreg.safeyaml.parse``).
This measures that second read on three kinds of malformed file, beside libyaml's own
refusal of the same texts, in the same run, best of three.
"""

from __future__ import annotations

import contextlib
import random
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.check_speed import best_of
from benchmarks.synthetic import prediction_text
from predreg import safeyaml
from predreg.problems import Problems


def libyaml_alone(texts: list[str]) -> None:
    for text in texts:
        with contextlib.suppress(yaml.YAMLError):
            yaml.load(text, Loader=yaml.CSafeLoader)


def predreg_parse(texts: list[str]) -> None:
    for text in texts:
        safeyaml.parse(text, Problems("f.yaml"))


def kinds(count: int) -> dict[str, list[str]]:
    rng = random.Random(7)
    wellformed = [prediction_text(i, f"author-{i % 50:04d}", rng) for i in range(count)]
    return {
        "well formed (no re-read)": wellformed,
        "bad indentation at the end": [text + "  stray: 1\n" for text in wellformed],
        "unclosed flow sequence": [text + "tags: [a, b\n" for text in wellformed],
        "2,000 levels of flow nesting": ["id: deep\nrationale: " + "[" * 2000 + "\n"] * count,
    }


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(f"{count} texts of each kind; PyYAML {yaml.__version__}, libyaml={yaml.__with_libyaml__}")
    print(f"{'kind':<32}{'libyaml alone s':>16}{'predreg parse s':>16}{'ms/file':>9}{'ratio':>8}")
    for kind, texts in kinds(count).items():
        floor = best_of(3, lambda: libyaml_alone(texts))  # noqa: B023 (called at once)
        ours = best_of(3, lambda: predreg_parse(texts))  # noqa: B023
        print(f"{kind:<32}{floor:>16.3f}{ours:>16.3f}{ours / count * 1000:>9.3f}{ours / floor:>8.2f}")


if __name__ == "__main__":
    main()
