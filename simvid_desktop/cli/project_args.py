"""The render options shared by ``simvid render`` and ``simvid queue add``, and the project
they describe: a .simvid file, or photos and folders with the options as the quick form."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from simvid_desktop.errors import MediaError, Problem, ProjectInvalid
from simvid_desktop.model.beat_sync import sync_to_beats
from simvid_desktop.model.media_types import MediaKind, media_in, sniff_file
from simvid_desktop.model.project import (
    RESOLUTION_PRESETS,
    TRANSITION_NAMES,
    X264_PRESETS,
    AudioBed,
    ChapterMode,
    FitMode,
    Loudness,
    Motion,
    MotionMode,
    MusicTrack,
    Narration,
    OutputFormat,
    Project,
    Quality,
    Resolution,
    Slide,
    TrackJoin,
    Transition,
    TransitionKind,
    VideoEncoder,
    format_for_suffix,
    format_notes,
    parse_choice,
    unknown_fields,
)
from simvid_desktop.model.project_io import read_project

# Model fields named as the options that set them, for messages about the quick form.
_FIELD_TO_OPTION = {
    "default_duration": "--duration",
    "transition.name": "--transition",
    "transition.duration": "--transition-duration",
    "output.resolution": "--resolution",
    "output.fps": "--fps",
    "output.quality": "--quality",
    "output.x264_preset": "--x264-preset",
    "output.crf": "--crf",
    "output.format": "--format",
    "audio.volume": "--volume",
    "audio.fade_in": "--fade-in",
    "audio.fade_out": "--fade-out",
    "audio.start": "--audio-start",
    "audio.join_seconds": "--crossfade/--gap",
    "audio.ducking.depth_db": "--duck",
    "voice_over": "--voice-over",
    "voice_over.start": "--voice-over",
    "voice_over.volume": "--voice-over",
}
_TRACK_INDEX = re.compile(r"^audio\.tracks\[\d+\]\.")


def _option_key(where: str) -> str:
    """The key of :data:`_FIELD_TO_OPTION` for a problem's field (every track's volume is
    set by ``--volume``)."""
    return _TRACK_INDEX.sub("audio.", where)


def add_render_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``render`` and ``queue add``."""
    p.add_argument("inputs", nargs="+", metavar="PROJECT|PHOTO|CLIP|FOLDER",
                   help="a .simvid project, or photos, video clips and/or folders of them "
                        "(in name order)")
    p.add_argument("-o", "--output", required=True, type=Path,
                   help="the video to write: .mp4, .webm, .mov or .gif (its suffix picks "
                        "the format unless --format does)")
    g = p.add_argument_group("show (override the project's values)")
    g.add_argument("--audio", type=Path, action="append", metavar="FILE",
                   help="music (or a video whose sound to use); repeat it for a playlist, "
                        "played in the order given")
    g.add_argument("--duration", type=float, help="seconds per slide")
    g.add_argument("--transition", help=f"one of: {', '.join(TRANSITION_NAMES)}")
    g.add_argument("--transition-duration", type=float, help="seconds")
    g.add_argument("--resolution", help=f"WIDTHxHEIGHT or {', '.join(RESOLUTION_PRESETS)}")
    g.add_argument("--fps", type=int)
    g.add_argument("--fit", choices=[m.value for m in FitMode])
    g.add_argument("--motion", choices=[m.value for m in MotionMode])
    g.add_argument("--quality", choices=[q.value for q in Quality])
    g.add_argument("--format", choices=[m.value for m in OutputFormat],
                   help="codec and container: mp4 (H.264, the default), mp4-hevc, mp4-av1, "
                        "webm-av1, webm-vp9 (Opus sound), mov-prores (for editing), gif (a "
                        "short loop: no sound, at most 640 px wide and 15 fps); without it, "
                        "the output's suffix decides (.webm: webm-vp9, .mov: mov-prores)")
    g.add_argument("--x264-preset", choices=X264_PRESETS, help="pin the encoder speed")
    g.add_argument("--crf", type=int, help="pin the encoder quality (0-51)")
    g.add_argument("--encoder", choices=[m.value for m in VideoEncoder],
                   help="auto (default: a hardware encoder where one works here and matches "
                        "x264's quality), software (x264), or one hardware encoder; a "
                        "hardware encoder that fails hands over to software")
    g.add_argument("--chapters", choices=[m.value for m in ChapterMode],
                   help="chapters in the video: at every slide, or at every title card")
    g.add_argument("--chapter-list", action="store_true",
                   help="also write the chapters beside the video (NAME.chapters.txt, "
                        "YouTube's '00:00 Title' lines)")
    g.add_argument("--loudness", choices=[m.value for m in Loudness],
                   help="bring the soundtrack to this loudness, LUFS (-14: online video, the "
                        "default; -16: podcasts; -23: EBU R128 broadcast), or leave it off")
    g.add_argument("--volume", type=float, help="music volume (1 = as is)")
    g.add_argument("--fade-in", type=float, help="music fade-in, seconds")
    g.add_argument("--fade-out", type=float, help="music fade-out, seconds")
    g.add_argument("--audio-start", type=float, help="skip this many seconds of the music")
    g.add_argument("--no-loop", action="store_true",
                   help="pad short music with silence instead of looping it")
    joins = g.add_mutually_exclusive_group()
    joins.add_argument("--crossfade", type=float, metavar="SECONDS",
                       help="each track of the playlist crossfades into the next over this "
                            "long (default 2)")
    joins.add_argument("--gap", type=float, metavar="SECONDS",
                       help="this much silence between the tracks of the playlist instead "
                            "of a crossfade")
    g.add_argument("--voice-over", metavar="FILE[@SECONDS]",
                   help="a narration, starting at SECONDS into the show (default 0); the "
                        "music dips under it")
    g.add_argument("--duck", type=float, metavar="DB",
                   help="how far the music dips under clip sound and voice-over, dB "
                        "(default -12; 0: not at all)")
    g.add_argument("--sync", choices=["beats"],
                   help="cut on the beat: slides change on the music's beats (each slide's "
                        "duration is a guide; clips keep their length)")
    g.add_argument("--beat-every", type=int, choices=[1, 2, 4], default=1,
                   help="with --sync beats: cut on every beat, every 2nd or every 4th")
    g.add_argument("--title", metavar="TEXT",
                   help="open the show with a title card (e.g. \"Summer 2026\")")
    g.add_argument("--subtitle", metavar="TEXT", help="a second line for the --title card")
    g.add_argument("--outro", metavar="TEXT",
                   help="end the show with a title card (e.g. \"The End\")")


def _expand_media(inputs: Sequence[str]) -> tuple[list[Path], list[Problem]]:
    files: list[Path] = []
    problems: list[Problem] = []
    for raw in inputs:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = media_in(path)
            if not found:
                problems.append(Problem(str(path), "folder contains no photos or clips"))
            files.extend(found)
        else:
            files.append(path)  # existence and format are checked by preflight, by content
    return files, problems


def _slides_of(files: Sequence[Path], problems: list[Problem]) -> list[Slide]:
    """A slide for each file: a clip when its content says video (its length read now,
    on the way), else a photo (which preflight then opens, naming what is wrong)."""
    from simvid_desktop.render.clips import probe_clip  # noqa: PLC0415 - ffmpeg

    slides: list[Slide] = []
    for path in files:
        resolved = path.resolve()
        if sniff_file(path) is not MediaKind.VIDEO:
            slides.append(Slide.photo(resolved))
            continue
        try:
            info = probe_clip(resolved)
        except MediaError as exc:
            problems.append(Problem(exc.path, exc.reason))
            continue
        slides.append(Slide.video(resolved, info.duration))
    return slides


def _synced_to_beats(project: Project, every: int, problems: list[Problem]) -> Project:
    """Slides cut on the music's beats; a problem (named by the option) when there is no
    music to cut to or it cannot be read (preflight names the file too)."""
    from simvid_desktop.render.beats import playlist_beats  # noqa: PLC0415 - numpy, ffmpeg

    if project.audio is None:
        problems.append(Problem("--sync", "cutting on the beat needs music (--audio)"))
        return project
    try:
        beats = playlist_beats(project.audio, until=2 * project.total_duration + 60)
    except MediaError:
        return project  # preflight says what is wrong with the file
    if not beats:
        names = ", ".join(p.name for p in project.audio.paths)
        problems.append(Problem("--sync", f"no beats found in {names}"))
        return project
    return sync_to_beats(project, beats, every=every)


def _audio_of(audio: AudioBed | None, args: argparse.Namespace) -> AudioBed | None:
    """The music: the project's, or the ``--audio`` playlist; then the options that set
    the bed's values (``--volume`` and the join for every track, ``--audio-start`` for the
    first: what is skipped of the music)."""
    if args.audio:
        audio = AudioBed(tuple(MusicTrack(p.expanduser().resolve()) for p in args.audio))
    if audio is None:
        return None
    tracks = []
    for i, given in enumerate(audio.tracks):
        track = given
        if args.volume is not None:
            track = replace(track, volume=args.volume)
        if args.audio_start is not None and i == 0:
            track = replace(track, start=args.audio_start)
        if args.crossfade is not None:
            track = replace(track, join=TrackJoin.CROSSFADE, join_seconds=args.crossfade)
        if args.gap is not None:
            track = replace(track, join=TrackJoin.GAP, join_seconds=args.gap)
        tracks.append(track)
    return replace(
        audio,
        tracks=tuple(tracks),
        fade_in=args.fade_in if args.fade_in is not None else audio.fade_in,
        fade_out=args.fade_out if args.fade_out is not None else audio.fade_out,
        loop=False if args.no_loop else audio.loop,
        ducking=(replace(audio.ducking, depth_db=args.duck) if args.duck is not None
                 else audio.ducking),
    )


def _voice_over(text: str, problems: list[Problem]) -> Narration | None:
    """``FILE`` or ``FILE@SECONDS`` (where the narration starts in the show)."""
    name, at, seconds = text.rpartition("@")
    if not at or not name:
        name, seconds = text, ""
    start = 0.0
    if seconds:
        try:
            start = float(seconds)
        except ValueError:
            problems.append(Problem("--voice-over", f"{seconds!r} is not a number of seconds "
                                    "(FILE or FILE@SECONDS)"))
    return Narration(Path(name).expanduser().resolve(), start=start)


def _with_title_cards(project: Project, args: argparse.Namespace) -> Project:
    slides = list(project.slides)
    if args.title is not None or args.subtitle is not None:
        slides.insert(0, Slide.card(args.title or "", args.subtitle or ""))
    if args.outro is not None:
        slides.append(Slide.card(args.outro))
    return project.with_slides(slides)


def project_from_args(args: argparse.Namespace) -> Project:
    """Build the project for ``render``/``queue add``: a .simvid file or the quick form.

    Raises :class:`ProjectInvalid` listing every problem at once: the values (named as
    the options that set them in the quick form), the photos, the music, the output.
    """
    from simvid_desktop.render.preflight import preflight  # noqa: PLC0415 - Pillow/ffmpeg

    inputs: list[str] = args.inputs
    quick = not (len(inputs) == 1 and inputs[0].lower().endswith(".simvid"))
    if quick:
        files, problems = _expand_media(inputs)
        project = Project(slides=tuple(_slides_of(files, problems)))
    else:
        project, problems = read_project(inputs[0])
        if any(p.where == "schema_version" for p in problems):
            raise ProjectInvalid(problems)  # a format it cannot read: its slides mean nothing
        # A newer version's fields: said once each, then the render goes on without them.
        for where in unknown_fields(project):
            print(f"simvid: warning: {where}: unknown field (from a newer Simvid?), ignored",
                  file=sys.stderr)

    out = project.output
    # The two free-text options are parsed here, once; the other names are argparse choices.
    kind, resolution = project.transition.kind, out.resolution
    if args.transition:
        try:
            kind = parse_choice(TransitionKind, args.transition, "transition")
        except ValueError as exc:
            problems.append(Problem("--transition", str(exc)))
    if args.resolution:
        try:
            resolution = Resolution(args.resolution)
        except ValueError as exc:
            problems.append(Problem("--resolution", str(exc)))
    out = replace(
        out,
        resolution=resolution,
        fps=args.fps if args.fps is not None else out.fps,
        quality=Quality(args.quality) if args.quality else out.quality,
        fit=FitMode(args.fit) if args.fit else out.fit,
        x264_preset=args.x264_preset or out.x264_preset,
        crf=args.crf if args.crf is not None else out.crf,
        video_encoder=VideoEncoder(args.encoder) if args.encoder else out.video_encoder,
        chapters=ChapterMode(args.chapters) if args.chapters else out.chapters,
        chapter_list=True if args.chapter_list else out.chapter_list,
        loudness=Loudness(args.loudness) if args.loudness else out.loudness,
        format=(OutputFormat(args.format) if getattr(args, "format", None)
                else format_for_suffix(args.output.suffix, out.format)),
    )
    transition = project.transition
    if args.transition is not None or args.transition_duration is not None:
        transition = Transition(
            kind=kind,
            duration=(args.transition_duration if args.transition_duration is not None
                      else transition.duration),
        )
    audio = _audio_of(project.audio, args)
    voice_over = project.voice_over
    if args.voice_over is not None:
        voice_over = _voice_over(args.voice_over, problems)
    project = replace(
        project,
        output=out,
        transition=transition,
        audio=audio,
        voice_over=voice_over,
        default_duration=args.duration if args.duration is not None else project.default_duration,
        motion=Motion(MotionMode(args.motion)) if args.motion else project.motion,
    )
    project = _with_title_cards(project, args)
    if getattr(args, "sync", None) == "beats":
        project = _synced_to_beats(project, args.beat_every, problems)
    for problem in preflight(project, args.output.expanduser().resolve()):
        if problem in problems or (problem.where == "slides" and problems and quick):
            continue  # an empty folder was already named
        problems.append(problem)
    # Name a value by the option that set it: always in the quick form, and for a
    # project file where an option overrode the file's value.
    given = {field for field, option in _FIELD_TO_OPTION.items()
             if quick or any(getattr(args, o[2:].replace("-", "_"), None) is not None
                             for o in option.split("/"))}
    named = [Problem(_FIELD_TO_OPTION[_option_key(p.where)]
                     if _option_key(p.where) in given else p.where, p.message)
             for p in problems]
    problems = list(dict.fromkeys(named))  # an option set on every track: said once
    if problems:
        raise ProjectInvalid(problems)
    for note in format_notes(project):
        print(f"simvid: note: {note}", file=sys.stderr)
    return project
