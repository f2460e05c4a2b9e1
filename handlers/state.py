"""Multi-step conversations (onboarding, share?, escalate) kept in the database, not in memory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from schedules.time.clock import Clock
from storage.models import ConversationState


def get_state(*, session: Session, person_id: int) -> ConversationState | None:
    """Return the person's conversation in progress, if any."""
    return session.exec(
        select(ConversationState).where(col(ConversationState.person_id) == person_id)
    ).first()


def set_state(
    *, session: Session, clock: Clock, person_id: int, flow: str, step: str, data: dict[str, Any]
) -> ConversationState:
    """Start or move on a conversation: one per person, the newest wins."""
    state = get_state(session=session, person_id=person_id)
    if state is None:
        state = ConversationState(
            person_id=person_id, flow=flow, step=step, data=data, updated_at=clock.now()
        )
        session.add(state)
    else:
        state.flow, state.step, state.data, state.updated_at = flow, step, dict(data), clock.now()
    session.flush()
    return state


def clear_state(*, session: Session, person_id: int) -> None:
    """End the person's conversation in progress."""
    session.execute(delete(ConversationState).where(col(ConversationState.person_id) == person_id))
