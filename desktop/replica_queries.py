"""Read-only queries of the local replica for the windows. Plain Python and ``sqlite3``, no Qt.

The UI runs these on a pool thread (``desktop.qt.BackgroundOp``), each call on its own
connection with ``PRAGMA query_only``: the sync worker owns every write, and WAL lets these
reads run while it applies a page.

Replicated tables are created on demand from what the server sent (``desktop.replica``), so a
table or a column may be missing locally (nothing of that kind synced yet, an older server):
every query checks ``replica_tables`` first and yields nothing, or NULL for a missing column,
instead of failing. Lists are bounded (``limit``) so no query grows with a large scope.
"""

# SQL here is assembled from constants of this module and column names checked against
# ``replica_tables`` only; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

from shared_models.cpf import InvalidCpfError, mask_cpf

DEFAULT_LIMIT: Final = 500
REGISTRAR: Final = "produtor.registrar"


def _dec(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _ts(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _bool(value: object) -> bool | None:
    if value is None:
        return None
    return value in (1, True, "1", "true")


class ReplicaReader:
    """Read connections to one replica file (one per call; safe from any thread)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            conn.execute("PRAGMA query_only = ON")
            conn.execute("PRAGMA busy_timeout = 10000")
            yield conn
        finally:
            conn.close()


class _Schema:
    """The local tables and their columns (from ``replica_tables``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.tables: dict[str, set[str]] = {}
        for name, columns in conn.execute("SELECT name, columns FROM replica_tables"):
            self.tables[str(name)] = set(json.loads(columns))

    def has(self, table: str) -> bool:
        return table in self.tables

    def col(self, alias: str, table: str, column: str) -> str:
        """``alias.column``, or ``NULL`` when the local table lacks that column."""
        if column in self.tables.get(table, ()):
            return f'{alias}."{column}"'
        return "NULL"

    def cols(self, alias: str, table: str, columns: Iterable[str]) -> str:
        return ", ".join(f'{self.col(alias, table, c)} AS "{c}"' for c in columns)


def _rows(conn: sqlite3.Connection, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = conn.execute(sql, tuple(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# -- the user -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    user_id: str
    nome_completo: str | None
    email: str | None
    perfil: str | None
    status_kyc: str | None


def profile(conn: sqlite3.Connection, user_id: uuid.UUID | str) -> Profile | None:
    schema = _Schema(conn)
    if not schema.has("usuarios"):
        return None
    columns = ("id", "nome_completo", "email", "perfil", "status_kyc")
    found = _rows(
        conn,
        f"SELECT {schema.cols('u', 'usuarios', columns)} FROM usuarios u WHERE u.id = ?",
        (str(user_id),),
    )
    if not found:
        return None
    r = found[0]
    return Profile(r["id"], r["nome_completo"], r["email"], r["perfil"], r["status_kyc"])


@dataclass(frozen=True)
class Wallet:
    id: str
    saldo_usdc: Decimal | None
    saldo_bloqueado_usdc: Decimal | None
    data_atualizacao: datetime | None

    @property
    def disponivel_usdc(self) -> Decimal | None:
        if self.saldo_usdc is None:
            return None
        return self.saldo_usdc - (self.saldo_bloqueado_usdc or Decimal(0))


def wallet(conn: sqlite3.Connection, user_id: uuid.UUID | str) -> Wallet | None:
    schema = _Schema(conn)
    if not schema.has("carteiras"):
        return None
    columns = ("id", "saldo_usdc", "saldo_bloqueado_usdc", "data_atualizacao")
    found = _rows(
        conn,
        f"SELECT {schema.cols('w', 'carteiras', columns)} FROM carteiras w"
        f" WHERE {schema.col('w', 'carteiras', 'usuario_id')} = ?",
        (str(user_id),),
    )
    if not found:
        return None
    r = found[0]
    return Wallet(
        r["id"], _dec(r["saldo_usdc"]), _dec(r["saldo_bloqueado_usdc"]), _ts(r["data_atualizacao"])
    )


@dataclass(frozen=True)
class Transaction:
    id: str
    valor_usdc: Decimal | None
    tipo: str | None
    status: str | None
    descricao: str | None
    data_transacao: datetime | None


@dataclass(frozen=True)
class Page:
    """Up to ``limit`` rows of a list, and how many there are in all."""

    rows: list[Any]
    total: int


def transactions(
    conn: sqlite3.Connection, user_id: uuid.UUID | str, *, limit: int = DEFAULT_LIMIT
) -> Page:
    """The user's wallet movements, newest first."""
    schema = _Schema(conn)
    if not (schema.has("transacoes") and schema.has("carteiras")):
        return Page([], 0)
    where = (
        f"{schema.col('t', 'transacoes', 'carteira_id')} IN (SELECT w.id FROM carteiras w"
        f" WHERE {schema.col('w', 'carteiras', 'usuario_id')} = ?)"
    )
    total = conn.execute(f"SELECT COUNT(*) FROM transacoes t WHERE {where}", (str(user_id),))
    count = int(total.fetchone()[0])
    columns = ("id", "valor", "tipo", "status", "descricao", "data_transacao")
    found = _rows(
        conn,
        f"SELECT {schema.cols('t', 'transacoes', columns)} FROM transacoes t WHERE {where}"
        f" ORDER BY {schema.col('t', 'transacoes', 'data_transacao')} DESC, t.id DESC LIMIT ?",
        (str(user_id), limit),
    )
    return Page(
        [
            Transaction(
                r["id"],
                _dec(r["valor"]),
                r["tipo"],
                r["status"],
                r["descricao"],
                _ts(r["data_transacao"]),
            )
            for r in found
        ],
        count,
    )


@dataclass(frozen=True)
class BankAccount:
    id: str
    banco: str | None
    agencia: str | None
    conta: str | None
    tipo_conta: str | None
    status: str | None
    is_principal: bool | None


def bank_accounts(conn: sqlite3.Connection, user_id: uuid.UUID | str) -> list[BankAccount]:
    schema = _Schema(conn)
    if not schema.has("contas_bancarias"):
        return []
    columns = ("id", "banco", "agencia", "conta", "tipo_conta", "status", "is_principal")
    found = _rows(
        conn,
        f"SELECT {schema.cols('b', 'contas_bancarias', columns)} FROM contas_bancarias b"
        f" WHERE {schema.col('b', 'contas_bancarias', 'usuario_id')} = ?"
        f" ORDER BY {schema.col('b', 'contas_bancarias', 'is_principal')} DESC, b.id",
        (str(user_id),),
    )
    return [
        BankAccount(
            r["id"],
            r["banco"],
            r["agencia"],
            r["conta"],
            r["tipo_conta"],
            r["status"],
            _bool(r["is_principal"]),
        )
        for r in found
    ]


# -- CPRs and installments ------------------------------------------------------------------

_CPR_COLUMNS: Final = (
    "id",
    "agricultor_id",
    "valor_solicitado",
    "taxa_juros_anual",
    "prazo_meses",
    "status",
    "score_risco",
    "total_cotas",
    "cotas_disponiveis",
    "valor_por_cota_usdc",
    "data_emissao",
    "data_vencimento_final",
    "data_criacao",
)


@dataclass(frozen=True)
class Cpr:
    id: str
    valor_solicitado_brl: Decimal | None
    taxa_juros_anual: Decimal | None
    prazo_meses: int | None
    status: str | None
    score_risco: str | None
    total_cotas: int | None
    cotas_disponiveis: int | None
    valor_por_cota_usdc: Decimal | None
    data_emissao: str | None
    data_vencimento_final: str | None
    data_criacao: datetime | None
    parcelas_pagas: int = 0
    parcelas_total: int = 0

    @property
    def cotas_vendidas(self) -> int | None:
        if self.total_cotas is None or self.cotas_disponiveis is None:
            return None
        return self.total_cotas - self.cotas_disponiveis


def _cpr(r: dict[str, Any]) -> Cpr:
    return Cpr(
        id=r["id"],
        valor_solicitado_brl=_dec(r["valor_solicitado"]),
        taxa_juros_anual=_dec(r["taxa_juros_anual"]),
        prazo_meses=r["prazo_meses"],
        status=r["status"],
        score_risco=r["score_risco"],
        total_cotas=r["total_cotas"],
        cotas_disponiveis=r["cotas_disponiveis"],
        valor_por_cota_usdc=_dec(r["valor_por_cota_usdc"]),
        data_emissao=r["data_emissao"],
        data_vencimento_final=r["data_vencimento_final"],
        data_criacao=_ts(r["data_criacao"]),
        parcelas_pagas=int(r.get("parcelas_pagas") or 0),
        parcelas_total=int(r.get("parcelas_total") or 0),
    )


def my_cprs(conn: sqlite3.Connection, user_id: uuid.UUID | str) -> list[Cpr]:
    """The farmer's own CPRs (newest first), with paid/total installments."""
    schema = _Schema(conn)
    if not schema.has("cprs"):
        return []
    counts = "0 AS parcelas_pagas, 0 AS parcelas_total"
    if schema.has("parcelas"):
        status = schema.col("p", "parcelas", "status")
        cpr_id = schema.col("p", "parcelas", "cpr_id")
        counts = (
            f"(SELECT COUNT(*) FROM parcelas p WHERE {cpr_id} = c.id AND {status} = 'PAGA')"
            f" AS parcelas_pagas,"
            f" (SELECT COUNT(*) FROM parcelas p WHERE {cpr_id} = c.id) AS parcelas_total"
        )
    found = _rows(
        conn,
        f"SELECT {schema.cols('c', 'cprs', _CPR_COLUMNS)}, {counts} FROM cprs c"
        f" WHERE {schema.col('c', 'cprs', 'agricultor_id')} = ?"
        f" ORDER BY {schema.col('c', 'cprs', 'data_criacao')} DESC, c.id",
        (str(user_id),),
    )
    return [_cpr(r) for r in found]


def marketplace(
    conn: sqlite3.Connection,
    *,
    exclude_farmer: uuid.UUID | str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[Cpr]:
    """CPRs open for investment (status CAPTAÇÃO), lower risk first."""
    schema = _Schema(conn)
    if not schema.has("cprs"):
        return []
    found = _rows(
        conn,
        f"SELECT {schema.cols('c', 'cprs', _CPR_COLUMNS)} FROM cprs c"
        f" WHERE {schema.col('c', 'cprs', 'status')} = 'CAPTAÇÃO'"
        f" AND coalesce({schema.col('c', 'cprs', 'agricultor_id')}, '') <> ?"
        f" ORDER BY {schema.col('c', 'cprs', 'score_risco')},"
        f" {schema.col('c', 'cprs', 'data_criacao')} DESC LIMIT ?",
        (str(exclude_farmer or ""), limit),
    )
    return [_cpr(r) for r in found]


@dataclass(frozen=True)
class Installment:
    id: str
    cpr_id: str | None
    numero: int | None
    principal_brl: Decimal | None
    juros_brl: Decimal | None
    data_vencimento: str | None
    status: str | None
    multa_paga_brl: Decimal | None
    juros_mora_pago_brl: Decimal | None
    data_pagamento: datetime | None

    @property
    def total_brl(self) -> Decimal | None:
        if self.principal_brl is None or self.juros_brl is None:
            return None
        return self.principal_brl + self.juros_brl


def installments(conn: sqlite3.Connection, user_id: uuid.UUID | str) -> list[Installment]:
    """Installments of the farmer's CPRs, by due date."""
    schema = _Schema(conn)
    if not (schema.has("parcelas") and schema.has("cprs")):
        return []
    columns = (
        "id",
        "cpr_id",
        "numero_parcela",
        "valor_principal",
        "valor_juros",
        "data_vencimento",
        "status",
        "valor_multa_paga",
        "valor_juros_mora_pago",
        "data_pagamento",
    )
    found = _rows(
        conn,
        f"SELECT {schema.cols('p', 'parcelas', columns)} FROM parcelas p"
        f" WHERE {schema.col('p', 'parcelas', 'cpr_id')} IN (SELECT c.id FROM cprs c"
        f" WHERE {schema.col('c', 'cprs', 'agricultor_id')} = ?)"
        f" ORDER BY {schema.col('p', 'parcelas', 'data_vencimento')},"
        f" {schema.col('p', 'parcelas', 'numero_parcela')}",
        (str(user_id),),
    )
    return [
        Installment(
            id=r["id"],
            cpr_id=r["cpr_id"],
            numero=r["numero_parcela"],
            principal_brl=_dec(r["valor_principal"]),
            juros_brl=_dec(r["valor_juros"]),
            data_vencimento=r["data_vencimento"],
            status=r["status"],
            multa_paga_brl=_dec(r["valor_multa_paga"]),
            juros_mora_pago_brl=_dec(r["valor_juros_mora_pago"]),
            data_pagamento=_ts(r["data_pagamento"]),
        )
        for r in found
    ]


# -- investor -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Investment:
    id: str
    cpr_id: str | None
    quantidade_cotas: int | None
    valor_cota_compra_usdc: Decimal | None
    status: str | None
    data_investimento: datetime | None
    cpr_status: str | None
    score_risco: str | None
    taxa_juros_anual: Decimal | None

    @property
    def total_usdc(self) -> Decimal | None:
        if self.quantidade_cotas is None or self.valor_cota_compra_usdc is None:
            return None
        return self.valor_cota_compra_usdc * self.quantidade_cotas


def investments(conn: sqlite3.Connection, user_id: uuid.UUID | str) -> list[Investment]:
    schema = _Schema(conn)
    if not schema.has("investimentos"):
        return []
    columns = (
        "id",
        "cpr_id",
        "quantidade_cotas",
        "valor_cota_compra",
        "status",
        "data_investimento",
    )
    cpr_join = ""
    cpr_cols = "NULL AS cpr_status, NULL AS score_risco, NULL AS taxa_juros_anual"
    if schema.has("cprs"):
        cpr_join = f" LEFT JOIN cprs c ON c.id = {schema.col('i', 'investimentos', 'cpr_id')}"
        cpr_cols = (
            f"{schema.col('c', 'cprs', 'status')} AS cpr_status,"
            f" {schema.col('c', 'cprs', 'score_risco')} AS score_risco,"
            f" {schema.col('c', 'cprs', 'taxa_juros_anual')} AS taxa_juros_anual"
        )
    found = _rows(
        conn,
        f"SELECT {schema.cols('i', 'investimentos', columns)}, {cpr_cols}"
        f" FROM investimentos i{cpr_join}"
        f" WHERE {schema.col('i', 'investimentos', 'investidor_id')} = ?"
        f" ORDER BY {schema.col('i', 'investimentos', 'data_investimento')} DESC, i.id",
        (str(user_id),),
    )
    return [
        Investment(
            id=r["id"],
            cpr_id=r["cpr_id"],
            quantidade_cotas=r["quantidade_cotas"],
            valor_cota_compra_usdc=_dec(r["valor_cota_compra"]),
            status=r["status"],
            data_investimento=_ts(r["data_investimento"]),
            cpr_status=r["cpr_status"],
            score_risco=r["score_risco"],
            taxa_juros_anual=_dec(r["taxa_juros_anual"]),
        )
        for r in found
    ]


@dataclass(frozen=True)
class Offer:
    id: str
    cpr_id: str | None
    quantidade_cotas: int | None
    preco_por_cota_usdc: Decimal | None
    status: str | None
    propria: bool | None
    score_risco: str | None
    taxa_juros_anual: Decimal | None
    data_criacao: datetime | None


def secondary_offers(conn: sqlite3.Connection, *, limit: int = DEFAULT_LIMIT) -> list[Offer]:
    """Open offers of the secondary market (and the user's own offers)."""
    schema = _Schema(conn)
    if not schema.has("ofertas_secundario"):
        return []
    t = "ofertas_secundario"
    columns = (
        "id",
        "cpr_id",
        "quantidade_cotas_a_venda",
        "preco_por_cota_usdc",
        "status",
        "propria",
        "data_criacao",
    )
    cpr_join = ""
    cpr_cols = "NULL AS score_risco, NULL AS taxa_juros_anual"
    if schema.has("cprs"):
        cpr_join = f" LEFT JOIN cprs c ON c.id = {schema.col('o', t, 'cpr_id')}"
        cpr_cols = (
            f"{schema.col('c', 'cprs', 'score_risco')} AS score_risco,"
            f" {schema.col('c', 'cprs', 'taxa_juros_anual')} AS taxa_juros_anual"
        )
    found = _rows(
        conn,
        f"SELECT {schema.cols('o', t, columns)}, {cpr_cols} FROM {t} o{cpr_join}"
        f" ORDER BY {schema.col('o', t, 'data_criacao')} DESC, o.id LIMIT ?",
        (limit,),
    )
    return [
        Offer(
            id=r["id"],
            cpr_id=r["cpr_id"],
            quantidade_cotas=r["quantidade_cotas_a_venda"],
            preco_por_cota_usdc=_dec(r["preco_por_cota_usdc"]),
            status=r["status"],
            propria=_bool(r["propria"]),
            score_risco=r["score_risco"],
            taxa_juros_anual=_dec(r["taxa_juros_anual"]),
            data_criacao=_ts(r["data_criacao"]),
        )
        for r in found
    ]


# -- field agent and admin ------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A producer of a field agent, or a user in the admin's KYC queue."""

    id: str
    nome_completo: str | None
    cpf_mascarado: str | None
    celular: str | None
    email: str | None
    perfil: str | None
    status_kyc: str | None
    ativado: bool | None
    data_criacao: datetime | None
    documentos: int = 0
    pending_seq: int | None = None  # a queued registration, not on the server yet


_PERSON_COLUMNS: Final = (
    "id",
    "nome_completo",
    "cpf",
    "celular",
    "email",
    "perfil",
    "status_kyc",
    "ativado",
    "data_criacao",
)


def _person(r: dict[str, Any]) -> Person:
    return Person(
        id=r["id"],
        nome_completo=r["nome_completo"],
        cpf_mascarado=r["cpf"],
        celular=r["celular"],
        email=r["email"],
        perfil=r["perfil"],
        status_kyc=r["status_kyc"],
        ativado=_bool(r["ativado"]),
        data_criacao=_ts(r["data_criacao"]),
        documentos=int(r.get("documentos") or 0),
    )


def producers(conn: sqlite3.Connection, agent_id: uuid.UUID | str) -> list[Person]:
    """Producers the agent onboarded (newest first), with their live document count."""
    schema = _Schema(conn)
    if not schema.has("usuarios"):
        return []
    docs = "0 AS documentos"
    if schema.has("documentos_kyc"):
        docs = (
            "(SELECT COUNT(*) FROM documentos_kyc d"
            f" WHERE {schema.col('d', 'documentos_kyc', 'usuario_id')} = u.id"
            f" AND {schema.col('d', 'documentos_kyc', 'excluido_em')} IS NULL) AS documentos"
        )
    found = _rows(
        conn,
        f"SELECT {schema.cols('u', 'usuarios', _PERSON_COLUMNS)}, {docs} FROM usuarios u"
        f" WHERE {schema.col('u', 'usuarios', 'agente_id')} = ?"
        f" AND {schema.col('u', 'usuarios', 'perfil')} = 'AGRICULTOR'"
        f" ORDER BY {schema.col('u', 'usuarios', 'data_criacao')} DESC, u.id",
        (str(agent_id),),
    )
    return [_person(r) for r in found]


def kyc_queue(
    conn: sqlite3.Connection, admin_id: uuid.UUID | str, *, limit: int = DEFAULT_LIMIT
) -> list[Person]:
    """Users awaiting a KYC decision (oldest first: first come, first served)."""
    schema = _Schema(conn)
    if not schema.has("usuarios"):
        return []
    found = _rows(
        conn,
        f"SELECT {schema.cols('u', 'usuarios', _PERSON_COLUMNS)} FROM usuarios u"
        f" WHERE u.id <> ?"
        f" AND {schema.col('u', 'usuarios', 'status_kyc')} IN ('PENDENTE', 'ANALISE_MANUAL')"
        f" ORDER BY {schema.col('u', 'usuarios', 'data_criacao')}, u.id LIMIT ?",
        (str(admin_id), limit),
    )
    return [_person(r) for r in found]


# -- outbox ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxItem:
    """An intent as the "pending and rejected" panel shows it (no bulky arguments)."""

    seq: int
    intent_id: str
    name: str
    state: str
    code: str | None
    message: str | None
    created_at: datetime | None
    resolved_at: datetime | None
    attempts: int
    resubmission_of: int | None
    resubmitted_as: int | None
    nome: str | None  # the producer's name, for produtor.registrar
    cpf: str | None  # bare digits, as stored locally

    @property
    def pending(self) -> bool:
        return self.state in ("queued", "sent")

    @property
    def can_resubmit(self) -> bool:
        return self.state == "rejected" and self.resubmitted_as is None and self.name == REGISTRAR


def outbox_items(
    conn: sqlite3.Connection, *, include_applied: bool = False, limit: int = DEFAULT_LIMIT
) -> list[OutboxItem]:
    """Queued, sent and rejected intents (newest first); applied ones only when asked."""
    states = (
        ("queued", "sent", "rejected", "applied")
        if include_applied
        else ("queued", "sent", "rejected")
    )
    found = _rows(
        conn,
        "SELECT o.seq, o.intent_id, o.name, o.state, o.code, o.message, o.created_at,"
        " o.resolved_at, o.attempts, o.resubmission_of,"
        " (SELECT MIN(n.seq) FROM outbox n WHERE n.device_id = o.device_id"
        "  AND n.resubmission_of = o.seq) AS resubmitted_as,"
        " json_extract(o.args, '$.nome_completo') AS nome, json_extract(o.args, '$.cpf') AS cpf"
        f" FROM outbox o WHERE o.state IN ({', '.join('?' * len(states))})"
        " ORDER BY o.seq DESC LIMIT ?",
        (*states, limit),
    )
    return [
        OutboxItem(
            seq=int(r["seq"]),
            intent_id=r["intent_id"],
            name=r["name"],
            state=r["state"],
            code=r["code"],
            message=r["message"],
            created_at=_ts(r["created_at"]),
            resolved_at=_ts(r["resolved_at"]),
            attempts=int(r["attempts"]),
            resubmission_of=r["resubmission_of"],
            resubmitted_as=r["resubmitted_as"],
            nome=r["nome"] if isinstance(r["nome"], str) else None,
            cpf=r["cpf"] if isinstance(r["cpf"], str) else None,
        )
        for r in found
    ]


def outbox_args(conn: sqlite3.Connection, seq: int) -> dict[str, Any] | None:
    """The stored arguments of one intent (documents included), e.g. to fix and resubmit it."""
    row = conn.execute("SELECT args FROM outbox WHERE seq = ?", (seq,)).fetchone()
    if row is None:
        return None
    value: dict[str, Any] = json.loads(row[0])
    return value


def pending_producers(conn: sqlite3.Connection) -> list[Person]:
    """Registrations saved on this computer and not yet answered by the server."""
    found = _rows(
        conn,
        "SELECT seq, created_at, json_extract(args, '$.nome_completo') AS nome,"
        " json_extract(args, '$.cpf') AS cpf, json_extract(args, '$.celular') AS celular,"
        " json_extract(args, '$.email') AS email,"
        " json_array_length(args, '$.documentos') AS documentos"
        " FROM outbox WHERE name = ? AND state IN ('queued', 'sent') ORDER BY seq DESC",
        (REGISTRAR,),
    )
    return [
        Person(
            id=f"pendente-{r['seq']}",
            nome_completo=r["nome"],
            cpf_mascarado=_mask_cpf(r["cpf"]),
            celular=r["celular"],
            email=r["email"],
            perfil="AGRICULTOR",
            status_kyc=None,
            ativado=None,
            data_criacao=_ts(r["created_at"]),
            documentos=int(r["documentos"] or 0),
            pending_seq=int(r["seq"]),
        )
        for r in found
    ]


def _mask_cpf(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return mask_cpf(value)
    except InvalidCpfError:
        return None


@dataclass(frozen=True)
class SyncSummary:
    last_sync_at: datetime | None
    pending: int  # queued or sent
    rejected: int  # rejected and not yet fixed by a resubmission


def sync_summary(conn: sqlite3.Connection) -> SyncSummary:
    last = conn.execute("SELECT value FROM sync_state WHERE key = 'last_sync_at'").fetchone()
    pending = conn.execute(
        "SELECT COUNT(*) FROM outbox WHERE state IN ('queued', 'sent')"
    ).fetchone()[0]
    rejected = conn.execute(
        "SELECT COUNT(*) FROM outbox o WHERE o.state = 'rejected' AND NOT EXISTS"
        " (SELECT 1 FROM outbox n WHERE n.device_id = o.device_id AND n.resubmission_of = o.seq)"
    ).fetchone()[0]
    return SyncSummary(
        last_sync_at=_ts(last[0]) if last else None, pending=int(pending), rejected=int(rejected)
    )


# -- what one window shows, read in one transaction -----------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """Everything a main window shows, read consistently (one read transaction)."""

    profile: Profile | None = None
    wallet: Wallet | None = None
    transactions: Page = Page([], 0)
    bank_accounts: list[BankAccount] = field(default_factory=list)
    cprs: list[Cpr] = field(default_factory=list)
    installments: list[Installment] = field(default_factory=list)
    marketplace: list[Cpr] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    investments: list[Investment] = field(default_factory=list)
    producers: list[Person] = field(default_factory=list)
    kyc_queue: list[Person] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    summary: SyncSummary = SyncSummary(None, 0, 0)


def load_snapshot(
    reader: ReplicaReader, perfil: str, user_id: uuid.UUID | str, *, limit: int = DEFAULT_LIMIT
) -> Snapshot:
    """The data of the window of ``perfil`` (a profile's window reads only what it shows)."""
    with reader.connect() as conn:
        conn.execute("BEGIN")
        try:
            base: dict[str, Any] = {
                "profile": profile(conn, user_id),
                "outbox": outbox_items(conn, limit=limit),
                "summary": sync_summary(conn),
            }
            if perfil == "AGRICULTOR":
                extra: dict[str, Any] = {
                    "wallet": wallet(conn, user_id),
                    "transactions": transactions(conn, user_id, limit=limit),
                    "bank_accounts": bank_accounts(conn, user_id),
                    "cprs": my_cprs(conn, user_id),
                    "installments": installments(conn, user_id),
                }
            elif perfil == "INVESTIDOR":
                extra = {
                    "wallet": wallet(conn, user_id),
                    "transactions": transactions(conn, user_id, limit=limit),
                    "bank_accounts": bank_accounts(conn, user_id),
                    "marketplace": marketplace(conn, limit=limit),
                    "offers": secondary_offers(conn, limit=limit),
                    "investments": investments(conn, user_id),
                }
            elif perfil == "AGENTE_CAMPO":
                extra = {"producers": pending_producers(conn) + producers(conn, user_id)}
            elif perfil == "ADMIN":
                extra = {"kyc_queue": kyc_queue(conn, user_id, limit=limit)}
            else:
                extra = {}
        finally:
            conn.execute("COMMIT")
    return Snapshot(**base, **extra)
