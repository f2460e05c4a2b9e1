"""Text people typed (a feedback reason, a directory entry) never becomes a link in someone else's chat."""

from __future__ import annotations

import json

from bot.slack.render import message_payload
from bot.teams.render import card_json, safe_markdown
from handlers.messages import Field, Reply, Section

TYPED = "Outcome: no further action. [click](https://evil.example) or <https://evil.example|here>"


def _reply() -> Reply:
    return Reply(
        text=TYPED,
        fields=(Field("Reason", TYPED),),
        sections=(Section(title="Early help hub", text=TYPED),),
    )


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def test_teams_cards_show_markdown_links_as_typed_but_never_link() -> None:
    texts = [t for t in _strings(card_json(_reply())) if "evil.example" in t]
    assert len(texts) >= 4  # the text, the fact, the section and the fallback text
    for text in texts:
        assert "](" not in text and "<https" not in text
        assert "[click]" in text and "https://evil.example" in text  # still readable


def test_slack_blocks_and_fallback_text_escape_links() -> None:
    payload = message_payload(_reply())
    texts = [t for t in _strings(payload) if "evil.example" in t]
    assert payload["text"] in texts and len(texts) >= 3
    for text in texts:
        assert "<https://evil.example|here>" not in text and "&lt;https://evil.example|here&gt;" in text


def test_safe_markdown_leaves_ordinary_text_alone() -> None:
    ordinary = "Due 5pm on Tuesday 1 December (2 working days). Call 0161 496 0100 [duty line]."
    assert safe_markdown(ordinary) == ordinary
    assert json.dumps(safe_markdown("[a](b)")) == '"[a]\\u200b(b)"'
