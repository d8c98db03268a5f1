"""Side effects that must happen only once the database transaction has committed.

A notification that carries an activation code, or a Redis counter reset, must not escape a
transaction that later rolls back (the user would get a code for an account that does not exist).
Service functions register them with :func:`after_commit` / :func:`notify_after_commit`; they run
in order right after the session's outermost transaction commits and are dropped on rollback.
A failing callback (Redis down) is logged and never turns a committed request into an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from sync_server.notifications.service import Message, queue_notification

log = logging.getLogger(__name__)

_KEY: Final = "peerseed.after_commit"
Callback = Callable[[], None]


def _pending(session: Session) -> list[Callback]:
    pending: list[Callback] | None = session.info.get(_KEY)
    if pending is None:
        pending = []
        session.info[_KEY] = pending
        event.listen(session, "after_commit", _run)
        event.listen(session, "after_rollback", _drop)
    return pending


def _run(session: Session) -> None:
    if session.in_nested_transaction():
        return
    callbacks = list(session.info.get(_KEY) or [])
    session.info[_KEY] = []
    for callback in callbacks:
        try:
            callback()
        except redis.RedisError as exc:
            log.warning(
                "efeito pós-commit não executado (Redis indisponível)",
                extra={"payload": {"erro": type(exc).__name__}},
            )


def _drop(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info[_KEY] = []


def after_commit(session: Session, callback: Callback) -> None:
    """Run ``callback`` once the session's current transaction commits (never on rollback)."""
    _pending(session).append(callback)


def notify_after_commit(session: Session, client: redis.Redis, message: Message) -> None:
    """Queue ``message`` for the notification worker once the transaction commits."""
    after_commit(session, lambda: _queue(client, message))


def _queue(client: redis.Redis, message: Message) -> None:
    queue_notification(client, message)
