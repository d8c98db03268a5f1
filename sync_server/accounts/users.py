"""Looking up, locking and creating users for the account domains (no commits here)."""

from __future__ import annotations

import secrets
import uuid
from typing import Final

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared_models.db import Carteira, Usuario
from shared_models.enums import Perfil, StatusKyc
from sync_server.errors import ApiError

# A password hash no verifier accepts (not an Argon2 PHC string): accounts created on someone's
# behalf carry it until their owner activates them, and anonymised accounts keep it forever.
UNUSABLE_PASSWORD_PREFIX: Final = "!"  # noqa: S105 - a marker, not a password
# E-mail placeholder domain for producers without e-mail (RFC 2606 reserves ``.invalid``).
NO_EMAIL_DOMAIN: Final = "sem-email.peerseed.invalid"


def unusable_password() -> str:
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(32)


def has_usable_password(user: Usuario) -> bool:
    return not user.senha_hash.startswith(UNUSABLE_PASSWORD_PREFIX)


def placeholder_email(user_id: uuid.UUID) -> str:
    return f"{user_id.hex}@{NO_EMAIL_DOMAIN}"


def is_placeholder_email(email: str) -> bool:
    return email.endswith(".invalid")


def user_not_found() -> ApiError:
    return ApiError(404, "usuario_nao_encontrado", "Usuário não encontrado.")


def get_active_user(session: Session, user_id: uuid.UUID, *, lock: bool = False) -> Usuario:
    """The user, not anonymised; 404 otherwise. ``lock`` takes a row lock (FOR UPDATE)."""
    stmt = sa.select(Usuario).where(Usuario.id == user_id, Usuario.anonimizado_em.is_(None))
    if lock:
        stmt = stmt.with_for_update()
    user = session.scalars(stmt).one_or_none()
    if user is None:
        raise user_not_found()
    return user


def duplicate_account() -> ApiError:
    # Never say which field (e-mail or CPF) is taken, nor by whom.
    return ApiError(
        409,
        "cadastro_duplicado",
        "Não foi possível concluir o cadastro: já existe uma conta com estes dados.",
    )


def insert_user(
    session: Session,
    *,
    nome_completo: str,
    email: str | None,
    cpf: str,
    celular: str,
    perfil: Perfil,
    status_kyc: StatusKyc,
    agente_id: uuid.UUID | None = None,
) -> Usuario:
    """Insert a user that cannot log in yet (unusable password) and their wallet.

    Refuses a taken e-mail or CPF with one 409 that does not say which; a concurrent insert of the
    same data is caught at the unique indexes (inside a savepoint) with the same answer.
    """
    taken = session.scalar(
        sa.select(sa.func.count())
        .select_from(Usuario)
        .where(sa.or_(Usuario.cpf == cpf, Usuario.email == email) if email else Usuario.cpf == cpf)
    )
    if taken:
        raise duplicate_account()
    user_id = uuid.uuid4()
    user = Usuario(
        id=user_id,
        nome_completo=nome_completo,
        email=email or placeholder_email(user_id),
        senha_hash=unusable_password(),
        cpf=cpf,
        celular=celular,
        perfil=perfil,
        status_kyc=status_kyc,
        agente_id=agente_id,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except sa.exc.IntegrityError:
        raise duplicate_account() from None
    session.add(Carteira(usuario_id=user_id))
    session.flush()
    return user


def touch(user: Usuario) -> None:
    """Mark the row as updated now (database clock)."""
    user.data_atualizacao = sa.func.now()
