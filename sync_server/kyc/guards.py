"""The guard for money-moving operations: the caller's KYC must be VERIFICADO.

Routes use the dependency::

    @router.post("/saques")
    def withdraw(principal: KycVerifiedPrincipal, db: DbDep) -> ...: ...

Service code (e.g. a synced intent) calls :func:`ensure_kyc_verified` inside its transaction.
The rule itself lives in the authorization layer
(:func:`sync_server.auth.policy.ensure_kyc_verified`, 403 ``kyc_pendente``); this module only
packages it. The user's row is read with ``FOR SHARE`` so
an admin revoking the verification waits for the operation (or the operation sees the revocation).
"""

from __future__ import annotations

import uuid
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends
from sqlalchemy.orm import Session

from shared_models.db import Usuario
from sync_server.auth import policy
from sync_server.auth.deps import CurrentPrincipal, Principal
from sync_server.deps import DbDep

__all__ = ["KycVerifiedPrincipal", "ensure_kyc_verified", "require_kyc_verified"]


def ensure_kyc_verified(session: Session, *, user_id: uuid.UUID) -> None:
    """Raise 403 ``kyc_pendente`` unless ``user_id``'s KYC is VERIFICADO (row share-locked)."""
    session.execute(sa.select(Usuario.id).where(Usuario.id == user_id).with_for_update(read=True))
    policy.ensure_kyc_verified(session, user_id)


def require_kyc_verified(principal: CurrentPrincipal, db: DbDep) -> Principal:
    ensure_kyc_verified(db, user_id=principal.user_id)
    return principal


KycVerifiedPrincipal = Annotated[Principal, Depends(require_kyc_verified)]
