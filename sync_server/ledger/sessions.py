"""ORM sessions whose ledger appends use group commit and whose commits return durable.

``append_event`` inside a longer transaction holds the chain lock until that transaction ends;
with a synchronous commit that includes the WAL flush, so appends would flush one at a time.
Sessions made by :func:`durable_sessionmaker` append with group commit (the lock goes as soon as
the commit is visible) and, when a transaction appended, wait for the WAL flush right after its
commit, before ``commit()`` returns to the caller. The caller sees the same guarantee as a
synchronous commit: once ``commit()`` returns, the transaction is durable.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from sync_server.ledger.service import GROUP_COMMIT_OPTION, owes_durability, wait_durable

__all__ = ["durable_sessionmaker"]

_OWED: Final = "peerseed_ledger_owed"


def durable_sessionmaker(engine: sa.Engine) -> sessionmaker[Session]:
    """A session factory on ``engine``'s pool with ledger group commit and durable commits."""
    factory = sessionmaker(
        bind=engine.execution_options(**{GROUP_COMMIT_OPTION: True}), expire_on_commit=False
    )

    def before_commit(session: Session) -> None:
        if owes_durability(session.connection()):
            session.info[_OWED] = True

    def after_commit(session: Session) -> None:
        if session.info.pop(_OWED, False):
            with engine.connect() as conn:
                wait_durable(conn)

    def after_rollback(session: Session) -> None:
        session.info.pop(_OWED, None)

    event.listen(factory, "before_commit", before_commit)
    event.listen(factory, "after_commit", after_commit)
    event.listen(factory, "after_rollback", after_rollback)
    return factory
