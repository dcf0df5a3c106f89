"""Reading and writing ``.simvid`` project files (JSON, schema version 1).

Reading is strict and exhaustive: every problem in the file is collected, each naming its
field (``slides[3].duration``), and reported together through :class:`ProjectInvalid`.
Paths inside the project's folder are stored relative, so the folder can be moved.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from simvid_desktop.durable import write_atomic
from simvid_desktop.errors import Problem, ProjectInvalid
from simvid_desktop.model.project import (
    DEFAULT_RESOLUTION,
    SCHEMA_VERSION,
    AudioBed,
    FitMode,
    Motion,
    MotionMode,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    Transition,
    TransitionKind,
    View,
    check_project,
    parse_choice,
)

MAX_FILE_BYTES = 50 * 1024 * 1024


class _NonFinite(float):
    """Stands in for NaN/Infinity while reading, so the field holding it can be named."""

    def __new__(cls, text: str) -> _NonFinite:
        obj = super().__new__(cls, math.nan)
        obj.text = text
        return obj

    text: str


class _Reader:
    """Walks the JSON tree, converting values and collecting problems instead of raising."""

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.problems: list[Problem] = []

    def bad(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def obj(self, value: Any, where: str, keys: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.bad(where or "project", f"must be an object, got {type(value).__name__}")
            return {}
        for key in sorted(set(value) - keys):
            self.bad(f"{where}.{key}" if where else key, "unknown field")
        return value

    def number(self, d: dict[str, Any], key: str, where: str, default: float | None) -> Any:
        if key not in d or d[key] is None:
            return default
        v = d[key]
        path = f"{where}.{key}" if where else key
        if isinstance(v, _NonFinite):
            self.bad(path, f"{v.text} is not allowed")
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.bad(path, f"must be a number, got {json.dumps(v)[:40]}")
            return default
        return v

    def string(self, d: dict[str, Any], key: str, where: str, default: str | None) -> Any:
        if key not in d or d[key] is None:
            return default
        v = d[key]
        if not isinstance(v, str):
            self.bad(f"{where}.{key}" if where else key, "must be a string")
            return default
        return v

    def path(self, d: dict[str, Any], key: str, where: str) -> Path | None:
        if d.get(key) in (None, ""):
            self.bad(f"{where}.{key}", "a file path is required")
            return None
        text = self.string(d, key, where, None)
        if text is None:
            return None
        p = Path(text).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def enum(self, d: dict[str, Any], key: str, where: str, enum: Any, default: Any,
             what: str = "value") -> Any:
        """The enum member a string field names: the only place a file's names are parsed."""
        text = self.string(d, key, where, None)
        if text is None:
            return default
        try:
            return parse_choice(enum, text, what)
        except ValueError as exc:
            self.bad(f"{where}.{key}" if where else key, str(exc))
            return default

    def resolution(self, d: dict[str, Any]) -> Resolution:
        text = self.string(d, "resolution", "output", None)
        if text is None:
            return DEFAULT_RESOLUTION
        try:
            return Resolution(text)
        except ValueError as exc:
            self.bad("output.resolution", str(exc))
            return DEFAULT_RESOLUTION

    # -- composite values ----------------------------------------------------------------
    def transition(self, value: Any, where: str) -> Transition | None:
        if value is None:
            return None
        if isinstance(value, str):  # shorthand: "fade"
            value = {"name": value}
        d = self.obj(value, where, {"name", "duration"})
        return Transition(
            kind=self.enum(d, "name", where, TransitionKind, Transition.kind, "transition"),
            duration=self.number(d, "duration", where, Transition.duration),
        )

    def view(self, value: Any, where: str) -> View | None:
        if value is None:
            return None
        d = self.obj(value, where, {"zoom", "x", "y"})
        return View(
            zoom=self.number(d, "zoom", where, 1.0),
            x=self.number(d, "x", where, 0.5),
            y=self.number(d, "y", where, 0.5),
        )

    def motion(self, value: Any, where: str) -> Motion | None:
        if value is None:
            return None
        if isinstance(value, str):  # shorthand: "auto"
            value = {"mode": value}
        d = self.obj(value, where, {"mode", "start", "end"})
        return Motion(
            mode=self.enum(d, "mode", where, MotionMode, MotionMode.NONE),
            start=self.view(d.get("start"), f"{where}.start"),
            end=self.view(d.get("end"), f"{where}.end"),
        )

    def slide(self, value: Any, where: str) -> Slide | None:
        if not isinstance(value, dict):
            self.obj(value, where, set())
            return None
        d = self.obj(value, where, {"image", "duration", "caption", "motion", "fit", "transition"})
        image = self.path(d, "image", where)
        if image is None:
            return None
        return Slide(
            image=image,
            duration=self.number(d, "duration", where, None),
            caption=self.string(d, "caption", where, None) or None,
            motion=self.motion(d.get("motion"), f"{where}.motion"),
            fit=self.enum(d, "fit", where, FitMode, None),
            transition=self.transition(d.get("transition"), f"{where}.transition"),
        )

    def audio(self, value: Any) -> AudioBed | None:
        if value is None:
            return None
        d = self.obj(value, "audio", {"path", "volume", "fade_in", "fade_out", "start", "loop"})
        path = self.path(d, "path", "audio")
        if path is None:
            return None
        loop = d.get("loop", True)
        if not isinstance(loop, bool):
            self.bad("audio.loop", "must be true or false")
            loop = True
        return AudioBed(
            path=path,
            volume=self.number(d, "volume", "audio", 1.0),
            fade_in=self.number(d, "fade_in", "audio", 0.0),
            fade_out=self.number(d, "fade_out", "audio", 2.0),
            start=self.number(d, "start", "audio", 0.0),
            loop=loop,
        )

    def output(self, value: Any) -> OutputSettings:
        if value is None:
            return OutputSettings()
        keys = {"resolution", "fps", "quality", "fit", "x264_preset", "crf"}
        d = self.obj(value, "output", keys)
        fps = self.number(d, "fps", "output", 30)
        crf = self.number(d, "crf", "output", None)
        return OutputSettings(
            resolution=self.resolution(d),
            fps=int(fps) if isinstance(fps, float) and fps.is_integer() else fps,
            quality=self.enum(d, "quality", "output", Quality, Quality.STANDARD, "quality"),
            fit=self.enum(d, "fit", "output", FitMode, FitMode.LETTERBOX),
            x264_preset=self.string(d, "x264_preset", "output", None),
            crf=int(crf) if isinstance(crf, float) and crf.is_integer() else crf,
        )

    def project(self, data: Any) -> Project:
        keys = {"schema_version", "slides", "default_duration", "transition", "motion",
                "audio", "output", "app"}
        d = self.obj(data, "", keys)
        version = d.get("schema_version")
        if type(version) is not int or version != SCHEMA_VERSION:
            self.bad(
                "schema_version",
                f"unsupported version {version!r} (this app reads {SCHEMA_VERSION})",
            )
            return Project()
        raw_slides = d.get("slides", [])
        slides: list[Slide] = []
        if not isinstance(raw_slides, list):
            self.bad("slides", "must be a list")
        else:
            for i, raw in enumerate(raw_slides):
                s = self.slide(raw, f"slides[{i}]")
                if s is not None:
                    slides.append(s)
        return Project(
            slides=tuple(slides),
            default_duration=self.number(d, "default_duration", "", 3.0),
            transition=self.transition(d.get("transition"), "transition") or Transition(),
            motion=self.motion(d.get("motion"), "motion") or Motion(),
            audio=self.audio(d.get("audio")),
            output=self.output(d.get("output")),
        )


def _reject_constant(text: str) -> _NonFinite:
    return _NonFinite(text)


def parse_project(
    text: str, base_dir: Path, *, source: str = "project"
) -> tuple[Project, list[Problem]]:
    """Parse project JSON into a project and the list of every problem in its values.

    Raises :class:`ProjectInvalid` only when there is no document to read at all. Where a
    value is wrong the project holds a default, so callers can go on checking its files
    and report everything at once.
    """
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ProjectInvalid(
            [Problem(source, f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})")]
        ) from None
    except (RecursionError, ValueError) as exc:  # deep nesting, huge integers
        raise ProjectInvalid([Problem(source, f"not a usable JSON document ({exc})")]) from None
    reader = _Reader(base_dir)
    project = reader.project(data)
    problems = reader.problems
    if any(p.where in ("schema_version", "project") for p in problems):
        return project, problems  # nothing else in the file can be trusted
    seen = {p.where for p in problems}
    slide_problems = any(p.where.startswith("slides[") for p in problems)
    problems += [
        p for p in check_project(project)
        if p.where not in seen and not (p.where == "slides" and slide_problems)
    ]
    return project, problems


def project_from_json(text: str, base_dir: Path, *, source: str = "project") -> Project:
    """Parse and validate project JSON; raise :class:`ProjectInvalid` listing every problem."""
    project, problems = parse_project(text, base_dir, source=source)
    if problems:
        raise ProjectInvalid(problems)
    return project


def load_project(path: str | Path) -> Project:
    """Read a ``.simvid`` file. Relative paths inside it are resolved against its folder."""
    project, problems = read_project(path)
    if problems:
        raise ProjectInvalid(problems)
    return project


def read_project(path: str | Path) -> tuple[Project, list[Problem]]:
    """Like :func:`load_project`, but returns the value problems instead of raising."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_FILE_BYTES:
            raise ProjectInvalid([Problem(str(p), "is too large to be a project file")])
        raw = p.read_bytes()
    except OSError as exc:
        raise ProjectInvalid([Problem(str(p), exc.strerror or "cannot be read")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ProjectInvalid([Problem(str(p), "is not UTF-8 text")]) from None
    return parse_project(text, p.resolve().parent, source=str(p))


def _store_path(path: Path, base_dir: Path | None) -> str:
    absolute = Path(os.path.abspath(path))
    if base_dir is not None:
        base = Path(os.path.abspath(base_dir))
        if absolute.is_relative_to(base):
            return absolute.relative_to(base).as_posix()
    return str(absolute)


def _transition_dict(t: Transition) -> dict[str, Any]:
    return {"name": t.kind.value, "duration": t.duration}


def _motion_dict(m: Motion) -> dict[str, Any]:
    d: dict[str, Any] = {"mode": m.mode.value}
    for name in ("start", "end"):
        v: View | None = getattr(m, name)
        if v is not None:
            d[name] = {"zoom": v.zoom, "x": v.x, "y": v.y}
    return d


def project_to_dict(project: Project, base_dir: Path | None = None) -> dict[str, Any]:
    """The JSON form of a project; paths under ``base_dir`` are written relative to it."""
    slides = []
    for s in project.slides:
        d: dict[str, Any] = {"image": _store_path(s.image, base_dir)}
        if s.duration is not None:
            d["duration"] = s.duration
        if s.caption:
            d["caption"] = s.caption
        if s.motion is not None:
            d["motion"] = _motion_dict(s.motion)
        if s.fit is not None:
            d["fit"] = s.fit.value
        if s.transition is not None:
            d["transition"] = _transition_dict(s.transition)
        slides.append(d)
    out = project.output
    output: dict[str, Any] = {
        "resolution": out.resolution.text, "fps": out.fps, "quality": out.quality.value,
        "fit": out.fit.value,
    }
    if out.x264_preset is not None:
        output["x264_preset"] = out.x264_preset
    if out.crf is not None:
        output["crf"] = out.crf
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "slides": slides,
        "default_duration": project.default_duration,
        "transition": _transition_dict(project.transition),
        "motion": _motion_dict(project.motion),
        "audio": None,
        "output": output,
    }
    if project.audio is not None:
        a = project.audio
        data["audio"] = {
            "path": _store_path(a.path, base_dir), "volume": a.volume, "fade_in": a.fade_in,
            "fade_out": a.fade_out, "start": a.start, "loop": a.loop,
        }
    return data


def project_to_json(project: Project, base_dir: Path | None = None) -> str:
    return json.dumps(project_to_dict(project, base_dir), indent=2, allow_nan=False) + "\n"


def save_project(project: Project, path: str | Path) -> None:
    """Write atomically and durably (temp file, fsync, rename, fsync of the folder): a
    crash or a power cut leaves the old project or the new one, never half of one."""
    p = Path(path)
    text = project_to_json(project, p.resolve().parent)
    write_atomic(p, text.encode("utf-8"))
