"""Observability: masked JSON logs and request correlation ids.

``logs`` holds the logging pipeline (formatter, masking filter, ``configure_logging``, context
variables); ``middleware`` the ASGI middleware that binds a correlation id to each request. Nothing
is configured at import time.
"""

from __future__ import annotations

from sync_server.observability.logs import (
    JsonFormatter,
    MaskingFilter,
    configure_logging,
    correlation_id_var,
    get_correlation_id,
    get_user_id,
    log_context,
    new_correlation_id,
    reset_correlation_id,
    reset_user_id,
    set_correlation_id,
    set_user_id,
    shutdown_logging,
    user_id_var,
)
from sync_server.observability.middleware import CORRELATION_ID_HEADER, CorrelationIdMiddleware

__all__ = [
    "CORRELATION_ID_HEADER",
    "CorrelationIdMiddleware",
    "JsonFormatter",
    "MaskingFilter",
    "configure_logging",
    "correlation_id_var",
    "get_correlation_id",
    "get_user_id",
    "log_context",
    "new_correlation_id",
    "reset_correlation_id",
    "reset_user_id",
    "set_correlation_id",
    "set_user_id",
    "shutdown_logging",
    "user_id_var",
]
