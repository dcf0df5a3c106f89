"""Reading and writing ``.simvid`` project files (JSON, schema version 2; 1 is read too).

Reading is strict and exhaustive: every problem in the file is collected, each naming its
field (``slides[3].duration``), and reported together through :class:`ProjectInvalid`.
Paths inside the project's folder are stored relative, so the folder can be moved.

Files from newer versions open, as in other well-kept formats:

- ``schema_version`` is ``MAJOR`` (a number, as version 1 has always been written) or
  ``"MAJOR.MINOR"`` (text). A newer *minor* only adds fields, so it opens; a newer *major*
  is refused with a message naming the format it needs. This version writes ``2``.
- Format 1 (photos only) is read as it is: everything it could say means the same in
  format 2, where a slide is a photo (``image``), a video clip (``clip``: its path, length,
  trim and volume) or a title card (``title``). Saving writes format 2.
- A field this version does not know is ignored and kept: the project holds it
  (:class:`~simvid_desktop.model.project.UnknownFields`),
  :func:`~simvid_desktop.model.project.unknown_fields` lists it for the warning the window
  and the command line show, and saving writes it back with its value.
- Except a probable typo, which is a problem as before: a field that, compared without
  case, ``-`` or ``_``, is a known field of the same object, or is within one edit of a
  known field of 3 to 5 letters, or two edits of one of 6 letters or more (an edit is one
  letter inserted, deleted, replaced, or two neighbours swapped). ``duraton`` and
  ``Fade-In`` are typos; ``effect`` is a new field. New fields must therefore be named
  further than that from the known fields of their object.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simvid_desktop.durable import write_atomic
from simvid_desktop.errors import Problem, ProjectInvalid
from simvid_desktop.model.project import (
    DEFAULT_LOUDNESS,
    DEFAULT_RESOLUTION,
    NO_UNKNOWN_FIELDS,
    READABLE_OLDER_VERSIONS,
    SCHEMA_MINOR,
    SCHEMA_VERSION,
    AudioBed,
    ChapterMode,
    Clip,
    Ducking,
    FitMode,
    Loudness,
    Motion,
    MotionMode,
    MusicTrack,
    Narration,
    OutputFormat,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    TextAlign,
    TitleBackground,
    TitleCard,
    TrackJoin,
    Transition,
    TransitionKind,
    UnknownFields,
    VideoEncoder,
    View,
    check_project,
    parse_choice,
)

MAX_FILE_BYTES = 50 * 1024 * 1024
#: How deep lists and objects may nest in a field that is kept without being understood.
MAX_KEPT_DEPTH = 64

#: How this version writes ``schema_version``: the plain major number while the minor is 0.
WRITTEN_VERSION: int | str = (
    SCHEMA_VERSION if SCHEMA_MINOR == 0 else f"{SCHEMA_VERSION}.{SCHEMA_MINOR}"
)
_READABLE = ", ".join(
    f'{v} or "{v}.N"' for v in (*READABLE_OLDER_VERSIONS, SCHEMA_VERSION))
_VERSION_TEXT = re.compile(r"(\d{1,6})\.(\d{1,6})")


def _squash(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


def _edits(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, replacements, swaps."""
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        new = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            new[j] = min(row[j] + 1, new[j - 1] + 1, row[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                new[j] = min(new[j], before[j - 2] + 1)
        before, row = row, new
    return row[-1]


def typo_of(name: str, known: Iterable[str]) -> str | None:
    """The known field an unknown ``name`` probably misspells, or None for a new field.

    The rule of the module docstring: equal once case, ``-`` and ``_`` are ignored, or
    within 1 edit of a known name of 3-5 letters, 2 edits of one of 6 or more. Names of one
    or two letters (``x``) only match by case, so a new short name is not taken for them.
    """
    squashed = _squash(name)
    best: tuple[int, str] | None = None
    for candidate in sorted(known):
        target = _squash(candidate)
        limit = 0 if len(target) <= 2 else 1 if len(target) <= 5 else 2
        if abs(len(squashed) - len(target)) > limit:
            continue  # the distance is at least the difference in length: skip long keys
        distance = _edits(squashed, target)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, candidate)
    return None if best is None else best[1]


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether lists and objects nest more than ``limit`` levels in ``value`` (no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


def _printable(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable())[:40]


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
        #: The music was written as one track, in the shape of files before playlists:
        #: its track's fields are named ``audio.volume``, not ``audio.tracks[0].volume``.
        self.single_track = False

    def bad(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    def obj(
        self, value: Any, where: str, keys: set[str]
    ) -> tuple[dict[str, Any], UnknownFields]:
        """The object and its unknown fields, kept; a probable typo is a problem instead."""
        if not isinstance(value, dict):
            self.bad(where or "project", f"must be an object, got {type(value).__name__}")
            return {}, NO_UNKNOWN_FIELDS
        kept: list[tuple[str, str]] = []
        for key in value:
            if key in keys:
                continue
            path = f"{where}.{key}" if where else key
            typo = typo_of(key, keys)
            if typo is not None:
                self.bad(path, f"unknown field, probably a typo of {typo!r}")
                continue
            if _deeper_than(value[key], MAX_KEPT_DEPTH):  # saving must not recurse too deep
                self.bad(path, f"is nested more than {MAX_KEPT_DEPTH} levels deep")
                continue
            try:
                kept.append((key, json.dumps(value[key], allow_nan=False)))
            except ValueError:  # a _NonFinite somewhere inside: it could not be written back
                self.bad(path, "NaN and Infinity are not allowed")
        return value, UnknownFields(tuple(kept))

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

    def loudness(self, d: dict[str, Any]) -> Loudness:
        """The target loudness: ``"-14"``, ``"-16"``, ``"-23"`` or ``"off"``; the number
        itself (``-14``) is taken too, as a person editing the file may write it. A file
        without it (written before it existed) gets the default."""
        value = d.get("loudness")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            d = {**d, "loudness": f"{value:g}"}
        found: Loudness = self.enum(d, "loudness", "output", Loudness, DEFAULT_LOUDNESS,
                                    "loudness")
        return found

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
        d, unknown = self.obj(value, where, {"name", "duration"})
        return Transition(
            kind=self.enum(d, "name", where, TransitionKind, Transition.kind, "transition"),
            duration=self.number(d, "duration", where, Transition.duration),
            unknown=unknown,
        )

    def view(self, value: Any, where: str) -> View | None:
        if value is None:
            return None
        d, unknown = self.obj(value, where, {"zoom", "x", "y"})
        return View(
            zoom=self.number(d, "zoom", where, 1.0),
            x=self.number(d, "x", where, 0.5),
            y=self.number(d, "y", where, 0.5),
            unknown=unknown,
        )

    def motion(self, value: Any, where: str) -> Motion | None:
        if value is None:
            return None
        if isinstance(value, str):  # shorthand: "auto"
            value = {"mode": value}
        d, unknown = self.obj(value, where, {"mode", "start", "end"})
        return Motion(
            mode=self.enum(d, "mode", where, MotionMode, MotionMode.NONE),
            start=self.view(d.get("start"), f"{where}.start"),
            end=self.view(d.get("end"), f"{where}.end"),
            unknown=unknown,
        )

    def boolean(self, d: dict[str, Any], key: str, where: str, default: bool) -> bool:
        v = d.get(key, default)
        if not isinstance(v, bool):
            self.bad(f"{where}.{key}", "must be true or false")
            return default
        return v

    def clip(self, value: Any, where: str) -> Clip | None:
        d, unknown = self.obj(value, where, {"path", "length", "trim_in", "trim_out",
                                             "volume", "muted"})
        path = self.path(d, "path", where) if d else None
        length = self.number(d, "length", where, None)
        if length is None and d:
            self.bad(f"{where}.length", "the clip's length in seconds is required")
        if path is None or length is None:
            return None
        return Clip(
            path=path, length=length,
            trim_in=self.number(d, "trim_in", where, 0.0),
            trim_out=self.number(d, "trim_out", where, None),
            volume=self.number(d, "volume", where, 1.0),
            muted=self.boolean(d, "muted", where, False),
            unknown=unknown,
        )

    def title(self, value: Any, where: str) -> TitleCard | None:
        d, unknown = self.obj(value, where, {"text", "subtitle", "background", "color",
                                             "color2", "photo", "font", "size", "text_color",
                                             "align"})
        if not d:
            return None
        base = TitleCard()
        photo = self.path(d, "photo", where) if d.get("photo") not in (None, "") else None
        return TitleCard(
            text=self.string(d, "text", where, ""),
            subtitle=self.string(d, "subtitle", where, ""),
            background=self.enum(d, "background", where, TitleBackground, base.background,
                                 "background"),
            color=self.string(d, "color", where, base.color),
            color2=self.string(d, "color2", where, base.color2),
            photo=photo,
            font=self.string(d, "font", where, base.font),
            size=self.number(d, "size", where, base.size),
            text_color=self.string(d, "text_color", where, base.text_color),
            align=self.enum(d, "align", where, TextAlign, base.align, "alignment"),
            unknown=unknown,
        )

    def slide(self, value: Any, where: str) -> Slide | None:
        if not isinstance(value, dict):
            self.obj(value, where, set())
            return None
        keys = {"image", "duration", "caption", "motion", "fit", "transition", "clip", "title",
                "narration"}
        d, unknown = self.obj(value, where, keys)
        image = clip = title = None
        if "clip" in d:
            clip = self.clip(d["clip"], f"{where}.clip")
        elif "title" in d:
            title = self.title(d["title"], f"{where}.title")
        else:
            image = self.path(d, "image", where)
        if image is None and clip is None and title is None:
            return None
        if sum(k in d for k in ("image", "clip", "title")) > 1:
            self.bad(where, "must be exactly one of a photo (image), a video clip (clip) "
                            "or a title card (title)")
        return Slide(
            image=image,
            clip=clip,
            title=title,
            duration=self.number(d, "duration", where, None),
            caption=self.string(d, "caption", where, None) or None,
            motion=self.motion(d.get("motion"), f"{where}.motion"),
            fit=self.enum(d, "fit", where, FitMode, None),
            transition=self.transition(d.get("transition"), f"{where}.transition"),
            narration=self.narration(d.get("narration"), f"{where}.narration"),
            unknown=unknown,
        )

    def track(self, value: Any, where: str, keys: set[str]) -> MusicTrack | None:
        d, unknown = self.obj(value, where, keys)
        path = self.path(d, "path", where) if d else None
        if path is None:
            return None
        return MusicTrack(
            path=path,
            volume=self.number(d, "volume", where, 1.0),
            start=self.number(d, "start", where, 0.0),
            end=self.number(d, "end", where, None),
            join=self.enum(d, "join", where, TrackJoin, MusicTrack.join, "join"),
            join_seconds=self.number(d, "join_seconds", where, MusicTrack.join_seconds),
            unknown=unknown,
        )

    def ducking(self, value: Any) -> Ducking:
        if value is None:
            return Ducking()
        d, unknown = self.obj(value, "audio.ducking", {"depth_db", "attack", "release"})
        base = Ducking()
        return Ducking(
            depth_db=self.number(d, "depth_db", "audio.ducking", base.depth_db),
            attack=self.number(d, "attack", "audio.ducking", base.attack),
            release=self.number(d, "release", "audio.ducking", base.release),
            unknown=unknown,
        )

    def audio(self, value: Any) -> AudioBed | None:
        """The music: a playlist (``tracks``), or one track in the shape files had before
        playlists (``path``, ``volume``, ``start`` beside the bed's own fields)."""
        if value is None:
            return None
        bed_keys = {"fade_in", "fade_out", "loop", "ducking"}
        track_keys = {"path", "volume", "start", "end", "join", "join_seconds"}
        playlist = isinstance(value, dict) and "tracks" in value
        keys = bed_keys | ({"tracks"} if playlist else {"path", "volume", "start"})
        d, unknown = self.obj(value, "audio", keys)
        tracks: list[MusicTrack] = []
        if playlist:
            raw = d.get("tracks")
            if not isinstance(raw, list) or not raw:
                self.bad("audio.tracks", "must be a list of at least one track")
                return None
            for i, item in enumerate(raw):
                track = self.track(item, f"audio.tracks[{i}]", track_keys)
                if track is not None:
                    tracks.append(track)
        else:
            self.single_track = True
            path = self.path(d, "path", "audio")
            if path is not None:
                tracks.append(MusicTrack(path, volume=self.number(d, "volume", "audio", 1.0),
                                         start=self.number(d, "start", "audio", 0.0)))
        if not tracks:
            return None
        return AudioBed(
            tracks=tuple(tracks),
            fade_in=self.number(d, "fade_in", "audio", 0.0),
            fade_out=self.number(d, "fade_out", "audio", 2.0),
            loop=self.boolean(d, "loop", "audio", True),
            ducking=self.ducking(d.get("ducking")),
            unknown=unknown,
        )

    def narration(self, value: Any, where: str) -> Narration | None:
        if value is None:
            return None
        d, unknown = self.obj(value, where, {"path", "start", "volume"})
        path = self.path(d, "path", where) if d else None
        if path is None:
            return None
        return Narration(path=path, start=self.number(d, "start", where, 0.0),
                         volume=self.number(d, "volume", where, 1.0), unknown=unknown)

    def output(self, value: Any) -> OutputSettings:
        if value is None:
            return OutputSettings()
        keys = {"resolution", "fps", "quality", "fit", "x264_preset", "crf", "chapters",
                "chapter_list", "loudness", "video_encoder", "format"}
        d, unknown = self.obj(value, "output", keys)
        fps = self.number(d, "fps", "output", 30)
        crf = self.number(d, "crf", "output", None)
        return OutputSettings(
            resolution=self.resolution(d),
            fps=int(fps) if isinstance(fps, float) and fps.is_integer() else fps,
            quality=self.enum(d, "quality", "output", Quality, Quality.STANDARD, "quality"),
            fit=self.enum(d, "fit", "output", FitMode, FitMode.LETTERBOX),
            x264_preset=self.string(d, "x264_preset", "output", None),
            crf=int(crf) if isinstance(crf, float) and crf.is_integer() else crf,
            chapters=self.enum(d, "chapters", "output", ChapterMode, ChapterMode.NONE,
                               "chapters"),
            chapter_list=self.boolean(d, "chapter_list", "output", False),
            video_encoder=self.enum(d, "video_encoder", "output", VideoEncoder,
                                    VideoEncoder.AUTO, "encoder"),
            loudness=self.loudness(d),
            format=self.enum(d, "format", "output", OutputFormat, OutputFormat.MP4, "format"),
            unknown=unknown,
        )

    def readable_version(self, d: dict[str, Any]) -> bool:
        """Whether this version can read the file: the same major version, any minor.

        Checked before anything else, so a file of a newer major version is refused with
        that one reason, not with one line for each of its fields.
        """
        version = d.get("schema_version")
        major: int | None = None
        if type(version) is int:  # not a bool
            major = version
        elif isinstance(version, str) and (m := _VERSION_TEXT.fullmatch(version)):
            major = int(m.group(1))
        if major == SCHEMA_VERSION or major in READABLE_OLDER_VERSIONS:
            return True
        if major is not None and major > SCHEMA_VERSION:
            app = d.get("app")
            saver = app.get("version") if isinstance(app, dict) else None
            saved_by = (f" (this file was saved by Simvid Desktop {_printable(saver)})"
                        if isinstance(saver, str) else "")
            self.bad("schema_version",
                     f"needs a newer Simvid Desktop, one that reads project format {major}"
                     f"{saved_by}; this version reads format {SCHEMA_VERSION}")
        else:
            self.bad("schema_version",
                     f"unsupported version {version!r} (this app reads {_READABLE})")
        return False

    def project(self, data: Any) -> Project:
        keys = {"schema_version", "slides", "default_duration", "transition", "motion",
                "audio", "output", "app", "voice_over"}
        if not isinstance(data, dict):
            self.obj(data, "", keys)
            return Project()
        if not self.readable_version(data):
            return Project()
        d, unknown = self.obj(data, "", keys)
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
            voice_over=self.narration(d.get("voice_over"), "voice_over"),
            output=self.output(d.get("output")),
            unknown=unknown,
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
    checked = check_project(project)
    if reader.single_track:  # named as the file has them
        checked = [Problem(p.where.replace("audio.tracks[0].", "audio.", 1), p.message)
                   for p in checked]
    problems += [
        p for p in checked
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


def _with_unknown(d: dict[str, Any], unknown: UnknownFields) -> dict[str, Any]:
    """``d`` and, after its own fields, the unknown ones it was read with."""
    for name, value in unknown.to_dict().items():
        d.setdefault(name, value)
    return d


def _transition_dict(t: Transition) -> dict[str, Any]:
    return _with_unknown({"name": t.kind.value, "duration": t.duration}, t.unknown)


def _motion_dict(m: Motion) -> dict[str, Any]:
    d: dict[str, Any] = {"mode": m.mode.value}
    for name in ("start", "end"):
        v: View | None = getattr(m, name)
        if v is not None:
            d[name] = _with_unknown({"zoom": v.zoom, "x": v.x, "y": v.y}, v.unknown)
    return _with_unknown(d, m.unknown)


def _clip_dict(c: Clip, base_dir: Path | None) -> dict[str, Any]:
    d: dict[str, Any] = {"path": _store_path(c.path, base_dir), "length": c.length}
    if c.trim_in:
        d["trim_in"] = c.trim_in
    if c.trim_out is not None:
        d["trim_out"] = c.trim_out
    if c.volume != 1.0:
        d["volume"] = c.volume
    if c.muted:
        d["muted"] = True
    return _with_unknown(d, c.unknown)


def _title_dict(t: TitleCard, base_dir: Path | None) -> dict[str, Any]:
    d: dict[str, Any] = {
        "text": t.text, "subtitle": t.subtitle, "background": t.background.value,
        "color": t.color, "color2": t.color2, "font": t.font, "size": t.size,
        "text_color": t.text_color, "align": t.align.value,
    }
    if t.photo is not None:
        d["photo"] = _store_path(t.photo, base_dir)
    return _with_unknown(d, t.unknown)


def _narration_dict(n: Narration, base_dir: Path | None) -> dict[str, Any]:
    d: dict[str, Any] = {"path": _store_path(n.path, base_dir), "start": n.start}
    if n.volume != 1.0:
        d["volume"] = n.volume
    return _with_unknown(d, n.unknown)


def _is_single(bed: AudioBed) -> bool:
    """Whether the bed can be written in the shape of files from before playlists: one
    track, no trim out, the default join, nothing unknown on the track."""
    if len(bed.tracks) != 1:
        return False
    t = bed.tracks[0]
    return (t.end is None and t.join is MusicTrack.join
            and t.join_seconds == MusicTrack.join_seconds and not t.unknown)


def _audio_dict(bed: AudioBed, base_dir: Path | None) -> dict[str, Any]:
    d: dict[str, Any]
    if _is_single(bed):
        t = bed.tracks[0]
        d = {"path": _store_path(t.path, base_dir), "volume": t.volume, "fade_in": bed.fade_in,
             "fade_out": bed.fade_out, "start": t.start, "loop": bed.loop}
    else:
        tracks = []
        for t in bed.tracks:
            td: dict[str, Any] = {"path": _store_path(t.path, base_dir), "volume": t.volume,
                                  "start": t.start}
            if t.end is not None:
                td["end"] = t.end
            if t.join is not MusicTrack.join:
                td["join"] = t.join.value
            if t.join_seconds != MusicTrack.join_seconds:
                td["join_seconds"] = t.join_seconds
            tracks.append(_with_unknown(td, t.unknown))
        d = {"tracks": tracks, "fade_in": bed.fade_in, "fade_out": bed.fade_out,
             "loop": bed.loop}
    k = bed.ducking
    if (k.depth_db, k.attack, k.release) != (Ducking.depth_db, Ducking.attack, Ducking.release) \
            or k.unknown:
        d["ducking"] = _with_unknown(
            {"depth_db": k.depth_db, "attack": k.attack, "release": k.release}, k.unknown)
    return _with_unknown(d, bed.unknown)


def project_to_dict(project: Project, base_dir: Path | None = None) -> dict[str, Any]:
    """The JSON form of a project; paths under ``base_dir`` are written relative to it."""
    slides = []
    for s in project.slides:
        d: dict[str, Any] = {}
        if s.clip is not None:
            d["clip"] = _clip_dict(s.clip, base_dir)
        elif s.title is not None:
            d["title"] = _title_dict(s.title, base_dir)
        elif s.image is not None:
            d["image"] = _store_path(s.image, base_dir)
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
        if s.narration is not None:
            d["narration"] = _narration_dict(s.narration, base_dir)
        slides.append(_with_unknown(d, s.unknown))
    out = project.output
    output: dict[str, Any] = {
        "resolution": out.resolution.text, "fps": out.fps, "quality": out.quality.value,
        "fit": out.fit.value,
    }
    # Written when it is not the default, as a file without it (from before it existed)
    # means the default: files made without touching it save back byte for byte.
    if out.loudness is not DEFAULT_LOUDNESS:
        output["loudness"] = out.loudness.value
    if out.x264_preset is not None:
        output["x264_preset"] = out.x264_preset
    if out.crf is not None:
        output["crf"] = out.crf
    if out.chapters is not ChapterMode.NONE:
        output["chapters"] = out.chapters.value
    if out.chapter_list:
        output["chapter_list"] = True
    if out.video_encoder is not VideoEncoder.AUTO:
        output["video_encoder"] = out.video_encoder.value
    if out.format is not OutputFormat.MP4:
        output["format"] = out.format.value
    _with_unknown(output, out.unknown)
    data: dict[str, Any] = {
        "schema_version": WRITTEN_VERSION,
        "slides": slides,
        "default_duration": project.default_duration,
        "transition": _transition_dict(project.transition),
        "motion": _motion_dict(project.motion),
        "audio": None,
        "output": output,
    }
    if project.audio is not None:
        data["audio"] = _audio_dict(project.audio, base_dir)
    if project.voice_over is not None:
        data["voice_over"] = _narration_dict(project.voice_over, base_dir)
    return _with_unknown(data, project.unknown)


def project_to_json(project: Project, base_dir: Path | None = None) -> str:
    return json.dumps(project_to_dict(project, base_dir), indent=2, allow_nan=False) + "\n"


def save_project(project: Project, path: str | Path) -> None:
    """Write atomically and durably (temp file, fsync, rename, fsync of the folder): a
    crash or a power cut leaves the old project or the new one, never half of one."""
    p = Path(path)
    text = project_to_json(project, p.resolve().parent)
    write_atomic(p, text.encode("utf-8"))
