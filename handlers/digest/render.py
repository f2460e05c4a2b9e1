"""Turn a manager's digest (schedules/digest/content.py) into one message, the same on every platform."""

from __future__ import annotations

from datetime import datetime

from handlers.messages import Button, Field, Reply, Section
from schedules.digest.content import Digest, EscalationLine, ItemLine, StaleEntry
from schedules.time.calendar import LONDON
from schedules.time.words import day_in_words, moment_in_words, time_in_words

# Long lists are cut so a digest stays readable; the counts always cover everything.
MAX_LINES = 10
_COUNT_LABELS = (
    ("awaiting_overdue", "Overdue from other agencies"),
    ("owed_overdue", "Overdue from your teams"),
    # Each kind apart: referrals, call backs and information requests are different promises.
    ("owed_referral", "Referrals your teams owe a response on"),
    ("owed_callback", "Call backs your teams owe"),
    ("owed_information_request", "Information requests asked of your teams"),
    ("owed_information_request_overdue", "Information requests overdue from your teams"),
    ("awaiting_callback", "Call backs your teams are waiting for"),
    ("awaiting_information_request", "Information your teams asked others for"),
    ("raised_by", "Escalations raised by your teams"),
    ("raised_about", "Escalations raised about your teams"),
    ("escalations_overdue", "Escalations past their level deadline"),
    ("stale", "Directory entries to review"),
    ("came_back", "Came back since the last digest"),
)


# Counts of each kind are shown only when there is (or was, at the last digest) something to count.
_SHOWN_WHEN_ANY = frozenset(
    {
        "owed_referral",
        "owed_callback",
        "owed_information_request",
        "owed_information_request_overdue",
        "awaiting_callback",
        "awaiting_information_request",
    }
)


def _any(key: str, counts: dict[str, int], previous: dict[str, object] | None) -> bool:
    before = previous.get(key) if previous else None
    return bool(counts.get(key)) or (isinstance(before, int) and before > 0)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _due(line: ItemLine, now: datetime) -> str:
    if line.working_days_overdue is not None:
        if line.working_days_overdue == 0:
            return "overdue today"
        return f"{_plural(line.working_days_overdue, 'working day')} overdue"
    if line.due_at is None:
        return "no due date"
    if line.due_at.astimezone(LONDON).date() == now.astimezone(LONDON).date():
        return f"due today by {time_in_words(line.due_at)}"
    return f"due by {moment_in_words(line.due_at)}"


_KIND_WORDS = (
    ("referral", "referral"),
    ("callback", "call back"),
    ("information_request", "information request"),
)


def _kinds(lines: tuple[ItemLine, ...]) -> str:
    """ ": 2 referrals, 1 call back" when there is more than referrals; "" when there are only referrals."""
    counts = [(sum(line.kind == kind for line in lines), word) for kind, word in _KIND_WORDS]
    if all(word == "referral" or n == 0 for n, word in counts):
        return ""
    return ": " + ", ".join(_plural(n, word) for n, word in counts if n)


def _item(line: ItemLine, *, direction: str, now: datetime) -> str:
    what = f"{line.waiting_for}, {_due(line, now)}"
    return f"{line.ref} (case {line.case_ref}) {direction} {line.other_team}: {what}"


def _escalation(line: EscalationLine) -> str:
    where = "with the partnership" if line.status == "partnership" else f"at level {line.level}"
    days = _plural(line.working_days_at_level, "working day")
    late = ""
    if line.is_overdue:
        overdue = line.working_days_overdue or 0
        late = ", past its level deadline" + (f" by {_plural(overdue, 'working day')}" if overdue else "")
    team = ""
    if line.other_team:
        team = f" with {line.other_team}" if line.side == "raised_by" else f" from {line.other_team}"
    return f"{line.ref} (case {line.case_ref}){team}: {where} for {days}{late}"


def _escalation_section(title: str, lines: tuple[EscalationLine, ...]) -> Section:
    overdue = sum(line.is_overdue for line in lines)
    late = f", {overdue} past the level deadline" if overdue else ""
    return Section(
        f"{title} ({len(lines)}{late})",
        _lines([_escalation(line) for line in lines], command="escalations"),
    )


def _stale(entry: StaleEntry) -> str:
    if entry.review_due_at is None:
        return f"{entry.team_name}: never reviewed"
    return f"{entry.team_name}: review was due {day_in_words(entry.review_due_at)}"


def _lines(texts: list[str], *, command: str = "mine") -> str:
    shown = texts[:MAX_LINES]
    more = len(texts) - len(shown)
    return "\n".join(
        [f"• {t}" for t in shown] + ([f"…and {more} more. Type {command} to see them all."] if more else [])
    )


def _compare(key: str, counts: dict[str, int], previous: dict[str, object] | None) -> str:
    now = counts.get(key, 0)
    if previous is None or not isinstance(previous.get(key), int):
        return str(now)
    before = previous[key]
    assert isinstance(before, int)
    return f"{now} (was {before})"


def render_digest(
    digest: Digest,
    *,
    is_late: bool = False,
    schedule: str = "",
    is_preview: bool = False,
    due_at: datetime | None = None,
) -> Reply:
    """Render the digest: the counts first, then each section, most urgent first."""
    teams = ", ".join(digest.team_names) or "your teams"
    kind = f"{schedule} digest" if schedule in ("daily", "weekly") else "digest"
    opening = "Preview of your digest" if is_preview else f"Your {kind}"
    heading = f"{opening} for {teams}, {day_in_words(digest.produced_at)}."
    if is_late:
        heading += (
            f" It is late because joinup was not running at {time_in_words(due_at) if due_at else '8:30am'}."
        )
    if digest.is_empty:
        return Reply(
            text=heading + " Nothing is waiting or overdue, and no escalations are open. Type mine to check.",
            kind="digest",
        )
    fields = tuple(
        Field(label, _compare(key, digest.counts, digest.previous_counts))
        for key, label in _COUNT_LABELS
        if key not in _SHOWN_WHEN_ANY or _any(key, digest.counts, digest.previous_counts)
    )
    sections: list[Section] = []
    if digest.awaiting:
        sections.append(
            Section(
                f"Waiting on other agencies ({len(digest.awaiting)}{_kinds(digest.awaiting)})",
                _lines(
                    [_item(line, direction="sent to", now=digest.produced_at) for line in digest.awaiting]
                ),
            )
        )
    if digest.owed:
        sections.append(
            Section(
                f"Your teams owe a response ({len(digest.owed)}{_kinds(digest.owed)})",
                _lines([_item(line, direction="from", now=digest.produced_at) for line in digest.owed]),
            )
        )
    if digest.raised_by:
        sections.append(_escalation_section("Escalations raised by your teams", digest.raised_by))
    if digest.raised_about:
        sections.append(_escalation_section("Escalations raised about your teams", digest.raised_about))
    if digest.stale:
        sections.append(
            Section(
                f"Directory entries you own that need review ({len(digest.stale)})",
                _lines([_stale(entry) for entry in digest.stale], command="stale")
                + "\nCheck each entry and type edit directory to confirm or change it.",
            )
        )
    if digest.came_back:
        nfa = f", {digest.came_back_nfa} with no further action" if digest.came_back_nfa else ""
        sections.append(
            Section(
                "Came back since the last digest", f"{_plural(digest.came_back, 'item')} got feedback{nfa}."
            )
        )
    return Reply(
        text=heading + " Overdue items come first.",
        fields=fields,
        sections=tuple(sections),
        buttons=(Button("Digest settings", "digest_settings"),),
        kind="digest",
    )


def as_plain_text(reply: Reply) -> str:
    """Return a digest as plain text (for `joinup digest preview`)."""
    parts = [reply.text]
    if reply.fields:
        parts.append("\n".join(f"{f.label}: {f.value}" for f in reply.fields))
    for section in reply.sections:
        parts.append(f"{section.title}\n{section.text}")
    return "\n\n".join(parts) + "\n"
