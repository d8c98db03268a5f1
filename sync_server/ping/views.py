"""``GET /v1/ping``: answers without touching PostgreSQL or Redis (liveness; bench baseline)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(tags=["saúde"])


class PingOut(BaseModel):
    status: str


@router.get("/ping", response_model=PingOut, summary="Processo vivo (sem dependências)")
async def ping() -> PingOut:
    return PingOut(status="ok")
