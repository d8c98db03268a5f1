"""The FastAPI app factory. Settings, engine and Redis client are built here, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from sync_server.auth.views import router as auth_router
from sync_server.errors import install_error_handlers
from sync_server.field_agents import views as field_agents_views
from sync_server.health.views import router as health_router
from sync_server.kyc import views as kyc_views
from sync_server.lgpd import views as lgpd_views
from sync_server.limits import BodySizeLimitMiddleware
from sync_server.observability.db_sink import start_log_sink
from sync_server.observability.logs import configure_logging
from sync_server.observability.metrics import MetricsMiddleware, RequestMetrics
from sync_server.observability.middleware import CorrelationIdMiddleware
from sync_server.observability.views import router as observability_router
from sync_server.ping.views import router as ping_router
from sync_server.services import Services
from sync_server.settings import Settings
from sync_server.sync import views as sync_views
from sync_server.user_data import views as user_data_views

API_VERSION = "v1"
# Routes whose bodies carry documents or photos: they get Settings.max_upload_bytes.
UPLOAD_PATHS = (
    r"/v1/me/documentos",
    r"/v1/agente/produtores/[^/]+/documentos",
    r"/v1/sync/push",
)


def build_api_router() -> APIRouter:
    """Every versioned route of the server, mounted under ``/v1``."""
    api = APIRouter(prefix=f"/{API_VERSION}")
    # FastAPI matches a request against the routers in this order, at a real CPU cost per route
    # skipped: the session routes (GET /auth/me, login) come before the admin-only ones.
    for router in (
        health_router,
        ping_router,
        auth_router,
        observability_router,
        user_data_views.router,
        user_data_views.admin_router,
        kyc_views.router,
        kyc_views.admin_router,
        field_agents_views.router,
        field_agents_views.admin_router,
        field_agents_views.public_router,
        lgpd_views.router,
        sync_views.router,
    ):
        api.include_router(router)
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
        app.state.log_sink = start_log_sink(app.state.services)
        yield
        if app.state.log_sink is not None:
            app.state.log_sink.close()
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
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        upload_paths=UPLOAD_PATHS,
    )
    app.add_middleware(CorrelationIdMiddleware)
    app.state.metrics = RequestMetrics()
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    return app
