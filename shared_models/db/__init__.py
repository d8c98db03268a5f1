"""SQLAlchemy 2.0 typed models of the authoritative PostgreSQL schema."""

from shared_models.db.account_tables import AtivacaoConta, DocumentoKyc, KycDecisao
from shared_models.db.auth_tables import Dispositivo
from shared_models.db.base import Base
from shared_models.db.log_tables import AlertaEvento, AlertaRegra, LogRegistro, LogRestaurado
from shared_models.db.notification_tables import Notificacao
from shared_models.db.sync_tables import SyncChange, SyncDevice, SyncIntentResult
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
    "AlertaEvento",
    "AlertaRegra",
    "AtivacaoConta",
    "Base",
    "Carteira",
    "ContaBancaria",
    "Cpr",
    "Dispositivo",
    "DocumentoKyc",
    "Investimento",
    "KycDecisao",
    "LedgerEvento",
    "LogRegistro",
    "LogRestaurado",
    "Notificacao",
    "OfertaSecundario",
    "Parcela",
    "SyncChange",
    "SyncDevice",
    "SyncIntentResult",
    "Transacao",
    "Usuario",
]
