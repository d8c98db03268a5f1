"""The desktop's sync engine (plain Python, no Qt): outbox push, resumable pull, HTTP transport."""

from desktop.sync.engine import (
    CallbackObserver,
    IntentTooLargeError,
    InvalidIntentError,
    RetryPolicy,
    SyncEngine,
    SyncObserver,
    SyncProgress,
    SyncReport,
    SyncState,
    UnknownIntentError,
)
from desktop.sync.transport import (
    AuthError,
    HttpTransport,
    ServerError,
    TransientError,
    TransportError,
    UpgradeRequiredError,
)

__all__ = [
    "AuthError",
    "CallbackObserver",
    "HttpTransport",
    "IntentTooLargeError",
    "InvalidIntentError",
    "RetryPolicy",
    "ServerError",
    "SyncEngine",
    "SyncObserver",
    "SyncProgress",
    "SyncReport",
    "SyncState",
    "TransientError",
    "TransportError",
    "UnknownIntentError",
    "UpgradeRequiredError",
]
