"""Build the Teams app package: teams/manifest/manifest.json filled in, with its two icons, zipped flat."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from handlers.router import Command

MANIFEST_DIR = Path(__file__).resolve().parents[2] / "teams" / "manifest"
ICONS = ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")
MAX_COMMANDS = 10  # Teams shows at most ten commands per scope
# The menu practitioners see in Teams: what they come to do most, not the first ten registered.
MENU_ORDER = ("help", "find", "refer", "mine", "feedback", "escalate", "due", "share", "role", "setup")
MAX_TITLE = 32
MAX_DESCRIPTION = 128


class PackageError(Exception):
    """The package can't be built; the message says what to fix."""


def command_list(commands: Iterable[Command]) -> list[dict[str, str]]:
    """Return the bot's command menu from the registered commands (so it can't drift from help).

    The commands practitioners use most come first, in MENU_ORDER; others fill any room left.
    """
    registered = [command for command in commands if command.summary]
    rank = {name: position for position, name in enumerate(MENU_ORDER)}
    ordered = sorted(registered, key=lambda command: rank.get(command.name, len(MENU_ORDER)))
    menu: list[dict[str, str]] = []
    for command in ordered[:MAX_COMMANDS]:
        title = command.usage.split(" ")[0] if command.usage else command.name
        menu.append({"title": title[:MAX_TITLE], "description": command.summary[:MAX_DESCRIPTION]})
    return menu


def build_manifest(
    template: str, *, app_id: str, base_url: str, version: str, commands: Iterable[Command]
) -> dict[str, Any]:
    """Fill the manifest template.

    Raises:
        PackageError: the app id isn't a GUID, the version isn't x.y.z, or the base URL isn't https.
    """
    if not _GUID.match(app_id):
        raise PackageError(
            f"The app id {app_id!r} isn't a GUID. Use the bot's Microsoft App ID (JOINUP_TEAMS__APP_ID)."
        )
    if not _VERSION.match(version):
        raise PackageError(f"The version {version!r} must look like 1.0.0.")
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        raise PackageError(
            f"Teams needs an https address for joinup, not {base_url!r}. Set JOINUP_PUBLIC_BASE_URL."
        )
    filled = (
        template.replace("{{APP_ID}}", app_id.lower())
        .replace("{{VERSION}}", version)
        .replace("{{BASE_URL}}", base_url.rstrip("/"))
        .replace("{{DOMAIN}}", parts.hostname)
    )
    manifest: dict[str, Any] = json.loads(filled)
    for bot in manifest.get("bots", []):
        menu = command_list(commands)
        bot["commandLists"] = [{"scopes": bot["scopes"], "commands": menu}] if menu else []
    return manifest


def build_package(
    *,
    app_id: str,
    base_url: str,
    version: str,
    commands: Iterable[Command],
    manifest_dir: Path = MANIFEST_DIR,
) -> bytes:
    """Return the zip Teams accepts: manifest.json and both icons at the top level.

    Raises:
        PackageError: a file is missing or a value is wrong.
    """
    try:
        template = (manifest_dir / "manifest.json").read_text(encoding="utf-8")
        icons = {name: (manifest_dir / name).read_bytes() for name in ICONS}
    except FileNotFoundError as error:
        raise PackageError(f"{error.filename} is missing.") from None
    manifest = build_manifest(template, app_id=app_id, base_url=base_url, version=version, commands=commands)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for name, data in icons.items():
            package.writestr(name, data)
    return buffer.getvalue()
