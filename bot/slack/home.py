"""The App Home tab: the person's open items, overdue first, and a button to search the directory."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.slack.modals import OPEN_FEEDBACK, OPEN_REFER
from bot.slack.render import MAX_BLOCKS, Block, reply_blocks
from handlers.messages import InboundMessage, Reply, Section
from handlers.tracking.words import WAITING_ON_OTHERS, WAITING_ON_YOU

SEARCH_ACTION_ID = "joinup-home:search"  # the Home tab's search button (Slack-only UI, not a router action)
SEARCH_VIEW_ID = "joinup-home:search"  # the search modal it opens
SEARCH_INPUT_ID = "query"
MINE = "mine"
LIST_HEADINGS = (WAITING_ON_OTHERS, WAITING_ON_YOU)


def mine_message(*, user_id: str, team_id: str | None, use_action: bool) -> InboundMessage:
    """Build the internal request for the person's open items.

    A button action bypasses any conversation the person is in the middle of, so opening the Home tab
    never feeds "mine" into, say, a half-finished referral; text is the fallback when no action exists.
    """
    address = {"user_id": user_id, **({"team_id": team_id} if team_id else {})}
    if use_action:
        return InboundMessage(platform="slack", sender_key=user_id, action=MINE, address=address)
    return InboundMessage(platform="slack", sender_key=user_id, text=MINE, address=address)


def _mentions_overdue(section: Section) -> bool:
    words = [section.title, section.text, *(f"{f.label} {f.value}" for f in section.fields)]
    return any("overdue" in word.lower() for word in words)


def overdue_first(sections: tuple[Section, ...]) -> tuple[Section, ...]:
    """Put items that say they are overdue first, keeping the handler's order otherwise (a stable sort);
    within each of mine's two lists ("Waiting on others", "Others waiting on you") when it has both."""
    groups: list[list[Section]] = [[]]
    for section in sections:
        if section.title in LIST_HEADINGS and not section.buttons:
            groups.append([section])
        else:
            groups[-1].append(section)
    ordered: list[Section] = []
    for group in groups:
        head = group[:1] if group and group[0].title in LIST_HEADINGS else []
        rest = group[len(head) :]
        ordered += head + sorted(rest, key=lambda section: not _mentions_overdue(section))
    return tuple(ordered)


def search_button_block() -> Block:
    """The Home tab's buttons: search the directory, log a referral, record feedback."""
    return {
        "type": "actions",
        "block_id": "joinup-home-search",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Search the directory", "emoji": True},
                "action_id": SEARCH_ACTION_ID,
                "style": "primary",
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Log a referral", "emoji": True},
                "action_id": OPEN_REFER,
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Record feedback", "emoji": True},
                "action_id": OPEN_FEEDBACK,
            },
        ],
    }


def home_view(reply: Reply) -> dict[str, Any]:
    """Render the reply to "mine" as the Home tab, overdue items first, with a search button on top."""
    ordered = dataclasses.replace(reply, sections=overdue_first(reply.sections))
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your open items", "emoji": True}},
        search_button_block(),
        {"type": "divider"},
        *reply_blocks(ordered),
    ]
    # The Home tab allows 100 blocks; reply_blocks already stays within a message's 50.
    return {"type": "home", "blocks": blocks[: 2 * MAX_BLOCKS]}


def search_modal() -> dict[str, Any]:
    """The modal the search button opens: one question, what the person needs."""
    return {
        "type": "modal",
        "callback_id": SEARCH_VIEW_ID,
        "title": {"type": "plain_text", "text": "Search the directory"},
        "submit": {"type": "plain_text", "text": "Search"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": SEARCH_INPUT_ID,
                "label": {"type": "plain_text", "text": "Who or what do you need?"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": SEARCH_INPUT_ID,
                    "placeholder": {"type": "plain_text", "text": "For example: health visitor, or MASH"},
                },
            }
        ],
    }


def search_message(*, user_id: str, team_id: str | None, query: str) -> InboundMessage:
    """Turn the search modal's answer into the same request as typing `find <query>`."""
    address = {"user_id": user_id, **({"team_id": team_id} if team_id else {})}
    return InboundMessage(platform="slack", sender_key=user_id, text=f"find {query}", address=address)
