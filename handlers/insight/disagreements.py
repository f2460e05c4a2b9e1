"""Partnership reporting on disagreements in words: resolved at the lowest level, median working days per
level, and open escalations past their level deadline, by agency pair (schedules/insight/disagreements.py)."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.messages import Field, Section
from schedules.insight.disagreements import PairFigures

TOP_PAIRS = 5


def _days(count: int) -> str:
    return f"{count} working day" if count == 1 else f"{count} working days"


def lowest_level(resolved_at_lowest: int, resolved: int) -> str:
    """Say "1 of 2 resolved (50%)", or "none resolved yet"."""
    if resolved == 0:
        return "none resolved yet"
    return f"{resolved_at_lowest} of {resolved} resolved ({round(100 * resolved_at_lowest / resolved)}%)"


def level_medians(pair: PairFigures) -> str:
    """Say the median working days of each level that ended: "level 1: 2 working days; level 2: 4 …"."""
    if not pair.median_days_by_level:
        return "no level has ended yet"
    return "; ".join(f"level {level}: {_days(days)}" for level, days in pair.median_days_by_level.items())


def pair_name(pair: PairFigures) -> str:
    """Say who raised and who was challenged: "Northbrook Community Health → Northbrook Council"."""
    return f"{pair.raiser_agency} → {pair.challenged_agency}"


def partnership_fields(pairs: Sequence[PairFigures]) -> tuple[Field, ...]:
    """Return the partnership's headline: resolved at the lowest level, and open past the level deadline."""
    resolved = sum(p.resolved for p in pairs)
    lowest = sum(p.resolved_at_lowest for p in pairs)
    late = sum(p.open_past_deadline for p in pairs)
    open_now = sum(p.open_now for p in pairs)
    return (
        Field("Escalations resolved at the lowest level", lowest_level(lowest, resolved)),
        Field(
            "Open escalations past their level deadline",
            f"{late} of {open_now} open" if open_now else "none open",
        ),
    )


def pair_sections(pairs: Sequence[PairFigures]) -> tuple[Section, ...]:
    """Return one section per agency pair, the busiest first."""
    return tuple(
        Section(
            title=f"Escalations: {pair_name(pair)}",
            text=f"{pair.opened} opened; resolved at the lowest level: "
            f"{lowest_level(pair.resolved_at_lowest, pair.resolved)}; "
            f"{pair.open_past_deadline} of {pair.open_now} open past their level deadline",
            fields=(Field("Median time per level", level_medians(pair)),),
        )
        for pair in pairs[:TOP_PAIRS]
    )
