"""Activation of accounts created on someone's behalf (producers by field agents, agents by admins).

Such an account starts with an unusable password (login fails). A 6-digit code is sent by SMS to
its mobile through the notification queue, after the transaction commits; only its Argon2 hash is
stored (``ativacoes_conta``) with an expiry (:data:`ACTIVATION_TTL`). The owner activates with
CPF + code + a new password (the signup password policy applies). Wrong codes are counted in
Redis (``ratelimit:ativacao_conta:{usuario_id}``), because a refused request rolls its transaction
back: after :data:`MAX_ATTEMPTS` wrong codes the code is blocked until a new one is issued. Every
attempt also counts against the caller's IP (``ratelimit:ativacao_ip:{ip}``).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

import redis
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from shared_models.db import AtivacaoConta, Usuario
from shared_models.enums import CanalNotificacao
from sync_server.accounts.hooks import after_commit, notify_after_commit
from sync_server.accounts.users import has_usable_password, touch
from sync_server.auth import ratelimit
from sync_server.auth.passwords import (
    WeakPasswordError,
    check_password_policy,
    hash_password,
    verify_password,
)
from sync_server.errors import ApiError
from sync_server.ledger.service import append_event
from sync_server.notifications.service import Message

ACTIVATION_TTL: Final = timedelta(hours=72)
MAX_ATTEMPTS: Final = 5
CODE_DIGITS: Final = 6
ATTEMPT_SCOPE: Final = "ativacao_conta"
IP_SCOPE: Final = "ativacao_ip"
RESEND_SCOPE: Final = "ativacao_reenvio"
ATTEMPT_RULE: Final = ratelimit.Rule(MAX_ATTEMPTS, ACTIVATION_TTL.total_seconds())
IP_RULE: Final = ratelimit.Rule(30, 15 * 60)
RESEND_RULE: Final = ratelimit.Rule(3, 60 * 60)


def _code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def issue_activation(session: Session, *, redis_client: redis.Redis, user: Usuario) -> datetime:
    """(Re)issue the activation code of ``user`` and send it by SMS once committed.

    Replaces any previous code and resets its wrong-attempt counter. Returns the expiry.
    """
    if has_usable_password(user):
        raise ApiError(
            409, "conta_ja_ativada", "Esta conta já foi ativada: o titular já definiu a senha."
        )
    code = _code()
    expires = datetime.now(UTC) + ACTIVATION_TTL
    stmt = insert(AtivacaoConta).values(
        usuario_id=user.id, codigo_hash=hash_password(code), expira_em=expires
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[AtivacaoConta.usuario_id],
            set_={
                "codigo_hash": stmt.excluded.codigo_hash,
                "expira_em": stmt.excluded.expira_em,
                "data_criacao": sa.func.now(),
            },
        )
    )
    hours = int(ACTIVATION_TTL.total_seconds() // 3600)
    notify_after_commit(
        session,
        redis_client,
        Message(
            canal=CanalNotificacao.SMS,
            destino=user.celular,
            tipo="ativacao_conta",
            assunto="Ative sua conta Peerseed",
            corpo=(
                f"Peerseed: seu código de ativação é {code}. Ele vale {hours} horas. "
                "Ative a conta com seu CPF e este código e crie sua senha. "
                "Não compartilhe este código com ninguém."
            ),
            usuario_id=user.id,
        ),
    )
    user_id = user.id
    after_commit(
        session,
        lambda: ratelimit.clear(redis_client, scope=ATTEMPT_SCOPE, ident=str(user_id)),
    )
    return expires


def resend_activation(
    session: Session, *, redis_client: redis.Redis, user: Usuario, actor_id: uuid.UUID
) -> datetime:
    """A new code on request of the agent/admin (rate-limited per account)."""
    if has_usable_password(user):
        raise ApiError(
            409, "conta_ja_ativada", "Esta conta já foi ativada: o titular já definiu a senha."
        )
    ratelimit.take(redis_client, scope=RESEND_SCOPE, ident=str(user.id), rule=RESEND_RULE)
    return issue_activation(session, redis_client=redis_client, user=user)


def _invalid() -> ApiError:
    return ApiError(
        400,
        "ativacao_invalida",
        "CPF ou código de ativação incorretos, ou não há ativação pendente para este CPF.",
    )


def activate_account(
    session: Session,
    *,
    redis_client: redis.Redis,
    client_ip: str,
    cpf: str,
    codigo: str,
    senha: str,
) -> Usuario:
    """Check the code and set the owner's password; the account can log in afterwards."""
    ratelimit.take(redis_client, scope=IP_SCOPE, ident=client_ip, rule=IP_RULE)
    codigo = codigo.strip()
    if not (len(codigo) == CODE_DIGITS and codigo.isascii() and codigo.isdigit()):
        raise ApiError(
            422, "ativacao_formato", f"O código de ativação deve ter {CODE_DIGITS} dígitos."
        )
    row = session.execute(
        sa.select(Usuario, AtivacaoConta)
        .join(AtivacaoConta, AtivacaoConta.usuario_id == Usuario.id)
        .where(Usuario.cpf == cpf, Usuario.anonimizado_em.is_(None))
        .with_for_update()
    ).one_or_none()
    if row is None:
        verify_password(None, codigo)  # same time as a real check
        raise _invalid()
    user, activation = row
    ident = str(user.id)
    try:
        ratelimit.ensure_below(redis_client, scope=ATTEMPT_SCOPE, ident=ident, rule=ATTEMPT_RULE)
    except ratelimit.RateLimited:
        raise ApiError(
            429,
            "ativacao_bloqueada",
            "Tentativas esgotadas para este código de ativação. "
            "Peça um novo código ao seu agente de campo.",
            headers={"Retry-After": "3600"},
        ) from None
    if not verify_password(activation.codigo_hash, codigo):
        ratelimit.record(redis_client, scope=ATTEMPT_SCOPE, ident=ident, rule=ATTEMPT_RULE)
        raise _invalid()
    if activation.expira_em <= datetime.now(UTC):
        raise ApiError(
            400,
            "ativacao_expirada",
            "O código de ativação expirou. Peça um novo código ao seu agente de campo.",
        )
    try:
        check_password_policy(senha, cpf=user.cpf, email=user.email)
    except WeakPasswordError as exc:
        raise ApiError(422, exc.code, exc.message) from None
    user.senha_hash = hash_password(senha)
    touch(user)
    session.delete(activation)
    session.flush()
    append_event(
        session.connection(),
        tipo_evento="CONTA_ATIVADA",
        dados_evento={"usuario_id": ident},
        ator_id=user.id,
        ator_tipo=user.perfil.value,
    )
    after_commit(session, lambda: ratelimit.clear(redis_client, scope=ATTEMPT_SCOPE, ident=ident))
    return user


def pending_activation(session: Session, *, user_id: uuid.UUID) -> AtivacaoConta | None:
    return session.get(AtivacaoConta, user_id)
