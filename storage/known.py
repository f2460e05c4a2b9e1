"""What joinup already knows is not personal data: the directory's own contact details and its users' names.

The privacy guard passes these (a practitioner may write "left a message with Priya Shah on 0161 496 0100").
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import ContactRoute, EscalationContact, Person, Team


def directory_contacts(*, session: Session) -> frozenset[str]:
    """Return every e-mail address, phone number and team office address the directory and people hold.

    An office (a team's base: street lines, town, postcode) is an organisation's address, so a note
    quoting "Town Hall, 1 Market Street, NB1 2AA" is not refused as a family's address.
    """
    values: set[str] = set()
    offices = select(Team.base_address, Team.base_town, Team.base_postcode).where(
        (Team.base_address != "") | (Team.base_postcode != "")
    )
    for street, town, postcode in session.exec(offices).all():
        values.update((street, postcode, ", ".join(p for p in (street, town, postcode) if p)))
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
