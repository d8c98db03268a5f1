"""Fill a database with a believable Brazilian demo data set, idempotently.

What it creates (all amounts built with :mod:`shared_models.money`):

- farmers (AGRICULTOR) from farming regions (Sorriso/MT, Rio Verde/GO, Londrina/PR, Luís Eduardo
  Magalhães/BA, ...), investors (INVESTIDOR) from the big cities, a field agent (AGENTE_CAMPO) who
  onboarded one of the farmers, one ADMIN. CPFs are valid and deterministic, and their ninth digit
  names the holder's fiscal region; mobiles carry the city's area code (normalised by
  :mod:`shared_models.contact`). Every account's password is
  :data:`~sync_server.demo.DEMO_PASSWORD` (Argon2id);
- a wallet per user whose ``saldo_usdc`` is the signed sum of its CONCLUIDA ``transacoes``
  (Pix deposits, primary investments, installment receipts, a withdrawal) and whose
  ``saldo_bloqueado_usdc`` is the pending withdrawal;
- bank accounts for most users;
- CPRs in every status (ANALISE, CAPTAÇÃO, FINANCIADO, EM_PAGAMENTO, QUITADO, INADIMPLENTE). Quotas
  are consistent with the amount at the quoted rate :data:`COTACAO_BRL_POR_USDC`
  (``total_cotas * valor_por_cota_usdc == convert(valor_solicitado)``). Financed CPRs have a Price
  schedule whose last installment absorbs the rounding residue, and are fully sold; every paid
  installment, minus the platform fee, is split among the quota holders with
  :func:`~shared_models.money.allocate`. No investor holds more than R$ 15.000 of one borrower
  (CMN Res. 5.050/2022);
- an open offer on the secondary market;
- one ledger event per critical fact, in simulated chronological order, holding pseudonymous ids,
  amounts as strings and statuses only (plus ``"origem": "demo"``).

Idempotency: every id is a uuid5 of :data:`DEMO_NAMESPACE` and a natural key, rows are inserted
with ``ON CONFLICT DO NOTHING``, and wallet balances and ledger events follow only the rows this
run actually inserted. A second run inserts nothing and appends nothing. Dates are relative to the
``now`` of the run that created the rows.

The schema has no platform-owned wallets yet, so the escrow, fee and farmer side of investments and
repayments is not booked in ``transacoes``; the ledger events carry those amounts.
"""

from __future__ import annotations

import calendar
import random
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, Context, Decimal
from typing import Any, Final

import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.dialects.postgresql import insert as pg_insert

from shared_models.bank import BANKS
from shared_models.contact import normalize_email, normalize_mobile
from shared_models.cpf import generate_cpf
from shared_models.db import Base
from shared_models.enums import (
    Perfil,
    Risco,
    StatusCpr,
    StatusInvestimento,
    StatusKyc,
    StatusOferta,
    StatusParcela,
    StatusTransacao,
    StatusVerificacao,
    TipoConta,
    TipoTransacao,
)
from shared_models.money import Currency, Money, allocate, convert, convert_to_brl
from shared_models.schedules import Installment, monthly_rate, price_schedule
from sync_server.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DemoAccount
from sync_server.ledger.service import append_event

__all__ = [
    "COTACAO_BRL_POR_USDC",
    "DEMO_NAMESPACE",
    "DIAS_INADIMPLENCIA",
    "LIMITE_POR_TOMADOR_BRL",
    "MORA_MENSAL",
    "MULTA_ATRASO",
    "TABLE_ORDER",
    "TAXA_PLATAFORMA",
    "DemoDataset",
    "DemoEvent",
    "DemoSeedConflictError",
    "SeedReport",
    "build_dataset",
    "seed_demo",
]

DEMO_NAMESPACE: Final = uuid.UUID("5f0c4a57-3c1e-5b8e-9d6a-70656572736d")
"""Namespace of every demo id: ``uuid5(DEMO_NAMESPACE, natural_key)``."""

COTACAO_BRL_POR_USDC: Final = Decimal("5.40")
"""The quoted rate used by every demo conversion, in BRL per USDC."""

TAXA_PLATAFORMA: Final = Decimal("0.01")
"""Platform fee withheld from each paid installment before it is passed on to quota holders."""

LIMITE_POR_TOMADOR_BRL: Final = Money.brl("15000.00")
"""Maximum an investor may hold of one borrower (CMN Res. 5.050/2022)."""

MULTA_ATRASO: Final = Decimal("0.02")  # fine on a late installment: 2% of it
MORA_MENSAL: Final = Decimal("0.01")  # late interest: 1% a month, pro rata die
DIAS_INADIMPLENCIA: Final = 90  # overdue this many days: the CPR is in default

# Tables in foreign-key order: the order of insertion.
TABLE_ORDER: Final = (
    "usuarios",
    "carteiras",
    "contas_bancarias",
    "cprs",
    "parcelas",
    "investimentos",
    "transacoes",
    "ofertas_secundario",
)

_SISTEMA: Final = "SISTEMA"
_CALC: Final = Context(prec=34)  # rates and schedules, before rounding through Money


class DemoSeedConflictError(RuntimeError):
    """A demo row could not be created because a different row holds its e-mail, CPF or key."""


# ------------------------------------------------------------------------------------------------
# The cast
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pessoa:
    chave: str
    nome: str
    perfil: Perfil
    status_kyc: StatusKyc
    municipio: str
    uf: str
    ddd: str
    regiao_fiscal: int  # ninth CPF digit
    banco: str | None  # COMPE code of the main bank account, if any
    dias_cadastro: int  # account created this many days before ``now``
    email: str | None = None  # default: first.last@<domain>


_AGRICULTORES: Final = (
    _Pessoa("sorriso", "João Carlos Pereira", Perfil.AGRICULTOR, StatusKyc.VERIFICADO,
            "Sorriso", "MT", "66", 1, "748", 430, "agricultor@example.com"),
    _Pessoa("rio-verde", "Maria Aparecida Fernandes", Perfil.AGRICULTOR, StatusKyc.VERIFICADO,
            "Rio Verde", "GO", "64", 1, "001", 425),
    _Pessoa("londrina", "Antônio Ferreira Lima", Perfil.AGRICULTOR, StatusKyc.VERIFICADO,
            "Londrina", "PR", "43", 9, "756", 420),
    _Pessoa("lem", "Luiz Henrique Schneider", Perfil.AGRICULTOR, StatusKyc.VERIFICADO,
            "Luís Eduardo Magalhães", "BA", "77", 5, "237", 415),
    _Pessoa("cristalina", "Francisca Oliveira Santos", Perfil.AGRICULTOR, StatusKyc.VERIFICADO,
            "Cristalina", "GO", "61", 1, "104", 410),
    _Pessoa("passo-fundo", "Sérgio Luiz Dalla Costa", Perfil.AGRICULTOR, StatusKyc.VERIFICADO,
            "Passo Fundo", "RS", "54", 0, None, 60),
    _Pessoa("uberaba", "Ana Paula Rezende", Perfil.AGRICULTOR, StatusKyc.ANALISE_MANUAL,
            "Uberaba", "MG", "34", 6, None, 20),
)  # fmt: skip

_INVESTIDORES: Final = (
    _Pessoa("sao-paulo", "Carla Mendes Rocha", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "São Paulo", "SP", "11", 8, "341", 400, "investidor@example.com"),
    _Pessoa("campinas", "Bruno Henrique Carvalho", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Campinas", "SP", "19", 8, "260", 398),
    _Pessoa("rio", "Juliana Costa Azevedo", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Rio de Janeiro", "RJ", "21", 7, "033", 396),
    _Pessoa("bh", "Marcelo Tavares Nunes", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Belo Horizonte", "MG", "31", 6, "001", 394),
    _Pessoa("curitiba", "Patrícia Gomes Ribeiro", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Curitiba", "PR", "41", 9, "077", 392),
    _Pessoa("porto-alegre", "Eduardo Moreira Campos", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Porto Alegre", "RS", "51", 0, "748", 390),
    _Pessoa("brasilia", "Fernanda Lopes Barbosa", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Brasília", "DF", "61", 1, "104", 388),
    _Pessoa("ribeirao", "Ricardo Almeida Prado", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Ribeirão Preto", "SP", "16", 8, "237", 386),
    _Pessoa("goiania", "Camila Duarte Freitas", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Goiânia", "GO", "62", 1, "756", 384),
    _Pessoa("florianopolis", "Gustavo Henrique Martins", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Florianópolis", "SC", "48", 9, "260", 382),
    _Pessoa("recife", "Renata Vieira Cardoso", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Recife", "PE", "81", 4, "341", 380),
    _Pessoa("salvador", "Thiago Nascimento Reis", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Salvador", "BA", "71", 5, "001", 378),
    _Pessoa("campo-grande", "Luciana Pires Monteiro", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Campo Grande", "MS", "67", 1, "033", 376),
    _Pessoa("cuiaba", "Felipe Araújo Cunha", Perfil.INVESTIDOR, StatusKyc.VERIFICADO,
            "Cuiabá", "MT", "65", 1, "077", 374),
    _Pessoa("vitoria", "Beatriz Souza Fonseca", Perfil.INVESTIDOR, StatusKyc.PENDENTE,
            "Vitória", "ES", "27", 7, None, 5),
    _Pessoa("fortaleza", "Diego Ramos Teixeira", Perfil.INVESTIDOR, StatusKyc.ANALISE_MANUAL,
            "Fortaleza", "CE", "85", 3, None, 12),
)  # fmt: skip

_AGENTES: Final = (
    _Pessoa("agente-uberaba", "Paulo Roberto Siqueira", Perfil.AGENTE_CAMPO, StatusKyc.VERIFICADO,
            "Uberaba", "MG", "34", 6, None, 90, "agente@example.com"),
)  # fmt: skip
# Producers registered by a field agent rather than by themselves.
_ONBOARDED_BY: Final = {"uberaba": "agente-uberaba"}

_ADMINS: Final = (
    _Pessoa("admin", "Rafael Teixeira Nogueira", Perfil.ADMIN, StatusKyc.VERIFICADO,
            "São Paulo", "SP", "11", 8, None, 500, "admin@example.com"),
)  # fmt: skip

_PESSOAS: Final = (*_AGRICULTORES, *_INVESTIDORES, *_AGENTES, *_ADMINS)


# ------------------------------------------------------------------------------------------------
# The CPRs
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _CprSpec:
    chave: str
    agricultor: str
    cultura: str
    status: StatusCpr
    valor_brl: str
    valor_cota_usdc: str
    taxa_anual: str  # percent a year, DECIMAL(5,2)
    prazo_meses: int
    risco: Risco
    dias: int  # FINANCIADO and later: days since emission; else days since the request
    cotas_vendidas: int = 0  # CAPTAÇÃO: quotas sold so far
    parcelas_pagas: int = 0  # INADIMPLENTE: installments paid before the default
    dias_atraso_pagamento: Mapping[int, int] = field(default_factory=dict)  # late payments


_CPRS: Final = (
    _CprSpec("soja-sorriso-2025", "sorriso", "soja", StatusCpr.EM_PAGAMENTO,
             "162000.00", "100", "14.50", 12, Risco.B, dias=140),
    _CprSpec("milho-sorriso-2026", "sorriso", "milho safrinha", StatusCpr.CAPTACAO,
             "1080000.00", "100", "12.50", 24, Risco.A, dias=25, cotas_vendidas=64),
    _CprSpec("milho-rio-verde-2025", "rio-verde", "milho", StatusCpr.FINANCIADO,
             "189000.00", "100", "15.75", 10, Risco.B, dias=8),
    _CprSpec("cafe-londrina-2025", "londrina", "café", StatusCpr.QUITADO,
             "81000.00", "50", "13.20", 6, Risco.A, dias=300),
    _CprSpec("algodao-lem-2026", "lem", "algodão", StatusCpr.CAPTACAO,
             "1350000.00", "100", "13.00", 18, Risco.A, dias=40, cotas_vendidas=300),
    _CprSpec("feijao-cristalina-2025", "cristalina", "feijão irrigado", StatusCpr.INADIMPLENTE,
             "64800.00", "50", "23.50", 9, Risco.E, dias=215, parcelas_pagas=2,
             dias_atraso_pagamento={2: 12}),
    _CprSpec("trigo-passo-fundo-2026", "passo-fundo", "trigo", StatusCpr.ANALISE,
             "97200.00", "100", "17.80", 8, Risco.C, dias=6),
    _CprSpec("cana-uberaba-2026", "uberaba", "cana-de-açúcar", StatusCpr.ANALISE,
             "280800.00", "100", "20.40", 12, Risco.D, dias=3),
)  # fmt: skip

_FUNDED: Final = frozenset(
    {StatusCpr.FINANCIADO, StatusCpr.EM_PAGAMENTO, StatusCpr.QUITADO, StatusCpr.INADIMPLENTE}
)
_OFFER_CPR: Final = "soja-sorriso-2025"
_OFFER_PRICE_USDC: Final = "70.00"
_DEMO_INVESTOR: Final = "sao-paulo"


# ------------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What one :func:`seed_demo` run created, and how to log in."""

    created: Mapping[str, int]  # table → rows inserted by this run
    ledger_events: int  # events appended by this run
    password: str = DEMO_PASSWORD
    accounts: tuple[DemoAccount, ...] = DEMO_ACCOUNTS

    @property
    def created_anything(self) -> bool:
        return self.ledger_events > 0 or any(self.created.values())

    def summary(self) -> str:
        """Human-readable lines for the terminal (Portuguese, like the rest of the UI)."""
        if self.created_anything:
            parts = ", ".join(f"{table}: {n}" for table, n in self.created.items() if n)
            head = f"Dados de demonstração criados ({parts}; ledger_eventos: {self.ledger_events})."
        else:
            head = "Dados de demonstração já estavam carregados; nada foi criado."
        lines = [head, f"Senha de todas as contas de demonstração: {self.password}"]
        profile_width = max(len(a.perfil) for a in self.accounts)
        width = max(len(a.email) for a in self.accounts)
        lines += [
            f"  {a.perfil:<{profile_width}}  {a.email:<{width}}  {a.nome}" for a in self.accounts
        ]
        return "\n".join(lines)

    def as_log_payload(self) -> dict[str, Any]:
        """Counts only: no password, no e-mail."""
        return {"criados": dict(self.created), "eventos_ledger": self.ledger_events}


# ------------------------------------------------------------------------------------------------
# Building the data set (pure: no database)
# ------------------------------------------------------------------------------------------------


def _id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, ":".join(parts))


def _rng(*parts: str) -> random.Random:
    """An independent, reproducible stream per purpose, so adding data never reshuffles the rest."""
    return random.Random("peerseed-demo:" + ":".join(parts))


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _email(p: _Pessoa) -> str:
    if p.email is not None:
        return p.email
    words = _ascii(p.nome).lower().split()
    domain = "example.org" if p.perfil is Perfil.INVESTIDOR else "example.com"
    return f"{words[0]}.{words[-1]}@{domain}"


def _brl_text(m: Money) -> str:
    """``R$ 1.234,56``."""
    integer, _, cents = f"{m.amount:,.2f}".partition(".")
    return f"R$ {integer.replace(',', '.')},{cents}"


def _at(d: date, hour: int = 13, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), tzinfo=UTC)


def _add_months(d: date, months: int) -> date:
    year, month0 = divmod(d.month - 1 + months, 12)
    year += d.year
    day = min(d.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day)


def _pix_e2e(rng: random.Random, when: datetime) -> str:
    """A Pix end-to-end id shape: E + ISPB (8) + yyyyMMddHHmm + 11 alphanumerics (32 chars)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return f"E99999999{when:%Y%m%d%H%M}" + "".join(rng.choice(alphabet) for _ in range(11))


@dataclass(slots=True)
class DemoEvent:
    """A ledger event to append if the row it records (``table``, ``row_id``) is inserted."""

    when: datetime
    table: str  # the event is appended only if this row was inserted by this run
    row_id: uuid.UUID
    tipo: str
    dados: dict[str, Any]
    ator_id: uuid.UUID | None
    ator_tipo: str | None


@dataclass(frozen=True, slots=True)
class _Payment:
    """A paid installment, with the late-payment charges (DESIGN: "Late payment")."""

    number: int
    of: int
    paid_at: datetime
    late_days: int
    principal: Money
    juros: Money

    @property
    def _base(self) -> Money:
        return self.principal + self.juros

    # Both charges are legal maximums, so they round down: never a cent above the cap.

    @property
    def multa(self) -> Money:
        if not self.late_days:
            return Money.zero(Currency.BRL)
        return self._base.multiply(MULTA_ATRASO, rounding=ROUND_DOWN)

    @property
    def mora(self) -> Money:
        rate = _CALC.divide(_CALC.multiply(MORA_MENSAL, self.late_days), 30)  # pro rata die
        return self._base.multiply(rate, rounding=ROUND_DOWN)

    @property
    def total(self) -> Money:
        return self._base + self.multa + self.mora


@dataclass(slots=True)
class DemoDataset:
    """Rows per table (in insertion order) and ledger events (sorted by simulated time)."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {table: [] for table in TABLE_ORDER}
    )
    events: list[DemoEvent] = field(default_factory=list)

    def add(self, table: str, **row: Any) -> dict[str, Any]:
        self.rows[table].append(row)
        return row

    def event(
        self,
        when: datetime,
        owner: tuple[str, uuid.UUID],
        tipo: str,
        ator: _Pessoa | None,
        ids: Mapping[str, str],
        **dados: Any,
    ) -> None:
        """Record an event that is appended only if the ``owner`` row (table, id) is inserted."""
        self.events.append(
            DemoEvent(
                when=when,
                table=owner[0],
                row_id=owner[1],
                tipo=tipo,
                dados={**ids, **dados, "origem": "demo"},
                ator_id=None if ator is None else _user_id(ator),
                ator_tipo=_SISTEMA if ator is None else str(ator.perfil),
            )
        )


def _user_id(p: _Pessoa) -> uuid.UUID:
    return _id("usuario", p.chave)


def _wallet_id(p: _Pessoa) -> uuid.UUID:
    return _id("carteira", p.chave)


@dataclass(frozen=True, slots=True)
class _Cpr:
    """A CPR being built: its spec and what follows from it."""

    spec: _CprSpec
    id: uuid.UUID
    farmer: _Pessoa
    cota: Money

    @property
    def owner(self) -> tuple[str, uuid.UUID]:
        return ("cprs", self.id)

    @property
    def label(self) -> str:
        return f"CPR de {self.spec.cultura} ({self.farmer.municipio}/{self.farmer.uf})"


class _Builder:
    def __init__(self, now: datetime) -> None:
        self.now = now
        self.today = now.date()
        self.data = DemoDataset()
        self.people = {p.chave: p for p in _PESSOAS}
        self.admin = _ADMINS[0]
        self.rate = COTACAO_BRL_POR_USDC
        self.rate_text = format(COTACAO_BRL_POR_USDC, "f")
        self.rate_brl = Money.brl(COTACAO_BRL_POR_USDC)
        # person key → [(when, signed USDC amount)] of concluded transactions
        self.movements: dict[str, list[tuple[datetime, Money]]] = defaultdict(list)
        # (investor key, farmer key) → BRL held, for the per-borrower cap
        self.exposure: dict[tuple[str, str], Money] = defaultdict(lambda: Money.zero(Currency.BRL))
        # CPR key → [(investor key, investment id, quotas)]
        self.holders: dict[str, list[tuple[str, uuid.UUID, int]]] = {}

    # -- people -----------------------------------------------------------------------------

    def people_rows(self) -> None:
        cpfs: set[str] = set()
        for seq, p in enumerate(_PESSOAS, start=1):
            rng = _rng("cpf", p.chave)
            cpf = generate_cpf(rng, fiscal_region=p.regiao_fiscal)
            while cpf in cpfs:
                cpf = generate_cpf(rng, fiscal_region=p.regiao_fiscal)
            cpfs.add(cpf)
            created = self.now - timedelta(days=p.dias_cadastro, hours=seq)
            user_id = _user_id(p)
            agent = self.people[_ONBOARDED_BY[p.chave]] if p.chave in _ONBOARDED_BY else None
            self.data.add(
                "usuarios",
                id=user_id,
                nome_completo=p.nome,
                email=normalize_email(_email(p)),
                senha_hash=None,  # hashed at insert time, only for rows that are missing
                cpf=cpf,
                celular=normalize_mobile(f"+55{p.ddd}99999{seq:04d}"),
                perfil=p.perfil,
                status_kyc=p.status_kyc,
                agente_id=None if agent is None else _user_id(agent),
                data_criacao=created,
                data_atualizacao=created + timedelta(days=1),
            )
            self.data.add("carteiras", id=_wallet_id(p), usuario_id=user_id, saldo_usdc=Decimal(0))
            self.signup_events(p, created, agent)
            if p.banco is not None:
                self.bank_account(p, 1, p.banco, TipoConta.CORRENTE, principal=True)
        demo = self.people[_DEMO_INVESTOR]
        self.bank_account(demo, 2, "260", TipoConta.POUPANCA, principal=False)

    def signup_events(self, p: _Pessoa, created: datetime, agent: _Pessoa | None) -> None:
        """The events the real flows append (auth signup, field agents, KYC decisions)."""
        user_id = _user_id(p)
        owner = ("usuarios", user_id)
        ids = {"usuario_id": str(user_id)}
        # The automatic pre-check decides at signup between PENDENTE and ANALISE_MANUAL; an admin
        # approves later. The admin account itself is created verified.
        decided_by_admin = p.status_kyc in (StatusKyc.VERIFICADO, StatusKyc.REPROVADO)
        at_signup = StatusKyc.PENDENTE if decided_by_admin else p.status_kyc
        if p is self.admin:
            at_signup, decided_by_admin = p.status_kyc, False
        if p.perfil is Perfil.AGENTE_CAMPO:
            self.data.event(
                created, owner, "AGENTE_CRIADO", self.admin, ids, admin_id=str(_user_id(self.admin))
            )
        elif agent is not None:
            self.data.event(
                created, owner, "PRODUTOR_CADASTRADO", agent, ids, agente_id=str(_user_id(agent))
            )
        else:
            self.data.event(
                created,
                owner,
                "USUARIO_CADASTRADO",
                p,
                ids,
                perfil=str(p.perfil),
                carteira_id=str(_wallet_id(p)),
                status_kyc=str(at_signup),
            )
        if decided_by_admin:
            self.data.event(
                created + timedelta(days=1),
                owner,
                "KYC_DECIDIDO",
                self.admin,
                ids,
                decisao=str(p.status_kyc),
                status_anterior=str(at_signup),
                motivo_codigo="DOCUMENTOS_CONFERIDOS",
                admin_id=str(_user_id(self.admin)),
            )

    def bank_account(
        self, p: _Pessoa, number: int, banco: str, tipo: TipoConta, *, principal: bool
    ) -> None:
        if banco not in BANKS:
            raise AssertionError(f"demo bank {banco} is not in shared_models.bank.BANKS")
        rng = _rng("conta-bancaria", p.chave, str(number))
        agencia = f"{rng.randrange(1, 10000):04d}"
        if banco.startswith(("001", "237")):  # banks that print an agency check digit
            agencia += f"-{rng.randrange(10)}"
        self.data.add(
            "contas_bancarias",
            id=_id("conta-bancaria", p.chave, str(number)),
            usuario_id=_user_id(p),
            banco=banco,
            agencia=agencia,
            conta=f"{rng.randrange(10_000, 1_000_000)}-{rng.randrange(10)}",
            tipo_conta=tipo,
            status=StatusVerificacao.VERIFICADA,
            is_principal=principal,
        )

    # -- CPRs -------------------------------------------------------------------------------

    def cprs(self) -> None:
        for spec in _CPRS:
            self.cpr(spec)

    def cpr(self, spec: _CprSpec) -> None:
        c = _Cpr(
            spec,
            _id("cpr", spec.chave),
            self.people[spec.agricultor],
            Money.usdc(spec.valor_cota_usdc),
        )
        valor = Money.brl(spec.valor_brl)
        total_usdc = convert(valor, self.rate)
        total_cotas, residue = divmod(total_usdc.units, c.cota.units)
        if residue or total_cotas < 1:
            raise AssertionError(f"demo CPR {spec.chave}: quotas do not divide the amount")
        funded = spec.status in _FUNDED
        emissao = self.today - timedelta(days=spec.dias) if funded else None
        requested = _at(
            (emissao or self.today) - timedelta(days=30 if funded else spec.dias), 9, 30
        )
        approved = requested + timedelta(days=5, hours=6)
        taxa = Decimal(spec.taxa_anual)
        schedule = price_schedule(valor, monthly_rate(taxa), spec.prazo_meses) if funded else []
        vencimentos = (
            [_add_months(emissao, n) for n in range(1, len(schedule) + 1)] if emissao else []
        )
        self.data.add(
            "cprs",
            id=c.id,
            agricultor_id=_user_id(c.farmer),
            valor_solicitado=valor.amount,
            taxa_juros_anual=taxa,
            prazo_meses=spec.prazo_meses,
            status=spec.status,
            score_risco=spec.risco,
            total_cotas=total_cotas,
            valor_por_cota_usdc=c.cota.amount,
            data_emissao=emissao,
            data_vencimento_final=vencimentos[-1] if vencimentos else None,
            data_criacao=requested,
        )
        ids = {"cpr_id": str(c.id)}
        self.data.event(
            requested,
            c.owner,
            "CPR_SOLICITADA",
            c.farmer,
            ids,
            agricultor_id=str(_user_id(c.farmer)),
            valor_solicitado_brl=valor.to_wire(),
            taxa_juros_anual=spec.taxa_anual,
            prazo_meses=spec.prazo_meses,
            status=str(StatusCpr.ANALISE),
        )
        self.data.event(
            requested + timedelta(days=2),
            c.owner,
            "CPR_RISCO_AVALIADO",
            None,
            ids,
            score_risco=str(spec.risco),
            taxa_juros_anual=spec.taxa_anual,
        )
        if spec.status is StatusCpr.ANALISE:
            return
        self.status_change(
            c,
            approved,
            StatusCpr.ANALISE,
            StatusCpr.CAPTACAO,
            self.admin,
            total_cotas=total_cotas,
            valor_por_cota_usdc=c.cota.to_wire(),
            cotacao_brl_usdc=self.rate_text,
        )
        if not funded:
            self.investments(c, spec.cotas_vendidas, approved, self.now - timedelta(hours=20))
            return
        assert emissao is not None
        funded_at = _at(emissao, 11)
        self.investments(c, total_cotas, approved, funded_at)
        self.status_change(
            c,
            funded_at,
            StatusCpr.CAPTACAO,
            StatusCpr.FINANCIADO,
            None,
            data_emissao=emissao.isoformat(),
            valor_captado_usdc=total_usdc.to_wire(),
            cotacao_brl_usdc=self.rate_text,
        )
        self.installments(c, schedule, vencimentos)

    def status_change(
        self,
        c: _Cpr,
        when: datetime,
        before: StatusCpr,
        after: StatusCpr,
        ator: _Pessoa | None,
        **extra: Any,
    ) -> None:
        self.data.event(
            when,
            c.owner,
            "CPR_STATUS_ALTERADO",
            ator,
            {"cpr_id": str(c.id)},
            status_anterior=str(before),
            status_novo=str(after),
            **extra,
        )

    def investments(self, c: _Cpr, quotas: int, start: datetime, end: datetime) -> None:
        """Sell ``quotas`` among verified investors, within the per-borrower cap."""
        rng = _rng("investimentos", c.spec.chave)
        eligible = [p for p in _INVESTIDORES if p.status_kyc is StatusKyc.VERIFICADO]
        order = eligible[1:]
        rng.shuffle(order)
        order.insert(0, eligible[0])  # the demo investor first: her screens are never empty
        cota_brl = convert_to_brl(c.cota, self.rate)
        per_investor = int(LIMITE_POR_TOMADOR_BRL.amount // cota_brl.amount)
        bought: dict[str, int] = {}
        remaining = quotas
        while remaining:
            progressed = False
            for investor in order:
                held = self.exposure[investor.chave, c.farmer.chave]
                room = int((LIMITE_POR_TOMADOR_BRL - held).amount // cota_brl.amount)
                if room < 1 or not remaining:
                    continue
                take = min(room, remaining, rng.randint(max(1, per_investor // 5), per_investor))
                bought[investor.chave] = bought.get(investor.chave, 0) + take
                self.exposure[investor.chave, c.farmer.chave] = held + cota_brl * take
                remaining -= take
                progressed = True
            if not progressed:
                raise AssertionError(f"demo CPR {c.spec.chave}: investors' caps cannot absorb it")

        finished = c.spec.status is StatusCpr.QUITADO
        step = (end - start) / (len(bought) + 1)
        holders = []
        for n, (key, count) in enumerate(bought.items(), start=1):
            investor = self.people[key]
            when = start + step * n
            investment_id = _id("investimento", c.spec.chave, key)
            total = c.cota * count
            self.data.add(
                "investimentos",
                id=investment_id,
                investidor_id=_user_id(investor),
                cpr_id=c.id,
                quantidade_cotas=count,
                valor_cota_compra=c.cota.amount,
                status=StatusInvestimento.FINALIZADO if finished else StatusInvestimento.ATIVO,
                data_investimento=when,
            )
            transaction_id = self.transaction(
                investor,
                ("investimento", c.spec.chave),
                -total,
                TipoTransacao.INVESTIMENTO_PRIMARIO,
                when,
                descricao=f"Compra de {count} cotas da {c.label}",
                referencia=("investimento", investment_id),
            )
            self.data.event(
                when,
                ("investimentos", investment_id),
                "INVESTIMENTO_PRIMARIO",
                investor,
                {"investimento_id": str(investment_id), "cpr_id": str(c.id)},
                investidor_id=str(_user_id(investor)),
                quantidade_cotas=count,
                valor_cota_usdc=c.cota.to_wire(),
                valor_total_usdc=total.to_wire(),
                transacao_id=str(transaction_id),
            )
            holders.append((key, investment_id, count))
        self.holders[c.spec.chave] = holders

    def installments(
        self, c: _Cpr, schedule: Sequence[Installment], vencimentos: Sequence[date]
    ) -> None:
        spec = c.spec
        paid_until = {
            StatusCpr.FINANCIADO: 0,
            StatusCpr.EM_PAGAMENTO: sum(1 for d in vencimentos if d < self.today),
            StatusCpr.QUITADO: len(schedule),
            StatusCpr.INADIMPLENTE: spec.parcelas_pagas,
        }[spec.status]
        if spec.status is StatusCpr.QUITADO and vencimentos[-1] >= self.today:
            raise AssertionError(f"demo CPR {spec.chave}: a QUITADO CPR must be fully due")
        rng = _rng("pagamentos", spec.chave)
        first_overdue: date | None = None
        last_payment: datetime | None = None
        for number, (installment, due) in enumerate(
            zip(schedule, vencimentos, strict=True), start=1
        ):
            principal, juros = installment.amortizacao, installment.juros
            parcela_id = _id("parcela", spec.chave, str(number))
            row = self.data.add(
                "parcelas",
                id=parcela_id,
                cpr_id=c.id,
                numero_parcela=number,
                valor_principal=principal.amount,
                valor_juros=juros.amount,
                data_vencimento=due,
                status=StatusParcela.PENDENTE,
                valor_multa_paga=Decimal("0.00"),
                valor_juros_mora_pago=Decimal("0.00"),
                data_pagamento=None,
            )
            ids = {"cpr_id": str(c.id), "parcela_id": str(parcela_id)}
            if number <= paid_until:
                late = spec.dias_atraso_pagamento.get(number, 0)
                early = timedelta(days=rng.randint(0, 3))
                paid_on = due + timedelta(days=late) if late else due - early
                paid_at = _at(paid_on, rng.randint(11, 19), rng.randint(0, 59))
                payment = _Payment(number, len(schedule), paid_at, late, principal, juros)
                row.update(
                    status=StatusParcela.PAGA,
                    data_pagamento=paid_at,
                    valor_multa_paga=payment.multa.amount,
                    valor_juros_mora_pago=payment.mora.amount,
                )
                self.distribute(c, ("parcelas", parcela_id), payment)
                if number == 1:
                    self.status_change(
                        c, paid_at, StatusCpr.FINANCIADO, StatusCpr.EM_PAGAMENTO, None
                    )
                last_payment = paid_at
            elif due < self.today:
                row.update(status=StatusParcela.ATRASADA)
                first_overdue = first_overdue or due
                self.data.event(
                    _at(due + timedelta(days=1), 3),
                    ("parcelas", parcela_id),
                    "PARCELA_ATRASADA",
                    None,
                    ids,
                    numero_parcela=number,
                    data_vencimento=due.isoformat(),
                )
        if spec.status is StatusCpr.QUITADO:
            assert last_payment is not None
            self.status_change(c, last_payment, StatusCpr.EM_PAGAMENTO, StatusCpr.QUITADO, None)
        if spec.status is StatusCpr.INADIMPLENTE:
            assert first_overdue is not None
            if (self.today - first_overdue).days <= DIAS_INADIMPLENCIA:
                raise AssertionError(f"demo CPR {spec.chave}: not overdue long enough")
            self.status_change(
                c,
                _at(first_overdue + timedelta(days=DIAS_INADIMPLENCIA + 1), 3),
                StatusCpr.EM_PAGAMENTO,
                StatusCpr.INADIMPLENTE,
                None,
                dias_atraso=DIAS_INADIMPLENCIA + 1,
            )

    def distribute(self, c: _Cpr, owner: tuple[str, uuid.UUID], payment: _Payment) -> None:
        """Book a paid installment: fee withheld, the rest split pro rata among the holders."""
        gross = convert(payment.total, self.rate)
        fee = gross.multiply(TAXA_PLATAFORMA)
        net = gross - fee
        holders = self.holders[c.spec.chave]
        parts = allocate(net, [count for _, _, count in holders])
        passed_on = payment.paid_at + timedelta(hours=20)  # within one business day
        repasses = []
        for (key, investment_id, _), part in zip(holders, parts, strict=True):
            if part.is_zero():  # a transaction is never zero (CHECK valor <> 0)
                continue
            transaction_id = self.transaction(
                self.people[key],
                ("recebimento", c.spec.chave, str(payment.number)),
                part,
                TipoTransacao.RECEBIMENTO_PARCELA,
                passed_on,
                descricao=f"Repasse da parcela {payment.number}/{payment.of} da {c.label}",
                referencia=("parcela", owner[1]),
            )
            repasses.append(
                {
                    "investimento_id": str(investment_id),
                    "transacao_id": str(transaction_id),
                    "valor_usdc": part.to_wire(),
                }
            )
        self.data.event(
            payment.paid_at,
            owner,
            "PARCELA_PAGA",
            c.farmer,
            {"cpr_id": str(c.id), "parcela_id": str(owner[1])},
            numero_parcela=payment.number,
            dias_atraso=payment.late_days,
            valor_principal_brl=payment.principal.to_wire(),
            valor_juros_brl=payment.juros.to_wire(),
            valor_multa_brl=payment.multa.to_wire(),
            valor_juros_mora_brl=payment.mora.to_wire(),
            valor_total_brl=payment.total.to_wire(),
            cotacao_brl_usdc=self.rate_text,
            valor_total_usdc=gross.to_wire(),
            valor_taxa_usdc=fee.to_wire(),
            valor_repassado_usdc=net.to_wire(),
            repasses=repasses,
        )

    # -- wallets ----------------------------------------------------------------------------

    def transaction(
        self,
        p: _Pessoa,
        key: tuple[str, ...],
        valor: Money,
        tipo: TipoTransacao,
        when: datetime,
        *,
        descricao: str,
        referencia: tuple[str, uuid.UUID] | None = None,
        status: StatusTransacao = StatusTransacao.CONCLUIDA,
        externa: str | None = None,
    ) -> uuid.UUID:
        transaction_id = _id("transacao", *key, p.chave)
        self.data.add(
            "transacoes",
            id=transaction_id,
            carteira_id=_wallet_id(p),
            valor=valor.amount,
            tipo=tipo,
            status=status,
            referencia_externa_id=externa,
            descricao=descricao,
            data_transacao=when,
            referencia_id=None if referencia is None else referencia[1],
            referencia_tipo=None if referencia is None else referencia[0],
        )
        if status is StatusTransacao.CONCLUIDA:
            self.movements[p.chave].append((when, valor))
        return transaction_id

    def pix(
        self,
        p: _Pessoa,
        key: str,
        brl: Money,
        when: datetime,
        *,
        saque: bool = False,
        status: StatusTransacao = StatusTransacao.CONCLUIDA,
    ) -> None:
        usdc = convert(brl, self.rate)
        tipo = TipoTransacao.SAQUE_PIX if saque else TipoTransacao.DEPOSITO_PIX
        verb = "Saque" if saque else "Depósito"
        transaction_id = self.transaction(
            p,
            ("pix", key),
            -usdc if saque else usdc,
            tipo,
            when,
            descricao=f"{verb} Pix de {_brl_text(brl)} (cotação {_brl_text(self.rate_brl)}/USDC)",
            status=status,
            externa=_pix_e2e(_rng("pix", p.chave, key), when),
        )
        self.data.event(
            when,
            ("transacoes", transaction_id),
            str(tipo),
            p,
            {"transacao_id": str(transaction_id), "carteira_id": str(_wallet_id(p))},
            valor_brl=brl.to_wire(),
            cotacao_brl_usdc=self.rate_text,
            valor_usdc=usdc.to_wire(),
            status=str(status),
        )

    def wallets(self) -> None:
        """Fund every investor before their first purchase; a few more wallet movements."""
        thousand = Money.brl("1000.00")
        for p in _INVESTIDORES:
            if p.status_kyc is not StatusKyc.VERIFICADO:
                continue
            # Receipts come after purchases: the deposit must cover every purchase on its own.
            outflows = (-v for _, v in self.movements[p.chave] if v.is_negative())
            needed = convert_to_brl(
                Money.total(outflows, Currency.USDC), self.rate, rounding=ROUND_CEILING
            )
            extra = (
                15
                if p.chave == _DEMO_INVESTOR
                else _rng("deposito", p.chave).choice((2, 3, 5, 8, 12))
            )
            deposit = thousand * (-(-needed.units // thousand.units) + extra)  # whole thousands
            when = self.now - timedelta(days=p.dias_cadastro - 2, hours=-3)
            self.pix(p, "deposito-1", deposit, when)
        demo = self.people[_DEMO_INVESTOR]
        self.pix(demo, "saque-1", Money.brl("2000.00"), self.now - timedelta(days=45), saque=True)
        self.pix(
            demo,
            "saque-2",
            Money.brl("1000.00"),
            self.now - timedelta(hours=2),
            saque=True,
            status=StatusTransacao.PENDENTE,
        )
        self.pix(
            self.people["fortaleza"],
            "deposito-1",
            Money.brl("5000.00"),
            self.now - timedelta(hours=5),
            status=StatusTransacao.PENDENTE,
        )
        farmer = self.people["sorriso"]
        self.pix(farmer, "deposito-1", Money.brl("5000.00"), self.now - timedelta(days=10))

        for key, movements in self.movements.items():
            balance = Money.zero(Currency.USDC)
            for _, amount in sorted(movements, key=lambda m: m[0]):
                balance = balance + amount
                if balance.is_negative():
                    raise AssertionError(f"demo wallet {key} would go negative")

    def offer(self) -> None:
        demo = self.people[_DEMO_INVESTOR]
        for key, investment_id, count in self.holders[_OFFER_CPR]:
            if key != demo.chave:
                continue
            offer_id = _id("oferta", _OFFER_CPR, key)
            price = Money.usdc(_OFFER_PRICE_USDC)
            when = self.now - timedelta(days=3)
            quantity = min(5, count)
            self.data.add(
                "ofertas_secundario",
                id=offer_id,
                investimento_id=investment_id,
                quantidade_cotas_a_venda=quantity,
                preco_por_cota_usdc=price.amount,
                status=StatusOferta.ABERTA,
                data_criacao=when,
            )
            self.data.event(
                when,
                ("ofertas_secundario", offer_id),
                "OFERTA_SECUNDARIA_CRIADA",
                demo,
                {"oferta_id": str(offer_id), "investimento_id": str(investment_id)},
                cpr_id=str(_id("cpr", _OFFER_CPR)),
                quantidade_cotas=quantity,
                preco_por_cota_usdc=price.to_wire(),
                status=str(StatusOferta.ABERTA),
            )


def build_dataset(now: datetime) -> DemoDataset:
    """The whole demo data set, as rows per table and events, without touching a database."""
    builder = _Builder(now)
    builder.people_rows()
    builder.cprs()
    builder.wallets()
    builder.offer()
    builder.data.events.sort(key=lambda e: e.when)  # stable: same-time events keep their order
    return builder.data


# ------------------------------------------------------------------------------------------------
# Writing it
# ------------------------------------------------------------------------------------------------


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> set[uuid.UUID]:
    """Insert what is missing; return the ids inserted now. Refuse foreign rows in the way."""
    if not rows:
        return set()
    wanted = [row["id"] for row in rows]
    present = set(conn.execute(sa.select(table.c.id).where(table.c.id.in_(wanted))).scalars())
    missing = [row for row in rows if row["id"] not in present]
    inserted: set[uuid.UUID] = set()
    if missing:
        # executemany ("insertmanyvalues"): compiled once, sent in batches.
        statement = pg_insert(table).on_conflict_do_nothing().returning(table.c.id)
        inserted = set(conn.execute(statement, missing).scalars())
    if len(present) + len(inserted) != len(wanted):
        raise DemoSeedConflictError(
            f"não foi possível criar os dados de demonstração em {table.name}: "
            "um e-mail, CPF ou chave de demonstração já pertence a outro registro"
        )
    return inserted


def seed_demo(
    conn: sa.Connection,
    *,
    now: datetime | None = None,
    password_hasher: PasswordHasher | None = None,
) -> SeedReport:
    """Create whatever part of the demo data set is missing, inside the caller's transaction.

    Never commits. ``now`` anchors the simulated history (default: the current time);
    ``password_hasher`` defaults to ``argon2.PasswordHasher()`` (Argon2id with the library's
    parameters, the ones ``sync_server.auth.passwords`` uses; tests may pass cheaper ones).
    Ledger events are appended last, so the ledger's chain lock is held only for the end of the
    caller's transaction.
    """
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    hasher = password_hasher if password_hasher is not None else PasswordHasher()
    data = build_dataset(now.astimezone(UTC))

    usuarios = Base.metadata.tables["usuarios"]
    wanted = [u["id"] for u in data.rows["usuarios"]]
    existing = set(
        conn.execute(sa.select(usuarios.c.id).where(usuarios.c.id.in_(wanted))).scalars()
    )
    missing_users = [u for u in data.rows["usuarios"] if u["id"] not in existing]
    if missing_users:
        # The demo password is public, so one Argon2id hash (one salt) for every account created
        # now gives nothing away, and Argon2id is deliberately slow: hashing per account would
        # add seconds to every `run --demo`.
        senha_hash = hasher.hash(DEMO_PASSWORD)
        for user in missing_users:
            user["senha_hash"] = senha_hash

    inserted: dict[str, set[uuid.UUID]] = {}
    for name in TABLE_ORDER:
        rows = missing_users if name == "usuarios" else data.rows[name]
        inserted[name] = _insert(conn, Base.metadata.tables[name], rows)

    _apply_wallet_movements(conn, data, inserted["transacoes"])

    appended = 0
    for event in data.events:
        if event.row_id in inserted[event.table]:
            append_event(
                conn,
                tipo_evento=event.tipo,
                dados_evento=event.dados,
                ator_id=event.ator_id,
                ator_tipo=event.ator_tipo,
            )
            appended += 1
    return SeedReport(
        created={name: len(ids) for name, ids in inserted.items()}, ledger_events=appended
    )


def _apply_wallet_movements(
    conn: sa.Connection, data: DemoDataset, inserted: set[uuid.UUID]
) -> None:
    """Move balances by the transactions inserted now: concluded ones into ``saldo_usdc``,
    pending withdrawals into ``saldo_bloqueado_usdc``."""
    saldo: dict[uuid.UUID, Money] = defaultdict(lambda: Money.zero(Currency.USDC))
    bloqueado: dict[uuid.UUID, Money] = defaultdict(lambda: Money.zero(Currency.USDC))
    for row in data.rows["transacoes"]:
        if row["id"] not in inserted:
            continue
        valor = Money.usdc(row["valor"])
        if row["status"] is StatusTransacao.CONCLUIDA:
            saldo[row["carteira_id"]] += valor
        elif row["status"] is StatusTransacao.PENDENTE and row["tipo"] is TipoTransacao.SAQUE_PIX:
            bloqueado[row["carteira_id"]] += -valor
    carteiras = Base.metadata.tables["carteiras"]
    for wallet_id in sorted(saldo.keys() | bloqueado.keys()):
        conn.execute(
            carteiras.update()
            .where(carteiras.c.id == wallet_id)
            .values(
                saldo_usdc=carteiras.c.saldo_usdc + saldo[wallet_id].amount,
                saldo_bloqueado_usdc=carteiras.c.saldo_bloqueado_usdc + bloqueado[wallet_id].amount,
                data_atualizacao=sa.func.now(),
            )
        )
