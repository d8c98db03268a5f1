"""Suite-wide check: no log line written during the test run holds a secret in clear.

Enable it for the whole suite by adding to ``tests/conftest.py``::

    pytest_plugins = ["tests.log_scan"]

(or, for one package, ``from tests.log_scan import log_leak_guard  # noqa: F401`` in its
conftest). It is a session-scoped autouse fixture: at session start it adds a handler at the end of
the root logger that renders every record through the production pipeline
(:class:`sync_server.observability.logs.JsonFormatter`, which masks), exactly as the JSON log file
would hold it; at session end it also reads every ``*.jsonl`` file under the session's base temp
directory (the ``log_file`` of each test app). Then it looks for:

- every secret registered by tests with :func:`register_secret` (passwords, session tokens, OTP
  codes, CPFs, bank account numbers used in tests);
- anything shaped like a CPF (``000.000.000-00``, or 11 bare digits with valid check digits);
- anything shaped like a session token (``{userhex}.{session}.{secret}``) or an Argon2 hash.

Any hit fails the session (an error at the teardown of the last test) with a report in which the
secret itself is redacted. With pytest-xdist each worker checks its own records and files.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared_models.cpf import is_valid_cpf

__all__ = ["exempt_path", "find_leaks", "log_leak_guard", "register_secret"]

_lock = threading.Lock()
_secrets: dict[str, str] = {}
_exempt: set[Path] = set()
_MIN_SECRET_LENGTH = 6

_PATTERNS: dict[str, re.Pattern[str]] = {
    "cpf formatado": re.compile(r"(?<![0-9])[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}(?![0-9])"),
    "token de sessão": re.compile(
        r"(?<![0-9a-fA-F])[0-9a-f]{32}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"
    ),
    "hash argon2": re.compile(r"\$argon2(?:id|i|d)\$"),
}
_BARE_CPF = re.compile(r"(?<![0-9A-Za-z])[0-9]{11}(?![0-9A-Za-z])")


def register_secret(value: str | None, kind: str) -> None:
    """Declare a value that must never appear in a log line (ignored if shorter than 6)."""
    if not value or len(value) < _MIN_SECRET_LENGTH:
        return
    with _lock:
        _secrets[value] = kind
        if kind == "cpf" and len(value) == 11 and value.isdigit():
            _secrets[f"{value[:3]}.{value[3:6]}.{value[6:9]}-{value[9:]}"] = kind


def exempt_path(path: Path) -> None:
    """Skip a log file that holds unmasked text on purpose (a test of the masking itself)."""
    with _lock:
        _exempt.add(path.resolve())


@dataclass(frozen=True)
class Leak:
    kind: str
    where: str
    line: str


def _redact(line: str, secret: str) -> str:
    return line.replace(secret, "<REDIGIDO>")


def find_leaks(lines: list[tuple[str, str]]) -> list[Leak]:
    """The leaks among ``(where, line)`` pairs."""
    with _lock:
        registered = dict(_secrets)
    leaks: list[Leak] = []
    for where, line in lines:
        for secret, kind in registered.items():
            if secret in line:
                leaks.append(Leak(kind, where, _redact(line, secret)[:300]))
        for kind, pattern in _PATTERNS.items():
            for match in pattern.finditer(line):
                leaks.append(Leak(kind, where, _redact(line, match.group())[:300]))
        for match in _BARE_CPF.finditer(line):
            digits = match.group()
            if is_valid_cpf(digits):
                leaks.append(Leak("cpf", where, _redact(line, digits)[:300]))
    return leaks


class _CaptureHandler(logging.Handler):
    """Renders each record as the production JSON line (masked) and keeps it."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        from sync_server.observability.logs import JsonFormatter

        self.setFormatter(JsonFormatter(service="log-scan"))
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # A copy: masking rewrites the record, and later handlers (caplog) must see it as is.
            line = self.format(copy.copy(record))
        except Exception:  # never break a test because of the scanner
            line = str(record.msg)
        with _lock:
            self.lines.append((f"logger {record.name}", line))


def _log_files(base: Path) -> Iterator[Path]:
    with _lock:
        exempt = set(_exempt)
    for path in sorted(base.rglob("*.jsonl")):
        if path.resolve() not in exempt and path.is_file():
            yield path


def _file_lines(path: Path) -> list[tuple[str, str]]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [(f"{path.name}:{n}", line) for n, line in enumerate(text.splitlines(), 1)]


@pytest.fixture(scope="session", autouse=True)
def log_leak_guard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    handler = _CaptureHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
    lines = list(handler.lines)
    for path in _log_files(tmp_path_factory.getbasetemp()):
        lines.extend(_file_lines(path))
    leaks = find_leaks(lines)
    if leaks:
        report = "\n".join(f"- [{leak.kind}] {leak.where}: {leak.line}" for leak in leaks[:50])
        pytest.fail(
            f"{len(leaks)} linha(s) de log com dados sensíveis em claro "
            f"(de {len(lines)} examinadas):\n{report}",
            pytrace=False,
        )
