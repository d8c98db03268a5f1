"""Routes of the sync protocol (``/v1/sync``): info, push, pull. See docs/sync.md.

Authorization: any logged-in user pushes and pulls; what they see is decided by the scopes
(:mod:`sync_server.sync.scopes`) and what they may do by the catalogue and the services. The
``X-Sync-Protocol`` header is checked after authentication: outside the accepted range the answer
is 426 ``versao_protocolo_nao_suportada``.
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Final

import zstandard
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

from shared_models.sync import mutations
from shared_models.sync.protocol import (
    DEFAULT_PAGE_BYTES,
    INITIAL_CURSOR,
    MAX_PAGE_BYTES,
    MAX_PROTOCOL_VERSION,
    MIN_PAGE_BYTES,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_HEADER,
    ProtocolInfo,
    PullPage,
    PushRequest,
    PushResponse,
)
from sync_server.auth.deps import CurrentPrincipal, Principal
from sync_server.deps import ServicesDep
from sync_server.errors import ApiError, error_body
from sync_server.sync import push as push_service
from sync_server.sync.intents import Handlers, build_handlers
from sync_server.sync.prefetch import PagePrefetcher
from sync_server.sync.pull import Page, Viewer, pull_with_prefetch


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The app's snapshot page prefetcher (see ``sync_server.sync.prefetch``)."""
    prefetcher: PagePrefetcher[Page | None] = PagePrefetcher()
    app.state.sync_prefetcher = prefetcher
    try:
        yield
    finally:
        app.state.sync_prefetcher = None
        prefetcher.close()


router = APIRouter(prefix="/sync", tags=["sincronização"], lifespan=_lifespan)

DEFAULT_HANDLERS: Final = build_handlers()
ZSTD_LEVEL: Final = 1  # here faster than 3 and a little smaller too (JSON of rows)
GZIP_LEVEL: Final = 5


def check_protocol(request: Request) -> int:
    """The client's protocol version; 426 when absent, malformed or outside the range."""
    raw = request.headers.get(PROTOCOL_HEADER, "")
    version = int(raw) if raw.isdigit() and len(raw) <= 6 else None
    if version is None or not MIN_PROTOCOL_VERSION <= version <= MAX_PROTOCOL_VERSION:
        raise ApiError(
            426,
            "versao_protocolo_nao_suportada",
            "Esta versão do aplicativo não é mais compatível com o servidor: atualize o "
            "aplicativo para sincronizar.",
            headers={"Upgrade": f"peerseed-sync/{MAX_PROTOCOL_VERSION}"},
            details={"min_version": MIN_PROTOCOL_VERSION, "max_version": MAX_PROTOCOL_VERSION},
        )
    return version


def _sync_principal(principal: CurrentPrincipal, request: Request) -> Principal:
    check_protocol(request)
    return principal


SyncPrincipal = Annotated[Principal, Depends(_sync_principal)]


def _handlers(request: Request) -> Handlers:
    handlers: Handlers | None = getattr(request.app.state, "sync_intent_handlers", None)
    return handlers or DEFAULT_HANDLERS


def _catalogue(request: Request) -> Mapping[tuple[str, int], mutations.Mutation]:
    catalogue: Mapping[tuple[str, int], mutations.Mutation] | None = getattr(
        request.app.state, "sync_catalogue", None
    )
    return catalogue or mutations.CATALOGUE


def _prefetcher(request: Request) -> PagePrefetcher[Page | None] | None:
    """None when the app runs without its lifespan (pages are then always built on demand)."""
    prefetcher: PagePrefetcher[Page | None] | None = getattr(
        request.app.state, "sync_prefetcher", None
    )
    return prefetcher


def _accepts(request: Request, coding: str) -> bool:
    for item in request.headers.get("accept-encoding", "").split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() == coding:
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def encode_page(request: Request, body: bytes) -> tuple[bytes, str]:
    """Compress a page: zstd if the client accepts it, else gzip."""
    if _accepts(request, "zstd"):
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(body), "zstd"
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0), "gzip"


@router.get("/info", response_model=ProtocolInfo, summary="Versões do protocolo aceitas")
def info() -> ProtocolInfo:
    return ProtocolInfo(
        min_version=MIN_PROTOCOL_VERSION,
        max_version=MAX_PROTOCOL_VERSION,
        server_time=datetime.now(UTC),
    )


@router.post(
    "/push",
    response_model=PushResponse,
    summary="Enviar intenções (cada uma aplicada uma única vez, em sua própria transação)",
    responses={409: {"description": "Lacuna na sequência (next_seq) ou intenção conflitante"}},
)
def push(
    body: PushRequest, principal: SyncPrincipal, services: ServicesDep, request: Request
) -> PushResponse | JSONResponse:
    ctx = push_service.PushContext(
        services=services,
        principal=principal,
        handlers=_handlers(request),
        catalogue=_catalogue(request),
    )
    try:
        return push_service.push(ctx, body)
    except push_service.SeqGap as gap:
        # ``next_seq`` also at the top level: the client resumes from it.
        content = error_body(gap.code, gap.message, gap.details)
        content["next_seq"] = gap.next_seq
        return JSONResponse(content, status_code=409)


@router.get(
    "/pull",
    response_model=PullPage,
    summary="Receber a próxima página de alterações (204 quando não há nada novo)",
    responses={204: {"description": "Nada novo depois do cursor"}},
)
def pull_page(
    principal: SyncPrincipal,
    services: ServicesDep,
    request: Request,
    cursor: Annotated[str, Query(max_length=200)] = INITIAL_CURSOR,
    max_bytes: Annotated[int, Query(ge=1)] = DEFAULT_PAGE_BYTES,
) -> Response:
    page = pull_with_prefetch(
        services.engine,
        _prefetcher(request),
        viewer=Viewer(principal.user_id, principal.perfil),
        cursor=cursor,
        max_bytes=min(max(max_bytes, MIN_PAGE_BYTES), MAX_PAGE_BYTES),
    )
    if page is None:
        return Response(status_code=204, headers={"Cache-Control": "no-store"})
    content, coding = encode_page(request, page.body)
    return Response(
        content=content,
        media_type="application/json",
        headers={
            "Content-Encoding": coding,
            "Vary": "Accept-Encoding",
            "Cache-Control": "no-store",
            "X-Sync-Rows": str(page.rows),
            "X-Sync-Uncompressed-Bytes": str(len(page.body)),
        },
    )
