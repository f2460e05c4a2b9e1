"""The challenged side's response to an escalation, and handing an escalation to a colleague.

The team a disagreement is with never closes it: it records a response (decision maintained, changed, or
more information needed, with its rationale). The raiser then accepts it (resolved) or does not (next level).
If the raiser has not answered within the level's time, their manager is reminded. Who may do each of these
is handlers.access.rules.escalation_sides; this module checks the facts and keeps the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlmodel import Session, col, select

from schedules.chronology.events import RESPONSE_WORDS
from schedules.escalation.records import (
    check_free_text,
    level_calendar,
    open_escalation,
    person,
    policy_for,
    record_step,
)
from schedules.escalation.timers import LEVEL_DUE, SUBJECT, schedule_level_reminders
from schedules.outbox import rows as outbox
from schedules.time.calendars import WorkingHours, delivery_time
from schedules.time.clock import Clock
from storage.errors import InvalidInput, NotFound
from storage.models import Escalation, EscalationStep, Person

RESPONSE: Final = "response"
HANDED_OVER: Final = "handed_over"
# To the raiser's manager: the other side responded and the raiser has not answered within the level's time.
RESPONSE_UNANSWERED: Final = "escalation_response_unanswered"
DECISIONS: Final[dict[str, str]] = RESPONSE_WORDS
_DECISION_WORDS: Final[dict[str, str]] = {
    "maintained": "maintained",
    "maintain": "maintained",
    "decision maintained": "maintained",
    "we maintain our decision": "maintained",
    "same": "maintained",
    "changed": "changed",
    "change": "changed",
    "decision changed": "changed",
    "more information": "more_information",
    "more info": "more_information",
    "more information needed": "more_information",
    "more_information": "more_information",
    "information": "more_information",
}


@dataclass(frozen=True, slots=True)
class Response:
    """The latest response at an escalation's current level."""

    step: EscalationStep
    decision: str  # a key of DECISIONS
    responder: Person | None

    @property
    def words(self) -> str:
        """Return "decision maintained" and so on."""
        return DECISIONS.get(self.decision, self.decision)


def parse_decision(text: str) -> str:
    """Return the decision key for what someone typed or chose.

    Raises:
        InvalidInput: it is not one of the three decisions.
    """
    wanted = " ".join(text.lower().replace("-", " ").split()).strip(" .!")
    decision = _DECISION_WORDS.get(wanted) or _DECISION_WORDS.get(wanted.replace(" ", "_"))
    if decision is None:
        raise InvalidInput(
            "decision", "Choose one: maintained, changed or more information.", example="maintained"
        )
    return decision


def latest_response(*, session: Session, escalation: Escalation) -> Response | None:
    """Return the latest response recorded at the escalation's current level, if any."""
    step = session.exec(
        select(EscalationStep)
        .where(col(EscalationStep.escalation_id) == escalation.id)
        .where(col(EscalationStep.level) == escalation.level)
        .where(col(EscalationStep.action) == RESPONSE)
        .order_by(col(EscalationStep.at).desc(), col(EscalationStep.id).desc())
    ).first()
    if step is None:
        return None
    responder = session.get(Person, step.person_id) if step.person_id is not None else None
    return Response(step=step, decision=step.outcome, responder=responder)


def respond(
    *,
    session: Session,
    clock: Clock,
    settings: WorkingHours,
    ref: str,
    person_id: int,
    decision: str,
    rationale: str,
) -> Response:
    """Record the challenged side's response at the current level and start the raiser's answer clock.

    Raises:
        NotFound, WrongState: no such escalation, or it is closed.
        InvalidInput, PersonalDataRefused: the decision or rationale can't be used (nothing is stored).
    """
    actor = person(session, person_id)
    escalation = open_escalation(session, ref, "respond to it")
    key = parse_decision(decision)
    rationale = check_free_text(session=session, field="rationale", text=rationale, max_length=1000)
    step = record_step(
        session, clock, escalation, action=RESPONSE, actor=actor, outcome=key, rationale=rationale
    )
    raiser = person(session, escalation.raised_by_person_id)
    level = policy_for(session=session, escalation=escalation).level(escalation.level)
    # Reviews find disagreements stuck after a reply nobody answered: the raiser's manager hears of it.
    watcher = person(session, raiser.manager_id) if raiser.manager_id is not None else raiser
    assert watcher.id is not None and step.id is not None
    # The level's time, counted as the level's deadline is: on the challenged team's calendar.
    answer_by = level_calendar(session=session, escalation=escalation, settings=settings).add_working_days(
        clock.now(), level.working_days or 1
    )
    outbox.schedule(
        session=session,
        clock=clock,
        dedupe_key=f"escalation:{escalation.id}:response:{step.id}:unanswered",
        recipient_person_id=watcher.id,
        kind=RESPONSE_UNANSWERED,
        due_at=delivery_time(person=watcher, at=answer_by, settings=settings),
        subject_kind=SUBJECT,
        subject_id=escalation.id,
        payload={"ref": escalation.ref, "level": escalation.level, "step_id": step.id},
    )
    return Response(step=step, decision=key, responder=actor)


def is_unanswered(*, session: Session, escalation: Escalation, step_id: int, level: int) -> bool:
    """Tell whether a response still waits for the raiser: open, same level, and no newer response."""
    if escalation.status not in ("open", "partnership") or escalation.level != level:
        return False
    latest = latest_response(session=session, escalation=escalation)
    return latest is not None and latest.step.id == step_id


def find_colleague(*, session: Session, text: str) -> Person:
    """Return the person named by handle or display name.

    Raises:
        NotFound: nobody, or more than one person, has that name.
    """
    wanted = text.strip().lstrip("@")
    by_handle = session.exec(select(Person).where(col(Person.handle) == wanted.lower())).first()
    if by_handle is not None:
        return by_handle
    named = session.exec(select(Person).where(col(Person.display_name).ilike(wanted))).all()
    if len(named) == 1:
        return named[0]
    raise NotFound(
        "person", wanted, hint="Give their joinup handle or full name, like: hand over ES-0007 to Jo Bennett."
    )


def hand_over(
    *, session: Session, clock: Clock, settings: WorkingHours, ref: str, person_id: int, to_person_id: int
) -> Escalation:
    """Hand an escalation to a colleague of the raiser (same team, or the same manager); its clock runs on.

    Raises:
        NotFound, WrongState: no such escalation or person, or the escalation is closed.
        InvalidInput: the new holder is not a colleague, or already holds it.
    """
    actor = person(session, person_id)
    escalation = open_escalation(session, ref, "hand it over")
    old = person(session, escalation.raised_by_person_id)
    new = person(session, to_person_id)
    if new.id == old.id:
        raise InvalidInput("colleague", f"{new.display_name} already holds {escalation.ref}.")
    same_team = old.team_id is not None and new.team_id == old.team_id
    same_manager = old.manager_id is not None and new.manager_id == old.manager_id
    if not (same_team or same_manager or new.id == old.manager_id):
        raise InvalidInput(
            "colleague",
            f"{new.display_name} isn't in {old.display_name}'s team. Hand it to a colleague in the same team, "
            "or to their manager.",
        )
    outbox.cancel(session=session, subject_kind=SUBJECT, subject_id=escalation.id or 0, kinds=[LEVEL_DUE])
    assert new.id is not None
    escalation.raised_by_person_id = new.id
    # The level's deadline stays: a hand-over doesn't give the disagreement more time.
    schedule_level_reminders(session, clock, escalation, new, settings=settings)
    record_step(
        session,
        clock,
        escalation,
        action=HANDED_OVER,
        actor=actor,
        contacted=f"from {old.display_name} to {new.display_name}",
    )
    session.flush()
    return escalation
