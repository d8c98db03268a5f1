"""Pull pages: bounded in bytes, compressed, resumable by cursor; idle pulls are empty 204s."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
import zstandard
from fastapi.testclient import TestClient

from shared_models.enums import Perfil
from shared_models.sync.protocol import MIN_PAGE_BYTES, PullPage
from sync_server.db import make_engine
from tests.sync_server.auth_support import Account, create_user, open_session
from tests.sync_server.sync_support import (
    ZSTD_MAGIC,
    Replica,
    app_client,
    full_pull,
    make_cpr,
    make_investment,
    make_transactions,
    page_bytes,
    same_rows,
    sync_headers,
    wallet_of,
)


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(fresh_db_url, pool_size=4, max_overflow=4)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sync_client(
    fresh_db_url: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[TestClient]:
    with app_client(fresh_db_url, redis_url, tmp_path) as c:
        yield c


@pytest.fixture
def investor(fresh_engine: sa.Engine, redis_client: redis.Redis) -> Account:
    account = create_user(fresh_engine, Perfil.INVESTIDOR)
    open_session(redis_client, account)
    return account


def test_pages_are_bounded_and_every_row_arrives_once(
    fresh_engine: sa.Engine, sync_client: TestClient, investor: Account
) -> None:
    made = {str(t) for t in make_transactions(fresh_engine, investor.id, 1500)}
    replica = Replica()
    seen: list[str] = []
    while True:
        response = replica.pull(sync_client, investor, max_bytes=MIN_PAGE_BYTES)
        assert response.status_code == 200
        assert len(page_bytes(response)) <= MIN_PAGE_BYTES
        page = replica.pages[-1]
        if "transacoes" in page.tables:
            seen += [row[0] for row in page.tables["transacoes"].upserts]
        if not page.more:
            break
    assert len(replica.pages) > 10
    assert sorted(seen) == sorted(made)  # exactly once, in the snapshot
    assert replica.cursor.startswith("L")

    # Changes after the snapshot, paged too.
    later = {str(t) for t in make_transactions(fresh_engine, investor.id, 400)}
    with fresh_engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM transacoes WHERE id = ANY(:ids)"),
            {"ids": [uuid.UUID(t) for t in sorted(made)[:50]]},
        )
    before = len(replica.pages)
    replica.pull_all(sync_client, investor, max_bytes=MIN_PAGE_BYTES)
    assert len(replica.pages) - before > 2
    assert replica.ids("transacoes") == (made | later) - set(sorted(made)[:50])
    assert same_rows(replica, full_pull(sync_client, investor))


def test_wire_format(fresh_engine: sa.Engine, sync_client: TestClient, investor: Account) -> None:
    farmer = create_user(fresh_engine, Perfil.AGRICULTOR)
    cpr = make_cpr(fresh_engine, farmer.id)
    make_investment(fresh_engine, investor.id, cpr, cotas=4)
    (tx,) = make_transactions(fresh_engine, investor.id, 1, descricao='Aspas " e \\ barra')
    response = sync_client.get("/v1/sync/pull", headers=sync_headers(investor))
    assert response.headers["content-encoding"] == "zstd"
    raw = json.loads(page_bytes(response))
    assert set(raw) == {"cursor", "more", "tables", "intent_results"}
    transacoes = raw["tables"]["transacoes"]
    assert transacoes["columns"][0] == "id"
    row = dict(zip(transacoes["columns"], transacoes["upserts"][0], strict=True))
    assert row["id"] == str(tx)
    assert row["valor"] == "11.50000000"  # money travels as a string, scale kept
    assert Decimal(row["valor"]) == Decimal("11.5")
    assert row["descricao"] == 'Aspas " e \\ barra 1'
    assert datetime.fromisoformat(row["data_transacao"]).utcoffset() is not None
    assert row["referencia_id"] is None
    cprs = raw["tables"]["cprs"]
    cpr_row = dict(zip(cprs["columns"], cprs["upserts"][0], strict=True))
    assert cpr_row["total_cotas"] == 100 and cpr_row["cotas_disponiveis"] == 96
    assert cpr_row["taxa_juros_anual"] == "18.50"
    assert transacoes["deletes"] == []


def test_compression_follows_accept_encoding(
    fresh_engine: sa.Engine, sync_client: TestClient, investor: Account
) -> None:
    make_transactions(fresh_engine, investor.id, 200)
    with sync_client.stream(
        "GET", "/v1/sync/pull", headers=sync_headers(investor, encoding="zstd")
    ) as response:
        assert response.headers["content-encoding"] == "zstd"
        body = b"".join(response.iter_raw())
    assert body.startswith(ZSTD_MAGIC)
    plain = zstandard.ZstdDecompressor().decompress(body, max_output_size=1 << 24)
    assert len(body) < len(plain) / 2
    PullPage.model_validate_json(plain)
    with sync_client.stream(
        "GET", "/v1/sync/pull", headers=sync_headers(investor, encoding="gzip, deflate")
    ) as response:
        assert response.headers["content-encoding"] == "gzip"
        body = b"".join(response.iter_raw())
    # The same rows (the cursor's horizon may differ: other transactions ran in between).
    assert json.loads(gzip.decompress(body))["tables"] == json.loads(plain)["tables"]


def test_an_idle_pull_is_an_empty_204(
    fresh_engine: sa.Engine, sync_client: TestClient, investor: Account
) -> None:
    replica = full_pull(sync_client, investor)
    response = sync_client.get(
        "/v1/sync/pull", params={"cursor": replica.cursor}, headers=sync_headers(investor)
    )
    assert response.status_code == 204
    assert response.content == b""
    # Someone else's change is not news for this investor either.
    other = create_user(fresh_engine, Perfil.INVESTIDOR)
    make_transactions(fresh_engine, other.id, 5)
    response = sync_client.get(
        "/v1/sync/pull", params={"cursor": replica.cursor}, headers=sync_headers(investor)
    )
    assert response.status_code == 204


@pytest.mark.parametrize(
    "cursor", ["", "x", "L1", "L1.2.3", "S1.tabela_inexistente." + "0" * 32, "L" + "9" * 30 + ".1"]
)
def test_an_invalid_cursor_is_refused(
    sync_client: TestClient, investor: Account, cursor: str
) -> None:
    response = sync_client.get(
        "/v1/sync/pull", params={"cursor": cursor}, headers=sync_headers(investor)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "cursor_invalido"


def test_changes_between_snapshot_pages_are_not_lost(
    fresh_engine: sa.Engine, sync_client: TestClient, investor: Account
) -> None:
    made = make_transactions(fresh_engine, investor.id, 600)
    wallet = wallet_of(fresh_engine, investor.id)
    replica = Replica()
    replica.pull(sync_client, investor, max_bytes=MIN_PAGE_BYTES)
    assert replica.pages[-1].more and replica.cursor.startswith("S")
    # Between pages: rows already sent change, rows not yet sent are deleted, new rows arrive.
    sent = sorted(replica.ids("transacoes"))
    with fresh_engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE transacoes SET descricao = 'alterada' WHERE id = ANY(:ids)"),
            {"ids": [uuid.UUID(i) for i in sent[:10]]},
        )
        pending = sorted({str(t) for t in made} - set(sent))
        conn.execute(
            sa.text("DELETE FROM transacoes WHERE id = ANY(:ids)"),
            {"ids": [uuid.UUID(i) for i in pending[:10]]},
        )
        conn.execute(
            sa.text(
                "INSERT INTO transacoes (id, carteira_id, valor, tipo, status)"
                " VALUES ('00000000-0000-0000-0000-000000000001', :w, 1, 'DEPOSITO_PIX',"
                " 'CONCLUIDA')"
            ),
            {"w": wallet},
        )
    replica.pull_all(sync_client, investor, max_bytes=MIN_PAGE_BYTES)
    fresh = full_pull(sync_client, investor)
    assert same_rows(replica, fresh)
    assert "00000000-0000-0000-0000-000000000001" in replica.ids("transacoes")
    assert replica.row("transacoes", sent[0])["descricao"] == "alterada"


def test_page_size_is_clamped(sync_client: TestClient, investor: Account) -> None:
    for max_bytes in (1, 10**12):
        response = sync_client.get(
            "/v1/sync/pull", params={"max_bytes": max_bytes}, headers=sync_headers(investor)
        )
        assert response.status_code == 200
    response = sync_client.get(
        "/v1/sync/pull", params={"max_bytes": 0}, headers=sync_headers(investor)
    )
    assert response.status_code == 422


def _transactions_of_sizes(engine: sa.Engine, user_id: uuid.UUID, sizes: list[int]) -> set[str]:
    """One transaction per size, its description that many characters long."""
    with engine.begin() as conn:
        rows = conn.execute(
            sa.text(
                "INSERT INTO transacoes (carteira_id, valor, tipo, status, descricao)"
                " SELECT w.id, 1, 'DEPOSITO_PIX', 'CONCLUIDA', repeat('d', s.n)"
                " FROM carteiras w, unnest(CAST(:sizes AS int[])) AS s(n) WHERE w.usuario_id = :u"
                " RETURNING id"
            ),
            {"u": user_id, "sizes": sizes},
        ).scalars()
        return {str(r) for r in rows}


def test_rows_of_very_different_sizes_fill_pages_within_the_bound(
    fresh_engine: sa.Engine, sync_client: TestClient, investor: Account
) -> None:
    # Short rows, then long ones, then short again: the size measured at the start of a page is
    # wrong for the rest of it, so chunks overflow the page and are cut.
    sizes = [5] * 300 + [900] * 60 + [5] * 300 + [3000] * 20 + [5] * 100
    made = _transactions_of_sizes(fresh_engine, investor.id, sizes)
    # One row larger than a whole page: it travels alone.
    (huge,) = _transactions_of_sizes(fresh_engine, investor.id, [MIN_PAGE_BYTES + 5000])
    replica = Replica()
    seen: list[str] = []
    while True:
        response = replica.pull(sync_client, investor, max_bytes=MIN_PAGE_BYTES)
        page = replica.pages[-1]
        rows = page.tables["transacoes"].upserts if "transacoes" in page.tables else []
        seen += [row[0] for row in rows]
        if huge in [row[0] for row in rows]:
            assert len(rows) == 1
        else:
            assert len(page_bytes(response)) <= MIN_PAGE_BYTES
        if not page.more:
            break
    assert sorted(seen) == sorted(made | {huge})
    # Pages are nearly full: the cut keeps every row that fits.
    assert len(replica.pages) <= 1.3 * sum(s + 250 for s in sizes) / MIN_PAGE_BYTES + 3


def test_snapshot_pages_are_built_ahead_for_their_user_only(
    fresh_engine: sa.Engine, sync_client: TestClient, investor: Account, redis_client: redis.Redis
) -> None:
    made = {str(t) for t in make_transactions(fresh_engine, investor.id, 800)}
    other = create_user(fresh_engine, Perfil.INVESTIDOR)
    open_session(redis_client, other)
    theirs = {str(t) for t in make_transactions(fresh_engine, other.id, 5)}
    prefetcher = sync_client.app.state.sync_prefetcher  # type: ignore[attr-defined]
    replica = Replica()
    replica.pull(sync_client, investor, max_bytes=MIN_PAGE_BYTES)
    assert replica.pages[-1].more and replica.cursor.startswith("S")
    # The page after this cursor is being built for the investor; the same cursor from someone
    # else gets their own rows, never the investor's.
    response = sync_client.get(
        "/v1/sync/pull",
        params={"cursor": replica.cursor, "max_bytes": MIN_PAGE_BYTES},
        headers=sync_headers(other),
    )
    assert response.status_code == 200
    page = PullPage.model_validate_json(page_bytes(response))
    assert {row[0] for t in page.tables.values() for row in t.upserts} <= theirs | {
        str(other.id),
        str(wallet_of(fresh_engine, other.id)),
    }
    hits = prefetcher.hits
    replica.pull_all(sync_client, investor, max_bytes=MIN_PAGE_BYTES)
    assert prefetcher.hits - hits >= len(replica.pages) // 2  # most pages came built ahead
    assert replica.ids("transacoes") == made
    assert same_rows(replica, full_pull(sync_client, investor))
