"""Qt translations and the formatting locale.

Source strings are English (``self.tr`` / ``QCoreApplication.translate``); pt_BR, the primary
language, comes from ``resources/translations/peerseed_pt_BR.qm``, compiled from the ``.ts``.
After changing strings: ``python -m desktop.i18n update`` (pyside6-lupdate), translate the
unfinished entries (Qt Linguist, ``pyside6-linguist``, or any editor), then
``python -m desktop.i18n release`` (pyside6-lrelease). tests/desktop/test_ui_translations.py
fails while the files are behind the code. Qt's own strings (standard
buttons, dialogs) come from the ``qtbase_pt_BR.qm`` shipped with Qt.

Messages produced outside the UI (server refusals, shared_models validation) are Portuguese
already and are shown as they are.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Final

from desktop.qt import QtCore
from desktop.resources import translations_dir

log = logging.getLogger(__name__)

DEFAULT_LANGUAGE: Final = "pt_BR"
LANGUAGES: Final = ("pt_BR", "en")


def install(
    app: QtCore.QCoreApplication, language: str = DEFAULT_LANGUAGE
) -> list[QtCore.QTranslator]:
    """Set the default locale and install the translators; keep the returned list alive."""
    locale = QtCore.QLocale(language if language != "en" else "en_US")
    QtCore.QLocale.setDefault(locale)
    translators: list[QtCore.QTranslator] = []
    if language == "en":
        return translators
    qt_dir = QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.TranslationsPath)
    qt_translator = QtCore.QTranslator(app)
    if qt_translator.load(locale, "qtbase", "_", qt_dir):
        app.installTranslator(qt_translator)
        translators.append(qt_translator)
    ours = QtCore.QTranslator(app)
    if ours.load(f"peerseed_{language}", str(translations_dir())):
        app.installTranslator(ours)
        translators.append(ours)
    else:
        log.warning(
            "no %s translation in %s: the UI shows its English source", language, translations_dir()
        )
    return translators


def uninstall(app: QtCore.QCoreApplication, translators: list[QtCore.QTranslator]) -> None:
    for translator in translators:
        app.removeTranslator(translator)


# -- maintaining the translation files (``python -m desktop.i18n update|release``) ------------


def _tool(name: str) -> str:
    """A Qt tool shipped with PySide6 (``pyside6-lupdate``), next to this interpreter."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def sources() -> list[Path]:
    """The Python files whose ``tr()`` strings are translated."""
    package = Path(__file__).resolve().parent
    return sorted([*package.glob("*.py"), *(package / "ui").glob("*.py")])


def ts_file(language: str = DEFAULT_LANGUAGE) -> Path:
    return translations_dir() / f"peerseed_{language}.ts"


def update_command(ts: Path, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """lupdate: new source strings become unfinished entries; vanished ones are dropped."""
    return [
        _tool("pyside6-lupdate"),
        *map(str, sources()),
        "-locations",
        "none",
        "-no-obsolete",
        "-source-language",
        "en",
        "-target-language",
        language,
        "-ts",
        str(ts),
    ]


def release_command(ts: Path, qm: Path) -> list[str]:
    return [_tool("pyside6-lrelease"), str(ts), "-qm", str(qm)]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args not in (["update"], ["release"]):
        print("usage: python -m desktop.i18n update|release", file=sys.stderr)
        return 2
    ts = ts_file()
    if args == ["update"]:
        command = update_command(ts)
    else:
        command = release_command(ts, ts.with_suffix(".qm"))
    return subprocess.run(command, check=False).returncode  # noqa: S603 - our own tool paths


if __name__ == "__main__":
    sys.exit(main())
