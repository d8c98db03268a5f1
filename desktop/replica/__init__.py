"""The desktop's local SQLite replica: replicated tables, the sync cursor and the outbox."""

from desktop.replica.store import (
    AppliedPage,
    OutboxEntry,
    PageRejectedError,
    Replica,
    ReplicaError,
    ReplicaTooNewError,
    default_replica_path,
)

__all__ = [
    "AppliedPage",
    "OutboxEntry",
    "PageRejectedError",
    "Replica",
    "ReplicaError",
    "ReplicaTooNewError",
    "default_replica_path",
]
