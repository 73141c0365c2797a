"""Numbers in words, for the site's pages: scores, outcomes, Murphy's decomposition, a forecast's notes.

Plain text only: the templates escape it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..scoring import CalibrationBin, Murphy

if TYPE_CHECKING:
    from .facts import Forecast


def percent(p: float) -> str:
    """A probability as a percentage, as few digits as it needs: 70%, 0.1%, 99.9%."""
    return f"{p * 100:.1f}".rstrip("0").rstrip(".") + "%"


def moment(when: dt.datetime | None) -> str:
    """A UTC timestamp as a reader wants it: the day alone at midnight, else the day and the minute."""
    if when is None:
        return "-"
    if (when.hour, when.minute, when.second) == (0, 0, 0):
        return when.date().isoformat()
    return when.strftime("%Y-%m-%d %H:%M UTC")


def number(value: float | None, digits: int = 3) -> str:
    """A score, or "-" for none."""
    return "-" if value is None else f"{value:.{digits}f}"


def signed(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:+.{digits}f}"


def interval(bounds: tuple[float, float] | None) -> str:
    """A 95% interval as ``[low, high]``, or "-" when there is none (no bootstrap draws)."""
    if bounds is None or bounds[0] != bounds[0]:
        return "-"
    return f"[{bounds[0]:+.3f}, {bounds[1]:+.3f}]"


def outcome(value: str | float | None) -> str:
    """An outcome as text: yes, a category, a number; "-" while unresolved."""
    if value is None:
        return "-"
    return value if isinstance(value, str) else f"{value:g}"


def notes(forecast: Forecast) -> list[str]:
    """What a reader should know about a forecast beside its value: revision, withdrawal, condition, reveal."""
    said = []
    if forecast.supersedes:
        said.append(f"revises {forecast.supersedes}")
    if forecast.superseded_by:
        said.append(f"revised by {forecast.superseded_by}")
    if forecast.given:
        said.append(f"if {forecast.given} resolves yes")
    if forecast.revealed:
        said.append(f"committed, revealed {forecast.revealed.isoformat()}")
    if forecast.withdrawn:
        reason = f": {forecast.withdrawal_reason}" if forecast.withdrawal_reason else ""
        said.append(f"withdrawn {forecast.withdrawn.isoformat()}{reason}")
    return said


def _telling_bin(bins: Sequence[CalibrationBin]) -> CalibrationBin | None:
    """The bucket whose gap between forecast and outcome weighs most (count times gap)."""
    filled = [b for b in bins if b.count and b.mean_forecast is not None and b.observed is not None]
    if not filled:
        return None
    return max(filled, key=lambda b: (b.count * abs((b.observed or 0.0) - (b.mean_forecast or 0.0)), -b.low))


def murphy(terms: Murphy | None, bins: Sequence[CalibrationBin]) -> list[str]:
    """Murphy's three terms, each in a sentence: Brier = reliability - resolution + uncertainty."""
    if terms is None:
        return []
    lines = []
    telling = _telling_bin(bins)
    example = ""
    if telling is not None:
        example = (
            f": the {telling.count} forecast(s) near {percent(telling.mean_forecast or 0.0)}"
            f" came true {percent(telling.observed or 0.0)} of the time"
        )
    lines.append(
        f"Reliability {terms.reliability:.3f} (lower is better; 0 means forecasts came true as often as they said)"
        + example
        + "."
    )
    lines.append(
        f"Resolution {terms.resolution:.3f} (higher is better): how far the forecasts moved away from the base rate"
        " toward what happened."
    )
    lines.append(
        f"Uncertainty {terms.uncertainty:.3f}: how hard the questions were, the base rate's own variance;"
        " no forecaster changes it."
    )
    lines.append(
        f"Brier {terms.brier:.3f} = reliability {terms.reliability:.3f} - resolution {terms.resolution:.3f}"
        f" + uncertainty {terms.uncertainty:.3f}."
    )
    return lines


def pooling(method: object) -> str:
    """How the community forecast pools binary forecasts, in words (a ``predreg.community.Method``)."""
    name, factor = getattr(method, "name", "geo-mean-odds"), getattr(method, "extremise", 1.0)
    pooled = "the median" if name == "median" else "the geometric mean of the odds"
    return pooled + ("" if factor == 1 else f", extremised by raising the odds to {factor:g}")
