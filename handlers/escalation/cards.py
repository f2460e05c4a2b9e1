"""What the escalation walkthrough shows at each level: who to contact, what to say, by when, what to record."""

from __future__ import annotations

from typing import Literal

from sqlmodel import Session

from handlers.access import rules
from handlers.access.roles import access_of
from handlers.messages import Button, Field, Reply
from schedules.escalation import responses
from schedules.escalation.partnership import partnership_contacts, partnership_team
from schedules.escalation.policy import Policy, PolicyLevel
from schedules.escalation.records import escalation_contacts, person, policy_for, steps_of
from schedules.escalation.responses import Response
from schedules.time.words import moment_in_words
from storage.errors import NotFound
from storage.models import Escalation, Person, Team, TrackedItem

RESOLVED = "escalation_resolved"
NEXT = "escalation_next"
REMIND = "escalation_remind"
WITHDRAW = "escalation_withdraw"
SHOW = "escalation_show"
RESPOND = "escalation_respond"
HAND_OVER = "escalation_hand_over"
ROUTE_WORDS = {"phone": "phone", "secure_email": "secure email", "email": "email", "portal": "portal"}
PARTNERSHIP_FINAL = "The partnership sets its own timescale; its decision is final."
Side = Literal["raiser", "partnership", "challenged"]


def level_title(policy: Policy, level: PolicyLevel) -> str:
    """Return "level 2 of 4, Manager to manager"."""
    return f"level {level.level} of {policy.last_level}, {level.name}"


def side_of(session: Session, viewer: Person, escalation: Escalation) -> Side | None:
    """Return the side the viewer takes (handlers.access.rules decides), or None for an onlooker."""
    sides = rules.escalation_sides(session, access_of(session, viewer), escalation)
    order: tuple[Side, ...] = ("raiser", "partnership", "challenged")
    return next((side for side in order if side in sides), None)


def buttons_for(
    escalation: Escalation,
    policy: Policy,
    *,
    side: Side | None = "raiser",
    response: Response | None = None,
) -> tuple[Button, ...]:
    """Return the buttons an open escalation offers its viewer at its current level."""
    is_last = escalation.level >= policy.last_level
    if side == "challenged":
        return (Button("Record our response", RESPOND, escalation.ref, "primary"),)
    if side == "partnership":
        return (Button("Record the decision", RESOLVED, escalation.ref, "primary"),)
    if side is None:
        return ()
    if response is not None and not is_last:
        buttons = [
            Button("Accept: resolved", RESOLVED, escalation.ref, "primary"),
            Button(f"Don't accept: go to level {escalation.level + 1}", NEXT, escalation.ref),
        ]
    else:
        buttons = [
            Button("Record the decision" if is_last else "Resolved", RESOLVED, escalation.ref, "primary")
        ]
        if not is_last:
            buttons.append(Button(f"Not resolved: go to level {escalation.level + 1}", NEXT, escalation.ref))
    buttons += [
        Button("Remind me", REMIND, escalation.ref),
        Button("Hand over", HAND_OVER, escalation.ref),
        Button("Withdraw", WITHDRAW, escalation.ref),
    ]
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


def script(speaker: Person, escalation: Escalation, level: PolicyLevel, other: str) -> str:
    """Return what to say: who you are, the concern, the evidence, what you are asking for."""
    who = f"{speaker.display_name}, {speaker.job_title}" if speaker.job_title else speaker.display_name
    return (
        f"\"I'm {who}. I'm raising a professional disagreement with {other} about case {escalation.case_ref} "
        f"({escalation.ref}), at level {level.level} of our escalation policy. My concern is … "
        "The evidence for it is … I'm asking you to … by …\""
    )


def response_words(response: Response, team: Team | None) -> str:
    """Return "Children's front door (Tom Rahman): decision maintained. "Below threshold …"" for a card."""
    who = team.name if team else "The other side"
    by = f" ({response.responder.display_name})" if response.responder else ""
    return f'{who}{by}: {response.words}. "{response.step.rationale}"'


def _positions(session: Session, escalation: Escalation, team: Team | None) -> list[Field]:
    """Both positions carried up from the level below, so nobody starts the new level from nothing."""
    if escalation.level < 2:
        return []
    earlier = [
        s for s in steps_of(session=session, escalation_id=escalation.id or 0) if s.level < escalation.level
    ]
    mine = next((s for s in reversed(earlier) if s.action == "not_resolved"), None)
    theirs = next((s for s in reversed(earlier) if s.action == responses.RESPONSE), None)
    fields = []
    if theirs is not None:
        decision = responses.DECISIONS.get(theirs.outcome, theirs.outcome)
        name = team.name if team else "The other side"
        fields.append(Field("Their position", f'{name}: {decision}. "{theirs.rationale}"'))
    if mine is not None:
        fields.append(Field("Raiser's position", mine.rationale))
    return fields


def _when(escalation: Escalation, level: PolicyLevel, side: Side | None) -> str:
    if level.partnership:
        return PARTNERSHIP_FINAL
    if escalation.level_due_at is None:
        return ""
    days = f"{level.working_days} working day{'s' if level.working_days != 1 else ''}"
    if side == "challenged":
        return f"It's due to be resolved by {moment_in_words(escalation.level_due_at)} ({days})."
    return f"Try to resolve it by {moment_in_words(escalation.level_due_at)} ({days})."


def level_reply(
    session: Session, escalation: Escalation, *, intro: str = "", viewer: Person | None = None
) -> Reply:
    """Return the card for an open escalation's current level, addressed to the person who receives it
    (the raiser when no viewer is given)."""
    policy = policy_for(session=session, escalation=escalation)
    level = policy.level(escalation.level)
    raiser = person(session, escalation.raised_by_person_id)
    viewer = viewer or raiser
    side = side_of(session, viewer, escalation)
    team = session.get(Team, escalation.other_team_id) if escalation.other_team_id else None
    other = team.name if team else "the other professional"
    response = responses.latest_response(session=session, escalation=escalation)
    lines = [intro, f"{escalation.ref}, case {escalation.case_ref}: {level_title(policy, level)}."]
    if side == "challenged":
        raiser_team = session.get(Team, raiser.team_id) if raiser.team_id else None
        from_words = f" ({raiser_team.name})" if raiser_team else ""
        lines.append(
            f"{raiser.display_name}{from_words} disagrees with your team's decision. Record your response: "
            "decision maintained, changed, or more information needed, and why. They decide whether it is "
            "resolved."
        )
    elif side == "raiser" and viewer.id != raiser.id:
        # The policy's guidance speaks to the raiser ("tell your manager"): the manager gets their own line.
        lines.append(
            f"{raiser.display_name} raised it and you're their manager. Who acts at this level: {level.actor}."
        )
    else:
        lines.append(level.guidance)
    lines.append(_when(escalation, level, side))
    if response is not None and side != "challenged":
        lines.append(f"Response: {response_words(response, team)}")
    fields = [Field("Who acts", level.actor)]
    if side == "challenged":
        fields.append(Field("Raised by", f"{raiser.display_name}, {raiser.job_title}".strip(", ")))
        if response is not None:
            fields.append(Field("Your team's response", response_words(response, team)))
    else:
        if viewer.id != raiser.id:
            fields.append(Field("Raised by", raiser.display_name))
        if team is not None:
            fields.append(Field("Disagreement with", team.name))
        fields.append(Field("Who to contact", _who_to_contact(session, escalation, level)))
        manager = _manager_line(session, raiser, level)
        if manager and viewer.id == raiser.id:
            fields.append(Field("Your manager", manager))
        fields.append(Field("What to say", script(viewer, escalation, level, other)))
    fields += _positions(session, escalation, team)
    if policy.record and side != "challenged":
        fields.append(Field("What to record", "; ".join(policy.record)))
    return Reply(
        text="\n".join(line for line in lines if line),
        fields=tuple(fields),
        buttons=buttons_for(escalation, policy, side=side, response=response),
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
