"""Error sorting (qutebrowser's model), without Qt so plain-Python modules can raise these.

A :class:`UserEnvironmentError` is something the user can understand and act on — no network, no
OS keyring, an unreadable file — and is shown as a message. Any other exception is a bug: it is
logged with its traceback and reported (``desktop.qt.report_bug``).
"""

from __future__ import annotations


class UserEnvironmentError(Exception):
    """A failure the user can understand and act on; ``str(exc)`` is the message to show."""
