"""User settings (platformdirs config folder, JSON). Shared by the window and the command line."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from pathlib import Path
from typing import Any

import platformdirs

from simvid_desktop.model.project import DEFAULT_RESOLUTION, Resolution, TransitionKind
from simvid_desktop.paths import config_dir

logger = logging.getLogger(__name__)


#: The length of a queued render's resumable pieces, unless the settings say otherwise.
SEGMENT_SECONDS = 20.0


class CollisionPolicy(str, Enum):
    """What to do when a job's output file already exists or another job will write it."""

    NUMBER = "number"  #: pick "name (2).mp4"
    REFUSE = "refuse"  #: refuse the job with a clear message


_NUMBERED = re.compile(r"^(.*) \((\d+)\)$")


def numbered_names(output: Path) -> Iterator[Path]:
    """The names the "number" policy tries after ``output``: "show (2).mp4", "show (3).mp4"
    and so on ("show (2).mp4" itself goes on with "show (3).mp4")."""
    m = _NUMBERED.match(output.stem)
    stem, n = (m.group(1), int(m.group(2))) if m else (output.stem, 1)
    while True:
        n += 1
        yield output.with_name(f"{stem} ({n}){output.suffix}")


def default_workers() -> int:
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass
class Settings:
    workers: int = 0  #: 0: one fewer than the cores, at least 1
    output_dir: str = ""  #: "": the user's Videos folder
    collision: CollisionPolicy = CollisionPolicy.NUMBER
    retries: int = 2  #: automatic retries of transient failures
    default_duration: float = 3.0
    default_transition: TransitionKind = TransitionKind.FADE
    default_resolution: Resolution = DEFAULT_RESOLUTION
    farm_url: str = ""  #: redis://… ; empty: render locally
    #: "DESKTOP_FOLDER=WORKER_FOLDER" rules: where the farm's workers see our files.
    farm_path_map: list[str] = field(default_factory=list)
    farm_split: int = 1  #: farm workers that may share one show (pieces joined at the end)
    segment_seconds: float = SEGMENT_SECONDS  #: resumable pieces of a queued render

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else default_workers()

    @property
    def output_folder(self) -> Path:
        if self.output_dir:
            return Path(self.output_dir).expanduser()
        return Path(platformdirs.user_videos_dir()) / "Simvid"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["collision"] = self.collision.value
        d["default_transition"] = self.default_transition.value
        d["default_resolution"] = self.default_resolution.text
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        defaults = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            default = getattr(defaults, f.name)
            if isinstance(default, (Enum, Resolution)):  # names and sizes: parsed here, once
                try:
                    if not isinstance(value, str):
                        raise ValueError(value)
                    value = type(default)(value)
                except ValueError:
                    logger.warning("settings: ignoring unknown %s %r", f.name, value)
                    continue
            elif type(value) is not type(default) and not (
                type(default) is float and type(value) is int
            ):
                logger.warning("settings: ignoring %s=%r (wrong type)", f.name, value)
                continue
            if isinstance(value, list) and not all(isinstance(v, str) for v in value):
                logger.warning("settings: ignoring %s=%r (not a list of text)", f.name, value)
                continue
            values[f.name] = value
        return cls(**values)


def settings_path() -> Path:
    return config_dir() / "settings.json"


def load_settings() -> Settings:
    path = settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        logger.warning("settings file %s unreadable (%s); using defaults", path, exc)
        return Settings()
    return Settings.from_dict(data) if isinstance(data, dict) else Settings()


def save_settings(settings: Settings) -> None:
    path = settings_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(settings.to_dict(), indent=2), encoding="utf-8")
    tmp.replace(path)
