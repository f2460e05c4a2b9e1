"""A fake Microsoft Graph at the HTTP layer: an httpx.MockTransport answering /users/{id} and
/users/{id}/manager with realistic JSON, so msgraph-sdk's own request building and parsing all run."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from kiota_abstractions.authentication import AnonymousAuthenticationProvider

GRAPH_URL = "https://graph.example.org/v1.0"
_USER = re.compile(r"^/v1\.0/users/(?P<id>[^/]+)(?P<manager>/manager)?$")


def graph_user(
    user_id: str, *, name: str, mail: str, job_title: str = "", department: str = ""
) -> dict[str, Any]:
    """Return a user object as Graph serialises it."""
    return {
        "@odata.type": "#microsoft.graph.user",
        "id": user_id,
        "displayName": name,
        "mail": mail,
        "userPrincipalName": mail,
        "jobTitle": job_title or None,
        "department": department or None,
    }


@dataclass
class FakeGraph:
    """Users and their managers; `failing` makes every call answer 503."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)  # user id → manager's user id
    failing: bool = False
    requests: list[str] = field(default_factory=list)

    def add(self, user_id: str, *, manager: str | None = None, **fields: Any) -> None:
        """Add a user (and who manages them)."""
        self.users[user_id] = graph_user(user_id, **fields)
        if manager is not None:
            self.managers[user_id] = manager

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request like Graph v1.0 does."""
        self.requests.append(request.url.path)
        if self.failing:
            return _error(503, "serviceNotAvailable", "Service unavailable")
        match = _USER.match(request.url.path)
        if match is None:
            return _error(400, "BadRequest", "Unsupported in the fake")
        user_id = match["id"]
        if user_id not in self.users:
            return _error(404, "Request_ResourceNotFound", f"Resource '{user_id}' does not exist")
        if match["manager"]:
            manager = self.managers.get(user_id)
            if manager is None or manager not in self.users:
                return _error(404, "Request_ResourceNotFound", "Resource 'manager' does not exist")
            return _json(
                {"@odata.context": f"{GRAPH_URL}/$metadata#directoryObjects/$entity", **self.users[manager]}
            )
        return _json({"@odata.context": f"{GRAPH_URL}/$metadata#users/$entity", **self.users[user_id]})

    def http_client(self) -> httpx.AsyncClient:
        """Return the client to give msgraph-sdk: every request comes here."""
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    @staticmethod
    def auth() -> AnonymousAuthenticationProvider:
        """Return an authentication provider that adds nothing (the fake asks for no token)."""
        return AnonymousAuthenticationProvider()


def _json(body: dict[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body), headers={"Content-Type": "application/json"})


def _error(status: int, code: str, message: str) -> httpx.Response:
    return _json({"error": {"code": code, "message": message}}, status)
