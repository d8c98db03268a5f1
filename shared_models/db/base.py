"""Declarative base; its naming convention reproduces PostgreSQL's default constraint names."""

from __future__ import annotations

from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "pk": "%(table_name)s_pkey",
    "fk": "%(table_name)s_%(column_0_name)s_fkey",
    "uq": "%(table_name)s_%(column_0_N_name)s_key",
    "ck": "%(table_name)s_%(constraint_name)s_check",
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def pg_enum(enum_cls: type[Enum], name: str) -> sa.Enum:
    """A PostgreSQL enum type stored by the enum's *values* (the spec's labels)."""
    return sa.Enum(
        enum_cls,
        name=name,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def usdc() -> sa.Numeric[Any]:
    return sa.Numeric(18, 8, asdecimal=True)


def brl() -> sa.Numeric[Any]:
    return sa.Numeric(18, 2, asdecimal=True)
