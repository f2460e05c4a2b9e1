"""The web app's Teams route: POST /api/messages, with the bot's listeners and Graph look-ups behind it."""

from __future__ import annotations

import httpx
from fastapi import APIRouter
from kiota_abstractions.authentication import AuthenticationProvider
from microsoft_teams.api.auth.cloud_environment import CloudEnvironment
from microsoft_teams.api.auth.credentials import TokenProvider
from microsoft_teams.apps import App

from bot.runtime import Runtime
from bot.teams.app import RouterAdapter, TeamsEndpoint, app_options
from bot.teams.graph import GraphPeople, build_graph_client
from bot.teams.listeners import TeamsListeners
from bot.teams.retry import Sleep
from bot.teams.work import TeamsWork


def build_teams_endpoint(
    runtime: Runtime,
    *,
    token: TokenProvider | None = None,
    cloud: CloudEnvironment | None = None,
    sleep: Sleep | None = None,
    graph_http: httpx.AsyncClient | None = None,
    graph_auth: AuthenticationProvider | None = None,
) -> TeamsEndpoint:
    """Build the SDK App with joinup's listeners from the runtime's settings; keyword arguments are for tests.

    Raises:
        ConfigError: JWT validation is on but no app id is configured.
    """
    teams = runtime.settings.teams
    adapter = RouterAdapter()
    app = App(**app_options(teams, adapter=adapter, token=token, cloud=cloud, sleep=sleep))
    graph_client = build_graph_client(teams, http_client=graph_http, auth=graph_auth)
    graph = GraphPeople(graph_client) if graph_client is not None else None
    TeamsListeners(runtime, graph=graph).register(app)
    endpoint = TeamsEndpoint(app, adapter, inbox=runtime.inbox)
    if runtime.inbox is not None:
        # Workers (here, or in `joinup worker`) run stored activities through the same App and listeners.
        TeamsWork(app=app, process=endpoint.pipeline).register(runtime.inbox)
    return endpoint


def teams_routes(runtime: Runtime) -> APIRouter:
    """POST /api/messages when Teams is enabled; nothing otherwise."""
    if not runtime.settings.teams.enabled:
        return APIRouter()
    return build_teams_endpoint(runtime).router()
