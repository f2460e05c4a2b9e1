"""Contact attempts (calls, e-mails, portal messages) and when repeated contacts should prompt escalation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from schedules.settings import ReminderSettings
from schedules.time.clock import Clock
from schedules.tracking.items import (
    METHODS,
    check_case_ref,
    check_free_text,
    load_for_change,
    require_open,
)
from storage import audit
from storage.errors import InvalidInput
from storage.models import ContactAttempt, Person, Team, TrackedItem

RESULTS = ("spoke", "left_message", "no_answer", "sent")


def contact_count(*, session: Session, case_ref: str, team_id: int) -> int:
    """Count contacts (referrals and attempts) about a case reference with a team, by anyone."""
    count = session.exec(
        select(func.count())
        .select_from(ContactAttempt)
        .where(col(ContactAttempt.case_ref) == case_ref.upper(), col(ContactAttempt.team_id) == team_id)
    ).one()
    return int(count)


@dataclass(frozen=True, slots=True)
class AttemptRecorded:
    """A contact attempt, the item it belongs to (if any) and how many contacts there have now been."""

    attempt: ContactAttempt
    contacts: int
    prompt_at: int
    item: TrackedItem | None = None

    @property
    def should_escalate(self) -> bool:
        """Tell whether to suggest escalating (seed 001: the third contact about a case, and nobody escalated)."""
        return self.contacts >= self.prompt_at


def open_item_for(*, session: Session, person: Person, team: Team, case_ref: str) -> TrackedItem | None:
    """Return the person's newest open item about a case with a team, if any."""
    return session.exec(
        select(TrackedItem)
        .where(
            col(TrackedItem.from_person_id) == person.id,
            col(TrackedItem.to_team_id) == team.id,
            col(TrackedItem.case_ref) == case_ref.upper(),
            col(TrackedItem.status) != "closed",
        )
        .order_by(col(TrackedItem.id).desc())
    ).first()


def record_attempt(
    *,
    session: Session,
    clock: Clock,
    settings: ReminderSettings,
    person: Person,
    result: str,
    method: str = "phone",
    item_ref: str | None = None,
    team: Team | None = None,
    case_ref: str = "",
    note: str = "",
) -> AttemptRecorded:
    """Record an attempt to reach a team about a case (an item, or a team and case) and count the contacts.

    Raises:
        InvalidInput, PersonalDataRefused: bad result, method, case reference or note.
        NotFound, NotAllowed, WrongState: the item can't be used.
    """
    assert person.id is not None
    if result not in RESULTS:
        raise InvalidInput(
            "result", "Say how it went: spoke, left message or no answer.", example="tried TI-0042 no answer"
        )
    if method not in METHODS:
        raise InvalidInput("method", f"I don't know the method {method!r}. Use phone, email or portal.")
    item: TrackedItem | None = None
    if item_ref is not None:
        item, team = load_for_change(
            session=session, ref=item_ref, person=person, wanted="record an attempt on"
        )
        require_open(item, "record an attempt")
        case_ref = item.case_ref
    if team is None:
        raise InvalidInput(
            "team", "Say which team you tried, or give the item reference.", example="tried TI-0042"
        )
    assert team.id is not None
    case_ref = check_case_ref(case_ref)
    if item is None:
        item = open_item_for(session=session, person=person, team=team, case_ref=case_ref)
    note = check_free_text(note, session=session, field="note", limit=500)
    now = clock.now()
    attempt = ContactAttempt(
        item_id=item.id if item else None,
        case_ref=case_ref,
        team_id=team.id,
        person_id=person.id,
        at=now,
        method=method,
        result=result,
        note=note,
    )
    session.add(attempt)
    session.flush()
    contacts = contact_count(session=session, case_ref=case_ref, team_id=team.id)
    audit.record(
        session=session,
        at=now,
        actor=person.handle,
        action="item.attempt",
        subject=f"item:{item.ref}" if item else f"case:{case_ref}",
        data={
            "case_ref": case_ref,
            "team": team.key,
            "method": method,
            "result": result,
            "contacts": contacts,
        },
    )
    return AttemptRecorded(
        attempt=attempt, contacts=contacts, prompt_at=settings.escalation_prompt_contacts, item=item
    )
