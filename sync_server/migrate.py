"""Running and inspecting Alembic migrations programmatically."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def head_revision() -> str | None:
    """The script heads, comma-joined in sorted order (one name when the history is linear)."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return ",".join(sorted(heads)) or None


def current_revision(conn: sa.Connection) -> str | None:
    """The database's applied heads, in the same form as :func:`head_revision`."""
    heads = MigrationContext.configure(conn).get_current_heads()
    return ",".join(sorted(heads)) or None
