"""Check what a directory file would publish: no personal mobiles or personal e-mail addresses in public entries.

Public teams and routes go out through the open ORUK feed to anyone, so a staff member's own mobile or
gmail address there is a leak, not a contact route. Private routes (`public: false`) are for practitioners
inside joinup and may hold a work mobile.
"""

from __future__ import annotations

from collections.abc import Callable

from directory.document import DirectoryDoc
from directory.records import Collector
from storage.privacy import find_personal_contacts, is_mobile_number, is_personal_email

Where = Callable[[str], str]

_WHY = {
    "a mobile number": "public entries list work lines (a duty line or switchboard); if it is a work mobile "
    "for practitioners only, mark the route public: false",
    "a personal e-mail address": "public entries list work mailboxes; use the team's shared work address",
}


def check_public_text(c: Collector, doc: DirectoryDoc, wheres: dict[int, Where]) -> None:
    """Record a problem for each personal mobile or personal e-mail address in a public entry."""

    def where(obj: object) -> Where:
        return wheres.get(id(obj), lambda _field: "start of file")

    def check(obj: object, field: str, text: str | None) -> None:
        for kind in dict.fromkeys(find_personal_contacts(text or "")):
            c.add(where(obj)(field), field, f"this public text holds {kind}: {_WHY[kind]}")

    for agency in doc.agencies:
        check(agency, "description", agency.description)
    for team in doc.teams:
        if not team.is_public:
            continue
        for field in ("purpose", "handles", "not_for"):
            check(team, field, getattr(team, field))
        for route in team.routes:
            if not route.is_public:
                continue
            if route.kind == "phone" and is_mobile_number(route.value):
                c.add(
                    where(route)("value"),
                    "value",
                    f"{route.key} is a mobile number: {_WHY['a mobile number']}",
                )
            elif "@" in route.value and is_personal_email(route.value):
                c.add(
                    where(route)("value"),
                    "value",
                    f"{route.key} is a personal e-mail address: {_WHY['a personal e-mail address']}",
                )
            for field in ("label", "when_to_use", "how_to_leave_message"):
                check(route, field, getattr(route, field))
