"""SQLAlchemy 2.0 typed models of the authoritative PostgreSQL schema."""

from shared_models.db.base import Base
from shared_models.db.notification_tables import Notificacao
from shared_models.db.tables import (
    Carteira,
    ContaBancaria,
    Cpr,
    Investimento,
    LedgerEvento,
    OfertaSecundario,
    Parcela,
    Transacao,
    Usuario,
)

__all__ = [
    "Base",
    "Carteira",
    "ContaBancaria",
    "Cpr",
    "Investimento",
    "LedgerEvento",
    "Notificacao",
    "OfertaSecundario",
    "Parcela",
    "Transacao",
    "Usuario",
]
