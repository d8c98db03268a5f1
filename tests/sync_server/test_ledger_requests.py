"""Ledger appends in the request transaction: group commit, then durability before the answer."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sync_server.ledger import (
    GROUP_COMMIT_OPTION,
    append_event,
    owes_durability,
    verify_chain,
    wait_durable,
)
from sync_server.ledger import sessions as ledger_sessions
from tests.sync_server.auth_support import login, signup


@pytest.fixture
def barriers(monkeypatch: pytest.MonkeyPatch) -> list[sa.Connection]:
    """Records each durability barrier the request dependency runs (the real one still runs)."""
    calls: list[sa.Connection] = []

    def recording(conn: sa.Connection) -> None:
        calls.append(conn)
        wait_durable(conn)

    monkeypatch.setattr(ledger_sessions, "wait_durable", recording)
    return calls


def test_a_request_that_appends_waits_for_durability_before_answering(
    client: TestClient, barriers: list[sa.Connection], app: Any
) -> None:
    account = signup(client)  # signup appends a ledger event in the request transaction
    assert len(barriers) == 1
    engine = app.state.services.engine
    with engine.connect() as conn:
        types = conn.execute(
            sa.text("SELECT tipo_evento FROM ledger_eventos WHERE ator_id = :id"),
            {"id": account.id},
        ).scalars()
        assert list(types)
        assert verify_chain(conn).ok


def test_a_request_that_does_not_append_owes_nothing(
    client: TestClient, barriers: list[sa.Connection]
) -> None:
    account = signup(client)
    barriers.clear()
    token = login(client, account)
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert barriers == []


def test_the_option_makes_group_commit_the_default_and_leaves_a_debt(
    fresh_db_url: str,
) -> None:
    from sync_server.db import make_engine

    engine = make_engine(fresh_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as plain:
            with plain.begin():
                append_event(plain, tipo_evento="SINCRONO", dados_evento={})
                assert plain.execute(sa.text("SHOW synchronous_commit")).scalar_one() == "on"
            assert not owes_durability(plain)
        with engine.connect() as raw:
            conn = raw.execution_options(**{GROUP_COMMIT_OPTION: True})
            with conn.begin():
                append_event(conn, tipo_evento="AGRUPADO", dados_evento={})
                assert conn.execute(sa.text("SHOW synchronous_commit")).scalar_one() == "off"
            assert owes_durability(conn)
            assert not owes_durability(conn)  # read once
            with conn.begin():  # an explicit False wins over the option, and owes nothing
                append_event(conn, tipo_evento="EXPLICITO", dados_evento={}, group_commit=False)
            assert not owes_durability(conn)
            with conn.begin():
                append_event(conn, tipo_evento="PAGO", dados_evento={})
            wait_durable(conn)  # settling clears the debt
            assert not owes_durability(conn)
            assert verify_chain(conn).count == 4
            conn.rollback()
    finally:
        engine.dispose()
