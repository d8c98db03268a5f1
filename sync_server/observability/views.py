"""Routes: ``GET /v1/metrics`` (Prometheus) and the admin log dashboard / alert rules API."""

from __future__ import annotations

import datetime as dt
import hmac
import uuid
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from shared_models.enums import Perfil
from sync_server.auth.deps import require_profiles
from sync_server.deps import DbDep, ServicesDep
from sync_server.errors import ApiError
from sync_server.observability import alerts, service
from sync_server.observability.metrics import CONTENT_TYPE, RequestMetrics, render_prometheus
from sync_server.observability.schemas import (
    AlertEventOut,
    AlertRuleIn,
    AlertRuleOut,
    AlertRulePatch,
    CorrelationOut,
    ErrorBucketOut,
    LogLineOut,
    LogPageOut,
    TimingBucketOut,
)

router = APIRouter(tags=["observabilidade"])
admin = APIRouter(
    prefix="/admin",
    tags=["observabilidade"],
    dependencies=[Depends(require_profiles(Perfil.ADMIN))],
)

# -- metrics ----------------------------------------------------------------------------------


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "Formato de texto Prometheus"}},
)
async def metrics(request: Request, services: ServicesDep) -> Response:
    """Request counters/histograms and log-sink counters of *this process* (see docs)."""
    token = services.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise ApiError(
                401,
                "nao_autenticado",
                "Envie o token de métricas em Authorization: Bearer <token>.",
                headers={"WWW-Authenticate": "Bearer"},
            )
    registry: RequestMetrics | None = getattr(request.app.state, "metrics", None)
    families = list(registry.collect()) if registry is not None else []
    sink = getattr(request.app.state, "log_sink", None)
    if sink is not None:
        families.extend(sink.collect())
    return Response(render_prometheus(families), media_type=CONTENT_TYPE)


# -- dashboard --------------------------------------------------------------------------------


def _bad_query(exc: service.BadQuery) -> ApiError:
    return ApiError(422, "consulta_invalida", str(exc))


def _range(inicio: dt.datetime | None, fim: dt.datetime | None) -> tuple[dt.datetime, dt.datetime]:
    end = fim or dt.datetime.now(dt.UTC)
    start = inicio or end - dt.timedelta(hours=1)
    return start, end


def _out(line: service.LogLine) -> LogLineOut:
    return LogLineOut(**vars(line))


Inicio = Annotated[
    dt.datetime | None, Query(description="Início (inclusivo); padrão: 1 hora antes do fim.")
]
Fim = Annotated[dt.datetime | None, Query(description="Fim (exclusivo); padrão: agora.")]


@admin.get("/logs", response_model=LogPageOut)
def search_logs(
    db: DbDep,
    *,
    inicio: Inicio = None,
    fim: Fim = None,
    level: Annotated[list[str], Query(description="Um ou mais níveis")] = [],  # noqa: B006
    service_: Annotated[str | None, Query(alias="service")] = None,
    correlation_id: str | None = None,
    user_id: str | None = None,
    texto: Annotated[str | None, Query(max_length=200)] = None,
    limite: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: str | None = None,
) -> Any:
    start, end = _range(inicio, fim)
    try:
        page = service.search_logs(
            db.connection(),
            start=start,
            end=end,
            levels=level,
            service=service_,
            correlation_id=correlation_id,
            user_id=user_id,
            text=texto,
            limit=limite,
            cursor=cursor,
        )
    except service.BadQuery as exc:
        raise _bad_query(exc) from None
    return LogPageOut(itens=[_out(i) for i in page.items], proximo_cursor=page.next_cursor)


@admin.get("/logs/erros", response_model=list[ErrorBucketOut])
def error_counts(
    db: DbDep,
    *,
    inicio: Inicio = None,
    fim: Fim = None,
    intervalo_s: Annotated[int, Query(ge=1, le=86_400)] = 60,
    service_: Annotated[str | None, Query(alias="service")] = None,
    level: Annotated[list[str] | None, Query(description="Padrão: ERROR e CRITICAL")] = None,
) -> Any:
    start, end = _range(inicio, fim)
    try:
        rows = service.error_counts(
            db.connection(),
            start=start,
            end=end,
            bucket_s=intervalo_s,
            levels=level or service.ERROR_LEVELS,
            service=service_,
        )
    except service.BadQuery as exc:
        raise _bad_query(exc) from None
    return [ErrorBucketOut(bucket=r.bucket, service=r.service, quantidade=r.count) for r in rows]


@admin.get("/logs/tempo-processamento", response_model=list[TimingBucketOut])
def processing_times(
    db: DbDep,
    *,
    inicio: Inicio = None,
    fim: Fim = None,
    intervalo_s: Annotated[int, Query(ge=1, le=86_400)] = 60,
    service_: Annotated[str | None, Query(alias="service")] = None,
) -> Any:
    start, end = _range(inicio, fim)
    try:
        rows = service.processing_times(
            db.connection(), start=start, end=end, bucket_s=intervalo_s, service=service_
        )
    except service.BadQuery as exc:
        raise _bad_query(exc) from None
    return [
        TimingBucketOut(
            bucket=r.bucket, service=r.service, quantidade=r.count, media_ms=r.average or 0
        )
        for r in rows
    ]


@admin.get("/logs/correlacao/{correlation_id}", response_model=CorrelationOut)
def follow_correlation(db: DbDep, correlation_id: str) -> Any:
    lines, truncated = service.follow_correlation(db.connection(), correlation_id=correlation_id)
    return CorrelationOut(
        correlation_id=correlation_id,
        servicos=sorted({line.service for line in lines}),
        linhas=[_out(line) for line in lines],
        truncado=truncated,
    )


def _event_out(event: service.AlertEventView) -> AlertEventOut:
    return AlertEventOut(
        id=event.id,
        regra_id=event.rule_id,
        regra=event.rule_name,
        chave=event.key,
        estado=event.state,
        valor=event.value,
        limiar=event.threshold,
        mensagem=event.message,
        disparado_em=event.fired_at,
        resolvido_em=event.resolved_at,
    )


@admin.get("/alertas/disparados", response_model=list[AlertEventOut])
def firing_alerts(db: DbDep) -> Any:
    return [_event_out(e) for e in service.alert_events(db.connection(), only_firing=True)]


@admin.get("/alertas/eventos", response_model=list[AlertEventOut])
def alert_history(db: DbDep, limite: Annotated[int, Query(ge=1, le=1000)] = 200) -> Any:
    events = service.alert_events(db.connection(), only_firing=False, limit=limite)
    return [_event_out(e) for e in events]


# -- alert rules ------------------------------------------------------------------------------


def _not_found() -> ApiError:
    return ApiError(404, "regra_nao_encontrada", "Regra de alerta não encontrada.")


def _validate(
    services: Any, *, consulta: str, janela: int, servico: str | None, limiar: Any
) -> str:
    try:
        return alerts.validate_rule(
            services.engine,
            consulta=consulta,
            janela_minutos=janela,
            servico=servico,
            limiar=limiar,
            statement_timeout_ms=services.settings.alert_statement_timeout_ms,
            clock=lambda: dt.datetime.now(dt.UTC),
        )
    except alerts.RuleInvalid as exc:
        raise ApiError(422, "regra_invalida", f"Regra de alerta inválida: {exc}.") from None


def _duplicate(nome: str) -> ApiError:
    return ApiError(409, "regra_duplicada", f"Já existe uma regra de alerta chamada '{nome}'.")


@admin.get("/alertas", response_model=list[AlertRuleOut])
def list_rules(db: DbDep) -> Any:
    return alerts.list_rules(db)


@admin.post("/alertas", response_model=AlertRuleOut, status_code=201)
async def create_rule(body: AlertRuleIn, services: ServicesDep) -> Any:
    sql = await run_in_threadpool(
        _validate,
        services,
        consulta=body.consulta,
        janela=body.janela_minutos,
        servico=body.servico,
        limiar=body.limiar,
    )

    def create() -> AlertRuleOut:
        try:
            with services.sessions() as session, session.begin():
                rule = alerts.create_rule(
                    session,
                    nome=body.nome.strip(),
                    consulta=sql,
                    limiar=body.limiar,
                    janela_minutos=body.janela_minutos,
                    descricao=body.descricao,
                    servico=body.servico,
                    habilitada=body.habilitada,
                )
                session.refresh(rule)
                return AlertRuleOut.model_validate(rule)
        except sa.exc.IntegrityError:
            raise _duplicate(body.nome) from None

    return await run_in_threadpool(create)


@admin.get("/alertas/{regra_id}", response_model=AlertRuleOut)
def get_rule(db: DbDep, regra_id: uuid.UUID) -> Any:
    rule = alerts.get_rule(db, rule_id=regra_id)
    if rule is None:
        raise _not_found()
    return rule


@admin.patch("/alertas/{regra_id}", response_model=AlertRuleOut)
def update_rule(regra_id: uuid.UUID, body: AlertRulePatch, services: ServicesDep) -> Any:
    changes = body.model_dump(exclude_unset=True)
    for required in ("nome", "consulta", "limiar", "janela_minutos", "habilitada"):
        if required in changes and changes[required] is None:
            raise ApiError(422, "dados_invalidos", f"'{required}' não pode ser nulo.")
    if "nome" in changes:
        changes["nome"] = changes["nome"].strip()
    try:
        with services.sessions() as session, session.begin():
            rule = alerts.get_rule(session, rule_id=regra_id)
            if rule is None:
                raise _not_found()
            if {"consulta", "janela_minutos", "servico", "limiar"} & changes.keys():
                changes["consulta"] = _validate(
                    services,
                    consulta=changes.get("consulta", rule.consulta),
                    janela=changes.get("janela_minutos", rule.janela_minutos),
                    servico=changes.get("servico", rule.servico),
                    limiar=changes.get("limiar", rule.limiar),
                )
            rule = alerts.update_rule(session, rule, changes)
            return AlertRuleOut.model_validate(rule)
    except sa.exc.IntegrityError:
        raise _duplicate(str(changes.get("nome"))) from None


@admin.delete("/alertas/{regra_id}", status_code=204)
def delete_rule(db: DbDep, regra_id: uuid.UUID) -> Response:
    rule = alerts.get_rule(db, rule_id=regra_id)
    if rule is None:
        raise _not_found()
    if rule.embutida:
        raise ApiError(
            409,
            "regra_embutida",
            "Regras embutidas não podem ser apagadas; desabilite-a (habilitada = false).",
        )
    alerts.delete_rule(db, rule)
    return Response(status_code=204)


router.include_router(admin)
