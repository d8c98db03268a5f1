"""The TLS context every HTTP client of the desktop app uses, made once, on the UI thread.

httpx builds a new ``ssl.SSLContext`` (loading the system's CA certificates) for each client it
creates. Doing that on worker threads while Qt's event loop runs was the one thing in common
between two rare crashes of the UI thread seen in CI (both while the sync worker thread was inside
``ssl.create_default_context``). The app therefore builds one context at start, on the UI thread
(:func:`prepare`), and every client takes it (``verify=tls_context()``), so no worker thread ever
loads certificates. An ``SSLContext`` is safe to share between threads once configured.
"""

from __future__ import annotations

import functools
import ssl

__all__ = ["prepare", "tls_context"]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The shared client context: system CAs, hostname checks, TLS 1.2 or later."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def prepare() -> None:
    """Build the shared context now (call it on the UI thread before any worker starts)."""
    tls_context()
