"""Resolve the sender of a message to a Person, linking the same person across platforms by e-mail."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from handlers.messages import InboundMessage
from schedules.time.clock import Clock
from storage import audit
from storage.models import ConversationRef, Person


def _find(session: Session, msg: InboundMessage) -> Person | None:
    if msg.platform == "console":
        return session.exec(select(Person).where(col(Person.handle) == msg.sender_key)).first()
    column = Person.slack_user_id if msg.platform == "slack" else Person.teams_user_id
    person = session.exec(select(Person).where(col(column) == msg.sender_key)).first()
    if person is None and msg.sender_email:
        person = session.exec(
            select(Person).where(func.lower(col(Person.email)) == msg.sender_email.lower())
        ).first()
        if person is not None:
            setattr(person, "slack_user_id" if msg.platform == "slack" else "teams_user_id", msg.sender_key)
    return person


def existing_person(session: Session, msg: InboundMessage) -> Person | None:
    """Return the sender if joinup knows them already, creating and changing nothing."""
    return _find(session, msg)


def _learn_email(session: Session, clock: Clock, person: Person, msg: InboundMessage) -> Person:
    """The platform told us the e-mail of someone we first met without one (its lookup failed then).

    Unless someone else holds the address, it is stored. If someone else does (the same human met on the
    other platform, or a person set up by an admin) and the person first met hasn't started using joinup
    (not onboarded), their platform id moves to that person, who is who they really are. Otherwise the
    two stay apart and the clash is audited for an admin to look at.
    """
    assert msg.sender_email is not None and person.id is not None
    other = session.exec(
        select(Person).where(
            func.lower(col(Person.email)) == msg.sender_email.lower(), col(Person.id) != person.id
        )
    ).first()
    column = "slack_user_id" if msg.platform == "slack" else "teams_user_id"
    if other is None:
        person.email = msg.sender_email
        action, found = "person.email_learned", person
    elif not person.is_onboarded and getattr(other, column) is None:
        setattr(person, column, None)
        session.flush()  # the platform id is unique: free it before the other person takes it
        setattr(other, column, msg.sender_key)
        action, found = "person.linked", other
    else:
        action, found = "person.email_clash", person
    audit.record(
        session=session,
        at=clock.now(),
        actor=person.handle,
        action=action,
        subject=f"person:{found.id}",
        data={"platform": msg.platform, "first_met_as": person.id},
    )
    return found


def resolve_person(*, session: Session, clock: Clock, msg: InboundMessage, default_nation: str) -> Person:
    """Return the sender's Person, creating a not-yet-onboarded one on first contact."""
    person = _find(session, msg)
    if person is not None and person.email is None and msg.sender_email and msg.platform != "console":
        person = _learn_email(session, clock, person, msg)
    if person is None:
        handle = msg.sender_key if msg.platform == "console" else f"{msg.platform}-{msg.sender_key.lower()}"
        person = Person(
            handle=handle[:80],
            display_name=(msg.sender_name or handle)[:200],
            email=msg.sender_email,
            nation=default_nation,
            created_at=clock.now(),
        )
        if msg.platform == "slack":
            person.slack_user_id = msg.sender_key
        elif msg.platform == "teams":
            person.teams_user_id = msg.sender_key
        session.add(person)
        session.flush()
        audit.record(
            session=session,
            at=clock.now(),
            actor=person.handle,
            action="person.created",
            subject=f"person:{person.id}",
            data={"platform": msg.platform},
        )
    if msg.address:
        assert person.id is not None
        remember_address(
            session=session,
            clock=clock,
            person_id=person.id,
            platform=msg.platform,
            address=dict(msg.address),
        )
    return person


def remember_address(
    *, session: Session, clock: Clock, person_id: int, platform: str, address: dict[str, object]
) -> None:
    """Store where to send this person proactive messages on `platform`."""
    ref = session.scalars(
        select(ConversationRef).where(
            ConversationRef.person_id == person_id, ConversationRef.platform == platform
        )
    ).first()
    if ref is None:
        session.add(
            ConversationRef(person_id=person_id, platform=platform, address=address, updated_at=clock.now())
        )
    elif ref.address != address:
        ref.address, ref.updated_at = address, clock.now()
