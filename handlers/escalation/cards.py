"""What the escalation walkthrough shows at each level: who to contact, what to say, by when, what to record."""

from __future__ import annotations

from sqlmodel import Session

from handlers.messages import Button, Field, Reply
from schedules.escalation.partnership import partnership_contacts, partnership_team
from schedules.escalation.policy import Policy, PolicyLevel
from schedules.escalation.records import escalation_contacts, person, policy_for
from schedules.time.words import moment_in_words
from storage.errors import NotFound
from storage.models import Escalation, Person, Team, TrackedItem

RESOLVED = "escalation_resolved"
NEXT = "escalation_next"
REMIND = "escalation_remind"
WITHDRAW = "escalation_withdraw"
SHOW = "escalation_show"
ROUTE_WORDS = {"phone": "phone", "secure_email": "secure email", "email": "email", "portal": "portal"}


def level_title(policy: Policy, level: PolicyLevel) -> str:
    """Return "level 2 of 4, Manager to manager"."""
    return f"level {level.level} of {policy.last_level}, {level.name}"


def buttons_for(escalation: Escalation, policy: Policy) -> tuple[Button, ...]:
    """Return the buttons an open escalation offers at its current level."""
    is_last = escalation.level >= policy.last_level
    buttons = [Button("Record the decision" if is_last else "Resolved", RESOLVED, escalation.ref, "primary")]
    if not is_last:
        buttons.append(Button(f"Not resolved: go to level {escalation.level + 1}", NEXT, escalation.ref))
    buttons += [Button("Remind me", REMIND, escalation.ref), Button("Withdraw", WITHDRAW, escalation.ref)]
    return tuple(buttons)


def _who_to_contact(session: Session, escalation: Escalation, level: PolicyLevel) -> str:
    contacts = escalation_contacts(session=session, team_id=escalation.other_team_id, level=level.level)
    named = [
        f"{c.role_title} ({ROUTE_WORDS.get(c.route_kind, c.route_kind)} {c.route_value})" for c in contacts
    ]
    if escalation.level == 1 and level.contact:
        named.append(f"or {level.contact}")
    return "; ".join(named) or level.contact or "the person you disagree with"


def _manager_line(session: Session, raiser: Person, level: PolicyLevel) -> str | None:
    if raiser.manager_id is None:
        return None
    manager = person(session, raiser.manager_id)
    reach = f", {manager.email}" if manager.email else ""
    role = "acts with you at this level" if level.level >= 2 else "tell them if you need support"
    return f"{manager.display_name}{reach}: {role}"


def script(raiser: Person, escalation: Escalation, level: PolicyLevel, other: str) -> str:
    """Return what to say: who you are, the concern, the evidence, what you are asking for."""
    who = f"{raiser.display_name}, {raiser.job_title}" if raiser.job_title else raiser.display_name
    return (
        f"\"I'm {who}. I'm raising a professional disagreement with {other} about case {escalation.case_ref} "
        f"({escalation.ref}), at level {level.level} of our escalation policy. My concern is … "
        "The evidence for it is … I'm asking you to … by …\""
    )


def level_reply(session: Session, escalation: Escalation, *, intro: str = "") -> Reply:
    """Return the card for an open escalation's current level."""
    policy = policy_for(session=session, escalation=escalation)
    level = policy.level(escalation.level)
    raiser = person(session, escalation.raised_by_person_id)
    team = session.get(Team, escalation.other_team_id) if escalation.other_team_id else None
    other = team.name if team else "the other professional"
    if escalation.level_due_at is not None:
        days = f"{level.working_days} working day{'s' if level.working_days != 1 else ''}"
        when = f"Try to resolve it by {moment_in_words(escalation.level_due_at)} ({days})."
    else:
        when = "The partnership sets its own timescale; its decision is final."
    lines = [
        intro,
        f"{escalation.ref}, case {escalation.case_ref}: {level_title(policy, level)}.",
        level.guidance,
        when,
    ]
    fields = [Field("Who acts", level.actor)]
    if team is not None:
        fields.append(Field("Disagreement with", team.name))
    fields.append(Field("Who to contact", _who_to_contact(session, escalation, level)))
    manager = _manager_line(session, raiser, level)
    if manager:
        fields.append(Field("Your manager", manager))
    fields.append(Field("What to say", script(raiser, escalation, level, other)))
    if policy.record:
        fields.append(Field("What to record", "; ".join(policy.record)))
    return Reply(
        text="\n".join(line for line in lines if line),
        fields=tuple(fields),
        buttons=buttons_for(escalation, policy),
    )


def partnership_lines(session: Session, item: TrackedItem | None) -> str:
    """Return who chairs the partnership level and the referral made to it."""
    try:
        team = partnership_team(session=session)
    except NotFound:
        return "Ask your manager who to contact at the safeguarding partnership."
    assert team.id is not None
    contacts = partnership_contacts(session=session, team_id=team.id)
    # The same business manager can be listed at several levels: name each contact once.
    unique = list(dict.fromkeys(contacts))
    who = "; ".join(_join_contact(c.role_title, c.name, c.route) for c in unique)
    who = who or "the partnership business manager"
    sent = f"I've sent referral {item.ref} to {team.name}. " if item else ""
    return f"It's now with the safeguarding partnership. {sent}Who chairs it: {who}."


def _join_contact(role: str, name: str, route: str) -> str:
    return ", ".join(part for part in (name, role, route) if part)


def due_words(escalation: Escalation) -> str:
    """Return "due by 5pm on Friday 27 November", or "" with no deadline."""
    return f"due by {moment_in_words(escalation.level_due_at)}" if escalation.level_due_at else ""
