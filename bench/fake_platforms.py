"""A fast fake Slack Web API and Bot Framework connector for benchmarks: a bare ASGI app under uvicorn (HTTP/1.1
keep-alive), answering chat.postMessage, conversations.open, chat.update and Teams sends, and counting them.

Run: python bench/fake_platforms.py PORT. GET /counts returns the calls so far by platform and method.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections import Counter
from typing import Any

import uvicorn

_ids = itertools.count(1)
counts: Counter[str] = Counter()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answer one request."""
    if scope["type"] != "http":
        return
    more = True
    while more:  # drain the body; the fake needs nothing from it
        message = await receive()
        more = message.get("more_body", False)
    path: str = scope["path"]
    status: int = 200
    body: dict[str, Any] = {"ok": True}
    if path == "/counts":
        body = dict(counts)
    elif path.startswith("/api/"):
        method = path.removeprefix("/api/")
        counts[f"slack {method}"] += 1
        if method == "conversations.open":
            body = {"ok": True, "channel": {"id": f"D{next(_ids):08d}"}}
        else:
            body = {"ok": True, "channel": "D0", "ts": f"{next(_ids)}.000100"}
    elif path.startswith("/teams/v3/conversations/"):
        counts["teams send"] += 1
        status, body = 201, {"id": f"1:{next(_ids)}"}
    else:
        status, body = 404, {"error": "not found"}
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
