"""Progress of a long run: a bar that redraws on a terminal, plain lines elsewhere (CI logs)."""

from __future__ import annotations

from typing import Any, TextIO

from .problems import one_line


class Progress:
    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.terminal = stream.isatty()
        self.drawn = False

    def step(self, done: int, total: int, result: Any) -> None:
        """After each item: redraw the bar, or (not on a terminal) a line for anything that happened."""
        if self.terminal:
            filled = self.width * done // max(total, 1)
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r[{bar}] {done}/{total} {result.question[:40]:<40}")
            self.stream.flush()
            self.drawn = True
        elif result.status != "pending":
            self.stream.write(f"{done}/{total} {result.question}: {describe(result)}\n")

    def done(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * (self.width + 60) + "\r")
            self.stream.flush()


def describe(result: Any) -> str:
    """One result in a few words, on one line: its status, the outcome, why (the reason may quote a page)."""
    verdict = result.verdict
    if result.status == "resolved":
        return one_line(f"resolved {verdict.outcome} ({result.resolver}): {verdict.reason}")
    return one_line(f"{result.status} ({result.resolver}): {verdict.reason}")
