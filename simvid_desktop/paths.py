"""Where things live: bundled resources (frozen or not) and the user's platformdirs folders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "SimvidDesktop"
APP_AUTHOR = "Simvid"


def resource_dir() -> Path:
    """The ``resources/`` folder: beside the code, or inside a PyInstaller bundle."""
    override = os.environ.get("SIMVID_RESOURCES")
    if override:
        return Path(override)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return resource_dir().joinpath(*parts)


def data_dir() -> Path:
    """Job store and other state; ``SIMVID_DATA_DIR`` isolates tests and portable installs."""
    override = os.environ.get("SIMVID_DATA_DIR")
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _under_data_override(kind: str) -> Path | None:
    override = os.environ.get("SIMVID_DATA_DIR")
    return Path(override) / kind if override else None


def log_dir() -> Path:
    path = _under_data_override("logs") or Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    path = _under_data_override("cache") or Path(
        platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    path = _under_data_override("config") or Path(
        platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)
    )
    path.mkdir(parents=True, exist_ok=True)
    return path
