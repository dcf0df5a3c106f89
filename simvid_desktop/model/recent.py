"""Recently opened projects, kept in the config folder."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from simvid_desktop.paths import config_dir

logger = logging.getLogger(__name__)

MAX_RECENT = 10


def _path() -> Path:
    return config_dir() / "recent.json"


def recent_projects() -> list[Path]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Path(p) for p in data if isinstance(p, str)][:MAX_RECENT]


def remember(project: Path) -> list[Path]:
    items = [p for p in recent_projects() if p != project]
    items.insert(0, project)
    items = items[:MAX_RECENT]
    try:
        _path().write_text(json.dumps([str(p) for p in items]), encoding="utf-8")
    except OSError as exc:
        logger.warning("cannot save recent files: %s", exc)
    return items
