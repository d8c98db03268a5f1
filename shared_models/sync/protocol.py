"""Wire messages of the sync protocol (JSON; amounts as strings; pages compressed).

Push: ``POST /v1/sync/push`` with :class:`PushRequest` → :class:`PushResponse`.
Pull: ``GET /v1/sync/pull?cursor=…&max_bytes=…`` → 204 (nothing new) or :class:`PullPage`.
Both send the header ``X-Sync-Protocol: <int>``; outside the server's accepted range the server
answers 426 ``versao_protocolo_nao_suportada``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1
# The client protocol versions the server accepts (426 outside; see GET /v1/sync/info).
MIN_PROTOCOL_VERSION = 1
MAX_PROTOCOL_VERSION = PROTOCOL_VERSION
PROTOCOL_HEADER = "X-Sync-Protocol"
CORRELATION_HEADER = "X-Correlation-ID"
# The first cursor: "nothing applied yet".
INITIAL_CURSOR = "0"
# Pull pages: ``max_bytes`` bounds the uncompressed JSON of a page (a single row larger than the
# bound still travels alone); the server clamps it to [MIN_PAGE_BYTES, MAX_PAGE_BYTES].
DEFAULT_PAGE_BYTES = 1024 * 1024
MIN_PAGE_BYTES = 16 * 1024
MAX_PAGE_BYTES = 16 * 1024 * 1024


class IntentState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    APPLIED = "applied"
    REJECTED = "rejected"


class Intent(BaseModel):
    """One user action queued offline. ``(device_id, seq)`` identifies it for exactly-once."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int = Field(ge=1)
    intent_id: uuid.UUID
    name: str = Field(min_length=1, max_length=100)
    version: int = Field(ge=1)
    args: dict[str, Any]
    correlation_id: str | None = Field(default=None, max_length=128)
    created_at: datetime


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: uuid.UUID
    intents: list[Intent] = Field(min_length=1, max_length=500)


class IntentResult(BaseModel):
    """What happened to one intent; a stored result is returned again for a replayed seq."""

    seq: int
    intent_id: uuid.UUID
    status: IntentState  # APPLIED or REJECTED
    code: str | None = None
    message: str | None = None
    result: dict[str, Any] | None = None


class PushResponse(BaseModel):
    results: list[IntentResult]
    # The next seq the server expects from this device (gapless).
    next_seq: int


class TableChanges(BaseModel):
    """Columnar changes of one replicated table: column names once, rows as arrays."""

    columns: list[str]
    upserts: list[list[Any]] = Field(default_factory=list)
    deletes: list[str] = Field(default_factory=list)  # primary keys (text) to remove locally


class PullPage(BaseModel):
    cursor: str
    more: bool
    tables: dict[str, TableChanges] = Field(default_factory=dict)
    # Results of this user's intents (from any device), so a reinstalled client learns them too.
    intent_results: list[IntentResult] = Field(default_factory=list)


class ProtocolInfo(BaseModel):
    min_version: int
    max_version: int
    server_time: datetime
