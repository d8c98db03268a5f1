"""pt_BR translations: complete, in step with the code, compiled; English stays available."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from desktop import i18n
from desktop.qt import QtCore, QtWidgets
from desktop.ui.login import LoginWindow

HOW_TO = "run `python -m desktop.i18n update`, translate, then `python -m desktop.i18n release`"


def test_every_string_is_translated() -> None:
    tree = ET.parse(i18n.ts_file())
    messages = list(tree.getroot().iter("message"))
    assert len(messages) > 200
    unfinished = [
        m.findtext("source")
        for m in messages
        if (m.find("translation").get("type") or "") in ("unfinished", "vanished", "obsolete")
        or not (m.findtext("translation") or "").strip()
    ]
    assert unfinished == [], f"untranslated: {unfinished[:5]}… ({HOW_TO})"


def test_the_ts_file_matches_the_code(tmp_path: Path) -> None:
    copy = tmp_path / "peerseed_pt_BR.ts"
    shutil.copy(i18n.ts_file(), copy)
    subprocess.run(i18n.update_command(copy), check=True, capture_output=True)
    assert copy.read_text(encoding="utf-8") == i18n.ts_file().read_text(encoding="utf-8"), HOW_TO


def test_the_qm_file_is_compiled_from_the_ts(tmp_path: Path) -> None:
    qm = tmp_path / "peerseed_pt_BR.qm"
    subprocess.run(i18n.release_command(i18n.ts_file(), qm), check=True, capture_output=True)
    assert qm.read_bytes() == i18n.ts_file().with_suffix(".qm").read_bytes(), HOW_TO


def _login_texts(qtbot: Any) -> tuple[str, str]:
    window = LoginWindow(server_url="http://127.0.0.1:8000", authenticate=lambda i, p: None)  # type: ignore[arg-type, return-value]
    qtbot.addWidget(window)
    return window.windowTitle(), window.submit.text()


def test_portuguese_by_default_and_english_on_request(
    qapp: QtWidgets.QApplication, qtbot: Any
) -> None:
    previous = QtCore.QLocale()
    translators = i18n.install(qapp, "pt_BR")
    try:
        assert _login_texts(qtbot) == ("Peerseed — Entrar", "Entrar")
    finally:
        i18n.uninstall(qapp, translators)
    translators = i18n.install(qapp, "en")
    try:
        assert _login_texts(qtbot) == ("Peerseed — Sign in", "Sign in")
    finally:
        i18n.uninstall(qapp, translators)
        QtCore.QLocale.setDefault(previous)
