"""Forward-only migrations of the local replica, tracked by SQLite's ``PRAGMA user_version``.

``MIGRATIONS[i]`` takes the database from version ``i`` to ``i + 1``. Steps are appended, never
edited once released: a user's replica may be at any earlier version when the app starts. Each
step runs in its own transaction together with the new ``user_version``.

The replicated tables themselves are not declared here: they are created on demand, with the
columns a pulled page announces (see ``desktop.replica.store``).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

Migration = Callable[[sa.Connection], None]


def _v1_bookkeeping(conn: sa.Connection) -> None:
    """Sync state (cursor, device id), the outbox of intents and the catalogue of local tables."""
    conn.exec_driver_sql(
        """
        CREATE TABLE sync_state (
            key   TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        )
        """
    )
    conn.exec_driver_sql(
        """
        CREATE TABLE outbox (
            device_id       TEXT NOT NULL,
            seq             INTEGER NOT NULL CHECK (seq >= 1),
            intent_id       TEXT NOT NULL UNIQUE,
            name            TEXT NOT NULL,
            version         INTEGER NOT NULL,
            args            TEXT NOT NULL,
            correlation_id  TEXT,
            state           TEXT NOT NULL DEFAULT 'queued'
                            CHECK (state IN ('queued', 'sent', 'applied', 'rejected')),
            code            TEXT,
            message         TEXT,
            result          TEXT,
            created_at      TEXT NOT NULL,
            sent_at         TEXT,
            resolved_at     TEXT,
            attempts        INTEGER NOT NULL DEFAULT 0,
            resubmission_of INTEGER,
            PRIMARY KEY (device_id, seq)
        )
        """
    )
    conn.exec_driver_sql("CREATE INDEX ix_outbox_state ON outbox (state, seq)")
    conn.exec_driver_sql(
        """
        CREATE TABLE replica_tables (
            name       TEXT PRIMARY KEY NOT NULL,
            pk         TEXT NOT NULL,
            columns    TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )
        """
    )


MIGRATIONS: list[Migration] = [
    _v1_bookkeeping,
]

SCHEMA_VERSION = len(MIGRATIONS)
