"""Pull cursors: opaque strings for the client, three shapes for the server.

- ``"0"`` (:data:`~shared_models.sync.protocol.INITIAL_CURSOR`): nothing applied yet; the next
  page starts the snapshot of the user's scope.
- ``"S<horizon>.<table>.<last id hex>"``: inside the snapshot; rows of ``table`` after
  ``last`` (by id) come next, then the following tables. ``horizon`` is the change-log position
  captured when the snapshot started (every change with ``xid >= horizon`` is replayed after it).
- ``"L<xid>.<pos>"``: the change log; changes after ``(xid, pos)`` come next.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Final

from shared_models.sync.protocol import INITIAL_CURSOR
from sync_server.errors import ApiError

ZERO_ID: Final = uuid.UUID(int=0)
MAX_CURSOR_LENGTH: Final = 200

_LOG: Final = re.compile(r"L([0-9]{1,19})\.([0-9]{1,19})")
_SNAPSHOT: Final = re.compile(r"S([0-9]{1,19})\.([a-z_]{1,63})\.([0-9a-f]{32})")
_MAX_BIGINT: Final = 2**63 - 1


@dataclass(frozen=True)
class InitialCursor:
    pass


@dataclass(frozen=True)
class SnapshotCursor:
    horizon: int
    table: str
    last: uuid.UUID


@dataclass(frozen=True)
class LogCursor:
    xid: int
    pos: int


Cursor = InitialCursor | SnapshotCursor | LogCursor


def invalid_cursor() -> ApiError:
    return ApiError(
        400,
        "cursor_invalido",
        "Cursor de sincronização inválido: recomece a sincronização do início (cursor 0).",
    )


def _bigint(text: str) -> int:
    value = int(text)
    if value > _MAX_BIGINT:
        raise invalid_cursor()
    return value


def parse_cursor(text: str, *, known_tables: frozenset[str]) -> Cursor:
    if text == INITIAL_CURSOR:
        return InitialCursor()
    if len(text) <= MAX_CURSOR_LENGTH:
        if match := _LOG.fullmatch(text):
            return LogCursor(xid=_bigint(match.group(1)), pos=_bigint(match.group(2)))
        if (match := _SNAPSHOT.fullmatch(text)) and match.group(2) in known_tables:
            return SnapshotCursor(
                horizon=_bigint(match.group(1)),
                table=match.group(2),
                last=uuid.UUID(hex=match.group(3)),
            )
    raise invalid_cursor()


def format_cursor(cursor: Cursor) -> str:
    match cursor:
        case InitialCursor():
            return INITIAL_CURSOR
        case SnapshotCursor(horizon=horizon, table=table, last=last):
            return f"S{horizon}.{table}.{last.hex}"
        case LogCursor(xid=xid, pos=pos):
            return f"L{xid}.{pos}"
