"""The FastAPI app factory. Settings, engine and Redis client are built here, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from sync_server.errors import install_error_handlers
from sync_server.health.views import router as health_router
from sync_server.limits import BodySizeLimitMiddleware
from sync_server.observability.logs import configure_logging
from sync_server.observability.middleware import CorrelationIdMiddleware
from sync_server.services import Services
from sync_server.settings import Settings

API_VERSION = "v1"


def build_api_router() -> APIRouter:
    """Every versioned route of the server, mounted under ``/v1``."""
    api = APIRouter(prefix=f"/{API_VERSION}")
    api.include_router(health_router)
    return api


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    configure_logs: bool = True,
) -> FastAPI:
    """Build the app. ``services`` lets a caller share resources it owns (it then closes them)."""
    settings = settings or (services.settings if services else Settings())
    if configure_logs:
        configure_logging(
            service=settings.service_name,
            level=settings.log_level,
            log_file=settings.resolved_log_file,
            stdout=settings.log_stdout,
        )
    owned = services is None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            app.state.services.close()

    app = FastAPI(
        title="Peerseed sync server",
        version="0.1.0",
        description="Crédito agrícola P2P lastreado em CPR: API do servidor de sincronização.",
        lifespan=lifespan,
    )
    app.state.services = services or Services.from_settings(settings)
    install_error_handlers(app)
    app.include_router(build_api_router())
    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(CorrelationIdMiddleware)
    return app
