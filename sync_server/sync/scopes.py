"""What each user may see: the replicated tables, their wire columns and visibility rules.

Every replicated table is described once here:

- ``columns``: the wire columns (name, SQL expression over the alias ``t``), ``id`` first. Money
  and other decimals travel as strings, timestamps as ISO 8601 UTC strings, uuids as strings.
  Masking happens here: ``contas_bancarias.agencia/conta`` and ``usuarios.cpf`` are masked,
  ``senha_hash`` and document contents never leave the server.
- ``visible``: a SQL predicate over ``t`` saying whether the row is in the caller's scope, with
  the bind parameters ``:me`` (uuid), ``:is_agent`` and ``:is_admin`` (booleans). It decides, at
  pull time, whether a changed row is sent (upsert) or removed (delete).
- ``snapshot_ids``: the ids of the caller's scope in ``id`` order after ``:last`` (keyset; at most
  ``:n``), using indexes; the initial snapshot pages through it.

The change-log triggers (migration ``0006``) notify the audiences whose visibility a change may
affect; ``tests/sync_server/test_sync_scopes.py`` checks both sides agree for every role.
"""

# SQL here is assembled from constants of this package only, never from request input.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Final

from shared_models.db import Base
from shared_models.enums import Perfil

PUBLIC: Final = "public"
ADMIN: Final = "admin"

# Notifications that carry a secret code (OTP, activation) never leave the server.
SECRET_NOTIFICATION_TYPES: Final = ("otp", "ativacao_conta")
_SECRET_TYPES_SQL: Final = "(" + ", ".join(f"'{t}'" for t in SECRET_NOTIFICATION_TYPES) + ")"

INTENT_RESULTS_TABLE: Final = "sync_intent_results"


def audiences(*, user_id: str, perfil: Perfil) -> tuple[str, ...]:
    """The change-log audiences a user listens to."""
    found = [f"user:{user_id}", PUBLIC]
    if perfil is Perfil.AGENTE_CAMPO:
        found.append(f"agent:{user_id}")
    if perfil is Perfil.ADMIN:
        found.append(ADMIN)
    return tuple(found)


class Kind(Enum):
    """How a column is written in JSON (see :func:`json_value`)."""

    STRING = "string"  # uuid, enum, decimal, date: "value" (no escaping needed)
    TEXT = "text"  # free text: JSON-escaped string
    INT = "int"
    BOOL = "bool"
    TIMESTAMP = "timestamp"  # "2026-01-31T12:00:00.123456+00:00" (the pull runs in UTC)
    JSON = "json"  # a jsonb value, as is


@dataclass(frozen=True)
class Column:
    """``nullable``: None for a plain ``t.<name>`` column (the schema says), else explicit."""

    name: str
    sql: str
    kind: Kind
    nullable: bool | None = None


def json_value(column: Column) -> str:
    """SQL text of one JSON value (``null`` for NULL) for ``column``."""
    expr = column.sql
    match column.kind:
        case Kind.STRING:
            return f"coalesce('\"' || ({expr})::text || '\"', 'null')"
        case Kind.TEXT | Kind.TIMESTAMP:
            return f"coalesce(to_json({expr})::text, 'null')"
        case Kind.INT | Kind.JSON:
            return f"coalesce(({expr})::text, 'null')"
        case Kind.BOOL:
            return f"CASE WHEN {expr} THEN 'true' WHEN NOT {expr} THEN 'false' ELSE 'null' END"


def _json_parts(column: Column, nullable: bool) -> list[tuple[bool, str]]:
    """(is_literal, text) pieces of one value; NOT NULL values skip the NULL handling."""
    if nullable or column.kind is Kind.BOOL:
        return [(False, json_value(column))]
    expr = column.sql
    match column.kind:
        case Kind.STRING:  # concat() writes the value with its type's output function
            return [(True, '"'), (False, expr), (True, '"')]
        case Kind.TEXT | Kind.TIMESTAMP:
            return [(False, f"to_json({expr})::text")]
        case _:
            return [(False, expr)]


def _c(
    name: str, kind: Kind = Kind.STRING, sql: str | None = None, *, nullable: bool | None = None
) -> Column:
    if sql is not None and nullable is None:
        nullable = True
    return Column(name, sql or f"t.{name}", kind, nullable)


S, TXT, INT, BOOL, TS, JSN = (
    Kind.STRING,
    Kind.TEXT,
    Kind.INT,
    Kind.BOOL,
    Kind.TIMESTAMP,
    Kind.JSON,
)


@dataclass(frozen=True)
class ReplicatedTable:
    """``snapshot`` yields ``(id, j)`` rows in id order after ``:last``, at most ``:n``; ``{row}``
    stands for :attr:`row_json` over the alias ``t``."""

    name: str
    columns: tuple[Column, ...]
    visible: str
    snapshot: str
    pk: str = "id"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def nullable(self, column: Column) -> bool:
        if column.nullable is not None:
            return column.nullable
        return bool(Base.metadata.tables[self.name].columns[column.name].nullable)

    @property
    def row_json(self) -> str:
        """SQL building the row's JSON array as text, in ``columns`` order (no Python per row).

        One ``concat()`` per row; adjacent literal pieces are merged.
        """
        pieces: list[tuple[bool, str]] = [(True, "[")]
        for i, column in enumerate(self.columns):
            if i:
                pieces.append((True, ","))
            pieces += _json_parts(column, self.nullable(column))
        pieces.append((True, "]"))
        merged: list[tuple[bool, str]] = []
        for literal, text in pieces:
            if literal and merged and merged[-1][0]:
                merged[-1] = (True, merged[-1][1] + text)
            else:
                merged.append((literal, text))
        return "concat(" + ", ".join(f"'{t}'" if lit else t for lit, t in merged) + ")"

    @property
    def snapshot_sql(self) -> str:
        return self.snapshot.replace("{row}", self.row_json)


_MY_WALLET = "(SELECT w.id FROM carteiras w WHERE w.usuario_id = :me)"
_ADMIN_QUEUE = (
    "t.status_kyc IN ('PENDENTE', 'ANALISE_MANUAL') AND t.perfil <> 'ADMIN'"
    " AND t.anonimizado_em IS NULL"
)
_KEYSET = "AND t.id > :last ORDER BY t.id LIMIT :n"


def _direct(table: str, where: str) -> str:
    """Snapshot of a scope served by one index in id order."""
    return f"SELECT t.id, {{row}} AS j FROM {table} t WHERE {where} {_KEYSET}"


def _union(table: str, *branches: str) -> str:
    """Snapshot of a scope made of several index-ordered branches (each yields ``id``)."""
    ids = " UNION ".join(f"({b})" for b in branches)
    return (
        f"SELECT s.id, (SELECT {{row}} FROM {table} t WHERE t.id = s.id) AS j"
        f" FROM (SELECT u.id FROM ({ids}) AS u ORDER BY u.id LIMIT :n) AS s ORDER BY s.id"
    )


USUARIOS = ReplicatedTable(
    name="usuarios",
    columns=(
        _c("id"),
        _c("nome_completo", TXT),
        _c("email", TXT, "CASE WHEN t.email LIKE '%.invalid' THEN NULL ELSE t.email END"),
        _c("cpf", S, "sync_mask_cpf(t.cpf)"),
        _c("celular", TXT),
        _c("perfil"),
        _c("status_kyc"),
        _c("agente_id"),
        _c("ativado", BOOL, "NOT starts_with(t.senha_hash, '!')"),
        _c("anonimizado_em", TS),
        _c("data_criacao", TS),
        _c("data_atualizacao", TS),
    ),
    visible=(
        "(t.id = :me"
        " OR (:is_agent AND t.agente_id = :me AND t.perfil = 'AGRICULTOR')"
        f" OR (:is_admin AND {_ADMIN_QUEUE}))"
    ),
    snapshot=_union(
        "usuarios",
        f"SELECT t.id FROM usuarios t WHERE t.id = :me {_KEYSET}",
        "SELECT t.id FROM usuarios t WHERE :is_agent AND t.agente_id = :me"
        f" AND t.perfil = 'AGRICULTOR' {_KEYSET}",
        f"SELECT t.id FROM usuarios t WHERE :is_admin AND {_ADMIN_QUEUE} {_KEYSET}",
    ),
)

CARTEIRAS = ReplicatedTable(
    name="carteiras",
    columns=(
        _c("id"),
        _c("usuario_id"),
        _c("saldo_usdc"),
        _c("saldo_bloqueado_usdc"),
        _c("data_atualizacao", TS),
    ),
    visible="t.usuario_id = :me",
    snapshot=_direct("carteiras", "t.usuario_id = :me"),
)

TRANSACOES = ReplicatedTable(
    name="transacoes",
    columns=(
        _c("id"),
        _c("carteira_id"),
        _c("valor"),
        _c("tipo"),
        _c("status"),
        _c("referencia_externa_id", TXT),
        _c("descricao", TXT),
        _c("data_transacao", TS),
        _c("referencia_id"),
        _c("referencia_tipo", TXT),
    ),
    visible=f"t.carteira_id = {_MY_WALLET}",
    snapshot=_direct("transacoes", f"t.carteira_id = {_MY_WALLET}"),
)

CONTAS_BANCARIAS = ReplicatedTable(
    name="contas_bancarias",
    columns=(
        _c("id"),
        _c("usuario_id"),
        _c("banco"),
        _c("agencia", S, "sync_mask_agencia(t.agencia)"),
        _c("conta", S, "sync_mask_conta(t.conta)"),
        _c("tipo_conta"),
        _c("status"),
        _c("is_principal", BOOL),
        _c("data_criacao", TS),
    ),
    visible="t.usuario_id = :me",
    snapshot=_direct("contas_bancarias", "t.usuario_id = :me"),
)

_MY_INVESTMENT_IN_CPR = (
    "EXISTS (SELECT 1 FROM investimentos i WHERE i.cpr_id = t.id AND i.investidor_id = :me)"
)

CPRS = ReplicatedTable(
    name="cprs",
    columns=(
        _c("id"),
        _c("agricultor_id"),
        _c("valor_solicitado"),
        _c("taxa_juros_anual"),
        _c("prazo_meses", INT),
        _c("status"),
        _c("score_risco"),
        _c("total_cotas", INT),
        _c(
            "cotas_disponiveis",
            INT,
            "t.total_cotas - coalesce((SELECT sum(i.quantidade_cotas) FROM investimentos i"
            " WHERE i.cpr_id = t.id AND i.status = 'ATIVO'), 0)",
        ),
        _c("valor_por_cota_usdc"),
        _c("data_emissao"),
        _c("data_vencimento_final"),
        _c("data_criacao", TS),
    ),
    visible=f"(t.agricultor_id = :me OR t.status = 'CAPTAÇÃO' OR {_MY_INVESTMENT_IN_CPR})",
    snapshot=_union(
        "cprs",
        f"SELECT t.id FROM cprs t WHERE t.agricultor_id = :me {_KEYSET}",
        f"SELECT t.id FROM cprs t WHERE t.status = 'CAPTAÇÃO' {_KEYSET}",
        "SELECT DISTINCT i.cpr_id AS id FROM investimentos i WHERE i.investidor_id = :me"
        " AND i.cpr_id > :last ORDER BY i.cpr_id LIMIT :n",
    ),
)

PARCELAS = ReplicatedTable(
    name="parcelas",
    columns=(
        _c("id"),
        _c("cpr_id"),
        _c("numero_parcela", INT),
        _c("valor_principal"),
        _c("valor_juros"),
        _c("data_vencimento"),
        _c("status"),
        _c("valor_multa_paga"),
        _c("valor_juros_mora_pago"),
        _c("data_pagamento", TS),
    ),
    visible="EXISTS (SELECT 1 FROM cprs c WHERE c.id = t.cpr_id AND c.agricultor_id = :me)",
    snapshot=_direct(
        "parcelas", "t.cpr_id IN (SELECT c.id FROM cprs c WHERE c.agricultor_id = :me)"
    ),
)

INVESTIMENTOS = ReplicatedTable(
    name="investimentos",
    columns=(
        _c("id"),
        _c("investidor_id"),
        _c("cpr_id"),
        _c("quantidade_cotas", INT),
        _c("valor_cota_compra"),
        _c("status"),
        _c("data_investimento", TS),
    ),
    visible="t.investidor_id = :me",
    snapshot=_direct("investimentos", "t.investidor_id = :me"),
)

_MY_OFFER = (
    "EXISTS (SELECT 1 FROM investimentos i WHERE i.id = t.investimento_id"
    " AND i.investidor_id = :me)"
)

OFERTAS_SECUNDARIO = ReplicatedTable(
    name="ofertas_secundario",
    columns=(
        _c("id"),
        # The marketplace never shows whose offer it is: the investment only to its owner.
        _c("investimento_id", S, f"CASE WHEN {_MY_OFFER} THEN t.investimento_id END"),
        _c("cpr_id", S, "(SELECT i.cpr_id FROM investimentos i WHERE i.id = t.investimento_id)"),
        _c("quantidade_cotas_a_venda", INT),
        _c("preco_por_cota_usdc"),
        _c("status"),
        _c("propria", BOOL, _MY_OFFER),
        _c("data_criacao", TS),
    ),
    visible=f"(t.status = 'ABERTA' OR {_MY_OFFER})",
    snapshot=_union(
        "ofertas_secundario",
        f"SELECT t.id FROM ofertas_secundario t WHERE t.status = 'ABERTA' {_KEYSET}",
        "SELECT t.id FROM ofertas_secundario t JOIN investimentos i"
        f" ON i.id = t.investimento_id WHERE i.investidor_id = :me {_KEYSET}",
    ),
)

NOTIFICACOES = ReplicatedTable(
    name="notificacoes",
    columns=(
        _c("id"),
        _c("usuario_id"),
        _c("canal"),
        _c("tipo", TXT),
        _c("assunto", TXT),
        _c("corpo", TXT),
        _c("status"),
        _c("data_criacao", TS),
    ),
    visible=f"(t.usuario_id = :me AND t.tipo NOT IN {_SECRET_TYPES_SQL})",
    snapshot=_direct("notificacoes", f"t.usuario_id = :me AND t.tipo NOT IN {_SECRET_TYPES_SQL}"),
)

_MY_PRODUCER = (
    "(:is_agent AND EXISTS (SELECT 1 FROM usuarios u WHERE u.id = t.usuario_id"
    " AND u.agente_id = :me AND u.perfil = 'AGRICULTOR'))"
)

DOCUMENTOS_KYC = ReplicatedTable(
    name="documentos_kyc",
    columns=(
        _c("id"),
        _c("usuario_id"),
        _c("tipo"),
        _c("mime"),
        _c("tamanho_bytes", INT),
        _c("data_criacao", TS),
        _c("excluido_em", TS),
    ),
    visible=f"(t.usuario_id = :me OR {_MY_PRODUCER})",
    snapshot=_union(
        "documentos_kyc",
        f"SELECT t.id FROM documentos_kyc t WHERE t.usuario_id = :me {_KEYSET}",
        "SELECT t.id FROM documentos_kyc t JOIN usuarios u ON u.id = t.usuario_id"
        f" WHERE :is_agent AND u.agente_id = :me AND u.perfil = 'AGRICULTOR' {_KEYSET}",
    ),
)

_INTENT_RESULT_FIELDS: Final = (
    ("seq", INT, "t.seq"),
    ("intent_id", S, "t.intent_id"),
    ("status", S, "t.status"),
    ("code", TXT, "t.code"),
    ("message", TXT, "t.message"),
    ("result", JSN, "t.result"),
)


def _intent_result_object() -> str:
    """SQL of one :class:`~shared_models.sync.protocol.IntentResult` JSON object (text)."""
    parts: list[str] = []
    for i, (name, kind, sql) in enumerate(_INTENT_RESULT_FIELDS):
        sep = "{" if i == 0 else ","
        parts.append(f"'{sep}\"{name}\":'")
        parts.append(json_value(Column(name, sql, kind)))
    parts.append("'}'")
    return "concat(" + ", ".join(parts) + ")"


class _IntentResults(ReplicatedTable):
    @property
    def row_json(self) -> str:
        return _intent_result_object()


# The results of the user's intents travel in ``PullPage.intent_results`` (IntentResult objects).
INTENT_RESULTS = _IntentResults(
    name=INTENT_RESULTS_TABLE,
    columns=(),
    visible="t.usuario_id = :me",
    snapshot=(
        "SELECT t.intent_id AS id, {row} AS j FROM sync_intent_results t"
        " WHERE t.usuario_id = :me AND t.intent_id > :last ORDER BY t.intent_id LIMIT :n"
    ),
    pk="intent_id",
)

# Snapshot order: parents before children (a replica may show a CPR before its installments).
TABLES: Final[tuple[ReplicatedTable, ...]] = (
    USUARIOS,
    CARTEIRAS,
    CONTAS_BANCARIAS,
    CPRS,
    PARCELAS,
    INVESTIMENTOS,
    OFERTAS_SECUNDARIO,
    TRANSACOES,
    NOTIFICACOES,
    DOCUMENTOS_KYC,
    INTENT_RESULTS,
)
BY_NAME: Final = {t.name: t for t in TABLES}
