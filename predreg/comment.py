"""The pull-request comment (``predreg check --base --format md``), safe to post from a hostile PR.

Everything a pull request wrote (claims, ids, file names, the keys and values quoted in
problems) is shown inside fenced code blocks, where Markdown is not interpreted: no
heading, @mention, image, link or HTML comment in a record reaches the page as such. A
fence is longer than any run of backticks in what it holds, so nothing inside closes it,
and every line of it is made one line first (:func:`predreg.problems.one_line`). The
text outside the fences is predreg's own: the verdict, counts, the column names.

GitHub refuses a comment over 65,536 characters, and so the comment is cut, between two
predictions or two problems, below :data:`LIMIT`; it says how many were left out, and
the command prints every problem to the job log as well (standard error).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .problems import one_line

if TYPE_CHECKING:
    from .model import Prediction
    from .pr import Review

LIMIT = 60_000
"""The most a comment may hold, in UTF-16 code units (GitHub's limit is 65,536), a margin kept."""

TABLE_HEADER = ["author", "prediction", "claim", "forecast", "resolve by"]
MORE_PROBLEMS = (
    "{n} more problem(s) not shown here, to keep this comment under GitHub's size limit;"
    " the job log of this check lists every one"
)
MORE_PREDICTIONS = "{n} more new prediction(s) not shown here, to keep this comment under GitHub's size limit"


def size(text: str) -> int:
    """The length GitHub counts (UTF-16 code units, so a character outside the BMP counts 2)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def fenced(lines: Sequence[str]) -> list[str]:
    """``lines`` as one fenced code block that none of them can close."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + "text", *lines, fence]


def render(result: Review, limit: int = LIMIT) -> str:
    """The comment on a reviewed pull request: its verdict, the new predictions, then every problem."""
    verdict = "✅ ready to merge" if not result.problems else f"❌ {len(result.problems)} problem(s)"
    lines = [f"### predreg: {len(result.added)} new prediction(s), {verdict}", ""]
    rows = prediction_rows(result)
    problems = [str(problem) for problem in result.problems]
    # the problems matter more: the table keeps at least half the room for them
    table_room = limit - min(size("\n".join(problems)), limit // 2) - size(MORE_PROBLEMS) - 100
    if result.added:
        table, left_out = _fitting(rows[:2], rows[2:], table_room)
        lines += [*fenced(table), ""]
        lines += [MORE_PREDICTIONS.format(n=left_out), ""] if left_out else []
    if problems:
        lines += ["#### Problems", ""]
        room = limit - size("\n".join(lines)) - size(MORE_PROBLEMS) - 40
        shown, left_out = _fitting([], problems, room)
        lines += fenced(shown)
        lines += ["", MORE_PROBLEMS.format(n=left_out)] if left_out else []
    return "\n".join(lines)


def _fitting(head: list[str], items: list[str], room: int) -> tuple[list[str], int]:
    """``head`` and as many whole ``items`` as fit in ``room`` (fences included); how many did not."""
    used = size("\n".join(head)) + 2 * 12  # two fences, with room for long ones
    for count, item in enumerate(items):
        used += size(item) + 1
        if used > room:
            return [*head, *items[:count]], len(items) - count
    return [*head, *items], 0


def prediction_rows(result: Review) -> list[str]:
    """The new predictions as a plain-text table (its header and rule first), each cell one line."""
    from .reports import table

    cells = []
    for prediction, claim in result.added:
        question = result.registry.questions.get(prediction.question_id)
        resolve_by = question.resolve_by if question else prediction.resolve_by
        row = [prediction.author, prediction.id, _shortened(claim), forecast_text(prediction), str(resolve_by)]
        cells.append([one_line(cell) for cell in row])
    return table(TABLE_HEADER, cells).split("\n")


def forecast_text(prediction: Prediction) -> str:
    """A prediction's forecast in a few characters, for a summary table."""
    if prediction.probability is not None:
        return f"{prediction.probability:g}"
    if prediction.probabilities:
        return ", ".join(f"{k} {v:g}" for k, v in prediction.probabilities.items())
    if prediction.quantiles:
        return ", ".join(f"q{k:g}: {v:g}" for k, v in sorted(prediction.quantiles.items()))
    return "(hidden)"


CLAIM_WIDTH = 80
"""A claim longer than this is cut in the table: one long claim would widen every row."""


def _shortened(claim: str) -> str:
    claim = one_line(claim)
    return claim if len(claim) <= CLAIM_WIDTH else claim[: CLAIM_WIDTH - 1] + "…"
