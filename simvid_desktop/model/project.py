"""The project model: what a slideshow is, independent of how it is rendered or shown.

Pure Python (no Qt, no Pillow, no ffmpeg) so the window, the queue, worker processes and
the JSON files all share one definition. Values are frozen dataclasses: a render job holds
a snapshot that later edits in the window cannot change.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from simvid_desktop.errors import Problem

#: The project format's major version. A file of a newer major version is refused; one of
#: the same major and a newer minor (``"1.3"``) opens, its unknown fields kept (see
#: :mod:`simvid_desktop.model.project_io`).
SCHEMA_VERSION = 1
#: The minor version this app writes and fully knows. While it is 0 the version is written
#: as the plain number ``1``, as every release has written it.
SCHEMA_MINOR = 0


@dataclass(frozen=True)
class UnknownFields:
    """Fields of one object in a project file that this version does not know.

    A newer release may add fields; an older one keeps them as read and writes them back
    when it saves, so opening and saving a file never loses what a newer version put in
    it. Values are held as JSON text: immutable and hashable, like the rest of the model,
    and written back exactly as they were read.
    """

    #: (name, value as JSON text) in the order of the file.
    items: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.items)

    def names(self) -> list[str]:
        return [name for name, _ in self.items]

    def to_dict(self) -> dict[str, Any]:
        return {name: json.loads(text) for name, text in self.items}


NO_UNKNOWN_FIELDS = UnknownFields()


class FitMode(str, Enum):
    """How a photo fills the frame when their shapes differ."""

    LETTERBOX = "letterbox"  #: whole photo, black bars
    CROP = "crop"  #: fill the frame, cut what sticks out
    BLUR = "blur"  #: whole photo over a blurred, enlarged copy of itself


class MotionMode(str, Enum):
    """Ken Burns motion of a slide."""

    NONE = "none"
    AUTO = "auto"  #: a gentle pan/zoom chosen per slide, deterministic
    CUSTOM = "custom"  #: the start and end views given in :class:`Motion`


class TransitionKind(str, Enum):
    """The transitions the renderer knows; the value is the name used in files and on the CLI."""

    NONE = "none"
    FADE = "fade"
    FADE_BLACK = "fadeblack"
    SLIDE_LEFT = "slide-left"
    SLIDE_RIGHT = "slide-right"
    SLIDE_UP = "slide-up"
    SLIDE_DOWN = "slide-down"
    WIPE_LEFT = "wipe-left"
    WIPE_RIGHT = "wipe-right"
    WIPE_UP = "wipe-up"
    WIPE_DOWN = "wipe-down"
    ZOOM = "zoom"


TRANSITION_NAMES = tuple(k.value for k in TransitionKind)


_Choice = TypeVar("_Choice", bound=Enum)


def parse_choice(kind: type[_Choice], text: str, what: str) -> _Choice:
    """The member of ``kind`` spelt ``text`` (its value, exactly: files and options agree).

    Raises:
        ValueError: ``unknown transition 'spin' (none, fade, …)``, ready for a problem
            that names the field or option.
    """
    try:
        return kind(text)
    except ValueError:
        names = ", ".join(str(m.value) for m in kind)
        raise ValueError(f"unknown {what} {text!r} ({names})") from None


RESOLUTION_PRESETS: dict[str, tuple[int, int]] = {
    "720p": (1280, 720),
    "1080p": (1920, 1080),
    "4k": (3840, 2160),
    "vertical": (1080, 1920),
    "square": (1080, 1080),
}

FPS_CHOICES = (24, 25, 30, 50, 60)


class Quality(str, Enum):
    """The encoder settings a user chooses by name (see :data:`QUALITY_PRESETS`)."""

    DRAFT = "draft"
    STANDARD = "standard"
    HIGH = "high"
    BEST = "best"


@dataclass(frozen=True)
class QualityPreset:
    """An encoder setting a user can choose by name: x264 CRF and speed preset."""

    crf: int
    x264_preset: str


QUALITY_PRESETS: dict[Quality, QualityPreset] = {
    Quality.DRAFT: QualityPreset(28, "veryfast"),
    Quality.STANDARD: QualityPreset(23, "medium"),
    Quality.HIGH: QualityPreset(20, "slow"),
    Quality.BEST: QualityPreset(17, "slow"),
}

X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast",
    "medium", "slow", "slower", "veryslow",
)

MIN_SIDE, MAX_SIDE = 16, 8192
MAX_PIXELS = 8192 * 4320
MAX_DURATION = 3600.0  # one slide, one transition, one fade: an hour is already absurd

_RES_RE = re.compile(r"^\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*$")


class Size(NamedTuple):
    """A frame size in pixels. A pair, so Pillow and ``w, h = size`` take it as it is."""

    width: int
    height: int


def parse_resolution(text: str) -> Size:
    """Turn ``"1080p"`` or ``"1280x720"`` into an even size: the one parser of resolutions.

    Raises:
        ValueError: with a user-facing reason when the text is not a sane resolution.
    """
    key = text.strip().lower()
    if key in RESOLUTION_PRESETS:
        return Size(*RESOLUTION_PRESETS[key])
    m = _RES_RE.match(text)
    if not m:
        names = ", ".join(RESOLUTION_PRESETS)
        raise ValueError(f"{text!r} is not WIDTHxHEIGHT or one of {names}")
    w, h = int(m.group(1)), int(m.group(2))
    # libx264 with yuv420p needs even sides: round odd sides up by one pixel.
    ew, eh = w + (w % 2), h + (h % 2)
    sides_ok = w >= MIN_SIDE and h >= MIN_SIDE and ew <= MAX_SIDE and eh <= MAX_SIDE
    if not sides_ok or ew * eh > MAX_PIXELS:
        raise ValueError(
            f"{w}x{h} is out of range (each side {MIN_SIDE}..{MAX_SIDE}, at most 8192x4320)"
        )
    return Size(ew, eh)


@dataclass(frozen=True)
class Resolution:
    """The video size as the user spelt it (``"1080p"``, ``"1281x721"``), parsed once.

    Constructing one validates it (``ValueError`` otherwise), so a project never holds a
    size that cannot be rendered. The spelling is kept because it is what files and the
    window show: a project saves back exactly as it was written.
    """

    text: str
    size: Size = field(init=False, compare=False)
    #: The preset the text names (``"4k"``), or None for a size given in pixels.
    preset: str | None = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", parse_resolution(self.text))
        key = self.text.strip().lower()
        object.__setattr__(self, "preset", key if key in RESOLUTION_PRESETS else None)

    def __str__(self) -> str:
        return self.text


DEFAULT_RESOLUTION = Resolution("1080p")


@dataclass(frozen=True)
class View:
    """A Ken Burns view: zoom >= 1 and the centre of the visible part (0..1 of the frame)."""

    zoom: float = 1.0
    x: float = 0.5
    y: float = 0.5
    unknown: UnknownFields = NO_UNKNOWN_FIELDS


@dataclass(frozen=True)
class Motion:
    mode: MotionMode = MotionMode.NONE
    start: View | None = None  #: used when mode is CUSTOM
    end: View | None = None
    unknown: UnknownFields = NO_UNKNOWN_FIELDS


@dataclass(frozen=True)
class Transition:
    """The transition *into the next slide*, centred on the boundary between the two."""

    kind: TransitionKind = TransitionKind.FADE  #: spelt ``name`` in files, as it always was
    duration: float = 1.0
    unknown: UnknownFields = NO_UNKNOWN_FIELDS


@dataclass(frozen=True)
class AudioBed:
    """Music under the whole show; a video file's first audio stream is accepted too."""

    path: Path
    volume: float = 1.0
    fade_in: float = 0.0
    fade_out: float = 2.0
    start: float = 0.0  #: seconds skipped at the start of the track
    loop: bool = True  #: loop a short track; otherwise pad with silence
    unknown: UnknownFields = NO_UNKNOWN_FIELDS


@dataclass(frozen=True)
class OutputSettings:
    resolution: Resolution = DEFAULT_RESOLUTION
    fps: int = 30
    quality: Quality = Quality.STANDARD
    fit: FitMode = FitMode.LETTERBOX
    x264_preset: str | None = None  #: pins the encoder speed (benchmarks); overrides quality
    crf: int | None = None  #: pins the encoder CRF (benchmarks); overrides quality
    unknown: UnknownFields = NO_UNKNOWN_FIELDS

    @property
    def size(self) -> Size:
        return self.resolution.size

    @property
    def encoder(self) -> QualityPreset:
        base = QUALITY_PRESETS[self.quality]
        return QualityPreset(
            self.crf if self.crf is not None else base.crf,
            self.x264_preset or base.x264_preset,
        )


@dataclass(frozen=True)
class Slide:
    image: Path
    duration: float | None = None  #: None: the project's default duration
    caption: str | None = None
    motion: Motion | None = None  #: None: the project's default motion
    fit: FitMode | None = None  #: None: the output's default fit mode
    transition: Transition | None = None  #: into the next slide; None: the project default
    unknown: UnknownFields = NO_UNKNOWN_FIELDS


@dataclass(frozen=True)
class Project:
    slides: tuple[Slide, ...] = ()
    default_duration: float = 3.0
    transition: Transition = field(default_factory=Transition)
    motion: Motion = field(default_factory=Motion)
    audio: AudioBed | None = None
    output: OutputSettings = field(default_factory=OutputSettings)
    #: Fields of a newer version's file, here and on each object within: kept, never used.
    unknown: UnknownFields = NO_UNKNOWN_FIELDS

    # -- effective per-slide values -------------------------------------------------
    def duration_of(self, index: int) -> float:
        d = self.slides[index].duration
        return self.default_duration if d is None else d

    def fit_of(self, index: int) -> FitMode:
        return self.slides[index].fit or self.output.fit

    def motion_of(self, index: int) -> Motion:
        return self.slides[index].motion or self.motion

    def transition_after(self, index: int) -> Transition:
        return self.slides[index].transition or self.transition

    @property
    def total_duration(self) -> float:
        """The show lasts exactly the sum of its slide durations."""
        return sum(self.duration_of(i) for i in range(len(self.slides)))

    def with_slides(self, slides: list[Slide] | tuple[Slide, ...]) -> Project:
        return replace(self, slides=tuple(slides))


def _unknown_in_motion(motion: Motion | None, where: str) -> Iterator[str]:
    if motion is None:
        return
    yield from (f"{where}.{name}" for name in motion.unknown.names())
    for end in ("start", "end"):
        view: View | None = getattr(motion, end)
        if view is not None:
            yield from (f"{where}.{end}.{name}" for name in view.unknown.names())


def _unknown_in_transition(transition: Transition | None, where: str) -> Iterator[str]:
    if transition is not None:
        yield from (f"{where}.{name}" for name in transition.unknown.names())


def unknown_fields(project: Project) -> list[str]:
    """Where the project holds fields this version does not know (``slides[2].effect``).

    These are what the window and the command line warn about after opening a file: they
    are ignored, and kept when the project is saved.
    """
    found = list(project.unknown.names())
    found += _unknown_in_transition(project.transition, "transition")
    found += _unknown_in_motion(project.motion, "motion")
    for i, slide in enumerate(project.slides):
        where = f"slides[{i}]"
        found += (f"{where}.{name}" for name in slide.unknown.names())
        found += _unknown_in_motion(slide.motion, f"{where}.motion")
        found += _unknown_in_transition(slide.transition, f"{where}.transition")
    if project.audio is not None:
        found += (f"audio.{name}" for name in project.audio.unknown.names())
    found += (f"output.{name}" for name in project.output.unknown.names())
    return found


# -- semantic validation ----------------------------------------------------------------
def is_number(value: object) -> bool:
    """A real, finite number (not a bool; huge integers that overflow a float are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _check_seconds(
    problems: list[Problem], where: str, value: object, *, allow_zero: bool
) -> None:
    ok = (
        is_number(value)
        and (value >= 0 if allow_zero else value > 0)  # type: ignore[operator]
        and value <= MAX_DURATION  # type: ignore[operator]
    )
    if not ok:
        kind = "a finite number >= 0" if allow_zero else "a finite number > 0"
        problems.append(Problem(where, f"must be {kind} of seconds (at most 3600), got {value!r}"))


def _check_view(problems: list[Problem], where: str, view: View | None) -> None:
    if view is None:
        problems.append(Problem(where, "custom motion needs a start and an end view"))
        return
    z = view.zoom
    if not (is_number(z) and 1.0 <= z <= 8.0):
        problems.append(Problem(f"{where}.zoom", f"must be between 1 and 8, got {z!r}"))
    for name in ("x", "y"):
        v = getattr(view, name)
        if not (is_number(v) and 0.0 <= v <= 1.0):
            problems.append(Problem(f"{where}.{name}", f"must be between 0 and 1, got {v!r}"))


def _check_motion(problems: list[Problem], where: str, motion: Motion) -> None:
    if not isinstance(motion.mode, MotionMode):
        names = ", ".join(m.value for m in MotionMode)
        problems.append(Problem(f"{where}.mode", f"unknown motion {motion.mode!r} ({names})"))
    elif motion.mode is MotionMode.CUSTOM:
        _check_view(problems, f"{where}.start", motion.start)
        _check_view(problems, f"{where}.end", motion.end)


def _check_transition(problems: list[Problem], where: str, tr: Transition) -> None:
    # Names are parsed where they enter (project_io, the CLI); this catches a project
    # built in code with a plain string, before it reaches the renderer.
    if not isinstance(tr.kind, TransitionKind):
        names = ", ".join(TRANSITION_NAMES)
        problems.append(Problem(f"{where}.name", f"unknown transition {tr.kind!r} ({names})"))
    _check_seconds(problems, f"{where}.duration", tr.duration, allow_zero=True)


def check_project(project: Project) -> list[Problem]:
    """Every problem in the project's values, without touching the files it names."""
    problems: list[Problem] = []
    if not project.slides:
        problems.append(Problem("slides", "the project has no slides"))
    _check_seconds(problems, "default_duration", project.default_duration, allow_zero=False)
    _check_transition(problems, "transition", project.transition)
    _check_motion(problems, "motion", project.motion)
    for i, slide in enumerate(project.slides):
        where = f"slides[{i}]"
        if slide.duration is not None:
            _check_seconds(problems, f"{where}.duration", slide.duration, allow_zero=False)
        if slide.transition is not None:
            _check_transition(problems, f"{where}.transition", slide.transition)
        if slide.motion is not None:
            _check_motion(problems, f"{where}.motion", slide.motion)
        if slide.fit is not None and not isinstance(slide.fit, FitMode):
            problems.append(Problem(f"{where}.fit", f"unknown fit mode {slide.fit!r}"))
        if slide.caption is not None and len(slide.caption) > 500:
            problems.append(Problem(f"{where}.caption", "is longer than 500 characters"))
    out = project.output
    if not isinstance(out.resolution, Resolution):  # parsed where it enters, as above
        problems.append(Problem("output.resolution", f"not parsed: {out.resolution!r}"))
    if out.fps not in FPS_CHOICES or isinstance(out.fps, bool):
        choices = ", ".join(map(str, FPS_CHOICES))
        problems.append(Problem("output.fps", f"must be one of {choices}, got {out.fps!r}"))
    if not isinstance(out.quality, Quality):
        names = ", ".join(q.value for q in Quality)
        problems.append(Problem("output.quality", f"unknown quality {out.quality!r} ({names})"))
    if out.x264_preset is not None and out.x264_preset not in X264_PRESETS:
        problems.append(Problem("output.x264_preset", f"unknown x264 preset {out.x264_preset!r}"))
    if out.crf is not None and (
        isinstance(out.crf, bool) or not isinstance(out.crf, int) or not 0 <= out.crf <= 51
    ):
        problems.append(Problem("output.crf", f"must be an integer 0..51, got {out.crf!r}"))
    if not isinstance(out.fit, FitMode):
        problems.append(Problem("output.fit", f"unknown fit mode {out.fit!r}"))
    if project.audio is not None:
        a = project.audio
        v = a.volume
        if not (is_number(v) and 0.0 <= v <= 4.0):
            problems.append(Problem("audio.volume", f"must be between 0 and 4, got {v!r}"))
        for name in ("fade_in", "fade_out", "start"):
            _check_seconds(problems, f"audio.{name}", getattr(a, name), allow_zero=True)
    return problems
