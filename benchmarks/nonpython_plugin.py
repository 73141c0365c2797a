"""The pytest floor: a minimal YAML-collecting plugin written like pytest's own example/nonpython.

    pytest REGISTRY -p benchmarks.nonpython_plugin -p no:predreg

Each registry YAML file is a File that parses itself (libyaml) and yields one Item,
which passes when the record has an id (a resolution: the question it resolves), the
least a YAML-collecting plugin does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml":
        return YamlFile.from_parent(parent, path=file_path)
    return None


class YamlFile(pytest.File):
    def collect(self) -> Any:
        with self.path.open("rb") as stream:
            raw = yaml.load(stream, Loader=yaml.CSafeLoader)
        yield YamlItem.from_parent(self, name=self.path.stem, spec=raw)


class YamlItem(pytest.Item):
    def __init__(self, *, spec: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def runtest(self) -> None:
        if not isinstance(self.spec, dict) or not any(key in self.spec for key in ("id", "question", "authors")):
            raise AssertionError(f"{self.path}: no id")  # (a resolution names its question)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, self.name
