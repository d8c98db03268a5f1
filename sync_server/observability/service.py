"""Queries behind the admin log dashboard (search, charts, firing alerts, correlation).

Keyword-only functions over the caller's connection; nothing here commits.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from shared_models.db.log_tables import ESTADO_DISPARADO, AlertaEvento, AlertaRegra, LogRegistro

ERROR_LEVELS = ("ERROR", "CRITICAL")
MAX_BUCKETS = 2000
MAX_CORRELATION_LINES = 5000
_ORIGIN = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class BadQuery(ValueError):
    """Parameters the dashboard cannot honour (message in Portuguese)."""


@dataclass(frozen=True)
class LogLine:
    id: int
    timestamp: dt.datetime
    level: str
    service: str
    correlation_id: str | None
    user_id: str | None
    message: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class LogPage:
    items: list[LogLine]
    next_cursor: str | None


def encode_cursor(timestamp: dt.datetime, line_id: int) -> str:
    raw = f"{timestamp.astimezone(dt.UTC).isoformat()}|{line_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, line_id = raw.split("|")
        moment = dt.datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError
        return moment, int(line_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadQuery("cursor inválido") from None


def _line(row: Any) -> LogLine:
    return LogLine(
        id=row.id,
        timestamp=row.timestamp,
        level=row.level,
        service=row.service,
        correlation_id=row.correlation_id,
        user_id=row.user_id,
        message=row.message,
        payload=row.payload,
    )


def _check_range(start: dt.datetime, end: dt.datetime) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise BadQuery("datas precisam de fuso horário (ex.: 2026-01-01T00:00:00Z)")
    if end <= start:
        raise BadQuery("'fim' deve ser posterior a 'inicio'")


def search_logs(
    conn: sa.Connection,
    *,
    start: dt.datetime,
    end: dt.datetime,
    levels: Sequence[str] = (),
    service: str | None = None,
    correlation_id: str | None = None,
    user_id: str | None = None,
    text: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> LogPage:
    """Newest first, ``limit`` per page; ``next_cursor`` continues after the last line (keyset)."""
    _check_range(start, end)
    t = LogRegistro.__table__
    query = sa.select(t).where(t.c.timestamp >= start, t.c.timestamp < end)
    if levels:
        query = query.where(t.c.level.in_([lvl.upper() for lvl in levels]))
    if service:
        query = query.where(t.c.service == service)
    if correlation_id:
        query = query.where(t.c.correlation_id == correlation_id)
    if user_id:
        query = query.where(t.c.user_id == user_id)
    if text:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(t.c.message.ilike(f"%{escaped}%", escape="\\"))
    if cursor:
        at, line_id = decode_cursor(cursor)
        query = query.where(sa.tuple_(t.c.timestamp, t.c.id) < sa.tuple_(sa.literal(at), line_id))
    rows = conn.execute(query.order_by(t.c.timestamp.desc(), t.c.id.desc()).limit(limit + 1)).all()
    items = [_line(r) for r in rows[:limit]]
    more = len(rows) > limit
    next_cursor = encode_cursor(items[-1].timestamp, items[-1].id) if more and items else None
    return LogPage(items, next_cursor)


def _bucket_expr(bucket_s: int) -> sa.ColumnElement[Any]:
    t = LogRegistro.__table__
    return sa.func.date_bin(
        sa.func.make_interval(0, 0, 0, 0, 0, 0, bucket_s), t.c.timestamp, sa.literal(_ORIGIN)
    )


def _check_buckets(start: dt.datetime, end: dt.datetime, bucket_s: int) -> None:
    _check_range(start, end)
    if bucket_s < 1:
        raise BadQuery("'intervalo_s' deve ser positivo")
    if (end - start).total_seconds() / bucket_s > MAX_BUCKETS:
        raise BadQuery(f"intervalo pequeno demais para o período (máximo {MAX_BUCKETS} pontos)")


@dataclass(frozen=True)
class BucketValue:
    bucket: dt.datetime
    service: str
    count: int
    average: Decimal | None = None


def error_counts(
    conn: sa.Connection,
    *,
    start: dt.datetime,
    end: dt.datetime,
    bucket_s: int,
    levels: Sequence[str] = ERROR_LEVELS,
    service: str | None = None,
) -> list[BucketValue]:
    """Lines at ``levels`` per service per time bucket (buckets without lines are omitted)."""
    _check_buckets(start, end, bucket_s)
    t = LogRegistro.__table__
    bucket = _bucket_expr(bucket_s).label("bucket")
    query = (
        sa.select(bucket, t.c.service, sa.func.count().label("n"))
        .where(
            t.c.timestamp >= start,
            t.c.timestamp < end,
            t.c.level.in_([lvl.upper() for lvl in levels]),
        )
        .group_by(bucket, t.c.service)
        .order_by(bucket, t.c.service)
    )
    if service:
        query = query.where(t.c.service == service)
    return [BucketValue(r.bucket, r.service, r.n) for r in conn.execute(query)]


def processing_times(
    conn: sa.Connection,
    *,
    start: dt.datetime,
    end: dt.datetime,
    bucket_s: int,
    service: str | None = None,
) -> list[BucketValue]:
    """Average ``payload.tempo_de_processamento_ms`` per service per bucket (and line count)."""
    _check_buckets(start, end, bucket_s)
    t = LogRegistro.__table__
    field = t.c.payload["tempo_de_processamento_ms"]
    bucket = _bucket_expr(bucket_s).label("bucket")
    query = (
        sa.select(
            bucket,
            t.c.service,
            sa.func.count().label("n"),
            sa.func.avg(sa.cast(field.astext, sa.Numeric)).label("media"),
        )
        .where(
            t.c.timestamp >= start,
            t.c.timestamp < end,
            sa.func.jsonb_typeof(field) == "number",
        )
        .group_by(bucket, t.c.service)
        .order_by(bucket, t.c.service)
    )
    if service:
        query = query.where(t.c.service == service)
    return [
        BucketValue(r.bucket, r.service, r.n, round(Decimal(r.media), 2))
        for r in conn.execute(query)
    ]


def follow_correlation(
    conn: sa.Connection, *, correlation_id: str, limit: int = MAX_CORRELATION_LINES
) -> tuple[list[LogLine], bool]:
    """Every line of one correlation id, oldest first, across services; (lines, truncated)."""
    t = LogRegistro.__table__
    rows = conn.execute(
        sa.select(t)
        .where(t.c.correlation_id == correlation_id)
        .order_by(t.c.timestamp, t.c.id)
        .limit(limit + 1)
    ).all()
    return [_line(r) for r in rows[:limit]], len(rows) > limit


@dataclass(frozen=True)
class AlertEventView:
    id: int
    rule_id: Any
    rule_name: str
    key: str
    state: str
    value: Decimal
    threshold: Decimal
    message: str
    fired_at: dt.datetime
    resolved_at: dt.datetime | None


def alert_events(
    conn: sa.Connection, *, only_firing: bool, limit: int = 200
) -> list[AlertEventView]:
    """Firing alerts (newest first), or the recent history of firings when ``only_firing`` is
    False."""
    e, r = AlertaEvento.__table__, AlertaRegra.__table__
    query = sa.select(e, r.c.nome).join(r, r.c.id == e.c.regra_id)
    if only_firing:
        query = query.where(e.c.estado == ESTADO_DISPARADO)
    rows = conn.execute(query.order_by(e.c.disparado_em.desc(), e.c.id.desc()).limit(limit))
    return [
        AlertEventView(
            id=row.id,
            rule_id=row.regra_id,
            rule_name=row.nome,
            key=row.chave,
            state=row.estado,
            value=row.valor,
            threshold=row.limiar,
            message=row.mensagem,
            fired_at=row.disparado_em,
            resolved_at=row.resolvido_em,
        )
        for row in rows
    ]
