"""The UI thread's longest stall while a sync runs on the worker (issue 4: < 50 ms at 100,000 rows).

A ``QTimer`` probe ticks every few milliseconds on the UI thread while the desktop's real main
window (status bar, tables, debounced reloads) and its sync worker pull an account's whole scope
from a running server. The stall is the longest gap between two ticks minus the tick interval:
the longest time the UI thread could not react to input.

Used by the sync benchmark (``measure_ui_stall``) and by tests/desktop/test_ui_stall.py; also
runnable on its own against a server and an account::

    QT_QPA_PLATFORM=offscreen python -m bench.ui_stall --server http://127.0.0.1:8000 \\
        --identifier investidor@example.com --password 'Colheita!2026'

The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

TARGET_MS = 50.0


@dataclass(frozen=True)
class StallResult:
    max_stall_ms: float  # longest gap between probe ticks, minus the probe interval
    p99_gap_ms: float
    ticks: int
    probe_interval_ms: int
    rows: int  # rows applied by the sync
    pages: int
    bytes_received: int
    sync_s: float
    ok: bool  # the sync completed without error
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return {"bench": "ui_stall", **asdict(self), "target_ms": TARGET_MS}


def measure_ui_stall(
    *,
    server_url: str,
    token: str,
    user_id: uuid.UUID | str,
    perfil: str,
    work_dir: Path,
    probe_interval_ms: int = 5,
    timeout_s: float = 900.0,
    page_bytes: int | None = None,
) -> StallResult:
    """Sync ``user_id``'s scope into a fresh replica under ``work_dir`` with the main window open.

    Needs a ``QApplication`` (created here if there is none; set ``QT_QPA_PLATFORM=offscreen``
    to run headless). Returns when the sync has finished and the window has reloaded its data.
    """
    from desktop.app import freeze_startup_objects
    from desktop.qt import QtCore, QtWidgets
    from desktop.replica import default_replica_path
    from desktop.replica_queries import ReplicaReader
    from desktop.settings import RememberedAccount
    from desktop.sync_worker import SyncController, WorkerConfig
    from desktop.ui.main_window import MainWindow
    from shared_models.enums import Perfil

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    account = RememberedAccount(
        user_id=uuid.UUID(str(user_id)),
        perfil=Perfil(perfil),
        identifier="bench",
        server_url=server_url,
    )
    replica_path = default_replica_path(account.user_id, base_dir=work_dir)
    controller = SyncController(
        WorkerConfig(replica_path, server_url, token, page_bytes=page_bytes),
        interval_ms=3_600_000,
    )
    window = MainWindow(account=account, controller=controller, reader=ReplicaReader(replica_path))
    window.show()
    freeze_startup_objects()  # as ``peerseed`` does once its first window is up

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    probe = QtCore.QTimer()
    probe.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
    probe.setInterval(probe_interval_ms)
    probe.timeout.connect(tick)

    loop = QtCore.QEventLoop()
    reports: list[Any] = []
    reloaded: list[bool] = []

    def reloaded_after_sync(_snapshot: Any) -> None:
        reloaded.append(True)
        loop.quit()

    def finished(report: Any, _status: Any) -> None:
        reports.append(report)
        if not (report.rows_applied or report.intents_applied or report.intents_rejected):
            loop.quit()
            return
        # Let the window reload what the sync brought (part of the UI's work), then stop.
        window.snapshot_loaded.connect(reloaded_after_sync)
        QtCore.QTimer.singleShot(10_000, loop.quit)

    controller.sync_finished.connect(finished)
    deadline = QtCore.QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    deadline.start(int(timeout_s * 1000))

    started = time.perf_counter()
    probe.start()
    last[0] = time.perf_counter()
    controller.start()
    controller.enable_sync()
    loop.exec()
    elapsed = time.perf_counter() - started
    probe.stop()
    deadline.stop()
    controller.stop()
    window.close()
    window.deleteLater()
    app.processEvents()

    report = reports[0] if reports else None
    interval_s = probe_interval_ms / 1000
    ordered = sorted(gaps)
    p99 = ordered[int(len(ordered) * 0.99)] if ordered else 0.0
    return StallResult(
        max_stall_ms=round(max((max(gaps, default=0.0) - interval_s) * 1000, 0.0), 2),
        p99_gap_ms=round(p99 * 1000, 2),
        ticks=len(gaps),
        probe_interval_ms=probe_interval_ms,
        rows=report.rows_applied if report else 0,
        pages=report.pages if report else 0,
        bytes_received=report.bytes_received if report else 0,
        sync_s=round(report.duration_s if report else elapsed, 3),
        ok=bool(report and report.ok),
        error=(report.error if report else "timeout"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ui_stall", description=__doc__)
    parser.add_argument("--server", required=True)
    parser.add_argument("--identifier", required=True, help="e-mail or CPF")
    parser.add_argument("--password", required=True)
    parser.add_argument("--probe-ms", type=int, default=5)
    parser.add_argument("--page-bytes", type=int, default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from desktop.session import login

    result = login(
        args.server, identifier=args.identifier, password=args.password, device_id=uuid.uuid4()
    )
    with tempfile.TemporaryDirectory(prefix="peerseed-ui-stall-") as work:
        stall = measure_ui_stall(
            server_url=args.server,
            token=result.token,
            user_id=result.user_id,
            perfil=result.perfil.value,
            work_dir=Path(work),
            probe_interval_ms=args.probe_ms,
            page_bytes=args.page_bytes,
        )
    print(
        f"UI stall: {stall.max_stall_ms} ms (target < {TARGET_MS:g} ms) over {stall.rows} rows, "
        f"{stall.pages} pages, {stall.sync_s} s",
        file=sys.stderr,
    )
    print(json.dumps(stall.as_json()))
    return 0 if stall.ok else 1


if __name__ == "__main__":
    sys.exit(main())
