"""Where the app's resources live: icons (SVG), the style sheet, translations.

``PEERSEED_RESOURCES`` overrides the location; by default it is the repository's ``resources/``
next to the ``desktop`` package (an editable install, or a source checkout).
"""

from __future__ import annotations

import logging
import os
from functools import cache
from pathlib import Path

from desktop.qt import QtGui

log = logging.getLogger(__name__)


def resources_dir() -> Path:
    env = os.environ.get("PEERSEED_RESOURCES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "resources"


def translations_dir() -> Path:
    return resources_dir() / "translations"


@cache
def icon(name: str) -> QtGui.QIcon:
    """``resources/icons/<name>.svg`` (an empty icon when missing: never fatal)."""
    path = resources_dir() / "icons" / f"{name}.svg"
    if not path.exists():
        log.warning("icon not found: %s", path)
        return QtGui.QIcon()
    return QtGui.QIcon(str(path))


def stylesheet() -> str:
    path = resources_dir() / "styles" / "peerseed.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        log.warning("style sheet not loaded (%s): the default Qt style is used", exc)
        return ""
