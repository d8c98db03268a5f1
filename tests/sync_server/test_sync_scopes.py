"""Scopes: each role pulls exactly its rows, masked, and is told when a row leaves its scope."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shared_models.enums import Perfil
from sync_server.db import make_engine
from tests.sync_server.auth_support import Account, create_user, open_session
from tests.sync_server.sync_support import (
    Replica,
    app_client,
    full_pull,
    make_bank_account,
    make_cpr,
    make_document,
    make_investment,
    make_notification,
    make_offer,
    make_parcela,
    make_transactions,
    same_rows,
    set_cpr_status,
    set_kyc,
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


@dataclass
class World:
    agent: Account
    farmer: Account  # onboarded by ``agent``
    farmer2: Account  # onboarded by nobody
    investor: Account
    investor2: Account
    admin: Account
    rows: dict[str, uuid.UUID]

    @property
    def everyone(self) -> list[Account]:
        return [self.agent, self.farmer, self.farmer2, self.investor, self.investor2, self.admin]


def build_world(engine: sa.Engine, client_redis: redis.Redis) -> World:
    agent = create_user(engine, Perfil.AGENTE_CAMPO)
    farmer = create_user(engine, Perfil.AGRICULTOR, agente_id=agent.id)
    farmer2 = create_user(engine, Perfil.AGRICULTOR)
    investor = create_user(engine, Perfil.INVESTIDOR)
    investor2 = create_user(engine, Perfil.INVESTIDOR)
    admin = create_user(engine, Perfil.ADMIN)
    world = World(agent, farmer, farmer2, investor, investor2, admin, {})
    for account in world.everyone:
        open_session(client_redis, account)
        set_kyc(engine, account.id, "VERIFICADO")
        make_transactions(engine, account.id, 3)
        make_bank_account(engine, account.id)
        make_notification(engine, account.id, tipo="boas_vindas")
        make_notification(engine, account.id, tipo="otp")
    set_kyc(engine, farmer.id, "PENDENTE")  # in the admins' KYC queue
    r = world.rows
    r["cpr_open"] = make_cpr(engine, farmer.id, status="CAPTAÇÃO")
    r["cpr_analysis"] = make_cpr(engine, farmer2.id, status="ANALISE")
    r["cpr_funded"] = make_cpr(engine, farmer2.id, status="FINANCIADO")
    r["inv_open"] = make_investment(engine, investor.id, r["cpr_open"], cotas=10)
    r["inv_funded"] = make_investment(engine, investor.id, r["cpr_funded"], cotas=7)
    r["inv2_open"] = make_investment(engine, investor2.id, r["cpr_open"], cotas=3)
    r["parcela_funded"] = make_parcela(engine, r["cpr_funded"], 1)
    r["offer_open"] = make_offer(engine, r["inv2_open"])
    r["offer_cancelled"] = make_offer(engine, r["inv_funded"], status="CANCELADA")
    r["doc_farmer"] = make_document(engine, farmer.id)
    r["doc_farmer2"] = make_document(engine, farmer2.id)
    return world


def _wallets(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {
            str(w): str(u) for w, u in conn.execute(sa.text("SELECT id, usuario_id FROM carteiras"))
        }


def _assert_only_own_rows(engine: sa.Engine, account: Account, replica: Replica) -> None:
    """No row of another user ever arrives (public marketplace rows aside)."""
    me = str(account.id)
    wallets = _wallets(engine)
    with engine.connect() as conn:
        my_cprs = {
            str(c)
            for c in conn.execute(
                sa.text(
                    "SELECT id FROM cprs WHERE agricultor_id = :u UNION"
                    " SELECT cpr_id FROM investimentos WHERE investidor_id = :u"
                ),
                {"u": account.id},
            ).scalars()
        }
        farmer_cprs = {
            str(c)
            for c in conn.execute(
                sa.text("SELECT id FROM cprs WHERE agricultor_id = :u"), {"u": account.id}
            ).scalars()
        }
        my_producers = {
            str(u)
            for u in conn.execute(
                sa.text("SELECT id FROM usuarios WHERE agente_id = :u"), {"u": account.id}
            ).scalars()
        }
    for row in replica.tables.get("usuarios", {}).values():
        assert "senha_hash" not in row
        allowed = row["id"] == me or (
            account.perfil is Perfil.AGENTE_CAMPO and row["id"] in my_producers
        )
        allowed = allowed or (
            account.perfil is Perfil.ADMIN and row["status_kyc"] in ("PENDENTE", "ANALISE_MANUAL")
        )
        assert allowed, row
    for row in replica.tables.get("carteiras", {}).values():
        assert row["usuario_id"] == me
    for row in replica.tables.get("transacoes", {}).values():
        assert wallets[row["carteira_id"]] == me
    for row in replica.tables.get("contas_bancarias", {}).values():
        assert row["usuario_id"] == me
        assert row["conta"].startswith("*") and row["agencia"].startswith("*")
    for row in replica.tables.get("cprs", {}).values():
        assert row["id"] in my_cprs or row["status"] == "CAPTAÇÃO", row
    for row in replica.tables.get("parcelas", {}).values():
        assert row["cpr_id"] in farmer_cprs
    for row in replica.tables.get("investimentos", {}).values():
        assert row["investidor_id"] == me
    for row in replica.tables.get("ofertas_secundario", {}).values():
        assert row["status"] == "ABERTA" or row["propria"]
        assert row["investimento_id"] is None or row["propria"]
    for row in replica.tables.get("notificacoes", {}).values():
        assert row["usuario_id"] == me
        assert row["tipo"] not in ("otp", "ativacao_conta")
    for row in replica.tables.get("documentos_kyc", {}).values():
        assert row["usuario_id"] == me or row["usuario_id"] in my_producers
        assert set(row) == {
            "id",
            "usuario_id",
            "tipo",
            "mime",
            "tamanho_bytes",
            "data_criacao",
            "excluido_em",
        }


def test_each_role_pulls_exactly_its_scope(
    fresh_engine: sa.Engine, sync_client: TestClient, redis_client: redis.Redis
) -> None:
    world = build_world(fresh_engine, redis_client)
    r = {k: str(v) for k, v in world.rows.items()}
    replicas = {a.id: full_pull(sync_client, a) for a in world.everyone}
    for account in world.everyone:
        _assert_only_own_rows(fresh_engine, account, replicas[account.id])

    farmer = replicas[world.farmer.id]
    assert farmer.ids("usuarios") == {str(world.farmer.id)}
    assert farmer.ids("cprs") == {r["cpr_open"]}
    assert farmer.ids("parcelas") == set()
    assert len(farmer.ids("transacoes")) == 3
    assert farmer.ids("ofertas_secundario") == {r["offer_open"]}
    assert farmer.ids("documentos_kyc") == {r["doc_farmer"]}
    me = farmer.row("usuarios", world.farmer.id)
    assert me["cpf"] == f"{world.farmer.cpf[:3]}.***.***-{world.farmer.cpf[9:]}"
    assert me["ativado"] is True

    farmer2 = replicas[world.farmer2.id]
    assert farmer2.ids("cprs") == {r["cpr_open"], r["cpr_analysis"], r["cpr_funded"]}
    assert farmer2.ids("parcelas") == {r["parcela_funded"]}

    investor = replicas[world.investor.id]
    assert investor.ids("cprs") == {r["cpr_open"], r["cpr_funded"]}
    assert investor.ids("investimentos") == {r["inv_open"], r["inv_funded"]}
    assert investor.ids("ofertas_secundario") == {r["offer_open"], r["offer_cancelled"]}
    public_offer = investor.row("ofertas_secundario", r["offer_open"])
    assert public_offer["investimento_id"] is None
    assert public_offer["propria"] is False
    assert public_offer["cpr_id"] == r["cpr_open"]
    assert investor.row("cprs", r["cpr_open"])["cotas_disponiveis"] == 100 - 10 - 3
    assert investor.row("cprs", r["cpr_open"])["valor_por_cota_usdc"] == "20.00000000"

    investor2 = replicas[world.investor2.id]
    assert investor2.row("ofertas_secundario", r["offer_open"])["propria"] is True
    assert investor2.ids("cprs") == {r["cpr_open"]}

    agent = replicas[world.agent.id]
    assert agent.ids("usuarios") == {str(world.agent.id), str(world.farmer.id)}
    assert agent.ids("documentos_kyc") == {r["doc_farmer"]}
    assert not agent.ids("transacoes") & farmer.ids("transacoes")  # a producer's money: no

    admin = replicas[world.admin.id]
    assert admin.ids("usuarios") == {str(world.admin.id), str(world.farmer.id)}
    assert len(admin.ids("notificacoes")) == 1


def test_incremental_changes_give_the_same_replica_as_a_fresh_pull(
    fresh_engine: sa.Engine, sync_client: TestClient, redis_client: redis.Redis
) -> None:
    # Everyone syncs an empty world first, then every row arrives through the change log.
    accounts = {
        p: create_user(fresh_engine, p)
        for p in (Perfil.AGENTE_CAMPO, Perfil.INVESTIDOR, Perfil.ADMIN)
    }
    for account in accounts.values():
        open_session(redis_client, account)
    replicas = {a.id: full_pull(sync_client, a) for a in accounts.values()}
    agent = accounts[Perfil.AGENTE_CAMPO]
    investor = accounts[Perfil.INVESTIDOR]
    producer = create_user(fresh_engine, Perfil.AGRICULTOR, agente_id=agent.id)
    open_session(redis_client, producer)
    make_document(fresh_engine, producer.id)
    cpr = make_cpr(fresh_engine, producer.id)
    inv = make_investment(fresh_engine, investor.id, cpr)
    make_parcela(fresh_engine, cpr)
    make_offer(fresh_engine, inv)
    make_transactions(fresh_engine, investor.id, 4)
    make_bank_account(fresh_engine, investor.id)
    set_cpr_status(fresh_engine, cpr, "FINANCIADO")
    everyone = [*accounts.values(), producer]
    replicas[producer.id] = Replica()
    for account in everyone:
        replicas[account.id].pull_all(sync_client, account, max_bytes=16 * 1024)
        fresh = full_pull(sync_client, account)
        assert same_rows(replicas[account.id], fresh), account.perfil
        _assert_only_own_rows(fresh_engine, account, fresh)
    assert str(cpr) in replicas[investor.id].ids("cprs")
    assert replicas[agent.id].ids("usuarios") == {str(agent.id), str(producer.id)}


def test_rows_leaving_a_scope_are_removed(
    fresh_engine: sa.Engine, sync_client: TestClient, redis_client: redis.Redis
) -> None:
    world = build_world(fresh_engine, redis_client)
    r = world.rows
    replicas = {a.id: full_pull(sync_client, a) for a in world.everyone}
    outsider = world.investor2  # sees cpr_open through the marketplace and an investment
    bystander = world.farmer2  # sees cpr_open through the marketplace only
    assert str(r["cpr_open"]) in replicas[bystander.id].ids("cprs")

    set_cpr_status(fresh_engine, r["cpr_open"], "FINANCIADO")  # leaves the marketplace
    with fresh_engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE ofertas_secundario SET status = 'VENDIDA' WHERE id = :o"),
            {"o": r["offer_open"]},
        )
    set_kyc(fresh_engine, world.farmer.id, "VERIFICADO")  # leaves the admins' queue
    for account in world.everyone:
        replicas[account.id].pull_all(sync_client, account)

    cpr = str(r["cpr_open"])
    assert cpr not in replicas[bystander.id].ids("cprs")
    assert replicas[world.farmer.id].row("cprs", cpr)["status"] == "FINANCIADO"
    assert replicas[world.investor.id].row("cprs", cpr)["status"] == "FINANCIADO"
    assert cpr in replicas[outsider.id].ids("cprs")
    offer = str(r["offer_open"])
    assert offer not in replicas[world.investor.id].ids("ofertas_secundario")
    assert replicas[outsider.id].row("ofertas_secundario", offer)["status"] == "VENDIDA"
    assert str(world.farmer.id) not in replicas[world.admin.id].ids("usuarios")
    for account in world.everyone:
        assert same_rows(replicas[account.id], full_pull(sync_client, account))


def test_an_investment_brings_its_cpr_to_the_investor(
    fresh_engine: sa.Engine, sync_client: TestClient, redis_client: redis.Redis
) -> None:
    farmer = create_user(fresh_engine, Perfil.AGRICULTOR)
    investor = create_user(fresh_engine, Perfil.INVESTIDOR)
    other = create_user(fresh_engine, Perfil.INVESTIDOR)
    for account in (investor, other):
        open_session(redis_client, account)
    cpr = make_cpr(fresh_engine, farmer.id, status="FINANCIADO")  # not in the marketplace
    replica = full_pull(sync_client, investor)
    assert str(cpr) not in replica.ids("cprs")
    make_investment(fresh_engine, investor.id, cpr)
    replica.pull_all(sync_client, investor)
    assert str(cpr) in replica.ids("cprs")
    assert str(cpr) not in full_pull(sync_client, other).ids("cprs")
