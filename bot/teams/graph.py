"""Microsoft Graph: a Teams user's mail, job title, department and manager, read through msgraph-sdk.

Graph is a convenience, never a dependency: every failure is logged and answered with "don't know", so
joinup keeps working and the next contact (or `joinup teams sync-people`) tries again.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from azure.core.exceptions import AzureError
from kiota_abstractions.api_error import APIError
from kiota_abstractions.authentication import AuthenticationProvider
from kiota_abstractions.base_request_configuration import RequestConfiguration

with warnings.catch_warnings():
    # msgraph's generated request builders (and kiota's base class) warn about their own deprecated
    # classes as they are defined; nothing joinup calls is deprecated. They are imported here, once, so
    # the SDK's lazy imports later find them loaded.
    warnings.simplefilter("ignore", DeprecationWarning)
    from msgraph.generated.models.user import User
    from msgraph.generated.users.item.manager.manager_request_builder import ManagerRequestBuilder  # noqa: F401
    from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
    from msgraph.generated.users.users_request_builder import UsersRequestBuilder  # noqa: F401
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_service_client import GraphServiceClient
    from msgraph_core import GraphClientFactory  # type: ignore[import-untyped]

from bot.config import TeamsSettings

log = logging.getLogger(__name__)

USER_FIELDS = ["id", "displayName", "mail", "userPrincipalName", "jobTitle", "department"]
TIMEOUT_SECONDS = 10.0
# A token request is tried this many more times before the person is answered without Graph data.
TOKEN_RETRIES = 1
# While Graph is down every contact would log; one line a minute (with a count) says the same.
WARN_EVERY_SECONDS = 60.0
# Every way a Graph call can fail: Graph's own errors, the network, and the token (azure.core raises
# ClientAuthenticationError for a wrong or expired secret, ServiceRequestError with no route to Entra ID).
GRAPH_ERRORS: tuple[type[Exception], ...] = (APIError, httpx.HTTPError, AzureError, ValueError, TimeoutError)


@dataclass(frozen=True, slots=True)
class GraphProfile:
    """What Graph says about one user; None where Graph has nothing (or the lookup failed)."""

    user_id: str
    mail: str | None = None
    display_name: str | None = None
    job_title: str | None = None
    department: str | None = None
    manager_id: str | None = None
    manager_mail: str | None = None


def _mail(user: User) -> str | None:
    # Guests and some accounts have no `mail`; the sign-in name is then the best address we have.
    found = user.mail or (user.user_principal_name if "@" in (user.user_principal_name or "") else None)
    return found.lower() if found else None


def build_graph_client(
    teams: TeamsSettings,
    *,
    http_client: httpx.AsyncClient | None = None,
    auth: AuthenticationProvider | None = None,
) -> GraphServiceClient | None:
    """Build a Graph client for the bot's own app registration, or None when Graph can't be used.

    Tests pass an `httpx.AsyncClient` with a MockTransport and an anonymous `auth`.
    """
    if auth is None:
        if not (teams.app_id and teams.app_password and teams.tenant_id):
            return None
        # Imported here: azure-identity is only needed where a real tenant is configured.
        from azure.identity.aio import ClientSecretCredential
        from kiota_authentication_azure.azure_identity_authentication_provider import (
            AzureIdentityAuthenticationProvider,
        )

        credential = ClientSecretCredential(
            teams.tenant_id,
            teams.app_id,
            teams.app_password.get_secret_value(),
            retry_total=TOKEN_RETRIES,
            connection_timeout=TIMEOUT_SECONDS,
        )
        auth = AzureIdentityAuthenticationProvider(
            credential, scopes=["https://graph.microsoft.com/.default"]
        )
    client = http_client or GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(timeout=TIMEOUT_SECONDS)
    )
    adapter = GraphRequestAdapter(auth, client=client)
    adapter.base_url = teams.graph_url.rstrip("/")
    return GraphServiceClient(request_adapter=adapter)


class GraphPeople:
    """Looks people up in Entra ID through Graph; failures become None, never exceptions."""

    def __init__(
        self, client: GraphServiceClient, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self._monotonic = monotonic  # only paces the warning below; no domain time is read here
        self._warned_at: float | None = None
        self._unwarned = 0

    def _warn(self, what: str, *, user_id: str, error: Exception) -> None:
        """Log a failed lookup at most once a minute, saying how many failed since the last line."""
        self._unwarned += 1
        now = self._monotonic()
        if self._warned_at is not None and now - self._warned_at < WARN_EVERY_SECONDS:
            return
        log.warning(
            "graph %s failed; people are answered without Graph data and looked up again later",
            what,
            extra={"teams_user_id": user_id, "error": type(error).__name__, "failures": self._unwarned},
        )
        self._warned_at, self._unwarned = now, 0

    async def profile(self, user_id: str) -> GraphProfile | None:
        """Return a user's mail, job, department and manager; None if Graph can't say."""
        builder = self.client.users.by_user_id(user_id)
        config = RequestConfiguration(
            query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
                select=USER_FIELDS
            )
        )
        try:
            user = await builder.get(request_configuration=config)
        except GRAPH_ERRORS as error:
            self._warn("user lookup", user_id=user_id, error=error)
            return None
        if user is None:
            return None
        manager_id, manager_mail = await self._manager(builder, user_id)
        return GraphProfile(
            user_id=user.id or user_id,
            mail=_mail(user),
            display_name=user.display_name,
            job_title=user.job_title,
            department=user.department,
            manager_id=manager_id,
            manager_mail=manager_mail,
        )

    async def _manager(self, builder: UserItemRequestBuilder, user_id: str) -> tuple[str | None, str | None]:
        try:
            manager = await builder.manager.get()
        except GRAPH_ERRORS as error:
            # 404: nobody is recorded as this user's manager, which is an answer, not a failure.
            if not (isinstance(error, APIError) and error.response_status_code == 404):
                self._warn("manager lookup", user_id=user_id, error=error)
            return None, None
        if manager is None:
            return None, None
        mail = _mail(manager) if isinstance(manager, User) else None
        return manager.id, mail
