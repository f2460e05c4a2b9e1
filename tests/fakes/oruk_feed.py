"""A neighbour's Open Referral feed on a real local HTTP server, paged as HSDS 3.0 Pages.

A stdlib HTTPServer in a thread on port 0 (so test runs can overlap) answers `GET /services?page=N&per_page=M`
with an HSDS 3.0 Page of the records it holds. Tests can change the records between pulls, make the next
answers fail (an HTTP status, optionally with Retry-After) and read back every request it received.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

MILLBRIDGE = Path(__file__).resolve().parents[2] / "directory" / "demo_feeds" / "millbridge.json"
MILLBRIDGE_FAMILIES = MILLBRIDGE.with_name("millbridge-family-services.json")


class FeedState:
    """What the fake feed serves, and what it was asked."""

    def __init__(self, records: list[Any]) -> None:
        self.records = records
        self.requests: list[str] = []
        self.failures: list[tuple[int, dict[str, str]]] = []  # answered, in order, before any page

    def fail_next(self, status: int, **headers: str) -> None:
        """Answer the next request with `status` (and headers, like Retry_After="2")."""
        self.failures.append((status, {k.replace("_", "-"): v for k, v in headers.items()}))


def _handler(state: FeedState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if state.failures:
                status, headers = state.failures.pop(0)
                self._send(status, b'{"error": "try later"}', headers)
                return
            query = parse_qs(urlsplit(self.path).query)
            page = int(query.get("page", ["1"])[0])
            size = int(query.get("per_page", ["50"])[0])
            total = len(state.records)
            pages = max(-(-total // size), 1)
            contents = state.records[(page - 1) * size : page * size]
            body = {"total_items": total, "total_pages": pages, "page_number": page, "size": len(contents),
                    "first_page": page == 1, "last_page": page >= pages, "empty": not contents,
                    "contents": contents}  # fmt: skip
            self._send(200, json.dumps(body).encode("utf-8"), {"Content-Type": "application/json"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Keep the test output quiet."""

    return Handler


@contextmanager
def feed_server(records: list[Any]) -> Iterator[tuple[str, FeedState]]:
    """Serve `records` as an HSDS 3.0 feed; yield the services URL and the state to steer it."""
    state = FeedState(records)
    server = HTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, name="oruk-feed", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def millbridge_records() -> list[Any]:
    """Millbridge's professional routes, as its feed publishes them."""
    return list(json.loads(MILLBRIDGE.read_text(encoding="utf-8")))


def millbridge_family_records() -> list[Any]:
    """Millbridge's public family services, as its family information service publishes them."""
    return list(json.loads(MILLBRIDGE_FAMILIES.read_text(encoding="utf-8")))
