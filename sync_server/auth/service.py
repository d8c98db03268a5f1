"""Accounts: signup, login, password change, sessions and OTP requests.

Keyword-only functions; none commits. The route's transaction commits, and the route decides what
happens after the commit (queueing notifications, undoing a Redis write when the commit fails).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from shared_models.db import Carteira, Dispositivo, Usuario
from shared_models.enums import CanalNotificacao, Perfil, StatusKyc
from sync_server.auth import otp, ratelimit, sessions
from sync_server.auth.kyc_precheck import precheck
from sync_server.auth.passwords import (
    WeakPasswordError,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from sync_server.errors import ApiError
from sync_server.ledger.service import append_event
from sync_server.notifications.service import Message, queue_notification

log = logging.getLogger(__name__)

EVENT_SIGNUP = "USUARIO_CADASTRADO"

SIGNUP_CONFLICT_MESSAGE = (
    "Não foi possível concluir o cadastro com estes dados. Se você já tem uma conta, entre com "
    "seu e-mail ou CPF, ou recupere o acesso."
)


def _signup_conflict() -> ApiError:
    """The one answer to a duplicate e-mail *or* CPF: it names neither field nor account."""
    return ApiError(409, "cadastro_indisponivel", SIGNUP_CONFLICT_MESSAGE)


def _invalid_credentials() -> ApiError:
    return ApiError(401, "credenciais_invalidas", "E-mail/CPF ou senha incorretos.")


def _weak_password(exc: WeakPasswordError, field: str) -> ApiError:
    return ApiError(422, exc.code, exc.message, details=[{"campo": field, "erro": exc.message}])


# --------------------------------------------------------------------------------------------
# Signup
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignupResult:
    user_id: uuid.UUID
    carteira_id: uuid.UUID
    status_kyc: StatusKyc
    kyc_reasons: tuple[str, ...]


def signup(
    db: Session,
    *,
    nome_completo: str,
    email: str,
    cpf: str,
    celular: str,
    senha: str,
    perfil: Perfil,
) -> SignupResult:
    """Create the user, its wallet and the ``USUARIO_CADASTRADO`` ledger event.

    Inputs are already normalised (schemas). A duplicate e-mail or CPF raises the generic 409
    :func:`_signup_conflict`, which names neither the field nor the other account; the password is
    hashed before the uniqueness check so both outcomes cost the same Argon2 work.
    """
    try:
        check_password_policy(senha, cpf=cpf, email=email)
    except WeakPasswordError as exc:
        raise _weak_password(exc, "senha") from None
    senha_hash = hash_password(senha)
    kyc = precheck(nome_completo=nome_completo, cpf=cpf)
    user_id = db.execute(
        pg_insert(Usuario)
        .values(
            nome_completo=nome_completo,
            email=email,
            cpf=cpf,
            celular=celular,
            senha_hash=senha_hash,
            perfil=perfil,
            status_kyc=kyc.status,
        )
        .on_conflict_do_nothing()
        .returning(Usuario.id)
    ).scalar()
    if user_id is None:
        log.info("cadastro recusado: e-mail ou CPF já cadastrado")
        raise _signup_conflict()
    carteira_id = db.execute(
        sa.insert(Carteira).values(usuario_id=user_id).returning(Carteira.id)
    ).scalar_one()
    append_event(
        db.connection(),
        tipo_evento=EVENT_SIGNUP,
        dados_evento={
            "usuario_id": str(user_id),
            "perfil": perfil.value,
            "carteira_id": str(carteira_id),
            "status_kyc": kyc.status.value,
        },
        ator_id=user_id,
        ator_tipo=perfil.value,
    )
    log.info(
        "usuário cadastrado",
        extra={
            "user_id": str(user_id),
            "payload": {
                "perfil": perfil.value,
                "status_kyc": kyc.status.value,
                "motivos_kyc": list(kyc.reasons),
            },
        },
    )
    return SignupResult(
        user_id=user_id, carteira_id=carteira_id, status_kyc=kyc.status, kyc_reasons=kyc.reasons
    )


def queue_welcome(client: redis.Redis, *, user_id: uuid.UUID, nome: str, email: str) -> None:
    """Queue the welcome e-mail. Call only after the signup committed; never raises."""
    first_name = nome.split(maxsplit=1)[0]
    try:
        queue_notification(
            client,
            Message(
                canal=CanalNotificacao.EMAIL,
                destino=email,
                tipo="boas_vindas",
                assunto="Bem-vindo(a) à Peerseed",
                corpo=(
                    f"Olá, {first_name}! Sua conta na Peerseed foi criada. "
                    "Para investir ou solicitar crédito, conclua a verificação de identidade "
                    "enviando seus documentos pelo aplicativo."
                ),
                usuario_id=user_id,
            ),
        )
    except redis.exceptions.RedisError:
        log.warning(
            "não foi possível enfileirar a notificação de boas-vindas",
            extra={"user_id": str(user_id)},
        )


# --------------------------------------------------------------------------------------------
# Login and sessions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginResult:
    token: str
    session: sessions.SessionRecord


def _find_login_user(db: Session, identifier: str) -> Usuario | None:
    column = Usuario.email if "@" in identifier else Usuario.cpf
    return db.execute(
        sa.select(Usuario).where(column == identifier, Usuario.anonimizado_em.is_(None))
    ).scalar_one_or_none()


def _account_key(user: Usuario | None, identifier: str) -> str:
    """The per-account rate-limit id: the user id, or a hash of an identifier nobody holds."""
    if user is not None:
        return str(user.id)
    return "x" + hashlib.sha256(identifier.encode()).hexdigest()[:32]


def login(
    db: Session,
    client: redis.Redis,
    *,
    identifier: str,
    senha: str,
    device_id: uuid.UUID,
    device_name: str,
    ip: str,
    user_agent: str | None,
    limits: ratelimit.RateLimits,
    policy: sessions.SessionPolicy,
) -> LoginResult:
    """Check the credentials and open a session bound to the device.

    Rate limits: every attempt counts against the IP; every attempt counts against the account
    until one succeeds (a success clears the account's counter). The session is written to Redis
    last: the caller commits the device row and, should the commit fail, revokes the session.
    """
    ratelimit.take(client, scope="login_ip", ident=ip, rule=limits.login_ip)
    user = _find_login_user(db, identifier)
    account = _account_key(user, identifier)
    ratelimit.take(client, scope="login_conta", ident=account, rule=limits.login_account)
    # An unknown account still pays for one Argon2 verification (no timing oracle).
    matches = verify_password(user.senha_hash if user is not None else None, senha)
    if user is None or not matches:
        log.warning("falha de login", extra={"user_id": str(user.id) if user is not None else None})
        raise _invalid_credentials()
    ratelimit.clear(client, scope="login_conta", ident=account)
    if needs_rehash(user.senha_hash):
        user.senha_hash = hash_password(senha)
    db.execute(
        pg_insert(Dispositivo)
        .values(usuario_id=user.id, dispositivo_id=device_id, nome=device_name)
        .on_conflict_do_update(
            index_elements=[Dispositivo.usuario_id, Dispositivo.dispositivo_id],
            set_={"nome": device_name, "ultimo_login": sa.func.now()},
        )
    )
    db.flush()
    token, record = sessions.create_session(
        client,
        user_id=user.id,
        perfil=user.perfil,
        device_id=device_id,
        device_name=device_name,
        ip=ip,
        user_agent=user_agent,
        policy=policy,
    )
    log.info("login bem-sucedido", extra={"user_id": str(user.id)})
    return LoginResult(token=token, session=record)


def list_devices(db: Session, *, user_id: uuid.UUID) -> list[Dispositivo]:
    return list(
        db.execute(
            sa.select(Dispositivo)
            .where(Dispositivo.usuario_id == user_id)
            .order_by(Dispositivo.ultimo_login.desc())
        ).scalars()
    )


def revoke_session(client: redis.Redis, *, user_id: uuid.UUID, session_id: str) -> None:
    """Revoke one of the user's sessions; 404 when the user has no such session."""
    if not sessions.revoke_session(client, user_id=user_id, session_id=session_id):
        raise ApiError(404, "sessao_inexistente", "Sessão não encontrada ou já encerrada.")


def change_password(
    db: Session,
    client: redis.Redis,
    *,
    user_id: uuid.UUID,
    senha_atual: str,
    nova_senha: str,
    limits: ratelimit.RateLimits,
) -> Usuario:
    """Replace the password and revoke every session of the user (this one included).

    Sessions are revoked (Redis) before the caller commits the new hash: if Redis is down nothing
    changes; if the commit then failed, the user would only have to log in again.
    """
    ratelimit.ensure_below(
        client, scope="senha_usuario", ident=str(user_id), rule=limits.password_change_user
    )
    user = db.execute(
        sa.select(Usuario).where(Usuario.id == user_id).with_for_update()
    ).scalar_one_or_none()
    if user is None:
        raise ApiError(401, "nao_autenticado", "Sessão inválida. Entre novamente.")
    if not verify_password(user.senha_hash, senha_atual):
        ratelimit.record(
            client, scope="senha_usuario", ident=str(user_id), rule=limits.password_change_user
        )
        raise ApiError(400, "senha_atual_incorreta", "A senha atual está incorreta.")
    if nova_senha == senha_atual:
        raise ApiError(
            422,
            "senha_igual",
            "A nova senha deve ser diferente da atual.",
            details=[{"campo": "nova_senha", "erro": "igual à senha atual"}],
        )
    try:
        check_password_policy(nova_senha, cpf=user.cpf, email=user.email)
    except WeakPasswordError as exc:
        raise _weak_password(exc, "nova_senha") from None
    user.senha_hash = hash_password(nova_senha)
    user.data_atualizacao = datetime.now(UTC)
    db.flush()
    revoked = sessions.revoke_all_sessions(client, user_id=user_id)
    ratelimit.clear(client, scope="senha_usuario", ident=str(user_id))
    log.info("senha alterada; sessões revogadas", extra={"payload": {"sessoes": revoked}})
    return user


def queue_password_changed(client: redis.Redis, *, user_id: uuid.UUID, email: str) -> None:
    """Tell the user by e-mail that the password changed. After commit; never raises."""
    try:
        queue_notification(
            client,
            Message(
                canal=CanalNotificacao.EMAIL,
                destino=email,
                tipo="senha_alterada",
                assunto="Sua senha na Peerseed foi alterada",
                corpo=(
                    "A senha da sua conta Peerseed acabou de ser alterada e todas as sessões "
                    "foram encerradas. Se não foi você, procure o suporte imediatamente."
                ),
                usuario_id=user_id,
            ),
        )
    except redis.exceptions.RedisError:
        log.warning("não foi possível enfileirar o aviso de troca de senha")


# --------------------------------------------------------------------------------------------
# OTP
# --------------------------------------------------------------------------------------------


def mask_mobile(e164: str) -> str:
    """``+55 (11) *****-5678``."""
    if len(e164) == 14 and e164.startswith("+55"):
        return f"+55 ({e164[3:5]}) *****-{e164[-4:]}"
    return "***" + e164[-4:]


def request_otp(
    db: Session,
    client: redis.Redis,
    *,
    user_id: uuid.UUID,
    purpose: otp.OtpPurpose,
    ip: str,
    limits: ratelimit.RateLimits,
) -> tuple[otp.OtpIssued, str]:
    """Send a new code to the user's mobile; returns it issued and the masked destination."""
    ratelimit.take(client, scope="otp_pedido_ip", ident=ip, rule=limits.otp_request_ip)
    ratelimit.take(
        client, scope="otp_pedido_usuario", ident=str(user_id), rule=limits.otp_request_user
    )
    mobile = db.execute(sa.select(Usuario.celular).where(Usuario.id == user_id)).scalar()
    if mobile is None:
        raise ApiError(401, "nao_autenticado", "Sessão inválida. Entre novamente.")
    issued = otp.request_otp(client, user_id=user_id, purpose=purpose, mobile=mobile)
    log.info("código de verificação enviado", extra={"payload": {"finalidade": purpose.value}})
    return issued, mask_mobile(mobile)
