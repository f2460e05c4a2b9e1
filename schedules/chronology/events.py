"""The entries of a case chronology, one function per source: tracked items and attempts, escalation steps,
information-sharing decisions, and the audit log for changes the tables don't keep (pauses, closures)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from schedules.escalation.policy import policy_of
from schedules.time.words import day_in_words
from storage.models import (
    AuditEvent,
    ContactAttempt,
    Escalation,
    EscalationStep,
    Person,
    PolicyVersion,
    SharingDecision,
    Team,
    TrackedItem,
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the chronology."""

    at: datetime
    source: str  # item, attempt, escalation, sharing, audit
    ref: str  # TI-0042, ES-0007, or the case reference
    event: str
    who: str = ""
    detail: str = ""
    gap_working_days: int | None = None  # working days since the previous entry (None for the first)


KIND_WORDS = {
    "referral": "Referral",
    "callback": "Callback request",
    "information_request": "Information request",
    "partnership_referral": "Referral to the safeguarding partnership",
}
OUTCOME_WORDS = {
    "accepted_for_assessment": "accepted for assessment",
    "early_help": "early help",
    "signposted": "signposted",
    "no_further_action": "no further action",
    "information_only": "information only",
    "withdrawn": "withdrawn",
}
RESULT_WORDS = {
    "spoke": "spoke to them",
    "left_message": "left a message",
    "no_answer": "no answer",
    "sent": "sent",
}
AUDIT_WORDS = {
    "item.paused": "Clocks paused",
    "item.resumed": "Clocks resumed",
    "item.snoozed": "Reminders snoozed",
    "item.closed": "Closed",
    "item.reopened": "Reopened",
    "item.callback_moved": "Call back moved to a later time",
    "case.risk_redirect": "Child said to be at immediate risk: told to call 999, then the front door or EDT "
    "(a risk redirect, not an escalation)",
}
# The challenged side's responses (schedules/escalation/responses.py keeps the same words).
RESPONSE_WORDS = {
    "maintained": "decision maintained",
    "changed": "decision changed",
    "more_information": "more information needed",
}
# Audit actions the tables already tell in full; the audit log adds nothing for them.
COVERED_PREFIXES = (
    "item.referred",
    "item.acknowledged",
    "item.feedback",
    "item.attempt",
    "item.created",
    "item.callback_expected",
    "item.called_back",
    "item.information_requested",
    "item.request_received",
    "item.request_sent",
    "item.request_withdrawn",
)
# A share? decision is its own row (sharing_entries); its audit event would tell it a second time.
COVERED_FAMILIES = ("escalation.", "chronology.", "policy.", "sharing.")
# Who looked, or was refused a look, is the audit log's business, not the case's history.
NOT_CASE_HISTORY = ("access.",)


class _Names:
    """Looks up professionals' and teams' names once each."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._people: dict[int, str] = {}
        self._teams: dict[int, str] = {}
        self._handles: dict[str, str] = {}

    def person(self, person_id: int | None) -> str:
        if person_id is None:
            return "joinup"
        if person_id not in self._people:
            found = self.session.get(Person, person_id)
            self._people[person_id] = found.display_name if found else f"person {person_id}"
        return self._people[person_id]

    def handle(self, handle: str) -> str:
        if handle not in self._handles:
            found = self.session.exec(select(Person).where(col(Person.handle) == handle)).first()
            self._handles[handle] = found.display_name if found else handle
        return self._handles[handle]

    def team(self, team_id: int | None) -> str:
        if team_id is None:
            return "another team"
        if team_id not in self._teams:
            found = self.session.get(Team, team_id)
            self._teams[team_id] = found.name if found else f"team {team_id}"
        return self._teams[team_id]


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?")) else f"{text}."


def _join(*parts: str) -> str:
    return " ".join(_sentence(p) for p in parts if p and p.strip())


def _due(label: str, at: datetime | None) -> str:
    return f"{label} due {day_in_words(at)}." if at is not None else ""


# The audit actions that say who stopped a clock, under the clock they stopped.
_ACTOR_ACTIONS = {
    "item.acknowledged": "item.acknowledged",
    "item.feedback": "item.feedback",
    "item.called_back": "item.feedback",
    "item.request_received": "item.acknowledged",
    "item.request_sent": "item.feedback",
    "item.request_withdrawn": "item.feedback",
}


def item_entries(
    *, session: Session, items: Sequence[TrackedItem], attempts: Sequence[ContactAttempt]
) -> list[Entry]:
    """Return the entries for referrals, callbacks and requests, and the attempts to reach the other side."""
    names = _Names(session)
    entries: list[Entry] = []
    sent = {(i.id, i.sent_at) for i in items}
    # The tables keep when an item was acknowledged or answered; the audit log keeps who did it.
    actors: dict[tuple[str, str], str] = {}
    if items:
        for subject, action, actor in session.exec(
            select(AuditEvent.subject, AuditEvent.action, AuditEvent.actor)
            .where(col(AuditEvent.subject).in_([f"item:{i.ref}" for i in items]))
            .where(col(AuditEvent.action).in_([*_ACTOR_ACTIONS]))
            .order_by(col(AuditEvent.id))
        ):
            actors[(subject.partition(":")[2], _ACTOR_ACTIONS[action])] = names.handle(actor)
    for item in items:
        team = names.team(item.to_team_id)
        if item.kind in ("callback", "information_request"):
            # Imported here: that module builds on this one's Entry and helpers.
            from schedules.chronology.kind_entries import kind_entries

            entries += kind_entries(item, team, names.person(item.from_person_id), actors)
            continue
        entries.append(
            Entry(
                at=item.sent_at,
                source="item",
                ref=item.ref,
                event=f"{KIND_WORDS.get(item.kind, item.kind.replace('_', ' ').capitalize())} sent to {team}",
                who=names.person(item.from_person_id),
                detail=_join(
                    f"By {item.method.replace('_', ' ')}.",
                    _due("Acknowledgement", item.ack_due_at),
                    _due("Feedback", item.feedback_due_at),
                    f"Note: {item.about}" if item.about else "",
                ),
            )
        )
        # Feedback given with no acknowledgement first stamps both at once: one event, the feedback. An
        # acknowledgement someone recorded (the audit log has it) is its own event, even in the same minute.
        feedback_closes = (
            item.feedback_at is not None
            and item.acknowledged_at == item.feedback_at
            and (item.ref, "item.acknowledged") not in actors
        )
        if item.acknowledged_at is not None and not feedback_closes:
            late = item.ack_due_at is not None and item.acknowledged_at > item.ack_due_at
            entries.append(
                Entry(
                    at=item.acknowledged_at,
                    source="item",
                    ref=item.ref,
                    event=f"Acknowledged by {team}",
                    who=actors.get((item.ref, "item.acknowledged"), ""),
                    detail="Later than expected." if late else "On time.",
                )
            )
        if item.feedback_at is not None:
            outcome = OUTCOME_WORDS.get(item.outcome or "", (item.outcome or "").replace("_", " "))
            late = item.feedback_due_at is not None and item.feedback_at > item.feedback_due_at
            entries.append(
                Entry(
                    at=item.feedback_at,
                    source="item",
                    ref=item.ref,
                    event=f"Feedback from {team}: {outcome}",
                    who=actors.get((item.ref, "item.feedback"), ""),
                    detail=_join(
                        f"Reason: {item.outcome_reason}." if item.outcome_reason else "",
                        "Later than expected." if late else "On time.",
                    ),
                )
            )
    by_id = {i.id: i for i in items}
    for attempt in attempts:
        if attempt.result == "sent" and (attempt.item_id, attempt.at) in sent:
            continue  # the referral itself, already listed
        about = by_id.get(attempt.item_id)
        entries.append(
            Entry(
                at=attempt.at,
                source="attempt",
                ref=about.ref if about else attempt.case_ref,
                event=f"Contact attempt to {names.team(attempt.team_id)}: "
                f"{RESULT_WORDS.get(attempt.result, attempt.result)}",
                who=names.person(attempt.person_id),
                detail=_join(f"By {attempt.method.replace('_', ' ')}.", attempt.note),
            )
        )
    return entries


def _step_words(step: EscalationStep, level_name: str) -> tuple[str, str]:
    level = f"level {step.level} ({level_name})"
    match step.action:
        case "started":
            return f"Escalation started at {level}", _join(step.rationale)
        case "immediate_risk":
            return (
                "Child said to be at immediate risk: told to call 999, then the front door or EDT",
                "Not handled as an escalation.",
            )
        case "contacted":
            return f"Contacted at {level}: {step.contacted}", _join(step.rationale)
        case "not_resolved":
            return f"Not resolved at {level}", _join(f"Tried: {step.contacted}", f"Why: {step.rationale}")
        case "level_started":
            partnership = f"Partnership referral {step.contacted}." if step.contacted else ""
            return f"Moved up to {level}", partnership
        case "timed_out":
            return f"Time ran out at {level}", ""
        case "reminder_set":
            return f"Reminder set at {level}", ""
        case "resolved":
            return f"Resolved at {level}: {step.outcome}", _join(f"Rationale: {step.rationale}")
        case "withdrawn":
            return f"Withdrawn at {level}", _join(f"Reason: {step.rationale}")
        case "response":
            decision = RESPONSE_WORDS.get(step.outcome, step.outcome)
            return f"Response at {level}: {decision}", _join(f"Rationale: {step.rationale}")
        case "handed_over":
            return f"Handed over at {level}, {step.contacted}", ""
        case _:
            return f"{step.action.replace('_', ' ').capitalize()} at {level}", _join(step.rationale)


def escalation_entries(*, session: Session, escalations: Sequence[Escalation]) -> list[Entry]:
    """Return one entry per escalation step, naming the level from the escalation's own policy version."""
    names = _Names(session)
    entries: list[Entry] = []
    for escalation in escalations:
        version = session.get(PolicyVersion, escalation.policy_version_id)
        policy = policy_of(version) if version is not None else None
        level_names = {lvl.level: lvl.name for lvl in policy.levels} if policy else {}
        steps = session.exec(
            select(EscalationStep)
            .where(col(EscalationStep.escalation_id) == escalation.id)
            .order_by(col(EscalationStep.at), col(EscalationStep.id))
        ).all()
        for step in steps:
            event, detail = _step_words(step, level_names.get(step.level, "unknown level"))
            if step.action == "started" and version is not None:
                detail = _join(
                    f"With {names.team(escalation.other_team_id)}." if escalation.other_team_id else "",
                    f"Policy: {version.name}, version {version.version}.",
                    detail,
                )
            entries.append(
                Entry(
                    at=step.at,
                    source="escalation",
                    ref=escalation.ref,
                    event=event,
                    who=names.person(step.person_id),
                    detail=detail,
                )
            )
    return entries


def sharing_entries(*, session: Session, decisions: Sequence[SharingDecision]) -> list[Entry]:
    """Return one entry per recorded information-sharing decision."""
    names = _Names(session)
    return [
        Entry(
            at=decision.at,
            source="sharing",
            ref=decision.case_ref,
            event=(
                f"Information shared with {decision.with_whom or 'another agency'}"
                if decision.decision == "shared"
                else f"Decided not to share with {decision.with_whom or 'another agency'}"
            ),
            who=names.person(decision.person_id),
            detail=_join(
                f"Purpose: {decision.purpose}" if decision.purpose else "",
                f"Lawful basis: {decision.lawful_basis}" if decision.lawful_basis else "",
                f"Reason: {decision.reason}" if decision.reason else "",
            ),
        )
        for decision in decisions
    ]


def _is_covered(action: str) -> bool:
    return action.startswith((*COVERED_PREFIXES, *COVERED_FAMILIES, *NOT_CASE_HISTORY))


def audit_entries(*, session: Session, subjects: Iterable[str]) -> list[Entry]:
    """Return audit events about these subjects (item:TI-0042, escalation:ES-0007, case:REF) that the
    tables don't already tell: pauses, resumptions, snoozes, closures."""
    wanted = sorted(set(subjects))
    if not wanted:
        return []
    names = _Names(session)
    entries: list[Entry] = []
    for event in session.exec(
        select(AuditEvent).where(col(AuditEvent.subject).in_(wanted)).order_by(col(AuditEvent.id))
    ):
        if _is_covered(event.action):
            continue
        words = AUDIT_WORDS.get(event.action, event.action.replace(".", " ").replace("_", " ").capitalize())
        entries.append(
            Entry(
                at=event.at,
                source="audit",
                ref=event.subject.partition(":")[2],
                event=words,
                who=names.handle(event.actor),
            )
        )
    return entries
