"""The one line a person gets when their message failed every attempt (schedules/inbox/ decides when)."""

from __future__ import annotations

from handlers.messages import Reply


def could_not_handle() -> Reply:
    """Tell someone their last message could not be handled, and what to do."""
    return Reply(
        text="Sorry, I couldn't handle your last message because of a problem on our side. "
        "Please send it again in a few minutes.",
        is_private=True,
    )
