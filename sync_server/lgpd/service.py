"""LGPD rights: export all of one's personal data, and deletion by anonymisation.

Deletion keeps every financial record (wallet, ``transacoes``, CPRs, installments, investments,
offers) and the ledger (which never held personal data) and anonymises everything personal:

- ``usuarios``: name, e-mail, CPF, mobile replaced by placeholders (the CPF placeholder has 11
  digits but wrong check digits, so it satisfies the column's CHECK and UNIQUE and can never be
  typed at login), the password made unusable, ``anonimizado_em`` set;
- bank accounts: agency and number blanked (``0000`` / ``0-0``), INVALIDA, not principal;
- KYC documents: content erased (metadata kept: type, size, SHA-256, dates); free-text reasons of
  KYC decisions erased (the reason code stays);
- notifications, registered devices and any pending activation deleted;
- every session revoked (Redis), so the old token and the old credentials stop working.

It is refused while the user still has money or obligations on the platform (balance, pending
movements, active investments, CPRs not settled), which must be settled first.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import redis
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared_models.cpf import generate_cpf
from shared_models.db import (
    AtivacaoConta,
    Carteira,
    ContaBancaria,
    Cpr,
    Dispositivo,
    DocumentoKyc,
    Investimento,
    KycDecisao,
    LedgerEvento,
    Notificacao,
    OfertaSecundario,
    Parcela,
    Transacao,
    Usuario,
)
from shared_models.enums import (
    StatusCpr,
    StatusInvestimento,
    StatusTransacao,
    StatusVerificacao,
)
from sync_server.accounts.users import get_active_user, touch, unusable_password
from sync_server.auth import ratelimit, sessions
from sync_server.auth.otp import OtpPurpose, otp_key
from sync_server.auth.passwords import verify_password
from sync_server.errors import ApiError
from sync_server.ledger.service import append_event

EXPORT_FORMAT: Final = "peerseed-lgpd-export/1"
ANONYMOUS_NAME: Final = "Titular anonimizado"
ANONYMOUS_MOBILE: Final = "+5500000000000"
ANONYMOUS_EMAIL_DOMAIN: Final = "anonimizado.peerseed.invalid"
_CODE_RUN: Final = re.compile(r"\d{4,}")


# --- export ------------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, uuid.UUID):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        raise TypeError("binary content is never exported inline")
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


def _row(obj: Any, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    table = obj.__table__
    return {
        column.key: _value(getattr(obj, column.key))
        for column in table.columns
        if column.key not in exclude
    }


def export_personal_data(session: Session, *, user_id: uuid.UUID) -> dict[str, Any]:
    """Everything the platform holds about ``user_id``, as plain JSON-ready data.

    Bank accounts are unmasked (this goes to their owner). Document contents are not inlined
    (metadata only); notification bodies have digit runs (one-time codes) redacted so that a
    stolen session cannot read a code sent to the owner's phone.
    """
    user = get_active_user(session, user_id)
    wallet = session.scalars(sa.select(Carteira).where(Carteira.usuario_id == user_id)).first()
    transactions = (
        session.scalars(
            sa.select(Transacao)
            .where(Transacao.carteira_id == wallet.id)
            .order_by(Transacao.data_transacao, Transacao.id)
        ).all()
        if wallet
        else []
    )
    cprs = session.scalars(
        sa.select(Cpr).where(Cpr.agricultor_id == user_id).order_by(Cpr.data_criacao, Cpr.id)
    ).all()
    parcelas: dict[uuid.UUID, list[dict[str, Any]]] = {cpr.id: [] for cpr in cprs}
    if cprs:
        for parcela in session.scalars(
            sa.select(Parcela)
            .where(Parcela.cpr_id.in_(list(parcelas)))
            .order_by(Parcela.cpr_id, Parcela.numero_parcela)
        ):
            parcelas[parcela.cpr_id].append(_row(parcela))
    investments = session.scalars(
        sa.select(Investimento)
        .where(Investimento.investidor_id == user_id)
        .order_by(Investimento.data_investimento, Investimento.id)
    ).all()
    offers = (
        session.scalars(
            sa.select(OfertaSecundario)
            .where(OfertaSecundario.investimento_id.in_([i.id for i in investments]))
            .order_by(OfertaSecundario.data_criacao, OfertaSecundario.id)
        ).all()
        if investments
        else []
    )
    notifications = session.scalars(
        sa.select(Notificacao)
        .where(Notificacao.usuario_id == user_id)
        .order_by(Notificacao.data_criacao, Notificacao.id)
    ).all()
    ledger = session.scalars(
        sa.select(LedgerEvento)
        .where(
            sa.or_(
                LedgerEvento.ator_id == user_id,
                LedgerEvento.dados_evento["usuario_id"].astext == str(user_id),
            )
        )
        .order_by(LedgerEvento.id)
    ).all()
    documents = session.execute(
        sa.select(
            DocumentoKyc.id,
            DocumentoKyc.tipo,
            DocumentoKyc.mime,
            DocumentoKyc.tamanho_bytes,
            DocumentoKyc.sha256,
            DocumentoKyc.enviado_por,
            DocumentoKyc.data_criacao,
            DocumentoKyc.excluido_em,
        )
        .where(DocumentoKyc.usuario_id == user_id)
        .order_by(DocumentoKyc.data_criacao, DocumentoKyc.id)
    ).all()
    producers = session.scalars(
        sa.select(Usuario.id).where(Usuario.agente_id == user_id).order_by(Usuario.data_criacao)
    ).all()
    devices = session.scalars(
        sa.select(Dispositivo)
        .where(Dispositivo.usuario_id == user_id)
        .order_by(Dispositivo.data_registro)
    ).all()
    return {
        "formato": EXPORT_FORMAT,
        "gerado_em": _value(datetime.now(UTC)),
        "perfil": _row(user, exclude=("senha_hash",)),
        "contas_bancarias": [
            _row(a)
            for a in session.scalars(
                sa.select(ContaBancaria)
                .where(ContaBancaria.usuario_id == user_id)
                .order_by(ContaBancaria.data_criacao, ContaBancaria.id)
            )
        ],
        "documentos_kyc": [
            {key: _value(value) for key, value in row._mapping.items()} for row in documents
        ],
        "decisoes_kyc": [
            _row(d, exclude=("admin_id",))
            for d in session.scalars(
                sa.select(KycDecisao)
                .where(KycDecisao.usuario_id == user_id)
                .order_by(KycDecisao.data_criacao)
            )
        ],
        "dispositivos": [_row(d) for d in devices],
        "notificacoes": [
            {**_row(n, exclude=("job_id",)), "corpo": _CODE_RUN.sub("******", n.corpo)}
            for n in notifications
        ],
        "carteira": _row(wallet) if wallet else None,
        "transacoes": [_row(t) for t in transactions],
        "cprs": [{**_row(c), "parcelas": parcelas[c.id]} for c in cprs],
        "investimentos": [_row(i) for i in investments],
        "ofertas_secundario": [_row(o) for o in offers],
        "produtores_cadastrados": [str(p) for p in producers],
        "eventos_ledger": [_row(e, exclude=("hash_anterior",)) for e in ledger],
    }


# --- deletion (anonymisation) ------------------------------------------------------------------

PASSWORD_SCOPE: Final = "senha_usuario"  # noqa: S105 - a rate-limit scope


def _obligations(session: Session, user_id: uuid.UUID) -> list[str]:
    reasons: list[str] = []
    wallet = session.scalars(
        sa.select(Carteira).where(Carteira.usuario_id == user_id).with_for_update()
    ).first()
    if wallet is not None:
        if wallet.saldo_usdc != 0 or wallet.saldo_bloqueado_usdc != 0:
            reasons.append("saldo")
        pending = session.scalar(
            sa.select(sa.func.count())
            .select_from(Transacao)
            .where(
                Transacao.carteira_id == wallet.id,
                Transacao.status == StatusTransacao.PENDENTE,
            )
        )
        if pending:
            reasons.append("movimentacoes_pendentes")
    if session.scalar(
        sa.select(sa.func.count())
        .select_from(Investimento)
        .where(
            Investimento.investidor_id == user_id,
            Investimento.status == StatusInvestimento.ATIVO,
        )
    ):
        reasons.append("investimentos_ativos")
    if session.scalar(
        sa.select(sa.func.count())
        .select_from(Cpr)
        .where(Cpr.agricultor_id == user_id, Cpr.status != StatusCpr.QUITADO)
    ):
        reasons.append("cprs_em_aberto")
    return reasons


_OBLIGATION_TEXT: Final = {
    "saldo": "saldo na carteira (faça o saque antes)",
    "movimentacoes_pendentes": "movimentações pendentes",
    "investimentos_ativos": "investimentos ativos",
    "cprs_em_aberto": "CPRs não quitadas",
}


def _placeholder_cpf(rng: random.Random) -> str:
    """11 digits that are not a valid CPF: a valid one with its last check digit changed."""
    valid = generate_cpf(rng)
    return valid[:10] + str((int(valid[10]) + 1) % 10)


def anonymise_user(
    session: Session,
    *,
    redis_client: redis.Redis,
    user_id: uuid.UUID,
    senha: str,
    password_rule: ratelimit.Rule,
) -> None:
    """Confirm the password, then anonymise ``user_id`` (see the module docstring)."""
    ident = str(user_id)
    ratelimit.ensure_below(redis_client, scope=PASSWORD_SCOPE, ident=ident, rule=password_rule)
    user = get_active_user(session, user_id, lock=True)
    if not verify_password(user.senha_hash, senha):
        ratelimit.record(redis_client, scope=PASSWORD_SCOPE, ident=ident, rule=password_rule)
        raise ApiError(
            400,
            "senha_atual_incorreta",
            "A senha atual está incorreta: confirme a exclusão com a sua senha.",
        )
    reasons = _obligations(session, user_id)
    if reasons:
        listed = "; ".join(_OBLIGATION_TEXT[r] for r in reasons)
        raise ApiError(
            409,
            "exclusao_com_pendencias",
            f"A conta não pode ser excluída enquanto houver: {listed}.",
            details={"pendencias": reasons},
        )

    now = sa.func.now()
    rng = random.SystemRandom()
    user.nome_completo = ANONYMOUS_NAME
    user.email = f"{user_id.hex}@{ANONYMOUS_EMAIL_DOMAIN}"
    user.celular = ANONYMOUS_MOBILE
    user.senha_hash = unusable_password()
    user.anonimizado_em = now
    touch(user)
    session.flush()
    for _ in range(10):
        user.cpf = _placeholder_cpf(rng)
        try:
            with session.begin_nested():
                session.flush()
            break
        except sa.exc.IntegrityError:  # placeholder already taken: draw another
            continue
    else:  # pragma: no cover - 10 collisions in a space of 10^9
        raise RuntimeError("could not draw an unused CPF placeholder")

    session.execute(
        sa.update(ContaBancaria)
        .where(ContaBancaria.usuario_id == user_id)
        .values(
            agencia="0000",
            conta="0-0",
            status=StatusVerificacao.INVALIDA,
            is_principal=False,
        )
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(DocumentoKyc)
        .where(DocumentoKyc.usuario_id == user_id, DocumentoKyc.excluido_em.is_(None))
        .values(conteudo=None, excluido_em=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(KycDecisao)
        .where(KycDecisao.usuario_id == user_id)
        .values(motivo=None)
        .execution_options(synchronize_session=False)
    )
    for model in (Notificacao, Dispositivo, AtivacaoConta):
        session.execute(
            sa.delete(model)
            .where(model.usuario_id == user_id)
            .execution_options(synchronize_session=False)
        )
    append_event(
        session.connection(),
        tipo_evento="USUARIO_ANONIMIZADO",
        dados_evento={"usuario_id": ident},
        ator_id=user_id,
        ator_tipo=user.perfil.value,
    )
    # Redis last: if it is down the request fails with 503 and the transaction rolls back.
    sessions.revoke_all_sessions(redis_client, user_id=user_id)
    redis_client.delete(*(otp_key(user_id, purpose) for purpose in OtpPurpose))
