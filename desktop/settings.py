"""The desktop's settings, declared in one place, typed and versioned (Picard's model).

Stored as JSON in ``<user config dir>/desktop.json`` (platformdirs ``peerseed``). Nothing secret
is ever written here: the session token lives in the OS keyring (``desktop.session``).

A file written by an older version is upgraded step by step (:data:`UPGRADES`, keyed by the
version they upgrade *from*); a file that cannot be read is set aside as ``desktop.json.bad`` and
defaults are used, so a damaged file never stops the app from opening.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared_models.enums import Perfil

log = logging.getLogger(__name__)

SETTINGS_VERSION: Final = 1
SETTINGS_FILE: Final = "desktop.json"
DEFAULT_SERVER_URL: Final = "http://127.0.0.1:8000"
SERVER_URL_ENV: Final = "PEERSEED_SERVER_URL"


class RememberedAccount(BaseModel):
    """The last account that logged in on this computer: enough to open its replica offline."""

    model_config = ConfigDict(frozen=True)

    user_id: uuid.UUID
    perfil: Perfil
    identifier: str = Field(description="The e-mail or CPF typed at login.")
    server_url: str
    display_name: str | None = None


class DesktopSettings(BaseModel):
    model_config = ConfigDict(validate_assignment=True)

    version: int = SETTINGS_VERSION
    # Identifies this installation to the server at login (sessions are bound to a device).
    device_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    device_name: str | None = None
    last_account: RememberedAccount | None = None
    sync_interval_s: int = Field(default=60, ge=10, le=3600)
    language: str = "pt_BR"


# version -> function taking a stored dict of that version to the next one. Add a step (and bump
# SETTINGS_VERSION) whenever a stored field is renamed or changes meaning; never edit a step.
UPGRADES: Final[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {}


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """Bring a stored settings object to :data:`SETTINGS_VERSION`."""
    version = int(data.get("version", 1))
    if version > SETTINGS_VERSION:
        raise ValueError(f"settings version {version} is newer than this app")
    while version < SETTINGS_VERSION:
        data = UPGRADES[version](dict(data))
        version += 1
        data["version"] = version
    return data


@dataclass(frozen=True)
class AppPaths:
    """Where the desktop keeps its files: settings (config) and replicas (data)."""

    config_dir: Path
    data_dir: Path

    @classmethod
    def default(cls) -> AppPaths:
        return cls(
            config_dir=Path(platformdirs.user_config_dir("peerseed", appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir("peerseed", appauthor=False)),
        )

    @property
    def settings_file(self) -> Path:
        return self.config_dir / SETTINGS_FILE

    def replicas_dir(self, server_url: str) -> Path:
        """Replicas of one server: ``<data>/desktop/<host_port>/`` (cursors are per server)."""
        return self.data_dir / "desktop" / server_slug(server_url)


def server_slug(server_url: str) -> str:
    """``http://127.0.0.1:8000`` → ``127.0.0.1_8000``: a directory name for one server."""
    text = server_url.split("://", 1)[-1].rstrip("/")
    return "".join(c if c.isalnum() or c in ".-" else "_" for c in text) or "server"


def default_server_url() -> str:
    return os.environ.get(SERVER_URL_ENV) or DEFAULT_SERVER_URL


def load(paths: AppPaths) -> DesktopSettings:
    path = paths.settings_file
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return DesktopSettings()
    except OSError as exc:
        log.warning("cannot read %s: %s; using defaults", path, exc)
        return DesktopSettings()
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return DesktopSettings.model_validate(upgrade(data))
    except (ValueError, ValidationError, KeyError) as exc:
        log.warning("unreadable settings %s (%s); set aside, using defaults", path, exc)
        path.replace(path.with_name(path.name + ".bad"))
        return DesktopSettings()


def save(paths: AppPaths, settings: DesktopSettings) -> None:
    """Write atomically (a temporary file renamed over the old one)."""
    path = paths.settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(settings.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(path)
