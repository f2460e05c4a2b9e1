"""Who may see and do what: the one authorisation check every handler calls.

API (all keyword arguments after `person`; `session` is the handler's own session):

    from handlers.access import auth

    # Before changing or showing one thing: raises NotAllowed (a friendly reply) if the person may not.
    auth.require(session, person, auth.CHANGE_ITEM, clock=ctx.clock, item=item)
    auth.require(session, person, auth.READ_CHRONOLOGY, clock=ctx.clock, case_ref="NB-204518")
    auth.require(session, person, auth.EDIT_DIRECTORY, clock=ctx.clock, team_id=team.id)
    # or, inside a handler, the same with the sender and clock taken from the context:
    auth.check(ctx, session, auth.VIEW_ESCALATION, escalation=escalation)

    # A yes/no answer without side effects (to hide a button, for example):
    auth.can(session, person, auth.CHANGE_ITEM, item=item)

    # Lists: a WHERE clause that keeps only what the person may see.
    session.exec(select(TrackedItem).where(auth.visible_items(session, person)))
    session.exec(select(Escalation).where(auth.visible_escalations(session, person)))

Rules. Everyone is a practitioner: they see their own items and their team's (sent by or to it). A manager
(a `RoleGrant(role="manager", team_id=...)`, or `Person.role == "manager"` for their own team) also sees the
teams they manage and their direct reports' items. A directory admin (`role="directory_admin"`, scoped to an
agency; no agency means every agency) edits that agency's directory entries; an entry's owner may review it.
An auditor reads every chronology and the audit log but changes nothing. The partnership sees area-wide
aggregates and the escalations handed to it. Nobody sees another area's items unless they are a party.

When `require` refuses, it drops the session's unflushed changes, records an `access.refused` audit event and
commits it (so the refusal is kept although the handler's transaction then fails), and raises NotAllowed:
call it before changing anything (anything already flushed would be committed too). A permitted look at
someone else's item or escalation is audited as `access.read` in the caller's transaction (chronology reads
are audited by schedules.chronology.timeline.export). A manager grant naming an agency and no team covers every team
of that agency. Jobs over many managers use `handlers.access.roles.managed_teams` (two queries for all).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import Session, col

from handlers.access import rules
from handlers.access.roles import Access, access_of
from schedules.time.clock import Clock
from storage import audit
from storage.errors import NotAllowed
from storage.models import Escalation, Person, Team, TrackedItem

if TYPE_CHECKING:
    from handlers.context import HandlerContext

__all__ = [
    "ACTIONS",
    "CHANGE_ESCALATION",
    "CHANGE_ITEM",
    "CREATE_ITEM",
    "EDIT_DIRECTORY",
    "EXPORT_AUDIT",
    "READ_AUDIT",
    "READ_CHRONOLOGY",
    "RECEIVE_DIGEST",
    "RESPOND_ESCALATION",
    "REVIEW_DIRECTORY",
    "VIEW_ESCALATION",
    "VIEW_INSIGHT",
    "VIEW_ITEM",
    "VIEW_PARTNERSHIP_INSIGHT",
    "Access",
    "access_of",
    "can",
    "check",
    "require",
    "visible_escalations",
    "visible_items",
]

VIEW_ITEM: Final = "item.view"
CHANGE_ITEM: Final = "item.change"  # ack, feedback, tried, pause, close, snooze
CREATE_ITEM: Final = "item.create"  # refer, callback, ask
VIEW_ESCALATION: Final = "escalation.view"
CHANGE_ESCALATION: Final = "escalation.change"  # the raiser's side: resolve, next level, withdraw, hand over
RESPOND_ESCALATION: Final = "escalation.respond"  # the challenged side: record its response
READ_CHRONOLOGY: Final = "chronology.read"
READ_AUDIT: Final = "audit.read"
EXPORT_AUDIT: Final = "audit.export"
EDIT_DIRECTORY: Final = "directory.edit"
REVIEW_DIRECTORY: Final = "directory.review"  # confirm an entry is still right
VIEW_INSIGHT: Final = "insight.team"
VIEW_PARTNERSHIP_INSIGHT: Final = "insight.partnership"
RECEIVE_DIGEST: Final = "digest.receive"

# What the refusal says the person can't do ("You can't <phrase>."), by action.
ACTIONS: Final[dict[str, str]] = {
    VIEW_ITEM: "see {subject}",
    CHANGE_ITEM: "change {subject}",
    CREATE_ITEM: "send referrals or requests",
    VIEW_ESCALATION: "see {subject}",
    CHANGE_ESCALATION: "change {subject}",
    RESPOND_ESCALATION: "respond to {subject}",
    READ_CHRONOLOGY: "see the chronology for {subject}",
    READ_AUDIT: "read the audit log",
    EXPORT_AUDIT: "export the audit log",
    EDIT_DIRECTORY: "edit {subject} in the directory",
    REVIEW_DIRECTORY: "review {subject} in the directory",
    VIEW_INSIGHT: "see figures for {subject}",
    VIEW_PARTNERSHIP_INSIGHT: "see the area-wide figures",
    RECEIVE_DIGEST: "get a manager's digest",
}

_REASONS: Final[dict[str, str]] = {
    VIEW_ITEM: "Items are for the people and teams involved, and their managers.",
    CHANGE_ITEM: "Only the referrer, the receiving team and their managers can.",
    CREATE_ITEM: "Your role in joinup is read-only.",
    VIEW_ESCALATION: "Escalations are for the people and teams involved, and their managers.",
    CHANGE_ESCALATION: (
        "Only the person who raised it, or their manager, decides whether it is resolved. "
        "If it is raised about your team, press Record our response."
    ),
    RESPOND_ESCALATION: "Only the team the disagreement is with, and its managers, respond to it.",
    READ_CHRONOLOGY: "It's for the people and teams involved in the case, their managers and auditors.",
    READ_AUDIT: "The audit log is for auditors.",
    EXPORT_AUDIT: "Audit exports are for auditors.",
    EDIT_DIRECTORY: "Directory entries are edited by their agency's directory admins.",
    REVIEW_DIRECTORY: "Entries are reviewed by their owner or a directory admin.",
    VIEW_INSIGHT: "Team figures are for the team's managers and the partnership.",
    VIEW_PARTNERSHIP_INSIGHT: "Area-wide figures are for the safeguarding partnership and auditors.",
    RECEIVE_DIGEST: "Digests are for managers of a team.",
}


# --- lists ---------------------------------------------------------------------------------------
def visible_items(session: Session, person: Person) -> ColumnElement[bool]:
    """Return a WHERE clause on TrackedItem keeping the items `person` may see."""
    access = access_of(session, person)
    if access.is_auditor:
        return true()
    teams = sorted(access.seen_team_ids)
    people = sorted({access.person_id, *access.report_ids})
    clauses: list[ColumnElement[bool]] = [col(TrackedItem.from_person_id).in_(people)]
    if teams:
        clauses += [col(TrackedItem.from_team_id).in_(teams), col(TrackedItem.to_team_id).in_(teams)]
    return or_(*clauses)


def visible_escalations(session: Session, person: Person) -> ColumnElement[bool]:
    """Return a WHERE clause on Escalation keeping the escalations `person` may see."""
    access = access_of(session, person)
    if access.is_auditor:
        return true()
    people = sorted({access.person_id, *access.report_ids, *access.team_member_ids})
    clauses: list[ColumnElement[bool]] = [col(Escalation.raised_by_person_id).in_(people)]
    if access.seen_team_ids:
        clauses.append(col(Escalation.other_team_id).in_(sorted(access.seen_team_ids)))
    if access.is_partnership:
        clauses.append(col(Escalation.status) == "partnership")
    return or_(*clauses) if clauses else false()


# --- single decisions (the rules are in handlers/access/rules.py) ---------------------------------
def can(
    session: Session,
    person: Person,
    action: str,
    *,
    item: TrackedItem | None = None,
    escalation: Escalation | None = None,
    case_ref: str | None = None,
    team_id: int | None = None,
    agency_id: int | None = None,
) -> bool:
    """Tell whether `person` may do `action` (one of this module's constants) on the target given.

    Raises:
        ValueError: the action is unknown or its target is missing (a programming error).
    """
    access = access_of(session, person)
    match action:
        case "item.view" | "item.change":
            if item is None:
                raise ValueError(f"{action} needs item=")
            if action == VIEW_ITEM:
                return rules.may_see_item(access, item)
            return not access.is_read_only and rules.may_change_item(session, access, item)
        case "item.create":
            return not access.is_read_only
        case "escalation.view" | "escalation.change" | "escalation.respond":
            if escalation is None:
                raise ValueError(f"{action} needs escalation=")
            if action == VIEW_ESCALATION:
                return rules.may_see_escalation(session, access, escalation)
            if action == RESPOND_ESCALATION:
                return not access.is_read_only and rules.may_respond_to_escalation(
                    session, access, escalation
                )
            return rules.may_decide_escalation(session, access, escalation) and (
                not access.is_read_only or (access.is_partnership and escalation.status == "partnership")
            )
        case "chronology.read":
            if case_ref is None:
                raise ValueError("chronology.read needs case_ref=")
            return access.is_auditor or rules.is_party_to_case(session, access, case_ref)
        case "audit.read" | "audit.export":
            return access.is_auditor
        case "directory.edit" | "directory.review":
            agency = rules.agency_of(session, team_id, agency_id)
            if access.is_admin_everywhere or (agency is not None and agency in access.admin_agency_ids):
                return True
            if action == REVIEW_DIRECTORY and team_id is not None:
                team = session.get(Team, team_id)
                return team is not None and team.owner_handle == access.handle
            return False
        case "insight.team":
            if access.is_partnership or access.is_auditor:
                return True
            return team_id is not None and team_id in access.managed_team_ids
        case "insight.partnership":
            return access.is_partnership or access.is_auditor
        case "digest.receive":
            return bool(access.managed_team_ids)
    raise ValueError(f"unknown action {action!r}")


def _subject(
    session: Session,
    item: TrackedItem | None,
    escalation: Escalation | None,
    case_ref: str | None,
    team_id: int | None,
) -> tuple[str, str]:
    """Return (words for the refusal, audit subject)."""
    if item is not None:
        return item.ref, f"item:{item.ref}"
    if escalation is not None:
        return escalation.ref, f"escalation:{escalation.ref}"
    if case_ref is not None:
        return case_ref.strip().upper(), f"case:{case_ref.strip().upper()}"
    if team_id is not None:
        team = session.get(Team, team_id)
        return (team.name if team else "that team"), f"team:{team.key if team else team_id}"
    return "that", ""


def require(
    session: Session,
    person: Person,
    action: str,
    *,
    clock: Clock,
    item: TrackedItem | None = None,
    escalation: Escalation | None = None,
    case_ref: str | None = None,
    team_id: int | None = None,
    agency_id: int | None = None,
) -> None:
    """Go on only if `person` may do `action`; audit refusals, and reads of other people's work.

    Raises:
        NotAllowed: the person may not. Unflushed changes in `session` are dropped and the refusal's
            audit event is committed before raising.
    """
    # No autoflush: a refusal must be able to drop the caller's unsaved changes.
    with session.no_autoflush:
        allowed = can(
            session,
            person,
            action,
            item=item,
            escalation=escalation,
            case_ref=case_ref,
            team_id=team_id,
            agency_id=agency_id,
        )
        words, subject = _subject(session, item, escalation, case_ref, team_id)
    if allowed:
        if _reads_someone_elses(action, person, item=item, escalation=escalation, case_ref=case_ref):
            audit.record(
                session=session,
                at=clock.now(),
                actor=person.handle,
                action="access.read",
                subject=subject,
                data={"action": action},
            )
        return
    # The caller's transaction fails with the exception, so commit the refusal now; first drop the
    # caller's unflushed changes so only the audit event is committed.
    for pending in list(session.new):
        session.expunge(pending)
    session.expire_all()
    audit.record(
        session=session,
        at=clock.now(),
        actor=person.handle,
        action="access.refused",
        subject=subject,
        data={"action": action},
    )
    session.commit()
    raise NotAllowed(ACTIONS[action].format(subject=words), reason=_REASONS[action])


def _reads_someone_elses(
    action: str,
    person: Person,
    *,
    item: TrackedItem | None,
    escalation: Escalation | None,
    case_ref: str | None,
) -> bool:
    # Chronology reads are audited by schedules.chronology.timeline.export itself.
    if action == VIEW_ITEM and item is not None:
        return item.from_person_id != person.id
    if action == VIEW_ESCALATION and escalation is not None:
        return escalation.raised_by_person_id != person.id
    return False


def check(
    ctx: HandlerContext,
    session: Session,
    action: str,
    *,
    item: TrackedItem | None = None,
    escalation: Escalation | None = None,
    case_ref: str | None = None,
    team_id: int | None = None,
    agency_id: int | None = None,
) -> None:
    """`require` for the sender of the message being handled.

    Raises:
        NotAllowed: the sender may not (the refusal is audited and committed first).
    """
    require(
        session,
        ctx.person,
        action,
        clock=ctx.clock,
        item=item,
        escalation=escalation,
        case_ref=case_ref,
        team_id=team_id,
        agency_id=agency_id,
    )
