"""User data (RF-USR-002): one's profile and bank accounts (``contas_bancarias``).

Bank accounts: at most :data:`MAX_BANK_ACCOUNTS` per user; the first one is the principal and
there is always exactly one principal while the user has any account (switching is atomic inside
the transaction; removing the principal promotes the oldest remaining account). The user's row is
locked (``FOR UPDATE``) for every change, so concurrent changes of one user's accounts serialise.
Adding, changing, removing or switching an account is confirmed by an OTP at the API layer;
every change appends a ledger event with ids only and sends the owner a security SMS.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Final

import redis
import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared_models.db import ContaBancaria, Usuario
from shared_models.enums import CanalNotificacao, Perfil, StatusKyc, StatusVerificacao, TipoConta
from sync_server.accounts.hooks import notify_after_commit
from sync_server.accounts.users import get_active_user, touch
from sync_server.auth import ratelimit
from sync_server.auth.kyc_precheck import precheck
from sync_server.auth.passwords import verify_password
from sync_server.errors import ApiError
from sync_server.ledger.service import append_event
from sync_server.notifications.service import Message

MAX_BANK_ACCOUNTS: Final = 5
PASSWORD_SCOPE: Final = "senha_usuario"  # noqa: S105 - a rate-limit scope

# Called after every check passed and before anything changes: the API layer passes the OTP
# verification here, so a refused operation (duplicate, limit...) does not burn the user's code.
Confirm = Callable[[], None]


def _confirm(confirm: Confirm | None) -> None:
    if confirm is not None:
        confirm()


# --- profile -----------------------------------------------------------------------------------


def get_profile(session: Session, *, user_id: uuid.UUID) -> Usuario:
    return get_active_user(session, user_id)


def update_profile(
    session: Session,
    *,
    redis_client: redis.Redis,
    user_id: uuid.UUID,
    password_rule: ratelimit.Rule,
    nome_completo: str | None = None,
    celular: str | None = None,
    senha_atual: str | None = None,
) -> Usuario:
    """Change the name and/or the mobile (already validated and normalised by the caller).

    The mobile receives the one-time codes that confirm sensitive operations, so changing it
    needs the current password (wrong passwords are rate-limited per user). E-mail and CPF are
    identifiers of the account and cannot be changed here. A new name no longer matches the
    verified documents: a VERIFICADO account goes back to ANALISE_MANUAL (ledger
    ``KYC_REABERTO``), and a PENDENTE one goes there too if the signup pre-check flags the name.
    """
    user = get_active_user(session, user_id, lock=True)
    changed = False
    if celular is not None and celular != user.celular:
        ident = str(user_id)
        if not senha_atual:
            raise ApiError(
                422,
                "senha_atual_obrigatoria",
                "Para trocar o celular, confirme com a sua senha atual (campo senha_atual).",
            )
        ratelimit.ensure_below(redis_client, scope=PASSWORD_SCOPE, ident=ident, rule=password_rule)
        if not verify_password(user.senha_hash, senha_atual):
            ratelimit.record(redis_client, scope=PASSWORD_SCOPE, ident=ident, rule=password_rule)
            raise ApiError(400, "senha_atual_incorreta", "A senha atual está incorreta.")
        user.celular = celular
        changed = True
    if nome_completo is not None and nome_completo != user.nome_completo:
        user.nome_completo = nome_completo
        changed = True
        _recheck_kyc_after_rename(session, user)
    if changed:
        touch(user)
        session.flush()
        session.refresh(user)
    return user


def _recheck_kyc_after_rename(session: Session, user: Usuario) -> None:
    previous = user.status_kyc
    if previous is StatusKyc.VERIFICADO:
        user.status_kyc = StatusKyc.ANALISE_MANUAL
        session.flush()
        append_event(
            session.connection(),
            tipo_evento="KYC_REABERTO",
            dados_evento={
                "usuario_id": str(user.id),
                "status_anterior": previous.value,
                "motivo_codigo": "NOME_ALTERADO",
            },
            ator_id=user.id,
            ator_tipo=user.perfil.value,
        )
    elif previous is StatusKyc.PENDENTE:
        user.status_kyc = precheck(nome_completo=user.nome_completo, cpf=user.cpf).status


# --- bank accounts -----------------------------------------------------------------------------


def _not_found() -> ApiError:
    return ApiError(404, "conta_bancaria_nao_encontrada", "Conta bancária não encontrada.")


def list_bank_accounts(session: Session, *, user_id: uuid.UUID) -> list[ContaBancaria]:
    """Principal first, then oldest first."""
    return list(
        session.scalars(
            sa.select(ContaBancaria)
            .where(ContaBancaria.usuario_id == user_id)
            .order_by(
                ContaBancaria.is_principal.desc(), ContaBancaria.data_criacao, ContaBancaria.id
            )
        )
    )


def get_bank_account(
    session: Session, *, user_id: uuid.UUID, account_id: uuid.UUID, lock: bool = False
) -> ContaBancaria:
    stmt = sa.select(ContaBancaria).where(
        ContaBancaria.id == account_id, ContaBancaria.usuario_id == user_id
    )
    if lock:
        stmt = stmt.with_for_update()
    account = session.scalars(stmt).one_or_none()
    if account is None:
        raise _not_found()
    return account


def _ensure_not_duplicate(
    session: Session,
    *,
    user_id: uuid.UUID,
    banco: str,
    agencia: str,
    conta: str,
    except_id: uuid.UUID | None = None,
) -> None:
    stmt = (
        sa.select(sa.func.count())
        .select_from(ContaBancaria)
        .where(
            ContaBancaria.usuario_id == user_id,
            ContaBancaria.banco == banco,
            ContaBancaria.agencia == agencia,
            ContaBancaria.conta == conta,
        )
    )
    if except_id is not None:
        stmt = stmt.where(ContaBancaria.id != except_id)
    if session.scalar(stmt):
        raise ApiError(409, "conta_bancaria_duplicada", "Esta conta bancária já está cadastrada.")


def _ledger(
    session: Session,
    tipo_evento: str,
    *,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_perfil: Perfil | None,
    extra: dict[str, str] | None = None,
) -> None:
    append_event(
        session.connection(),
        tipo_evento=tipo_evento,
        dados_evento={
            "usuario_id": str(user_id),
            "conta_bancaria_id": str(account_id),
            **(extra or {}),
        },
        ator_id=actor_id,
        ator_tipo=actor_perfil.value if actor_perfil else None,
    )


def _alert(session: Session, client: redis.Redis | None, user: Usuario, text: str) -> None:
    if client is None:
        return
    notify_after_commit(
        session,
        client,
        Message(
            canal=CanalNotificacao.SMS,
            destino=user.celular,
            tipo="alerta_conta_bancaria",
            assunto="Alteração de dados bancários Peerseed",
            corpo=(f"Peerseed: {text} Se não foi você, altere sua senha e fale com o suporte."),
            usuario_id=user.id,
        ),
    )


def add_bank_account(
    session: Session,
    *,
    redis_client: redis.Redis | None,
    user_id: uuid.UUID,
    actor_id: uuid.UUID,
    actor_perfil: Perfil | None,
    confirm: Confirm | None = None,
    banco: str,
    agencia: str,
    conta: str,
    tipo_conta: TipoConta,
    principal: bool = False,
) -> ContaBancaria:
    """Add an account (normalised values). The first account becomes the principal."""
    user = get_active_user(session, user_id, lock=True)
    existing = list_bank_accounts(session, user_id=user_id)
    if len(existing) >= MAX_BANK_ACCOUNTS:
        raise ApiError(
            409,
            "limite_contas_bancarias",
            f"Limite de {MAX_BANK_ACCOUNTS} contas bancárias por usuário atingido.",
        )
    _ensure_not_duplicate(session, user_id=user_id, banco=banco, agencia=agencia, conta=conta)
    make_principal = principal or not existing
    _confirm(confirm)
    if make_principal:
        _clear_principal(session, user_id=user_id)
    account = ContaBancaria(
        usuario_id=user_id,
        banco=banco,
        agencia=agencia,
        conta=conta,
        tipo_conta=tipo_conta,
        status=StatusVerificacao.PENDENTE,
        is_principal=make_principal,
        criado_por=actor_id,
    )
    session.add(account)
    session.flush()
    session.refresh(account)
    _ledger(
        session,
        "CONTA_BANCARIA_ADICIONADA",
        user_id=user_id,
        account_id=account.id,
        actor_id=actor_id,
        actor_perfil=actor_perfil,
    )
    _alert(session, redis_client, user, "uma conta bancária foi cadastrada na sua conta.")
    return account


def update_bank_account(
    session: Session,
    *,
    redis_client: redis.Redis | None,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    actor_perfil: Perfil | None,
    confirm: Confirm | None = None,
    banco: str | None = None,
    agencia: str | None = None,
    conta: str | None = None,
    tipo_conta: TipoConta | None = None,
) -> ContaBancaria:
    """Change an account's data; a changed number must be verified again (PENDENTE)."""
    user = get_active_user(session, user_id, lock=True)
    account = get_bank_account(session, user_id=user_id, account_id=account_id, lock=True)
    new_banco = banco if banco is not None else account.banco
    new_agencia = agencia if agencia is not None else account.agencia
    new_conta = conta if conta is not None else account.conta
    new_tipo = tipo_conta if tipo_conta is not None else account.tipo_conta
    number_changed = (new_banco, new_agencia, new_conta) != (
        account.banco,
        account.agencia,
        account.conta,
    )
    if not number_changed and new_tipo is account.tipo_conta:
        raise ApiError(422, "sem_alteracoes", "Nada a alterar: os dados informados são os atuais.")
    if number_changed:
        _ensure_not_duplicate(
            session,
            user_id=user_id,
            banco=new_banco,
            agencia=new_agencia,
            conta=new_conta,
            except_id=account_id,
        )
    _confirm(confirm)
    account.banco, account.agencia, account.conta = new_banco, new_agencia, new_conta
    account.tipo_conta = new_tipo
    account.status = StatusVerificacao.PENDENTE  # changed data must be verified again
    session.flush()
    _ledger(
        session,
        "CONTA_BANCARIA_ALTERADA",
        user_id=user_id,
        account_id=account_id,
        actor_id=user_id,
        actor_perfil=actor_perfil,
    )
    _alert(session, redis_client, user, "os dados de uma conta bancária foram alterados.")
    return account


def _clear_principal(session: Session, *, user_id: uuid.UUID) -> None:
    session.execute(
        sa.update(ContaBancaria)
        .where(ContaBancaria.usuario_id == user_id, ContaBancaria.is_principal)
        .values(is_principal=False)
        .execution_options(synchronize_session="fetch")
    )


def set_principal(
    session: Session,
    *,
    redis_client: redis.Redis | None,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    actor_perfil: Perfil | None,
    confirm: Confirm | None = None,
) -> ContaBancaria:
    """Make ``account_id`` the principal account (the previous one stops being it)."""
    user = get_active_user(session, user_id, lock=True)
    account = get_bank_account(session, user_id=user_id, account_id=account_id, lock=True)
    if account.is_principal:
        raise ApiError(409, "conta_ja_principal", "Esta conta bancária já é a principal.")
    if account.status is StatusVerificacao.INVALIDA:
        raise ApiError(
            409,
            "conta_bancaria_invalida",
            "Uma conta bancária marcada como inválida não pode ser a principal.",
        )
    _confirm(confirm)
    _clear_principal(session, user_id=user_id)
    account.is_principal = True
    session.flush()
    _ledger(
        session,
        "CONTA_BANCARIA_PRINCIPAL_DEFINIDA",
        user_id=user_id,
        account_id=account_id,
        actor_id=user_id,
        actor_perfil=actor_perfil,
    )
    _alert(session, redis_client, user, "a conta bancária principal foi alterada.")
    return account


def delete_bank_account(
    session: Session,
    *,
    redis_client: redis.Redis | None,
    user_id: uuid.UUID,
    account_id: uuid.UUID,
    actor_perfil: Perfil | None,
    confirm: Confirm | None = None,
) -> None:
    """Remove an account; removing the principal promotes the oldest remaining one."""
    user = get_active_user(session, user_id, lock=True)
    account = get_bank_account(session, user_id=user_id, account_id=account_id, lock=True)
    was_principal = account.is_principal
    _confirm(confirm)
    session.delete(account)
    session.flush()
    promoted: ContaBancaria | None = None
    if was_principal:
        promoted = session.scalars(
            sa.select(ContaBancaria)
            .where(
                ContaBancaria.usuario_id == user_id,
                ContaBancaria.status != StatusVerificacao.INVALIDA,
            )
            .order_by(ContaBancaria.data_criacao, ContaBancaria.id)
            .limit(1)
        ).first()
        if promoted is not None:
            promoted.is_principal = True
            session.flush()
    _ledger(
        session,
        "CONTA_BANCARIA_REMOVIDA",
        user_id=user_id,
        account_id=account_id,
        actor_id=user_id,
        actor_perfil=actor_perfil,
        extra={"nova_principal_id": str(promoted.id)} if promoted else None,
    )
    _alert(session, redis_client, user, "uma conta bancária foi removida da sua conta.")


def set_verification(
    session: Session,
    *,
    admin_id: uuid.UUID,
    account_id: uuid.UUID,
    status: StatusVerificacao,
) -> ContaBancaria:
    """An admin records the outcome of verifying an account (VERIFICADA / INVALIDA)."""
    if status is StatusVerificacao.PENDENTE:
        raise ApiError(
            422,
            "verificacao_invalida",
            "Informe o resultado da verificação: VERIFICADA ou INVALIDA.",
        )
    account = session.scalars(
        sa.select(ContaBancaria).where(ContaBancaria.id == account_id).with_for_update()
    ).one_or_none()
    if account is None:
        raise _not_found()
    get_active_user(session, account.usuario_id)
    if account.status is status:
        return account
    if status is StatusVerificacao.INVALIDA and account.is_principal:
        # The principal must be usable: hand the role to another valid account, if any.
        other = session.scalars(
            sa.select(ContaBancaria)
            .where(
                ContaBancaria.usuario_id == account.usuario_id,
                ContaBancaria.id != account.id,
                ContaBancaria.status != StatusVerificacao.INVALIDA,
            )
            .order_by(
                (ContaBancaria.status == StatusVerificacao.VERIFICADA).desc(),
                ContaBancaria.data_criacao,
                ContaBancaria.id,
            )
            .limit(1)
        ).first()
        if other is not None:
            account.is_principal = False
            session.flush()
            other.is_principal = True
    account.status = status
    session.flush()
    _ledger(
        session,
        "CONTA_BANCARIA_VERIFICACAO",
        user_id=account.usuario_id,
        account_id=account.id,
        actor_id=admin_id,
        actor_perfil=Perfil.ADMIN,
        extra={"status": status.value},
    )
    return account
