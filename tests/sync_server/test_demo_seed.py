"""The demo data set: seeded inside the test's rolled-back transaction (``db_conn``).

Queries are scoped to the demo rows (their ids are deterministic) and to the ledger events appended
after the seeding started, so rows other tests may have committed to the session database do not
matter.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from shared_models.bank import BANKS, normalize_account, normalize_agency
from shared_models.contact import normalize_email, normalize_mobile
from shared_models.cpf import format_cpf, is_valid_cpf
from shared_models.enums import Perfil, StatusCpr, StatusKyc, StatusParcela
from shared_models.ledger import check_no_personal_data
from shared_models.money import Money, convert, convert_to_brl
from sync_server.db import make_engine
from sync_server.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from sync_server.demo.seed import (
    COTACAO_BRL_POR_USDC,
    LIMITE_POR_TOMADOR_BRL,
    TABLE_ORDER,
    DemoSeedConflictError,
    SeedReport,
    build_dataset,
    seed_demo,
)
from sync_server.ledger.service import verify_chain

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
# Argon2id with tiny parameters: a valid hash that any PasswordHasher verifies, in microseconds.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
UUID_RE = re.compile(r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")
TABLES = [*TABLE_ORDER, "ledger_eventos"]
EXPECTED_PROFILES = {
    Perfil.AGRICULTOR: 7,
    Perfil.INVESTIDOR: 16,
    Perfil.AGENTE_CAMPO: 1,
    Perfil.ADMIN: 1,
}
SIGNUP_EVENTS = ("USUARIO_CADASTRADO", "AGENTE_CRIADO", "PRODUTOR_CADASTRADO")
OTHER_EVENT_KINDS = (
    "KYC_DECIDIDO",
    "DEPOSITO_PIX",
    "SAQUE_PIX",
    "CPR_SOLICITADA",
    "CPR_RISCO_AVALIADO",
    "CPR_STATUS_ALTERADO",
    "INVESTIMENTO_PRIMARIO",
    "PARCELA_PAGA",
    "PARCELA_ATRASADA",
    "OFERTA_SECUNDARIA_CRIADA",
)


@dataclass(frozen=True)
class Seeded:
    conn: sa.Connection
    report: SeedReport
    ids: dict[str, list[uuid.UUID]]  # the demo rows, per table
    ledger_after: int  # this seeding's events have larger ids

    def rows(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        """Run ``sql`` with ``:usuarios``, ``:cprs``, ... bound to the demo ids of each table."""
        return list(self.conn.execute(sa.text(sql), {**self.ids, **params}).all())

    def events(self, where: str = "TRUE") -> list[sa.Row[Any]]:
        return self.rows(
            f"SELECT * FROM ledger_eventos WHERE id > :after AND {where} ORDER BY id",
            after=self.ledger_after,
        )


@pytest.fixture
def seeded(db_conn: sa.Connection) -> Seeded:
    after = db_conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM ledger_eventos")).scalar()
    report = seed_demo(db_conn, now=NOW, password_hasher=FAST_HASHER)
    ids = {table: [row["id"] for row in rows] for table, rows in build_dataset(NOW).rows.items()}
    return Seeded(db_conn, report, ids, int(after or 0))


def _counts(conn: sa.Connection) -> dict[str, int]:
    return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


# ---- users ------------------------------------------------------------------------------------


def test_counts_per_profile(seeded: Seeded) -> None:
    rows = seeded.rows("SELECT perfil, count(*) FROM usuarios WHERE id = ANY(:usuarios) GROUP BY 1")
    assert {Perfil(p): n for p, n in rows} == EXPECTED_PROFILES
    assert set(EXPECTED_PROFILES) == set(Perfil)
    assert seeded.report.created == {t: len(ids) for t, ids in seeded.ids.items()}
    for table, ids in seeded.ids.items():
        (present,) = seeded.rows(f"SELECT count(*) FROM {table} WHERE id = ANY(:{table})")[0]
        assert present == len(ids) > 0, table
    assert len(seeded.events()) == seeded.report.ledger_events > 0


def test_cpfs_are_valid_unique_and_match_the_fiscal_region(seeded: Seeded) -> None:
    rows = seeded.rows("SELECT cpf, celular FROM usuarios WHERE id = ANY(:usuarios)")
    cpfs = [cpf for cpf, _ in rows]
    assert all(is_valid_cpf(cpf) for cpf in cpfs)
    assert len(set(cpfs)) == len(cpfs)
    region_of_ddd = {"66": "1", "64": "1", "43": "9", "77": "5", "11": "8", "51": "0", "85": "3"}
    for cpf, celular in rows:
        ddd = celular[3:5]
        if ddd in region_of_ddd:
            assert cpf[8] == region_of_ddd[ddd]


def test_contacts_and_passwords(seeded: Seeded) -> None:
    rows = seeded.rows(
        "SELECT email, celular, senha_hash, nome_completo FROM usuarios WHERE id = ANY(:usuarios)"
    )
    celulares = [row.celular for row in rows]
    assert len(set(celulares)) == len(celulares)
    for email, celular, senha_hash, nome in rows:
        assert re.fullmatch(r"[a-z.]+@example\.(com|org)", email), email
        assert normalize_email(email) == email
        assert normalize_mobile(celular) == celular
        assert len(celular) <= 15
        assert senha_hash.startswith("$argon2id$")
        assert len(nome.split()) >= 3
    verifier = PasswordHasher()
    assert all(verifier.verify(row.senha_hash, DEMO_PASSWORD) for row in rows)


def test_demo_accounts_exist_one_per_profile(seeded: Seeded) -> None:
    assert sorted(a.perfil for a in DEMO_ACCOUNTS) == sorted(Perfil)
    for account in DEMO_ACCOUNTS:
        (row,) = seeded.rows(
            "SELECT perfil, status_kyc, nome_completo FROM usuarios WHERE email = :e",
            e=account.email,
        )
        assert (row.perfil, row.status_kyc) == (account.perfil, StatusKyc.VERIFICADO)
        assert row.nome_completo == account.nome


def test_field_agent_onboarded_a_producer(seeded: Seeded) -> None:
    rows = seeded.rows(
        "SELECT p.perfil, a.perfil FROM usuarios p JOIN usuarios a ON a.id = p.agente_id"
        " WHERE p.id = ANY(:usuarios)"
    )
    assert [tuple(r) for r in rows] == [("AGRICULTOR", "AGENTE_CAMPO")]


def test_bank_accounts(seeded: Seeded) -> None:
    accounts = seeded.rows(
        "SELECT usuario_id, banco, agencia, conta, is_principal FROM contas_bancarias"
        " WHERE id = ANY(:contas_bancarias)"
    )
    for account in accounts:
        assert account.banco in BANKS
        assert normalize_agency(account.agencia) == account.agencia
        assert normalize_account(account.conta) == account.conta
    per_user: dict[uuid.UUID, list[bool]] = defaultdict(list)
    for account in accounts:
        per_user[account.usuario_id].append(account.is_principal)
    assert len(per_user) >= 15
    assert all(flags.count(True) == 1 for flags in per_user.values())
    assert any(len(flags) == 2 for flags in per_user.values())


# ---- wallets ----------------------------------------------------------------------------------


def test_wallet_balances_equal_their_concluded_transactions(seeded: Seeded) -> None:
    rows = seeded.rows(
        """
        SELECT c.id, c.saldo_usdc, c.saldo_bloqueado_usdc,
               coalesce(sum(t.valor) FILTER (WHERE t.status = 'CONCLUIDA'), 0) AS concluidas,
               coalesce(-sum(t.valor) FILTER (WHERE t.status = 'PENDENTE' AND t.valor < 0), 0)
                   AS saidas_pendentes
        FROM carteiras c LEFT JOIN transacoes t ON t.carteira_id = c.id
        WHERE c.id = ANY(:carteiras)
        GROUP BY c.id
        """
    )
    assert len(rows) == sum(EXPECTED_PROFILES.values())
    for row in rows:
        assert row.saldo_usdc == row.concluidas
        assert row.saldo_bloqueado_usdc == row.saidas_pendentes
        assert 0 <= row.saldo_bloqueado_usdc <= row.saldo_usdc
    assert sum(1 for r in rows if r.saldo_usdc > 0) >= 14
    assert any(r.saldo_bloqueado_usdc > 0 for r in rows)  # a pending withdrawal reserves money


def test_transactions_are_coherent(seeded: Seeded) -> None:
    by_type = dict(
        seeded.rows("SELECT tipo, count(*) FROM transacoes WHERE id = ANY(:transacoes) GROUP BY 1")
    )
    for tipo in ("DEPOSITO_PIX", "SAQUE_PIX", "INVESTIMENTO_PRIMARIO", "RECEBIMENTO_PARCELA"):
        assert by_type.get(tipo, 0) > 0, tipo
    wrong_sign = seeded.rows(
        "SELECT id FROM transacoes WHERE id = ANY(:transacoes)"
        " AND (tipo IN ('SAQUE_PIX', 'INVESTIMENTO_PRIMARIO')) <> (valor < 0)"
    )
    assert wrong_sign == []
    pix_without_e2e = seeded.rows(
        "SELECT id FROM transacoes WHERE id = ANY(:transacoes)"
        " AND tipo IN ('DEPOSITO_PIX', 'SAQUE_PIX')"
        " AND referencia_externa_id !~ '^E[0-9]{20}[A-Z0-9]{11}$'"
    )
    assert pix_without_e2e == []
    mismatched = seeded.rows(  # every purchase debits exactly the investment's price
        "SELECT t.id FROM transacoes t JOIN investimentos i ON i.id = t.referencia_id"
        " WHERE t.id = ANY(:transacoes) AND t.tipo = 'INVESTIMENTO_PRIMARIO'"
        " AND t.valor <> -(i.quantidade_cotas * i.valor_cota_compra)"
    )
    assert mismatched == []


# ---- CPRs -------------------------------------------------------------------------------------


def test_every_cpr_status_present(seeded: Seeded) -> None:
    statuses = seeded.rows("SELECT DISTINCT status FROM cprs WHERE id = ANY(:cprs)")
    assert {StatusCpr(s) for (s,) in statuses} == set(StatusCpr)


def test_cpr_terms_are_sensible_and_quotas_match_the_amount(seeded: Seeded) -> None:
    rows = seeded.rows(
        "SELECT c.*, u.perfil FROM cprs c JOIN usuarios u ON u.id = c.agricultor_id"
        " WHERE c.id = ANY(:cprs)"
    )
    for cpr in rows:
        assert cpr.perfil == "AGRICULTOR"
        assert Decimal(50_000) <= cpr.valor_solicitado <= Decimal(1_500_000)
        assert Decimal(12) <= cpr.taxa_juros_anual <= Decimal(24)
        usdc = convert(Money.brl(cpr.valor_solicitado), COTACAO_BRL_POR_USDC)
        assert Money.usdc(cpr.valor_por_cota_usdc) * cpr.total_cotas == usdc
        financed = cpr.status not in ("ANALISE", "CAPTAÇÃO")
        assert (cpr.data_emissao is not None) == financed
        assert (cpr.data_vencimento_final is not None) == financed
    by_rate = sorted((r.taxa_juros_anual, r.score_risco) for r in rows)
    assert [risk for _, risk in by_rate] == sorted(risk for _, risk in by_rate)  # riskier, dearer


def test_parcelas_follow_a_price_schedule(seeded: Seeded) -> None:
    cprs = {r.id: r for r in seeded.rows("SELECT * FROM cprs WHERE id = ANY(:cprs)")}
    parcelas: dict[uuid.UUID, list[sa.Row[Any]]] = defaultdict(list)
    for p in seeded.rows(
        "SELECT * FROM parcelas WHERE cpr_id = ANY(:cprs) ORDER BY cpr_id, numero_parcela"
    ):
        parcelas[p.cpr_id].append(p)
    financed = {i for i, c in cprs.items() if c.status not in ("ANALISE", "CAPTAÇÃO")}
    assert set(parcelas) == financed
    for cpr_id, plan in parcelas.items():
        cpr = cprs[cpr_id]
        assert [p.numero_parcela for p in plan] == list(range(1, cpr.prazo_meses + 1))
        assert sum(p.valor_principal for p in plan) == cpr.valor_solicitado
        assert plan[-1].data_vencimento == cpr.data_vencimento_final
        installments = {p.valor_principal + p.valor_juros for p in plan[:-1]}
        assert len(installments) <= 1  # Price: equal installments, the last absorbs the residue
        if installments:
            (regular,) = installments
            assert abs(plan[-1].valor_principal + plan[-1].valor_juros - regular) < Decimal("1")
        statuses = [StatusParcela(p.status) for p in plan]
        for p in plan:
            assert (p.status == "PAGA") == (p.data_pagamento is not None)
            if p.status == "ATRASADA":
                assert p.data_vencimento < NOW.date()
            if p.status == "PENDENTE" and cpr.status != "INADIMPLENTE":
                assert p.data_vencimento >= NOW.date()
        if cpr.status == "QUITADO":
            assert set(statuses) == {StatusParcela.PAGA}
        if cpr.status == "FINANCIADO":
            assert set(statuses) == {StatusParcela.PENDENTE}
        if cpr.status == "EM_PAGAMENTO":
            assert StatusParcela.PAGA in statuses
            assert StatusParcela.ATRASADA not in statuses
        if cpr.status == "INADIMPLENTE":
            assert StatusParcela.ATRASADA in statuses
            late = [p for p in plan if p.valor_multa_paga > 0]
            assert late
            for p in late:  # legal caps: 2% fine, 1% a month of late interest (pro rata die)
                base = p.valor_principal + p.valor_juros
                assert p.valor_multa_paga <= base * Decimal("0.02")
                days = (p.data_pagamento.date() - p.data_vencimento).days
                assert 0 < p.valor_juros_mora_pago <= base * Decimal("0.01") * days / 30


def test_investments_respect_quotas_and_the_per_borrower_cap(seeded: Seeded) -> None:
    rows = seeded.rows(
        """
        SELECT c.id, c.status, c.total_cotas,
               coalesce(sum(i.quantidade_cotas), 0) AS vendidas,
               bool_and(i.valor_cota_compra = c.valor_por_cota_usdc) AS mesmo_preco
        FROM cprs c LEFT JOIN investimentos i ON i.cpr_id = c.id
        WHERE c.id = ANY(:cprs)
        GROUP BY c.id
        """
    )
    for cpr in rows:
        assert cpr.vendidas <= cpr.total_cotas
        if cpr.status == "ANALISE":
            assert cpr.vendidas == 0
        elif cpr.status == "CAPTAÇÃO":
            assert 0 < cpr.vendidas < cpr.total_cotas
        else:
            assert cpr.vendidas == cpr.total_cotas
        assert cpr.mesmo_preco in (True, None)
    exposures = seeded.rows(
        """
        SELECT u.perfil, u.status_kyc, sum(i.quantidade_cotas * i.valor_cota_compra) AS usdc
        FROM investimentos i
        JOIN cprs c ON c.id = i.cpr_id
        JOIN usuarios u ON u.id = i.investidor_id
        WHERE i.id = ANY(:investimentos)
        GROUP BY i.investidor_id, c.agricultor_id, u.perfil, u.status_kyc
        """
    )
    for e in exposures:
        assert (e.perfil, e.status_kyc) == ("INVESTIDOR", "VERIFICADO")
        assert convert_to_brl(Money.usdc(e.usdc), COTACAO_BRL_POR_USDC) <= LIMITE_POR_TOMADOR_BRL
    offers = seeded.rows(
        "SELECT o.quantidade_cotas_a_venda, i.quantidade_cotas FROM ofertas_secundario o"
        " JOIN investimentos i ON i.id = o.investimento_id WHERE o.id = ANY(:ofertas_secundario)"
    )
    assert offers and all(offered <= held for offered, held in offers)


def test_paid_installments_are_passed_on_exactly(seeded: Seeded) -> None:
    events = seeded.events("tipo_evento = 'PARCELA_PAGA'")
    paid = seeded.rows("SELECT * FROM parcelas WHERE id = ANY(:parcelas) AND status = 'PAGA'")
    assert len(events) == len(paid) > 0
    by_parcela = {e.dados_evento["parcela_id"]: e.dados_evento for e in events}
    for p in paid:
        dados = by_parcela[str(p.id)]
        total_brl = Money.brl(
            p.valor_principal + p.valor_juros + p.valor_multa_paga + p.valor_juros_mora_pago
        )
        assert dados["valor_total_brl"] == total_brl.to_wire()
        gross = convert(total_brl, COTACAO_BRL_POR_USDC)
        fee = Money.usdc(dados["valor_taxa_usdc"])
        net = Money.usdc(dados["valor_repassado_usdc"])
        assert gross == fee + net
        ((received, count),) = seeded.rows(
            "SELECT sum(valor), count(*) FROM transacoes"
            " WHERE referencia_tipo = 'parcela' AND referencia_id = :p"
            " AND tipo = 'RECEBIMENTO_PARCELA' AND status = 'CONCLUIDA'",
            p=p.id,
        )
        ((holders,),) = seeded.rows(
            "SELECT count(*) FROM investimentos WHERE cpr_id = :c", c=p.cpr_id
        )
        assert Money.usdc(received) == net
        assert count == holders == len(dados["repasses"])


# ---- idempotency and the ledger ---------------------------------------------------------------


def test_seeding_twice_adds_nothing(seeded: Seeded) -> None:
    conn = seeded.conn
    before = _counts(conn)
    balances = seeded.rows(
        "SELECT id, saldo_usdc, saldo_bloqueado_usdc FROM carteiras WHERE id = ANY(:carteiras)"
    )
    head = conn.execute(sa.text("SELECT max(id) FROM ledger_eventos")).scalar_one()

    again = seed_demo(conn, now=datetime(2027, 3, 1, tzinfo=UTC), password_hasher=FAST_HASHER)

    assert _counts(conn) == before
    assert sorted(balances) == sorted(
        seeded.rows(
            "SELECT id, saldo_usdc, saldo_bloqueado_usdc FROM carteiras WHERE id = ANY(:carteiras)"
        )
    )
    assert conn.execute(sa.text("SELECT max(id) FROM ledger_eventos")).scalar_one() == head
    assert again.ledger_events == 0
    assert not any(again.created.values())
    assert not again.created_anything
    assert "nada foi criado" in again.summary()


def test_no_ledger_event_contains_personal_data(seeded: Seeded) -> None:
    personal: list[str] = []
    for u in seeded.rows(
        "SELECT nome_completo, email, cpf, celular FROM usuarios WHERE id = ANY(:usuarios)"
    ):
        personal += [u.nome_completo, u.email, u.cpf, format_cpf(u.cpf), u.celular, u.celular[3:]]
        personal += [part for part in u.nome_completo.split() if len(part) > 3]
    for b in seeded.rows(
        "SELECT agencia, conta FROM contas_bancarias WHERE id = ANY(:contas_bancarias)"
    ):
        personal += [b.conta, *([b.agencia] if "-" in b.agencia else [])]
    events = seeded.events()
    assert len(events) == seeded.report.ledger_events
    for e in events:
        check_no_personal_data(e.dados_evento)  # the ledger's own guard agrees
        text = json.dumps(e.dados_evento, ensure_ascii=False) + e.tipo_evento + str(e.ator_tipo)
        text = UUID_RE.sub("<id>", text)  # the digits of an agency can turn up inside a UUID
        leaked = [value for value in personal if value in text]
        assert leaked == [], (e.tipo_evento, leaked)
        assert e.dados_evento["origem"] == "demo"
        for key, value in e.dados_evento.items():
            if key.endswith(("_brl", "_usdc")):
                assert isinstance(value, str) and re.fullmatch(r"-?[0-9]+\.[0-9]+", value), key


def test_ledger_events_cover_the_critical_facts(seeded: Seeded) -> None:
    kinds: dict[str, int] = defaultdict(int)
    for e in seeded.events():
        kinds[e.tipo_evento] += 1
    assert sum(kinds[k] for k in SIGNUP_EVENTS) == len(seeded.ids["usuarios"])
    assert kinds["INVESTIMENTO_PRIMARIO"] == len(seeded.ids["investimentos"])
    assert kinds["CPR_SOLICITADA"] == kinds["CPR_RISCO_AVALIADO"] == len(seeded.ids["cprs"])
    for kind in (*SIGNUP_EVENTS, *OTHER_EVENT_KINDS):
        assert kinds[kind] > 0, kind
    final_status = {
        e.dados_evento["cpr_id"]: e.dados_evento["status_novo"]
        for e in seeded.events("tipo_evento = 'CPR_STATUS_ALTERADO'")
    }
    for cpr in seeded.rows("SELECT id, status FROM cprs WHERE id = ANY(:cprs)"):
        assert final_status.get(str(cpr.id), "ANALISE") == cpr.status
    users = {str(i) for i in seeded.ids["usuarios"]}
    assert all(e.ator_id is None or str(e.ator_id) in users for e in seeded.events())
    assert verify_chain(seeded.conn).ok


def test_conflicting_demo_email_is_refused(db_conn: sa.Connection) -> None:
    db_conn.execute(
        sa.text(
            "INSERT INTO usuarios (nome_completo, email, senha_hash, cpf, celular, perfil)"
            " VALUES ('Outra Pessoa', 'admin@example.com', 'x', '52998224725',"
            " '+5511999999999', 'ADMIN')"
        )
    )
    with pytest.raises(DemoSeedConflictError):
        seed_demo(db_conn, now=NOW, password_hasher=FAST_HASHER)


def test_committed_seed_is_idempotent_across_transactions(fresh_db_url: str) -> None:
    """Committed in one transaction, run again in another (with the real clock)."""
    engine = make_engine(fresh_db_url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            first = seed_demo(conn, password_hasher=FAST_HASHER)
        with engine.begin() as conn:
            before = _counts(conn)
            second = seed_demo(conn, password_hasher=FAST_HASHER)
            assert _counts(conn) == before
            assert verify_chain(conn).ok
    finally:
        engine.dispose()
    assert first.created_anything
    assert first.ledger_events == before["ledger_eventos"]
    assert not second.created_anything
    summary = first.summary()
    assert DEMO_PASSWORD in summary
    assert all(a.email in summary for a in DEMO_ACCOUNTS)
    payload = json.dumps(first.as_log_payload())
    assert DEMO_PASSWORD not in payload
    assert "@" not in payload


# ---- the pure parts ---------------------------------------------------------------------------


def test_dataset_is_deterministic() -> None:
    first = build_dataset(NOW)
    second = build_dataset(NOW)
    assert first.rows == second.rows
    assert [e.dados for e in first.events] == [e.dados for e in second.events]
    later = build_dataset(datetime(2027, 6, 1, tzinfo=UTC))
    ids = {t: [r["id"] for r in rows] for t, rows in first.rows.items()}
    assert ids == {t: [r["id"] for r in rows] for t, rows in later.rows.items()}
    assert [u["cpf"] for u in first.rows["usuarios"]] == [u["cpf"] for u in later.rows["usuarios"]]


def test_events_are_in_simulated_chronological_order() -> None:
    events = build_dataset(NOW).events
    assert [e.when for e in events] == sorted(e.when for e in events)
    assert all(e.when <= NOW for e in events)


def test_seed_refuses_naive_now(db_conn: sa.Connection) -> None:
    with pytest.raises(ValueError, match="timezone"):
        seed_demo(db_conn, now=datetime(2026, 1, 1), password_hasher=FAST_HASHER)
