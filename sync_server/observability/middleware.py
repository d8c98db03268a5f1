"""Pure-ASGI middleware binding a correlation id to each HTTP request.

The desktop creates one correlation id per user action and sends it as ``X-Correlation-ID``. The
middleware accepts it if it is sane (1–128 characters of ``[A-Za-z0-9._-]``), otherwise — or when
absent — makes a new UUID4; sets :data:`~sync_server.observability.logs.correlation_id_var` for
the whole request (sync endpoints run in the thread pool on a copy of the context, so they see it
too); echoes it in the ``X-Correlation-ID`` response header; and writes one line per request at the
end, ``"requisição concluída"``, with ``payload = {method, path, query?, status,
tempo_de_processamento_ms}`` (path and query string masked).

When the application raises, the line is ``"requisição falhou"`` (ERROR, ``status`` 500 unless a
response had already started) and the exception is re-raised. The context variables are then
deliberately *not* reset: the outer ``ServerErrorMiddleware`` (which runs the app's ``Exception``
handler) and the server's own "Exception in ASGI application" line run after this middleware in
the same request task, and should carry the id too. That task's context is discarded when the
request ends.

Because Starlette puts ``ServerErrorMiddleware`` outside user middleware, a 500 produced by an
unhandled exception is sent without the ``X-Correlation-ID`` header (the client already knows the
id it sent).
"""

from __future__ import annotations

import logging
import time
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared_models.masking import mask_text
from sync_server.observability.logs import (
    RequestLogState,
    correlation_id_var,
    is_valid_correlation_id,
    new_correlation_id,
    request_state_var,
    user_id_var,
)

__all__ = ["CORRELATION_ID_HEADER", "CorrelationIdMiddleware"]

CORRELATION_ID_HEADER: Final = "X-Correlation-ID"


class CorrelationIdMiddleware:
    """Binds a correlation id to each HTTP request and logs one line when it ends."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        header_name: str = CORRELATION_ID_HEADER,
        logger_name: str = "sync_server.http",
    ) -> None:
        self.app = app
        self.header_name = header_name
        self._header_key = header_name.lower().encode("latin-1")
        self._log = logging.getLogger(logger_name)

    def _incoming_id(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", ()):
            if name.lower() == self._header_key:
                text = value.decode("latin-1").strip()
                return text if is_valid_correlation_id(text) else None
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        correlation_id = self._incoming_id(scope) or new_correlation_id()
        state = RequestLogState(correlation_id=correlation_id)
        cid_token = correlation_id_var.set(correlation_id)
        uid_token = user_id_var.set(None)
        state_token = request_state_var.set(state)
        response_header = (self._header_key, correlation_id.encode("ascii"))
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (name, value)
                    for name, value in message.get("headers", ())
                    if name.lower() != self._header_key
                ]
                headers.append(response_header)
                message = {**message, "headers": headers}
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # Context left set on purpose: see the module docstring.
            self._log_end(scope, status if status is not None else 500, started, exc)
            raise
        except BaseException:  # cancellation: nothing to report, just clean up
            request_state_var.reset(state_token)
            user_id_var.reset(uid_token)
            correlation_id_var.reset(cid_token)
            raise
        self._log_end(scope, status, started, None)
        request_state_var.reset(state_token)
        user_id_var.reset(uid_token)
        correlation_id_var.reset(cid_token)

    def _log_end(
        self, scope: Scope, status: int | None, started: float, error: Exception | None
    ) -> None:
        elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        payload: dict[str, object] = {
            "method": scope.get("method"),
            "path": mask_text(str(scope.get("path", ""))),
            "status": status,
            "tempo_de_processamento_ms": elapsed_ms,
        }
        query = scope.get("query_string", b"")
        if query:
            payload["query"] = mask_text(bytes(query).decode("latin-1"))
        if error is not None:
            payload["erro"] = type(error).__name__
            self._log.error("requisição falhou", extra={"payload": payload})
            return
        if status is not None and status >= 500:
            level = logging.WARNING if status == 503 else logging.ERROR
        else:
            level = logging.INFO
        self._log.log(level, "requisição concluída", extra={"payload": payload})
