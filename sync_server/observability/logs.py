"""Structured JSON logs: one object per line on stdout and in a JSON log file, masked.

Every line has exactly the specification's keys, in this order::

    {"timestamp": "2025-09-30T14:40:00.123Z", "level": "INFO", "service": "...",
     "correlation_id": "...", "user_id": null, "message": "...", "payload": {...}}

* ``level`` is one of DEBUG, INFO, WARN, ERROR, CRITICAL (``WARNING`` is written ``WARN``; custom
  levels are mapped to the nearest one below).
* ``correlation_id`` / ``user_id`` come from ``extra={"correlation_id": ...}`` if given, else from
  the context variables :data:`correlation_id_var` / :data:`user_id_var` (set per request by
  :class:`~sync_server.observability.middleware.CorrelationIdMiddleware`, per job by the worker),
  else from the current request's :class:`RequestLogState`; ``null`` when unknown.
* ``payload`` is ``extra={"payload": {...}}`` (a non-mapping is wrapped as ``{"value": ...}``)
  plus any other ``extra`` key; an exception goes in ``payload["exception"]`` (formatted
  traceback) and ``stack_info`` in ``payload["stack"]``.

Masking (:mod:`shared_models.masking`) happens in :class:`MaskingFilter`, attached to every
handler installed here, and again (no-op) in :class:`JsonFormatter`. The filter rewrites the
record itself (message, args, payload, extras, ``exc_text``, ``stack_info``), and our handlers are
put first on the root logger, so handlers added later by anyone else also receive masked records.

Nothing happens at import time: :func:`configure_logging` is called by the app factory / CLI.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import logging.handlers
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TextIO

from shared_models.masking import mask_data, mask_text

__all__ = [
    "UVICORN_LOGGERS",
    "JsonFormatter",
    "MaskingFilter",
    "RequestLogState",
    "configure_logging",
    "correlation_id_var",
    "get_correlation_id",
    "get_user_id",
    "is_valid_correlation_id",
    "level_name",
    "log_context",
    "new_correlation_id",
    "prepare_record",
    "request_state_var",
    "reset_correlation_id",
    "reset_user_id",
    "set_correlation_id",
    "set_user_id",
    "shutdown_logging",
    "user_id_var",
]

# --------------------------------------------------------------------------------------------
# Context
# --------------------------------------------------------------------------------------------

correlation_id_var: ContextVar[str | None] = ContextVar("peerseed_correlation_id", default=None)
"""The id tracing one user action across requests, log lines and jobs."""

user_id_var: ContextVar[str | None] = ContextVar("peerseed_user_id", default=None)
"""The authenticated user (``usuarios.id``) the current work is done for, if known."""


@dataclass
class RequestLogState:
    """Mutable state shared by everything that runs for one HTTP request.

    Context variables set inside a sync endpoint or dependency (run in a thread pool on a *copy*
    of the context) do not flow back to the middleware; this object is shared by reference, so
    :func:`set_user_id` called anywhere in the request is seen by later lines, including the
    middleware's "requisição concluída" line.
    """

    correlation_id: str
    user_id: str | None = None


request_state_var: ContextVar[RequestLogState | None] = ContextVar(
    "peerseed_request_log_state", default=None
)

_VALID_CORRELATION_ID: Final = re.compile(r"[A-Za-z0-9._-]{1,128}", re.ASCII)


def new_correlation_id() -> str:
    """A fresh correlation id (UUID4 string)."""
    return str(uuid.uuid4())


def is_valid_correlation_id(value: object) -> bool:
    """Whether ``value`` is an acceptable correlation id: 1–128 of ``[A-Za-z0-9._-]``."""
    return isinstance(value, str) and _VALID_CORRELATION_ID.fullmatch(value) is not None


def set_correlation_id(value: str | None) -> Token[str | None]:
    """Set the correlation id for the current context; pass the token to the reset helper."""
    return correlation_id_var.set(value)


def reset_correlation_id(token: Token[str | None]) -> None:
    correlation_id_var.reset(token)


def get_correlation_id() -> str | None:
    value = correlation_id_var.get()
    if value is None:
        state = request_state_var.get()
        value = state.correlation_id if state is not None else None
    return value


def set_user_id(value: str | uuid.UUID | None) -> Token[str | None]:
    """Set the user id for the current context (and for the rest of the current request)."""
    text = None if value is None else str(value)
    state = request_state_var.get()
    if state is not None:
        state.user_id = text
    return user_id_var.set(text)


def reset_user_id(token: Token[str | None]) -> None:
    user_id_var.reset(token)


def get_user_id() -> str | None:
    value = user_id_var.get()
    if value is None:
        state = request_state_var.get()
        value = state.user_id if state is not None else None
    return value


@contextlib.contextmanager
def log_context(
    *, correlation_id: str | None = None, user_id: str | uuid.UUID | None = None
) -> Iterator[str]:
    """Bind a correlation id (a new one if ``None``) and a user id for the ``with`` block.

    Yields the correlation id. Meant for work outside HTTP requests (jobs, CLI commands).
    """
    cid = correlation_id or new_correlation_id()
    cid_token = correlation_id_var.set(cid)
    user_token = user_id_var.set(None if user_id is None else str(user_id))
    try:
        yield cid
    finally:
        user_id_var.reset(user_token)
        correlation_id_var.reset(cid_token)


# --------------------------------------------------------------------------------------------
# Record preparation (masking) and formatting
# --------------------------------------------------------------------------------------------

# Attributes every LogRecord has (3.11/3.12) plus ours; any other attribute came from ``extra``.
_RECORD_ATTRIBUTES: Final = frozenset(
    {
        "name",
        "msg",
        "args",
        "levelname",
        "levelno",
        "pathname",
        "filename",
        "module",
        "exc_info",
        "exc_text",
        "stack_info",
        "lineno",
        "funcName",
        "created",
        "msecs",
        "relativeCreated",
        "thread",
        "threadName",
        "processName",
        "process",
        "taskName",
        "message",
        "asctime",
        "payload",
        "correlation_id",
        "user_id",
        "color_message",  # uvicorn's ANSI-coloured copy of the message
    }
)
_PREPARED: Final = "_peerseed_prepared"
_traceback_formatter = logging.Formatter()


def level_name(levelno: int) -> str:
    """The specification's level for a numeric logging level."""
    if levelno >= logging.CRITICAL:
        return "CRITICAL"
    if levelno >= logging.ERROR:
        return "ERROR"
    if levelno >= logging.WARNING:
        return "WARN"
    if levelno >= logging.INFO:
        return "INFO"
    return "DEBUG"


def _safe_message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:
        try:
            return f"{record.msg!s} (argumentos de log inválidos: {record.args!r})"
        except Exception:
            return "<mensagem de log ilegível>"


def _exception_text(record: logging.LogRecord) -> str | None:
    if record.exc_info and record.exc_info[0] is not None:
        try:
            return _traceback_formatter.formatException(record.exc_info)
        except Exception:
            return repr(record.exc_info[1])
    return record.exc_text or None


def prepare_record(record: logging.LogRecord) -> None:
    """Mask ``record`` in place and attach ``payload``, ``correlation_id`` and ``user_id``.

    Idempotent: a record already prepared is left alone. Never raises.
    """
    if record.__dict__.get(_PREPARED):
        return
    attrs = record.__dict__
    raw_payload = attrs.get("payload")
    payload: dict[str, Any]
    if raw_payload is None:
        payload = {}
    elif isinstance(raw_payload, Mapping):
        try:
            payload = dict(raw_payload)
        except Exception:
            payload = {"value": raw_payload}
    else:
        payload = {"value": raw_payload}
    extras = [k for k in attrs if k not in _RECORD_ATTRIBUTES and not k.startswith("_")]
    for key in extras:
        payload.setdefault(key, attrs[key])

    masked_payload = mask_data(payload)
    if not isinstance(masked_payload, dict):  # pragma: no cover - mask_data keeps dicts dicts
        masked_payload = {"value": masked_payload}
    for key in extras:
        if key in masked_payload:
            attrs[key] = masked_payload[key]

    exc_text = _exception_text(record)
    if exc_text:
        record.exc_text = mask_text(exc_text)
        masked_payload["exception"] = record.exc_text
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
        masked_payload["stack"] = record.stack_info

    record.msg = mask_text(_safe_message(record))
    record.args = ()
    attrs["payload"] = masked_payload

    cid = attrs.get("correlation_id")
    attrs["correlation_id"] = mask_text(str(cid)) if cid is not None else _current_cid()
    uid = attrs.get("user_id")
    attrs["user_id"] = mask_text(str(uid)) if uid is not None else _current_uid()
    attrs[_PREPARED] = True


def _current_cid() -> str | None:
    cid = get_correlation_id()
    return None if cid is None else mask_text(cid)


def _current_uid() -> str | None:
    uid = get_user_id()
    return None if uid is None else mask_text(uid)


class MaskingFilter(logging.Filter):
    """Masks every record (message, payload, extras, traceback) before a handler writes it.

    Attach it to *handlers*: a filter on a logger does not see records propagated from children.
    It never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            prepare_record(record)
        except Exception:  # pragma: no cover - prepare_record guards itself; never lose a line
            record.msg = "<falha ao mascarar a mensagem de log>"
            record.args = ()
            record.__dict__["payload"] = {}
            record.exc_info = None
            record.exc_text = None
            record.__dict__[_PREPARED] = True
        return True


def _timestamp(created: float) -> str:
    moment = dt.datetime.fromtimestamp(created, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _dumps(document: dict[str, Any]) -> str:
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)
    except Exception:
        document = {**document, "payload": {"erro_de_serializacao": str(document["payload"])}}
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str)
    # Valid inside JSON strings, but str.splitlines() and some tools treat them as line breaks.
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


_FORMATTED: Final = "_peerseed_json_line"


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON with exactly the specification's keys."""

    def __init__(self, *, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        # Every sink (stdout, file, database) formats the same record: do the work once.
        cached = record.__dict__.get(_FORMATTED)
        if cached is not None and cached[0] == self.service:
            return str(cached[1])
        line = self._format(record)
        record.__dict__[_FORMATTED] = (self.service, line)
        return line

    def cached_line(self, record: logging.LogRecord) -> str | None:
        """The line this formatter (or one for the same service) already made for ``record``.

        A cached line is always masked: :meth:`format` masks the record before formatting it.
        """
        cached = record.__dict__.get(_FORMATTED)
        if cached is not None and cached[0] == self.service:
            return str(cached[1])
        return None

    def _format(self, record: logging.LogRecord) -> str:
        prepare_record(record)
        attrs = record.__dict__
        return _dumps(
            {
                "timestamp": _timestamp(record.created),
                "level": level_name(record.levelno),
                "service": self.service,
                "correlation_id": attrs.get("correlation_id"),
                "user_id": attrs.get("user_id"),
                "message": str(record.msg),
                "payload": attrs.get("payload", {}),
            }
        )


# --------------------------------------------------------------------------------------------
# Handlers and configuration
# --------------------------------------------------------------------------------------------

UVICORN_LOGGERS: Final = ("uvicorn", "uvicorn.error", "uvicorn.access")
_OURS: Final = "_peerseed_json_handler"


def _ascii_json(text: str) -> str:
    """JSON text with every non-ASCII character escaped (the result is the same JSON value)."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        if code > 0xFFFF:
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
        return f"\\u{code:04x}"

    return re.sub(r"[^\x00-\x7f]", escape, text)


class _StdoutHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stdout`` is at emit time (works under redirection and pytest)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    def emit(self, record: logging.LogRecord) -> None:
        stream = sys.stdout
        if stream is None:  # pythonw / detached
            return
        self.stream = stream
        super().emit(record)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not text.isascii():
            encoding = getattr(self.stream, "encoding", None) or "utf-8"
            try:
                text.encode(encoding)
            except (UnicodeEncodeError, LookupError):
                text = _ascii_json(text)
        return text


def _parse_level(level: str | int) -> int:
    if isinstance(level, int):
        return level
    name = level.strip().upper()
    if name == "WARN":
        name = "WARNING"
    value = logging.getLevelNamesMapping().get(name)
    if value is None:
        raise ValueError(f"unknown log level: {level!r}")
    return value


def _our_handlers(logger: logging.Logger) -> list[logging.Handler]:
    return [h for h in logger.handlers if getattr(h, _OURS, False)]


def shutdown_logging() -> None:
    """Remove and close the handlers installed by :func:`configure_logging` (flushes the file)."""
    root = logging.getLogger()
    for handler in _our_handlers(root):
        root.removeHandler(handler)
        with contextlib.suppress(Exception):
            handler.close()


def configure_logging(
    *,
    service: str,
    level: str | int = "INFO",
    log_file: Path | None,
    stdout: bool = True,
) -> None:
    """(Re)configure the root logger to write masked JSON lines to stdout and/or ``log_file``.

    Idempotent: the handlers of a previous call are removed and closed first, so calling it
    again (with another file, another level) never duplicates lines. Handlers installed by others
    are kept, after ours. uvicorn's loggers lose their own handlers and propagate to the root, so
    their lines go through the same JSON handlers. Raises ``ValueError`` for an unknown level or
    when neither destination is enabled.
    """
    numeric_level = _parse_level(level)
    if not stdout and log_file is None:
        raise ValueError("configure_logging needs stdout=True or a log_file")

    handlers: list[logging.Handler] = []
    if log_file is not None:
        path = Path(log_file).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        # WatchedFileHandler reopens the file if logrotate (or an operator) moves it away.
        handlers.append(logging.handlers.WatchedFileHandler(path, encoding="utf-8"))
    if stdout:
        handlers.append(_StdoutHandler())

    formatter = JsonFormatter(service=service)
    masking = MaskingFilter()
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(masking)
        setattr(handler, _OURS, True)

    shutdown_logging()
    root = logging.getLogger()
    root.setLevel(numeric_level)
    # First in line: the masking filter rewrites each record before any other handler sees it.
    root.handlers[0:0] = handlers

    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
        logger.propagate = True
        logger.disabled = False
