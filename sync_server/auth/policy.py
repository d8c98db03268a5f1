"""Ownership and authorization rules, in one place (routes never decide permissions themselves).

Who may act for (read or change the data of) a user ``target``:

- the user themself;
- an ADMIN;
- the field agent (AGENTE_CAMPO) who onboarded ``target``, i.e. ``usuarios.agente_id`` of the
  target is the agent's id (set by the field-agent onboarding, revision 0003_accounts), as long as
  ``target`` is a producer (AGRICULTOR).

Everyone else gets 403 ``acesso_negado`` (also when the target does not exist, so an outsider
cannot tell an existing account from a missing one).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from shared_models.db import Usuario
from shared_models.enums import Perfil, StatusKyc
from sync_server.auth.deps import Principal
from sync_server.errors import ApiError

__all__ = [
    "can_act_for",
    "ensure_can_act_for",
    "ensure_kyc_verified",
    "ensure_self",
    "is_agent_of",
]

Db = Session | sa.Connection


def _forbidden(
    message: str = "Você não tem permissão para acessar os dados deste usuário.",
) -> ApiError:
    return ApiError(403, "acesso_negado", message)


def is_agent_of(db: Db, *, agent_id: uuid.UUID, producer_id: uuid.UUID) -> bool:
    """Whether ``agent_id`` onboarded the producer ``producer_id`` (``usuarios.agente_id``)."""
    found = db.execute(
        sa.select(sa.literal(1))
        .select_from(Usuario)
        .where(
            Usuario.id == producer_id,
            Usuario.agente_id == agent_id,
            Usuario.perfil == Perfil.AGRICULTOR,
        )
    ).first()
    return found is not None


def can_act_for(db: Db, principal: Principal, target_user_id: uuid.UUID) -> bool:
    """Whether ``principal`` may act for ``target_user_id`` (see the module docstring)."""
    if principal.user_id == target_user_id or principal.perfil is Perfil.ADMIN:
        return True
    if principal.perfil is Perfil.AGENTE_CAMPO:
        return is_agent_of(db, agent_id=principal.user_id, producer_id=target_user_id)
    return False


def ensure_can_act_for(db: Db, principal: Principal, target_user_id: uuid.UUID) -> None:
    """Raise 403 unless ``principal`` may act for ``target_user_id``."""
    if not can_act_for(db, principal, target_user_id):
        raise _forbidden()


def ensure_self(principal: Principal, target_user_id: uuid.UUID) -> None:
    """Raise 403 unless the principal is the user themself (no admin or agent override)."""
    if principal.user_id != target_user_id:
        raise _forbidden("Apenas o próprio titular pode realizar esta operação.")


def ensure_kyc_verified(db: Db, user_id: uuid.UUID) -> None:
    """Raise 403 ``kyc_pendente`` unless the user's KYC is VERIFICADO (money-moving operations)."""
    status = db.execute(sa.select(Usuario.status_kyc).where(Usuario.id == user_id)).scalar()
    if status is not StatusKyc.VERIFICADO:
        raise ApiError(
            403,
            "kyc_pendente",
            "Esta operação exige a verificação de identidade (KYC) aprovada.",
        )
