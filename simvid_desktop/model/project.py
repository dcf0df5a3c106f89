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
SCHEMA_VERSION = 2
#: The minor version this app writes and fully knows. While it is 0 the version is written
#: as the plain number (``2``).
SCHEMA_MINOR = 0
#: Older major versions this app still reads (and saves in its own format): format 1 held
#: photos only; everything it could say means the same in format 2.
READABLE_OLDER_VERSIONS = (1,)


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
    """An encoder setting a user can choose by name: x264 CRF, speed preset and the x264
    options tuned for slideshows (long holds, slow sub-pixel motion, dissolves), measured
    by ``benchmarks/quality_bench.py``. Hardware encoders use only the CRF."""

    crf: float  #: x264 takes fractions; hardware encoders get it rounded
    x264_preset: str
    #: ``-x264-params`` (``key=value:key=value``); "" for x264's preset as it is
    x264_params: str = ""
    #: x264 zone options (``crf=22.25``, ``key=value`` joined by commas) for the frames that
    #: show a video clip, its transitions included; "" for the same settings everywhere.
    #: x264's fast modes keep photos' quality at a low CRF but spend far more bits on camera
    #: footage's grain at it, and hold its quality at a higher one (measured, README
    #: "Quality presets").
    footage: str = ""


#: ``standard`` is tuned for slideshows (benchmarks/quality_bench.py, README "Quality
#: presets"): x264 ``veryfast`` with smart weighted prediction (dissolves) and up to 5
#: B-frames (holds and slow moves), at CRF 21 for photos and titles and CRF 22.25 for video
#: clips, matches medium CRF 23's SSIM and size in about 0.4 of its CPU time.
QUALITY_PRESETS: dict[Quality, QualityPreset] = {
    Quality.DRAFT: QualityPreset(28, "veryfast"),
    Quality.STANDARD: QualityPreset(21, "veryfast", "weightp=2:bframes=5", footage="crf=22.25"),
    Quality.HIGH: QualityPreset(20, "slow"),
    Quality.BEST: QualityPreset(17, "slow"),
}

class Loudness(str, Enum):
    """The integrated loudness the final mix is brought to (EBU R128 / ITU-R BS.1770), or
    off. The value is the target in LUFS as written in project files and on the command
    line: -14 is what online video sites play at (they turn louder uploads down, never
    quieter ones up), -16 is the level of podcasts and of Apple's players, -23 is EBU R128
    for broadcast."""

    ONLINE = "-14"
    PODCAST = "-16"
    BROADCAST = "-23"
    OFF = "off"

    @property
    def target(self) -> float | None:
        """The target integrated loudness in LUFS; None: the mix is left as it is."""
        return None if self is Loudness.OFF else float(self.value)


#: Online video's level: what the mix is brought to unless the project says otherwise.
DEFAULT_LOUDNESS = Loudness.ONLINE

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


class TrackJoin(str, Enum):
    """How one track of the playlist leads into the next (the last one: into the first,
    when the playlist loops)."""

    CROSSFADE = "crossfade"  #: this track fades out while the next fades in, over join_seconds
    GAP = "gap"  #: join_seconds of silence, then the next track


@dataclass(frozen=True)
class MusicTrack:
    """One song of the playlist (or a video file's first audio stream), trimmed to
    ``[start, end)`` of the file."""

    path: Path
    volume: float = 1.0
    start: float = 0.0  #: trim in: seconds skipped at the start of the file
    end: float | None = None  #: trim out: where it stops in the file; None: the file's end
    join: TrackJoin = TrackJoin.CROSSFADE  #: how it leads into the next track
    join_seconds: float = 2.0
    unknown: UnknownFields = NO_UNKNOWN_FIELDS


@dataclass(frozen=True)
class Ducking:
    """How far and how smoothly the music dips under clip sound and voice-over."""

    depth_db: float = -12.0
    attack: float = 0.3  #: seconds of ramp down before the sound starts
    release: float = 0.3  #: seconds of ramp up after it ends
    unknown: UnknownFields = NO_UNKNOWN_FIELDS


@dataclass(frozen=True)
class AudioBed:
    """The music under the whole show: a playlist of at least one track, in play order."""

    tracks: tuple[MusicTrack, ...]
    fade_in: float = 0.0  #: of the whole playlist, at the show's start
    fade_out: float = 2.0  #: at the show's end
    loop: bool = True  #: loop the whole playlist when shorter than the show; else silence
    ducking: Ducking = field(default_factory=Ducking)
    unknown: UnknownFields = NO_UNKNOWN_FIELDS

    @classmethod
    def single(cls, path: Path, *, volume: float = 1.0, start: float = 0.0,
               fade_in: float = 0.0, fade_out: float = 2.0, loop: bool = True) -> AudioBed:
        """A bed of one track: what a project had before playlists (its JSON shape too)."""
        return cls((MusicTrack(path, volume=volume, start=start),), fade_in=fade_in,
                   fade_out=fade_out, loop=loop)

    @property
    def first(self) -> MusicTrack:
        """The first track (views that show one track at a time)."""
        return self.tracks[0]

    @property
    def paths(self) -> list[Path]:
        """Every track's file, in play order, each once."""
        return list(dict.fromkeys(t.path for t in self.tracks))


@dataclass(frozen=True)
class Narration:
    """A voice-over file. ``start``: for :attr:`Project.voice_over`, seconds into the show;
    for :attr:`Slide.narration`, seconds after the slide starts (it moves with the slide)."""

    path: Path
    start: float = 0.0
    volume: float = 1.0
    unknown: UnknownFields = NO_UNKNOWN_FIELDS


class VideoEncoder(str, Enum):
    """Which encoder makes the H.264: x264 in software, or the machine's video hardware."""

    #: Hardware where this machine has one that was measured to meet the chosen quality
    #: (see ``render.hw_encoders``), else software.
    AUTO = "auto"
    SOFTWARE = "software"  #: x264
    NVENC = "nvenc"  #: NVIDIA
    QSV = "qsv"  #: Intel Quick Sync
    VAAPI = "vaapi"  #: Linux VA-API (Intel, AMD)
    AMF = "amf"  #: AMD on Windows
    VIDEOTOOLBOX = "videotoolbox"  #: macOS


class ChapterMode(str, Enum):
    """Where the video's chapters begin (players list them and jump to them)."""

    NONE = "none"
    SLIDES = "slides"  #: at every slide
    TITLES = "titles"  #: at every title card (and at the start, if no card is first)


class OutputFormat(str, Enum):
    """What the video is delivered as: a codec in a container (``render.formats`` holds how
    each is encoded). The value is what project files and ``--format`` say."""

    MP4 = "mp4"  #: H.264 + AAC: plays everywhere (the default)
    MP4_HEVC = "mp4-hevc"  #: HEVC (x265, tagged hvc1 for Apple) + AAC: smaller files
    MP4_AV1 = "mp4-av1"  #: AV1 (SVT-AV1) + AAC
    WEBM_AV1 = "webm-av1"  #: AV1 (SVT-AV1) + Opus, for the web
    WEBM_VP9 = "webm-vp9"  #: VP9 + Opus, for the web (older browsers too)
    MOV_PRORES = "mov-prores"  #: ProRes 422 + PCM, for editing further
    GIF = "gif"  #: an animated GIF loop: no sound, at most GIF_MAX_WIDTH wide and GIF_MAX_FPS

    @property
    def suffix(self) -> str:
        """The file suffix of the container (``.mp4``, ``.webm``, ``.mov``, ``.gif``)."""
        return "." + self.value.split("-")[0]

    @property
    def has_audio(self) -> bool:
        return self is not OutputFormat.GIF

    @property
    def has_chapters(self) -> bool:
        """Whether the container carries chapters (MP4, WebM/Matroska and MOV do)."""
        return self is not OutputFormat.GIF

    @property
    def is_h264(self) -> bool:
        """Only H.264 may use the video hardware (see ``render.hw_encoders``)."""
        return self is OutputFormat.MP4


#: The formats a file suffix may mean, the first being what the suffix alone picks.
FORMATS_BY_SUFFIX: dict[str, tuple[OutputFormat, ...]] = {}
for _fmt in OutputFormat:
    FORMATS_BY_SUFFIX.setdefault(_fmt.suffix, ())
    FORMATS_BY_SUFFIX[_fmt.suffix] += (_fmt,)
FORMATS_BY_SUFFIX[".webm"] = (OutputFormat.WEBM_VP9, OutputFormat.WEBM_AV1)

def format_for_suffix(suffix: str, current: OutputFormat) -> OutputFormat:
    """The format an output named ``*suffix`` is written in: ``current`` when the suffix is
    its own (``.webm`` keeps webm-av1), else what the suffix alone means (``.webm``:
    webm-vp9); ``current`` for a suffix that names no format (the check then says so)."""
    choices = FORMATS_BY_SUFFIX.get(suffix.lower(), ())
    return current if not choices or current in choices else choices[0]


def suffix_problem(suffix: str, fmt: OutputFormat) -> str | None:
    """Why a file named ``*suffix`` cannot hold ``fmt`` (one line), or None."""
    if suffix.lower() == fmt.suffix:
        return None
    given = suffix or "a file without suffix"
    return (f"a {fmt.value} video is a {fmt.suffix} file, not {given} (rename the output "
            "or choose another format)")


def with_format_suffix(name: str, fmt: OutputFormat) -> str:
    """The file name ``name`` with the suffix of ``fmt``: a container's suffix is replaced
    (``show.mp4`` -> ``show.webm``), anything else is kept and the suffix added (``v1.2``
    -> ``v1.2.mp4``)."""
    path = Path(name)
    if path.suffix.lower() == fmt.suffix:
        return name
    if path.suffix.lower() in FORMATS_BY_SUFFIX:
        return name[: -len(path.suffix)] + fmt.suffix
    return name + fmt.suffix


#: GIFs are for short loops: their frames are capped at this width (height in proportion)
#: and this frame rate, since a GIF's size grows with both and players stutter past it.
GIF_MAX_WIDTH = 640
GIF_MAX_FPS = 15


def gif_fps(fps: int) -> int:
    """A GIF's frame rate for a show at ``fps``: at most :data:`GIF_MAX_FPS`."""
    return min(fps, GIF_MAX_FPS)


def gif_size(size: Size) -> Size:
    """``size`` scaled down to at most :data:`GIF_MAX_WIDTH` wide (even sides)."""
    if size.width <= GIF_MAX_WIDTH:
        return size
    height = round(size.height * GIF_MAX_WIDTH / size.width)
    return Size(GIF_MAX_WIDTH, max(MIN_SIDE, height + height % 2))


@dataclass(frozen=True)
class OutputSettings:
    resolution: Resolution = DEFAULT_RESOLUTION
    fps: int = 30
    quality: Quality = Quality.STANDARD
    fit: FitMode = FitMode.LETTERBOX
    x264_preset: str | None = None  #: pins the encoder speed (benchmarks); overrides quality
    crf: int | None = None  #: pins the encoder CRF (benchmarks); overrides quality
    chapters: ChapterMode = ChapterMode.NONE
    #: Also write the chapters beside the video as a YouTube-style list (``00:00 Intro``).
    chapter_list: bool = False
    video_encoder: VideoEncoder = VideoEncoder.AUTO
    loudness: Loudness = DEFAULT_LOUDNESS  #: the soundtrack's target loudness, or off
    format: OutputFormat = OutputFormat.MP4  #: codec and container
    unknown: UnknownFields = NO_UNKNOWN_FIELDS

    @property
    def size(self) -> Size:
        """The frames' size: the resolution's, capped for a GIF (see :func:`gif_size`)."""
        if self.format is OutputFormat.GIF:
            return gif_size(self.resolution.size)
        return self.resolution.size

    @property
    def encoder(self) -> QualityPreset:
        """The preset of :attr:`quality`; a pinned CRF or speed preset (benchmarks) gives
        plain x264 at those settings, without the preset's tuned options."""
        base = QUALITY_PRESETS[self.quality]
        if self.crf is None and not self.x264_preset:
            return base
        return QualityPreset(
            self.crf if self.crf is not None else base.crf,
            self.x264_preset or base.x264_preset,
        )


def format_notes(project: Project) -> list[str]:
    """What the chosen format changes in the project as asked (one line each): a GIF's
    caps, its silence; software where hardware was asked for another codec than H.264."""
    out = project.output
    notes: list[str] = []
    if out.format is OutputFormat.GIF:
        asked, made = out.resolution.size, out.size
        if asked != made:
            notes.append(f"a GIF is at most {GIF_MAX_WIDTH} px wide: {asked.width}x"
                         f"{asked.height} becomes {made.width}x{made.height}")
        if out.fps > GIF_MAX_FPS:
            notes.append(f"a GIF plays at most {GIF_MAX_FPS} fps: {out.fps} fps becomes "
                         f"{GIF_MAX_FPS}")
        if project.audio is not None or any(c.audible for _, c in project.clips):
            notes.append("a GIF has no sound: the music and the clips' sound are left out")
        if out.chapters is not ChapterMode.NONE:
            notes.append("a GIF has no chapters")
    elif not out.format.is_h264 and out.video_encoder not in (VideoEncoder.AUTO,
                                                              VideoEncoder.SOFTWARE):
        notes.append(f"hardware encoders make H.264 only: {out.format.value} is encoded "
                     "in software")
    return notes


class SlideKind(str, Enum):
    """What a slide shows: a photo, a video clip, or a card of text."""

    PHOTO = "photo"
    CLIP = "clip"
    TITLE = "title"


@dataclass(frozen=True)
class Clip:
    """A video clip on the timeline: which part of it plays, and how loud.

    ``length`` is the clip's own length as decoded when it was added, so the timeline
    knows how long the clip lasts without opening it; the renderer checks it again.
    """

    path: Path
    length: float  #: seconds of video in the file
    trim_in: float = 0.0  #: seconds skipped at the start
    trim_out: float | None = None  #: where it stops, in the clip's own time; None: its end
    volume: float = 1.0  #: its sound in the soundtrack (0 silences it too)
    muted: bool = False
    unknown: UnknownFields = NO_UNKNOWN_FIELDS

    @property
    def end(self) -> float:
        return self.length if self.trim_out is None else self.trim_out

    @property
    def trimmed_length(self) -> float:
        """How long the clip lasts on the timeline."""
        return self.end - self.trim_in

    @property
    def audible(self) -> bool:
        return not self.muted and self.volume > 0


class TitleBackground(str, Enum):
    SOLID = "solid"  #: one colour
    GRADIENT = "gradient"  #: from ``color`` at the top to ``color2`` at the bottom
    PHOTO = "photo"  #: a blurred, darkened photo


class TextAlign(str, Enum):
    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


DEFAULT_TITLE_FONT = "DejaVu Sans Bold"  #: shipped in resources/fonts


@dataclass(frozen=True)
class TitleCard:
    """A slide of text: a title and a subtitle over a colour, a gradient or a photo."""

    text: str = ""
    subtitle: str = ""
    background: TitleBackground = TitleBackground.SOLID
    color: str = "#14213d"  #: the background (the gradient's top), ``#rrggbb``
    color2: str = "#000000"  #: the gradient's bottom
    photo: Path | None = None  #: the photo behind a PHOTO background
    font: str = DEFAULT_TITLE_FONT  #: a font family (shipped or the system's)
    #: The title's text height, as a fraction of the frame's shorter side (its height in a
    #: landscape video; a vertical video's text is as big, in pixels, as a landscape one's).
    size: float = 0.09
    text_color: str = "#ffffff"
    align: TextAlign = TextAlign.CENTER
    unknown: UnknownFields = NO_UNKNOWN_FIELDS


@dataclass(frozen=True)
class Slide:
    """One item of the timeline: a photo (``image``), a video ``clip`` or a ``title`` card.

    Exactly one of the three is set (:func:`check_project` says so otherwise).
    """

    image: Path | None = None  #: the photo
    duration: float | None = None  #: None: the project's default (a clip: its trimmed length)
    caption: str | None = None
    motion: Motion | None = None  #: None: the project's default motion (photos only)
    fit: FitMode | None = None  #: None: the output's default fit mode
    transition: Transition | None = None  #: into the next slide; None: the project default
    clip: Clip | None = None
    title: TitleCard | None = None
    narration: Narration | None = None  #: a voice-over that starts with this slide
    unknown: UnknownFields = NO_UNKNOWN_FIELDS

    @property
    def kind(self) -> SlideKind:
        if self.clip is not None:
            return SlideKind.CLIP
        if self.title is not None:
            return SlideKind.TITLE
        return SlideKind.PHOTO

    @property
    def source(self) -> Path | None:
        """The file the slide shows: the photo, the clip, or a title's photo (or None)."""
        if self.clip is not None:
            return self.clip.path
        if self.title is not None:
            return self.title.photo
        return self.image

    @property
    def label(self) -> str:
        """How the window names the slide: the file name, or the title's text."""
        if self.title is not None:
            return self.title.text.strip().splitlines()[0] if self.title.text.strip() \
                else "Title card"
        source = self.source
        return source.name if source is not None else "?"

    @classmethod
    def photo(cls, path: Path, **kwargs: Any) -> Slide:
        return cls(image=path, **kwargs)

    @classmethod
    def video(cls, path: Path, length: float, **kwargs: Any) -> Slide:
        return cls(clip=Clip(path, length), **kwargs)

    @classmethod
    def card(cls, text: str, subtitle: str = "", **kwargs: Any) -> Slide:
        return cls(title=TitleCard(text, subtitle), **kwargs)


_STILL = Motion()


@dataclass(frozen=True)
class Project:
    slides: tuple[Slide, ...] = ()
    default_duration: float = 3.0
    transition: Transition = field(default_factory=Transition)
    motion: Motion = field(default_factory=Motion)
    audio: AudioBed | None = None
    output: OutputSettings = field(default_factory=OutputSettings)
    #: One narration placed at a time in the show (beside or instead of per-slide ones).
    voice_over: Narration | None = None
    #: Fields of a newer version's file, here and on each object within: kept, never used.
    unknown: UnknownFields = NO_UNKNOWN_FIELDS

    # -- effective per-slide values -------------------------------------------------
    def duration_of(self, index: int) -> float:
        slide = self.slides[index]
        if slide.clip is not None:
            return slide.clip.trimmed_length
        return self.default_duration if slide.duration is None else slide.duration

    def fit_of(self, index: int) -> FitMode:
        return self.slides[index].fit or self.output.fit

    def motion_of(self, index: int) -> Motion:
        """Ken Burns motion moves photos; clips and title cards hold still."""
        slide = self.slides[index]
        if slide.kind is not SlideKind.PHOTO:
            return _STILL
        return slide.motion or self.motion

    def transition_after(self, index: int) -> Transition:
        return self.slides[index].transition or self.transition

    @property
    def total_duration(self) -> float:
        """The show lasts exactly the sum of its slide durations."""
        return sum(self.duration_of(i) for i in range(len(self.slides)))

    @property
    def clips(self) -> list[tuple[int, Clip]]:
        """The video clips, with their index on the timeline."""
        return [(i, s.clip) for i, s in enumerate(self.slides) if s.clip is not None]

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
        if slide.clip is not None:
            found += (f"{where}.{name}" for name in slide.clip.unknown.names())
        if slide.title is not None:
            found += (f"{where}.title.{name}" for name in slide.title.unknown.names())
        if slide.narration is not None:
            found += (f"{where}.narration.{name}" for name in slide.narration.unknown.names())
    if project.audio is not None:
        found += (f"audio.{name}" for name in project.audio.unknown.names())
        found += (f"audio.ducking.{name}" for name in project.audio.ducking.unknown.names())
        for i, track in enumerate(project.audio.tracks):
            found += (f"audio.tracks[{i}].{name}" for name in track.unknown.names())
    if project.voice_over is not None:
        found += (f"voice_over.{name}" for name in project.voice_over.unknown.names())
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


_COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_TITLE_CHARS = 300
TITLE_SIZES = (0.02, 0.3)  #: the title's height as a fraction of the frame's, min and max
MAX_VOLUME = 4.0


def is_color(value: object) -> bool:
    return isinstance(value, str) and bool(_COLOR_RE.match(value))


def _check_kind(problems: list[Problem], where: str, slide: Slide) -> None:
    set_ = [name for name in ("image", "clip", "title") if getattr(slide, name) is not None]
    if len(set_) != 1:
        problems.append(Problem(where, "must be exactly one of a photo (image), a video clip "
                                f"(video) or a title card (title); it has {len(set_)}"))


def _check_clip(problems: list[Problem], where: str, clip: Clip, fps: int) -> None:
    ok_length = is_number(clip.length) and 0 < clip.length <= 24 * 3600
    if not ok_length:
        problems.append(Problem(f"{where}.length", f"must be the clip's length in seconds, "
                                f"got {clip.length!r}"))
    if not (is_number(clip.trim_in) and clip.trim_in >= 0):
        problems.append(Problem(f"{where}.trim_in", f"must be >= 0 seconds, got {clip.trim_in!r}"))
        return
    if clip.trim_out is not None and not is_number(clip.trim_out):
        problems.append(Problem(f"{where}.trim_out", f"must be seconds, got {clip.trim_out!r}"))
        return
    if not ok_length:
        return
    if clip.end > clip.length + 1e-6:
        problems.append(Problem(f"{where}.trim_out", f"is past the clip's end ({clip.end:.3f} s "
                                f"of {clip.length:.3f} s)"))
    elif clip.trimmed_length < 1.0 / max(1, fps) - 1e-9:
        problems.append(Problem(f"{where}.trim_out", f"leaves nothing of the clip (in "
                                f"{clip.trim_in:.3f} s, out {clip.end:.3f} s)"))
    if not (is_number(clip.volume) and 0.0 <= clip.volume <= MAX_VOLUME):
        problems.append(Problem(f"{where}.volume", f"must be between 0 and 4, got {clip.volume!r}"))
    if not isinstance(clip.muted, bool):
        problems.append(Problem(f"{where}.muted", "must be true or false"))


def _check_title(problems: list[Problem], where: str, title: TitleCard) -> None:
    for name in ("text", "subtitle"):
        value = getattr(title, name)
        if not isinstance(value, str) or len(value) > MAX_TITLE_CHARS:
            problems.append(Problem(f"{where}.{name}",
                                    f"must be text of at most {MAX_TITLE_CHARS} characters"))
    for name in ("color", "color2", "text_color"):
        value = getattr(title, name)
        if not is_color(value):
            problems.append(Problem(f"{where}.{name}", f"must be a colour like #1a2b3c, "
                                    f"got {value!r}"))
    if not isinstance(title.background, TitleBackground):
        names = ", ".join(b.value for b in TitleBackground)
        problems.append(Problem(f"{where}.background",
                                f"unknown background {title.background!r} ({names})"))
    elif title.background is TitleBackground.PHOTO and title.photo is None:
        problems.append(Problem(f"{where}.photo", "a photo background needs a photo"))
    if not isinstance(title.align, TextAlign):
        names = ", ".join(a.value for a in TextAlign)
        problems.append(Problem(f"{where}.align", f"unknown alignment {title.align!r} ({names})"))
    low, high = TITLE_SIZES
    if not (is_number(title.size) and low <= title.size <= high):
        problems.append(Problem(f"{where}.size", f"must be between {low} and {high} of the "
                                f"frame's shorter side, got {title.size!r}"))
    if not isinstance(title.font, str) or not title.font.strip() or len(title.font) > 200:
        problems.append(Problem(f"{where}.font", "must name a font"))


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
        _check_kind(problems, where, slide)
        if slide.clip is not None:
            _check_clip(problems, where, slide.clip, project.output.fps)
            if slide.duration is not None:
                problems.append(Problem(f"{where}.duration", "a clip lasts as long as its "
                                        "trimmed part: set trim_in and trim_out instead"))
        elif slide.duration is not None:
            _check_seconds(problems, f"{where}.duration", slide.duration, allow_zero=False)
        if slide.title is not None:
            _check_title(problems, f"{where}.title", slide.title)
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
    if not isinstance(out.chapters, ChapterMode):
        names = ", ".join(m.value for m in ChapterMode)
        problems.append(Problem("output.chapters", f"unknown chapters {out.chapters!r} ({names})"))
    if not isinstance(out.video_encoder, VideoEncoder):
        names = ", ".join(m.value for m in VideoEncoder)
        problems.append(Problem("output.video_encoder",
                                f"unknown encoder {out.video_encoder!r} ({names})"))
    if not isinstance(out.chapter_list, bool):
        problems.append(Problem("output.chapter_list", "must be true or false"))
    if not isinstance(out.format, OutputFormat):
        names = ", ".join(m.value for m in OutputFormat)
        problems.append(Problem("output.format", f"unknown format {out.format!r} ({names})"))
    if not isinstance(out.loudness, Loudness):
        names = ", ".join(m.value for m in Loudness)
        problems.append(Problem("output.loudness",
                                f"unknown loudness {out.loudness!r} ({names})"))
    if project.audio is not None:
        _check_bed(problems, project.audio)
    if project.voice_over is not None:
        _check_narration(problems, "voice_over", project.voice_over)
    for i, slide in enumerate(project.slides):
        if slide.narration is not None:
            _check_narration(problems, f"slides[{i}].narration", slide.narration)
    return problems


def _check_volume(problems: list[Problem], where: str, v: object) -> None:
    if not (is_number(v) and 0.0 <= v <= MAX_VOLUME):  # type: ignore[operator]
        problems.append(Problem(where, f"must be between 0 and 4, got {v!r}"))


#: How deep the music may dip (dB): past it the music is as good as gone.
DUCK_DEPTHS = (-60.0, 0.0)


def _check_track(problems: list[Problem], where: str, track: MusicTrack) -> None:
    _check_volume(problems, f"{where}.volume", track.volume)
    _check_seconds(problems, f"{where}.start", track.start, allow_zero=True)
    if track.end is not None:
        if not (is_number(track.end) and track.end > 0):
            problems.append(Problem(f"{where}.end", f"must be seconds > 0, got {track.end!r}"))
        elif is_number(track.start) and track.end <= track.start:
            problems.append(Problem(f"{where}.end", f"must be after start ({track.start:g} s), "
                                    f"got {track.end:g} s"))
    if not isinstance(track.join, TrackJoin):
        names = ", ".join(j.value for j in TrackJoin)
        problems.append(Problem(f"{where}.join", f"unknown join {track.join!r} ({names})"))
    _check_seconds(problems, f"{where}.join_seconds", track.join_seconds, allow_zero=True)


def _check_bed(problems: list[Problem], bed: AudioBed) -> None:
    if not bed.tracks:
        problems.append(Problem("audio.tracks", "the playlist has no tracks"))
    for i, track in enumerate(bed.tracks):
        _check_track(problems, f"audio.tracks[{i}]", track)
    for name in ("fade_in", "fade_out"):
        _check_seconds(problems, f"audio.{name}", getattr(bed, name), allow_zero=True)
    if not isinstance(bed.loop, bool):
        problems.append(Problem("audio.loop", "must be true or false"))
    d = bed.ducking
    low, high = DUCK_DEPTHS
    if not (is_number(d.depth_db) and low <= d.depth_db <= high):
        problems.append(Problem("audio.ducking.depth_db",
                                f"must be between {low:g} and {high:g} dB, got {d.depth_db!r}"))
    for name in ("attack", "release"):
        value = getattr(d, name)
        if not (is_number(value) and 0.0 <= value <= 10.0):
            problems.append(Problem(f"audio.ducking.{name}",
                                    f"must be between 0 and 10 seconds, got {value!r}"))


def _check_narration(problems: list[Problem], where: str, narration: Narration) -> None:
    _check_seconds(problems, f"{where}.start", narration.start, allow_zero=True)
    _check_volume(problems, f"{where}.volume", narration.volume)
