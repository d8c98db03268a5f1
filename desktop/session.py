"""Login, logout and the session token in the OS keyring. Plain Python (no Qt), blocking calls:
the UI runs them through :class:`desktop.qt.BackgroundOp`.

The token is stored with ``keyring`` (Secret Service, macOS Keychain, Windows Credential Locker),
never in a plain file. When the OS offers no keyring, the token is kept in memory for the
session only and :class:`KeyringUnavailableError` tells the UI to say so.
"""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from typing import Any, Final

import httpx
import keyring
import keyring.errors

from desktop.errors import UserEnvironmentError
from desktop.tls import tls_context
from shared_models.enums import Perfil

KEYRING_SERVICE: Final = "peerseed"
LOGIN_PATH: Final = "/v1/auth/login"
LOGOUT_PATH: Final = "/v1/auth/logout"
LOGIN_TIMEOUT: Final = httpx.Timeout(connect=10.0, read=30.0, write=30.0, pool=10.0)


class KeyringUnavailableError(UserEnvironmentError):
    """The OS keyring cannot store or read secrets (no backend, locked, refused)."""


class LoginError(UserEnvironmentError):
    """The server refused the login; ``str(exc)`` is its Portuguese message."""

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


class ServerUnreachableError(UserEnvironmentError):
    """No answer from the server (no network, wrong address, server down)."""


@dataclass(frozen=True)
class LoginResult:
    token: str
    user_id: uuid.UUID
    perfil: Perfil
    session_id: str


class TokenStore:
    """Session tokens in the OS keyring, one entry per (server, user)."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self.service = service

    @staticmethod
    def _username(server_url: str, user_id: uuid.UUID) -> str:
        return f"{server_url.rstrip('/')}#{user_id}"

    def get(self, server_url: str, user_id: uuid.UUID) -> str | None:
        try:
            return keyring.get_password(self.service, self._username(server_url, user_id))
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailableError(str(exc)) from exc

    def set(self, server_url: str, user_id: uuid.UUID, token: str) -> None:
        try:
            keyring.set_password(self.service, self._username(server_url, user_id), token)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailableError(str(exc)) from exc

    def delete(self, server_url: str, user_id: uuid.UUID) -> None:
        try:
            keyring.delete_password(self.service, self._username(server_url, user_id))
        except keyring.errors.PasswordDeleteError:
            return
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailableError(str(exc)) from exc


def device_name() -> str:
    name = socket.gethostname().strip() or "Computador"
    return f"Peerseed desktop ({name})"[:100]


def _error_message(response: httpx.Response) -> tuple[str, str | None]:
    try:
        data: Any = response.json()
    except ValueError:
        return f"HTTP {response.status_code}", None
    if not isinstance(data, dict):
        return f"HTTP {response.status_code}", None
    code = data.get("code") if isinstance(data.get("code"), str) else None
    details = data.get("details")
    # A validation error names the field: its message is more useful than the generic one.
    if isinstance(details, list) and details and isinstance(details[0], dict):
        first = details[0].get("erro")
        if isinstance(first, str) and first:
            return first, code
    message = data.get("message")
    if isinstance(message, str) and message:
        return message, code
    return f"HTTP {response.status_code}", code


def login(
    server_url: str,
    *,
    identifier: str,
    password: str,
    device_id: uuid.UUID,
    device: str | None = None,
    client: httpx.Client | None = None,
) -> LoginResult:
    """``POST /v1/auth/login``; raises :class:`LoginError` or :class:`ServerUnreachableError`."""
    body = {
        "identificador": identifier.strip(),
        "senha": password,
        "dispositivo": {"id": str(device_id), "nome": device or device_name()},
    }
    own = client is None
    http = client or httpx.Client(timeout=LOGIN_TIMEOUT, verify=tls_context())
    try:
        response = http.post(f"{server_url.rstrip('/')}{LOGIN_PATH}", json=body)
    except httpx.HTTPError as exc:
        raise ServerUnreachableError(str(exc)) from exc
    finally:
        if own:
            http.close()
    if response.status_code != 200:
        message, code = _error_message(response)
        raise LoginError(message, code=code, status=response.status_code)
    data = response.json()
    return LoginResult(
        token=str(data["token"]),
        user_id=uuid.UUID(str(data["usuario_id"])),
        perfil=Perfil(data["perfil"]),
        session_id=str(data["sessao_id"]),
    )


def logout(server_url: str, token: str) -> None:
    """Revoke the session on the server (best effort: offline, the token is simply forgotten)."""
    try:
        with httpx.Client(timeout=LOGIN_TIMEOUT, verify=tls_context()) as http:
            http.post(
                f"{server_url.rstrip('/')}{LOGOUT_PATH}",
                headers={"Authorization": f"Bearer {token}"},
            )
    except httpx.HTTPError:
        return
