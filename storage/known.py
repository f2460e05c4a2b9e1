"""What joinup already knows is not personal data: the directory's own contact details and its users' names.

The privacy guard passes these (a practitioner may write "left a message with Priya Shah on 0161 496 0100").
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import ContactRoute, EscalationContact, Person


def directory_contacts(*, session: Session) -> frozenset[str]:
    """Return every e-mail address and phone number the directory and the people table hold."""
    values: set[str] = set()
    values.update(session.exec(select(ContactRoute.value)).all())
    values.update(session.exec(select(EscalationContact.route_value)).all())
    values.update(e for e in session.exec(select(Person.email).where(col(Person.email).is_not(None))) if e)
    return frozenset(v for v in values if v)


def professional_names(*, session: Session) -> frozenset[str]:
    """Return the full names (and surnames) of joinup's users: professionals, whose names notes may hold."""
    names: set[str] = set()
    for display_name in session.exec(select(Person.display_name)).all():
        words = display_name.split()
        if len(words) >= 2:
            names.add(" ".join(words[:2]).lower())
            names.add(" ".join(words).lower())
    return frozenset(names)
