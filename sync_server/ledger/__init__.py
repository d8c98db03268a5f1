"""The hash-chained, append-only ledger of critical events (``ledger_eventos``).

The hash formula and the personal-data guard live in :mod:`shared_models.ledger`; this package
appends inside the caller's transaction and verifies the stored chain.
"""

from sync_server.ledger.service import (
    GROUP_COMMIT_OPTION,
    LEDGER_LOCK_KEY,
    LedgerEntry,
    LedgerError,
    VerifyResult,
    append_and_commit,
    append_event,
    ledger_head,
    owes_durability,
    verify_chain,
    verify_ledger_command,
    wait_durable,
)

__all__ = [
    "GROUP_COMMIT_OPTION",
    "LEDGER_LOCK_KEY",
    "LedgerEntry",
    "LedgerError",
    "VerifyResult",
    "append_and_commit",
    "append_event",
    "ledger_head",
    "owes_durability",
    "verify_chain",
    "verify_ledger_command",
    "wait_durable",
]
