"""``peerseed`` — the desktop app.

    peerseed [--server URL] [--demo] [--lang pt_BR|en]

``--server`` defaults to ``$PEERSEED_SERVER_URL``, else http://127.0.0.1:8000. ``--demo`` lists
the demo accounts (one per profile) on the login window; a click fills them in.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType

from desktop import i18n
from desktop import settings as settings_mod
from desktop.qt import QtCore
from desktop.settings import AppPaths

log = logging.getLogger("desktop")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="peerseed", description="Peerseed desktop: crédito agrícola entre pessoas."
    )
    parser.add_argument(
        "--server",
        default=settings_mod.default_server_url(),
        help="sync server URL (default: $PEERSEED_SERVER_URL or %(default)s)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="show the demo accounts on the login window (a click fills them in)",
    )
    parser.add_argument(
        "--lang", choices=i18n.LANGUAGES, default=i18n.DEFAULT_LANGUAGE, help="UI language"
    )
    parser.add_argument("--verbose", action="store_true", help="log debug messages to stderr")
    args = parser.parse_args(argv)
    args.server = str(args.server).rstrip("/")
    return args


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    """A bug reached the event loop: log it and tell the user (the app keeps running)."""
    text = "".join(traceback.format_exception(kind, exc, tb))
    log.error("unhandled exception:\n%s", text)
    from desktop.qt import QtWidgets

    if QtWidgets.QApplication.instance() is None:
        return
    box = QtWidgets.QMessageBox()
    box.setIcon(QtWidgets.QMessageBox.Icon.Critical)
    box.setWindowTitle("Peerseed")
    box.setText(
        QtCore.QCoreApplication.translate(
            "Main",
            "An unexpected error occurred. Your data is safe; if it happens again, "
            "please report it with the details below.",
        )
    )
    box.setDetailedText(text)
    box.exec()


def _quit_on_signals(app: QtCore.QCoreApplication) -> None:
    """Ctrl-C or SIGTERM close the app cleanly (the sync worker stores what was posted first).

    Python runs signal handlers only between bytecodes, so a timer wakes the interpreter up
    regularly while Qt's event loop runs in C++.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: app.quit())
    wake = QtCore.QTimer(app)
    wake.timeout.connect(lambda: None)
    wake.start(250)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from desktop.app import AppOptions, PeerseedApp, demo_entries, freeze_startup_objects
    from desktop.qt import QtWidgets, wait_for_background
    from desktop.resources import icon, stylesheet

    QtWidgets.QApplication.setApplicationName("Peerseed")
    QtWidgets.QApplication.setOrganizationName("Peerseed")
    app = QtWidgets.QApplication(sys.argv[:1])
    translators = i18n.install(app, args.lang)
    app.setWindowIcon(icon("logo"))
    app.setStyleSheet(stylesheet())
    sys.excepthook = _excepthook

    accounts, password = demo_entries() if args.demo else ([], None)
    options = AppOptions(
        server_url=args.server,
        paths=AppPaths.default(),
        demo=args.demo,
        demo_accounts=accounts,
        demo_password=password,
    )
    peerseed = PeerseedApp(options)
    app.aboutToQuit.connect(peerseed.shutdown)
    _quit_on_signals(app)
    peerseed.start()
    freeze_startup_objects()
    status = app.exec()
    peerseed.shutdown()
    wait_for_background(5_000)
    i18n.uninstall(app, translators)
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
