"""Problems found in a registry: one line each, naming file, line, column and field."""

from __future__ import annotations

import attrs


@attrs.frozen(order=True)
class Problem:
    """One thing wrong with one field of one file, and what to write instead.

    ``line`` and ``col`` are 1-based; a problem with a whole file points at 1:1.
    """

    path: str
    line: int
    col: int
    field: str
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.field}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text


class Problems:
    """Collects the problems of one file, all located in that file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[Problem] = []

    def add(self, where: tuple[int, int], field: str, message: str, hint: str = "") -> None:
        self.items.append(Problem(self.path, where[0], where[1], field, message, hint))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)
