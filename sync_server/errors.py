"""API errors: every failure answers JSON ``{code, message}`` with a Portuguese message.

A 5xx other than 503 (a dependency down) is always a bug; its response never carries a traceback.
"""

from __future__ import annotations

import logging
from typing import Any

import redis.exceptions
import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A refusal the client can understand: machine code, Portuguese message, HTTP status."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.headers = headers
        self.details = details


class ServiceUnavailable(ApiError):
    def __init__(
        self, message: str = "Serviço temporariamente indisponível. Tente novamente."
    ) -> None:
        super().__init__(503, "servico_indisponivel", message, headers={"Retry-After": "5"})


_HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("requisicao_invalida", "Requisição inválida."),
    401: ("nao_autenticado", "Autenticação necessária."),
    403: ("acesso_negado", "Você não tem permissão para esta operação."),
    404: ("nao_encontrado", "Recurso não encontrado."),
    405: ("metodo_nao_permitido", "Método não permitido para este recurso."),
    406: ("nao_aceitavel", "Formato de resposta não suportado."),
    409: ("conflito", "A operação conflita com o estado atual."),
    411: ("tamanho_obrigatorio", "O cabeçalho Content-Length é obrigatório."),
    413: ("corpo_muito_grande", "O corpo da requisição excede o tamanho máximo permitido."),
    415: ("tipo_nao_suportado", "Tipo de conteúdo não suportado."),
    422: ("dados_invalidos", "Os dados enviados são inválidos."),
    429: ("muitas_requisicoes", "Muitas requisições. Aguarde e tente novamente."),
}

_VALIDATION_MESSAGES: dict[str, str] = {
    "missing": "campo obrigatório",
    "json_invalid": "JSON malformado",
    "model_attributes_type": "deve ser um objeto",
    "dict_type": "deve ser um objeto",
    "list_type": "deve ser uma lista",
    "string_type": "deve ser um texto",
    "int_type": "deve ser um número inteiro",
    "int_parsing": "deve ser um número inteiro",
    "decimal_parsing": "deve ser um número decimal",
    "bool_type": "deve ser verdadeiro ou falso",
    "bool_parsing": "deve ser verdadeiro ou falso",
    "uuid_parsing": "deve ser um UUID",
    "uuid_type": "deve ser um UUID",
    "enum": "valor não permitido",
    "literal_error": "valor não permitido",
    "string_too_short": "texto curto demais",
    "string_too_long": "texto longo demais",
    "greater_than": "valor pequeno demais",
    "greater_than_equal": "valor pequeno demais",
    "less_than": "valor grande demais",
    "less_than_equal": "valor grande demais",
    "extra_forbidden": "campo não permitido",
    "value_error": "valor inválido",
    "date_parsing": "data inválida",
    "datetime_parsing": "data e hora inválidas",
}


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return body


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "corpo"


def validation_details(errors: list[Any]) -> list[dict[str, str]]:
    details = []
    for err in errors:
        kind = str(err.get("type", "value_error"))
        message = _VALIDATION_MESSAGES.get(kind, "valor inválido")
        if kind == "value_error":
            # Our validators raise ValueError with a Portuguese message; never echo the input.
            ctx = err.get("ctx") or {}
            if isinstance(ctx.get("error"), ValueError) and getattr(
                ctx["error"], "user_message", None
            ):
                message = str(ctx["error"].user_message)
        details.append({"campo": _field(tuple(err.get("loc", ()))), "erro": message})
    return details


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details),
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code, message = _HTTP_MESSAGES.get(exc.status_code, ("erro_http", "Erro na requisição."))
    return JSONResponse(
        error_body(code, message),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse(
            error_body("json_malformado", "O corpo da requisição não é um JSON válido."),
            status_code=400,
        )
    return JSONResponse(
        error_body(
            "dados_invalidos", "Os dados enviados são inválidos.", validation_details(errors)
        ),
        status_code=422,
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.error(
        "erro inesperado ao processar a requisição",
        exc_info=exc,
        extra={"payload": {"erro": type(exc).__name__}},
    )
    return JSONResponse(
        error_body("erro_interno", "Erro interno. A equipe foi notificada."), status_code=500
    )


async def _dependency_down(_: Request, exc: Exception) -> JSONResponse:
    log.error(
        "dependência indisponível",
        extra={"payload": {"erro": type(exc).__name__}},
    )
    unavailable = ServiceUnavailable()
    return JSONResponse(
        error_body(unavailable.code, unavailable.message),
        status_code=503,
        headers=unavailable.headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(redis.exceptions.ConnectionError, _dependency_down)
    app.add_exception_handler(redis.exceptions.TimeoutError, _dependency_down)
    app.add_exception_handler(sqlalchemy.exc.OperationalError, _dependency_down)
    app.add_exception_handler(sqlalchemy.exc.InterfaceError, _dependency_down)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
