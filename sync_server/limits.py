"""Request body size limit as a pure ASGI middleware (413 before the body reaches a handler)."""

from __future__ import annotations

import json
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync_server.errors import error_body


def _too_large_message(limit: int) -> str:
    return f"O corpo da requisição excede o limite de {limit // 1024} KiB."


class _BodyTooLarge(HTTPException):
    """Raised from ``receive``; FastAPI turns it into the 413 JSON error like any HTTPException."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))


class BodySizeLimitMiddleware:
    """Refuses bodies over ``max_body_bytes``; paths matching ``upload_paths`` (regular expressions:
    document uploads, sync pushes carrying photos) may go up to ``max_upload_bytes``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_upload_bytes: int | None = None,
        upload_paths: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max(max_upload_bytes or max_body_bytes, max_body_bytes)
        self.upload_paths = [re.compile(p) for p in upload_paths]

    def limit_for(self, path: str) -> int:
        if any(p.fullmatch(path) for p in self.upload_paths):
            return self.max_upload_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                await self._reject(send, 400, "requisicao_invalida", "Content-Length inválido.")
                return
            if too_large:
                await self._reject_too_large(send, limit)
                return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await self._reject_too_large(send, limit)

    async def _reject_too_large(self, send: Send, limit: int) -> None:
        await self._reject(send, 413, "corpo_muito_grande", _too_large_message(limit))

    @staticmethod
    async def _reject(send: Send, status: int, code: str, message: str) -> None:
        body = json.dumps(error_body(code, message), ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
