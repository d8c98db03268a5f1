"""HTTP client of the admin observability API (``/v1/admin/…``): typed results, Portuguese errors.

Plain Python (httpx, synchronous, no Qt): the dashboard runs it on worker threads. Every call
sends the admin session's bearer token and an ``X-Correlation-ID``; one *user action* (a search
click, a refresh) passes one id to every call it makes, made with :func:`new_action_id`. A call
made without one gets a fresh id of its own.

Every failure is a :class:`DashboardError` whose ``message`` is ready to show to the admin, in
Portuguese, and whose ``kind`` says what went wrong (network, session, permission, invalid query,
server bug, unexpected answer).
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, TypeVar

import httpx
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from desktop.tls import tls_context
from shared_models.sync.protocol import CORRELATION_HEADER

__all__ = [
    "CORRELATION_HEADER",
    "AlertEvent",
    "BucketPoint",
    "CorrelationTrail",
    "DashboardClient",
    "DashboardError",
    "ErrorKind",
    "LogLine",
    "LogPage",
    "LogQuery",
    "new_action_id",
]

LEVELS: Final = ("DEBUG", "INFO", "WARN", "ERROR", "CRITICAL")
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=5.0, read=20.0, write=10.0, pool=5.0)
MAX_PAGE: Final = 500

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


def new_action_id() -> str:
    """A fresh correlation id for one user action (UUID4)."""
    return str(uuid.uuid4())


# -- results ----------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class LogLine(_Model):
    """One stored log line (already masked by the server's logging pipeline)."""

    id: int
    timestamp: dt.datetime
    level: str
    service: str
    correlation_id: str | None = None
    user_id: str | None = None
    message: str
    payload: dict[str, Any] = Field(default_factory=dict)


class LogPage(_Model):
    items: tuple[LogLine, ...] = Field(alias="itens")
    next_cursor: str | None = Field(default=None, alias="proximo_cursor")


class BucketPoint(_Model):
    """One (time bucket, service) point of a chart: a line count, and an average for timings."""

    bucket: dt.datetime
    service: str
    count: int = Field(alias="quantidade")
    average_ms: Decimal | None = Field(default=None, alias="media_ms")


class CorrelationTrail(_Model):
    correlation_id: str
    services: tuple[str, ...] = Field(alias="servicos")
    lines: tuple[LogLine, ...] = Field(alias="linhas")
    truncated: bool = Field(alias="truncado")


class AlertEvent(_Model):
    id: int
    rule_id: uuid.UUID = Field(alias="regra_id")
    rule: str = Field(alias="regra")
    key: str = Field(alias="chave")
    state: str = Field(alias="estado")
    value: Decimal = Field(alias="valor")
    threshold: Decimal = Field(alias="limiar")
    message: str = Field(alias="mensagem")
    fired_at: dt.datetime = Field(alias="disparado_em")
    resolved_at: dt.datetime | None = Field(default=None, alias="resolvido_em")


@dataclass(frozen=True, slots=True)
class LogQuery:
    """The filters of a log search. ``start``/``end`` are absolute (timezone-aware), so that
    every page of one search covers the same period."""

    start: dt.datetime
    end: dt.datetime
    levels: tuple[str, ...] = ()
    service: str | None = None
    correlation_id: str | None = None
    user_id: str | None = None
    text: str | None = None
    limit: int = 50

    def params(self, cursor: str | None = None) -> list[tuple[str, str]]:
        params = [
            ("inicio", _iso(self.start)),
            ("fim", _iso(self.end)),
            ("limite", str(self.limit)),
        ]
        params += [("level", level) for level in self.levels]
        optional = {
            "service": self.service,
            "correlation_id": self.correlation_id,
            "user_id": self.user_id,
            "texto": self.text,
        }
        params += [(name, value) for name, value in optional.items() if value]
        if cursor:
            params.append(("cursor", cursor))
        return params


# -- errors -----------------------------------------------------------------------------------


class ErrorKind(StrEnum):
    NETWORK = "network"  # the server could not be reached, or took too long
    SESSION = "session"  # 401: log in again
    FORBIDDEN = "forbidden"  # 403: not an admin
    INVALID = "invalid"  # 4xx: the query is wrong (the server says why)
    SERVER = "server"  # 5xx: a server bug or an unavailable dependency
    PROTOCOL = "protocol"  # an answer this client does not understand


class DashboardError(Exception):
    """A failure to show to the admin; ``message`` is Portuguese."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code
        self.correlation_id = correlation_id


# -- client -----------------------------------------------------------------------------------


class DashboardClient:
    """The admin observability endpoints of one server, for one admin session.

    ``token`` is the session token, or a callable returning the current one (asked at every
    call, from worker threads: the app's token may arrive or change after the widget is built);
    without a token a call fails with :attr:`ErrorKind.SESSION` and sends nothing.
    """

    def __init__(
        self,
        base_url: str,
        token: str | Callable[[], str | None] | None,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        user_agent: str = "peerseed-desktop-painel",
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # A callable is asked at every call (the app's token may arrive or change later).
        self._token = token
        self._owned = client is None
        # httpx.Client is safe to share between the dashboard's worker threads.
        self._client = client or httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
            verify=tls_context(),
        )

    def close(self) -> None:
        if self._owned:
            self._client.close()

    def __enter__(self) -> DashboardClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- endpoints ------------------------------------------------------------------------------

    def firing_alerts(self, *, correlation_id: str | None = None) -> list[AlertEvent]:
        return self._get(
            "/v1/admin/alertas/disparados", _list_of(AlertEvent), correlation_id=correlation_id
        )

    def alert_history(
        self, *, limit: int = 200, correlation_id: str | None = None
    ) -> list[AlertEvent]:
        return self._get(
            "/v1/admin/alertas/eventos",
            _list_of(AlertEvent),
            [("limite", str(limit))],
            correlation_id=correlation_id,
        )

    def search_logs(
        self, query: LogQuery, *, cursor: str | None = None, correlation_id: str | None = None
    ) -> LogPage:
        return self._get(
            "/v1/admin/logs",
            LogPage.model_validate,
            query.params(cursor),
            correlation_id=correlation_id,
        )

    def error_counts(
        self,
        *,
        start: dt.datetime,
        end: dt.datetime,
        bucket_s: int,
        service: str | None = None,
        correlation_id: str | None = None,
    ) -> list[BucketPoint]:
        return self._get(
            "/v1/admin/logs/erros",
            _list_of(BucketPoint),
            _bucket_params(start, end, bucket_s, service),
            correlation_id=correlation_id,
        )

    def processing_times(
        self,
        *,
        start: dt.datetime,
        end: dt.datetime,
        bucket_s: int,
        service: str | None = None,
        correlation_id: str | None = None,
    ) -> list[BucketPoint]:
        return self._get(
            "/v1/admin/logs/tempo-processamento",
            _list_of(BucketPoint),
            _bucket_params(start, end, bucket_s, service),
            correlation_id=correlation_id,
        )

    def follow(self, target: str, *, correlation_id: str | None = None) -> CorrelationTrail:
        """Every line of the correlation id ``target``, oldest first, across services."""
        target = target.strip()
        if not target:
            raise DashboardError(ErrorKind.INVALID, "Informe o ID de correlação a seguir.")
        path = "/v1/admin/logs/correlacao/" + urllib.parse.quote(target, safe="")
        return self._get(path, CorrelationTrail.model_validate, correlation_id=correlation_id)

    # -- plumbing -------------------------------------------------------------------------------

    def _get(
        self,
        path: str,
        parse: Callable[[Any], T],
        params: Sequence[tuple[str, str]] = (),
        *,
        correlation_id: str | None,
    ) -> T:
        cid = correlation_id or new_action_id()
        token = self._token() if callable(self._token) else self._token
        if not token:
            raise DashboardError(
                ErrorKind.SESSION,
                "Sessão não iniciada neste computador. Entre novamente para ver o painel.",
                correlation_id=cid,
            )
        headers = {"Authorization": f"Bearer {token}", CORRELATION_HEADER: cid}
        try:
            response = self._client.get(path, params=list(params), headers=headers)
        except httpx.TimeoutException:
            raise DashboardError(
                ErrorKind.NETWORK,
                "O servidor demorou demais para responder. Tente novamente em instantes.",
                correlation_id=cid,
            ) from None
        except httpx.TransportError:
            raise DashboardError(
                ErrorKind.NETWORK,
                "Sem conexão com o servidor. Verifique a internet e tente novamente.",
                correlation_id=cid,
            ) from None
        if response.status_code >= 400:
            raise _http_error(response, cid)
        try:
            return parse(response.json())
        except (ValueError, pydantic.ValidationError):  # not JSON, or not the expected shape
            raise _unexpected(cid) from None


def _http_error(response: httpx.Response, cid: str) -> DashboardError:
    status = response.status_code
    code: str | None = None
    server_message: str | None = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        code = body.get("code") if isinstance(body.get("code"), str) else None
        message = body.get("message")
        server_message = message if isinstance(message, str) and message else None
        details = body.get("details")
        if server_message and isinstance(details, list) and details:
            first = details[0]
            if isinstance(first, Mapping) and first.get("campo") and first.get("erro"):
                server_message = f"{server_message} ({first['campo']}: {first['erro']})"
    if status == 401:
        kind, text = ErrorKind.SESSION, "Sua sessão expirou. Entre novamente para ver o painel."
    elif status == 403:
        kind, text = (
            ErrorKind.FORBIDDEN,
            "Acesso negado: o painel de observabilidade é exclusivo de administradores.",
        )
    elif status == 429:
        kind, text = (
            ErrorKind.INVALID,
            "Muitas consultas seguidas. Aguarde alguns segundos e tente novamente.",
        )
    elif status < 500:
        detail = server_message or f"HTTP {status}"
        kind, text = ErrorKind.INVALID, f"Consulta inválida: {detail}"
    elif status in (502, 503, 504):
        kind, text = (
            ErrorKind.SERVER,
            "O servidor está temporariamente indisponível. Tente novamente em instantes.",
        )
    else:
        kind, text = (
            ErrorKind.SERVER,
            f"Erro interno do servidor (HTTP {status}). Tente novamente; se persistir, "
            f"informe o suporte com o ID de correlação {cid}.",
        )
    return DashboardError(kind, text, status=status, code=code, correlation_id=cid)


def _unexpected(cid: str) -> DashboardError:
    return DashboardError(
        ErrorKind.PROTOCOL,
        "Resposta inesperada do servidor. Verifique se o aplicativo está atualizado.",
        correlation_id=cid,
    )


def _list_of(model: type[M]) -> Callable[[Any], list[M]]:
    adapter = pydantic.TypeAdapter(list[model])  # type: ignore[valid-type]

    def parse(data: Any) -> list[M]:
        items: list[M] = adapter.validate_python(data)
        return items

    return parse


def _iso(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("datetimes sent to the server must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _bucket_params(
    start: dt.datetime, end: dt.datetime, bucket_s: int, service: str | None
) -> list[tuple[str, str]]:
    params = [("inicio", _iso(start)), ("fim", _iso(end)), ("intervalo_s", str(bucket_s))]
    if service:
        params.append(("service", service))
    return params
