"""The floor of a check: libyaml (CSafeLoader) parsing every registry file, validating nothing.

python -m benchmarks.floor_libyaml REGISTRY
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def main() -> None:
    count = 0
    for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
        with open(path, "rb") as stream:
            yaml.load(stream, Loader=yaml.CSafeLoader)
        count += 1
    print(count)


if __name__ == "__main__":
    main()
