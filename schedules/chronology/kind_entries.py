"""Chronology entries for call backs and information requests, in their own words: a call back expected
and when it came; a request asked (for which meeting), received, and sent or withdrawn."""

from __future__ import annotations

from schedules.chronology.events import Entry, _due, _join
from schedules.time.words import day_in_words, moment_in_words
from storage.models import TrackedItem


def kind_entries(item: TrackedItem, team: str, asker: str, actors: dict[tuple[str, str], str]) -> list[Entry]:
    """A call back expected, and when it came; an information request, its receipt and its answer."""
    found: list[Entry] = []
    if item.kind == "callback":
        found.append(
            Entry(
                at=item.sent_at,
                source="item",
                ref=item.ref,
                event=f"Waiting for a call back from {team}",
                who=asker,
                detail=f"Expected by {moment_in_words(item.ack_due_at)}." if item.ack_due_at else "",
            )
        )
        if item.feedback_at is not None:
            late = item.ack_due_at is not None and item.feedback_at > item.ack_due_at
            found.append(
                Entry(
                    at=item.feedback_at,
                    source="item",
                    ref=item.ref,
                    event=f"Called back by {team}",
                    who=actors.get((item.ref, "item.feedback"), ""),
                    detail="Later than expected." if late else "On time.",
                )
            )
        return found
    meeting = f"For the {item.meeting} on {day_in_words(item.meeting_at)}." if item.meeting_at else ""
    found.append(
        Entry(
            at=item.sent_at,
            source="item",
            ref=item.ref,
            event=f"Information requested from {team}: {item.about}",
            who=asker,
            detail=_join(_due("Information", item.feedback_due_at), meeting),
        )
    )
    if item.acknowledged_at is not None and (item.ref, "item.acknowledged") in actors:
        found.append(
            Entry(
                at=item.acknowledged_at,
                source="item",
                ref=item.ref,
                event=f"Request received by {team}",
                who=actors.get((item.ref, "item.acknowledged"), ""),
            )
        )
    if item.feedback_at is not None:
        late = item.feedback_due_at is not None and item.feedback_at > item.feedback_due_at
        withdrawn = item.outcome == "withdrawn"
        found.append(
            Entry(
                at=item.feedback_at,
                source="item",
                ref=item.ref,
                event="Request withdrawn" if withdrawn else f"Information sent by {team}",
                who=actors.get((item.ref, "item.feedback"), ""),
                detail="" if withdrawn else ("Later than expected." if late else "On time."),
            )
        )
    return found
