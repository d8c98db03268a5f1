"""``GET /v1/health``: 200 when PostgreSQL, Redis and the schema are in order, else 503."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from sync_server.deps import ServicesDep
from sync_server.health import service

router = APIRouter(tags=["saúde"])


class DependencyStatus(BaseModel):
    ok: bool
    latency_ms: float
    detail: str | None = None


class HealthOut(BaseModel):
    status: str
    postgres: DependencyStatus
    redis: DependencyStatus
    migration_revision: str | None
    expected_revision: str | None


@router.get(
    "/health",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "Alguma dependência está indisponível"}},
)
async def health(services: ServicesDep) -> Any:
    report = await run_in_threadpool(
        service.check, engine=services.engine, redis_client=services.redis
    )
    body = HealthOut(
        status="ok" if report.ok else "indisponivel",
        postgres=DependencyStatus(**vars(report.postgres)),
        redis=DependencyStatus(**vars(report.redis)),
        migration_revision=report.migration_revision,
        expected_revision=report.expected_revision,
    )
    return JSONResponse(body.model_dump(), status_code=200 if report.ok else 503)
