"""Quality presets: what each one hands x264, and what pins and hardware encoders get."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from simvid_desktop.model.project import (
    QUALITY_PRESETS,
    OutputFormat,
    OutputSettings,
    Project,
    Quality,
    QualityPreset,
    Slide,
    Transition,
    TransitionKind,
    VideoEncoder,
)
from simvid_desktop.model.timeline import FrameRange
from simvid_desktop.render.ffmpeg import ffmpeg_exe
from simvid_desktop.render.formats import footage_frames, video_codec, x264_params
from simvid_desktop.render.hw_encoders import codec_args


def _value(args: list[str], option: str) -> str | None:
    return args[args.index(option) + 1] if option in args else None


@pytest.mark.parametrize("quality", list(Quality))
def test_software_args_carry_the_presets_settings(quality: Quality) -> None:
    preset = QUALITY_PRESETS[quality]
    enc = OutputSettings(quality=quality).encoder
    assert enc == preset
    args = codec_args(VideoEncoder.SOFTWARE, enc.crf, enc.x264_preset, enc.x264_params)
    assert _value(args, "-c:v") == "libx264"
    assert _value(args, "-preset") == preset.x264_preset
    assert _value(args, "-crf") == f"{preset.crf:g}"
    assert _value(args, "-x264-params") == (preset.x264_params or None)
    assert _value(args, "-pix_fmt") == "yuv420p"


def test_x264_params_are_well_formed() -> None:
    for preset in QUALITY_PRESETS.values():
        for item in filter(None, preset.x264_params.split(":")):
            key, _, value = item.partition("=")
            assert key and value, f"{preset}: {item!r} is not key=value"


def test_standard_is_tuned() -> None:
    # measured by benchmarks/quality_bench.py: see the README's "Quality presets"
    assert QUALITY_PRESETS[Quality.STANDARD].x264_params


@pytest.mark.parametrize("encoder", [e for e in VideoEncoder
                                     if e not in (VideoEncoder.AUTO, VideoEncoder.SOFTWARE)])
def test_hardware_encoders_ignore_the_x264_params(encoder: VideoEncoder) -> None:
    tuned = codec_args(encoder, 23, "medium", "ref=1:bframes=0")
    assert tuned == codec_args(encoder, 23, "medium")
    assert "-x264-params" not in tuned


def test_hardware_encoders_get_a_whole_crf() -> None:
    assert codec_args(VideoEncoder.VAAPI, 22.5, "faster") == codec_args(VideoEncoder.VAAPI, 22,
                                                                         "faster")
    assert "22.5" in codec_args(VideoEncoder.SOFTWARE, 22.5, "faster")


def test_pins_give_plain_x264(tmp_path: Path) -> None:
    assert OutputSettings(crf=23, x264_preset="medium").encoder == QualityPreset(23, "medium")
    pinned_crf = OutputSettings(quality=Quality.STANDARD, crf=30).encoder
    assert pinned_crf.crf == 30 and pinned_crf.x264_params == "" and pinned_crf.footage == ""
    assert pinned_crf.x264_preset == QUALITY_PRESETS[Quality.STANDARD].x264_preset
    pinned_speed = OutputSettings(quality=Quality.HIGH, x264_preset="ultrafast").encoder
    assert pinned_speed == QualityPreset(QUALITY_PRESETS[Quality.HIGH].crf, "ultrafast")
    show = _mixed(tmp_path)
    pinned = replace(show, output=replace(show.output, crf=23, x264_preset="medium"))
    assert _value(video_codec(pinned), "-x264-params") is None


def _mixed(tmp_path: Path) -> Project:
    """30 fps, 1 s fades: photo 0-3 s, clip 3-7 s, clip 7-9 s, photo 9-12 s, title."""
    return Project(slides=(
        Slide.photo(tmp_path / "a.jpg", duration=3.0),
        Slide.video(tmp_path / "c.mp4", 4.0),
        Slide.video(tmp_path / "d.mp4", 2.0),
        Slide.photo(tmp_path / "b.jpg", duration=3.0),
        Slide.card("The end"),
    ), transition=Transition(TransitionKind.FADE, 1.0))


def test_footage_frames_are_the_clips_with_their_transitions(tmp_path: Path) -> None:
    show = _mixed(tmp_path)
    # the fade into the first clip starts at 2.5 s (frame 75); the fade out of the
    # second ends at 9.5 s (frame 285): the two clips touch, so one range
    assert footage_frames(show) == [FrameRange(75, 285)]
    photos_only = show.with_slides([show.slides[0], show.slides[3]])
    assert footage_frames(photos_only) == []
    # a piece of a segmented render counts from its own first frame
    assert footage_frames(show, FrameRange(60, 120)) == [FrameRange(15, 60)]
    assert footage_frames(show, FrameRange(270, 330)) == [FrameRange(0, 15)]
    assert footage_frames(show, FrameRange(300, 330)) == []


def test_standard_gives_video_clips_their_own_x264_zone(tmp_path: Path) -> None:
    """Photos take veryfast at a low CRF; a clip's frames (camera grain, which veryfast
    spends far more bits on at that CRF) a higher CRF, through one x264 zone."""
    standard = QUALITY_PRESETS[Quality.STANDARD]
    assert standard.footage.startswith("crf=")
    show = _mixed(tmp_path)
    params = _value(video_codec(show), "-x264-params")
    assert params == f"{standard.x264_params}:zones=75,284,{standard.footage}"
    piece = video_codec(show, span=FrameRange(60, 120))
    assert _value(piece, "-x264-params") == f"{standard.x264_params}:zones=15,59,{standard.footage}"
    photos_only = show.with_slides([show.slides[0], show.slides[3]])
    assert _value(video_codec(photos_only), "-x264-params") == standard.x264_params
    for quality in (Quality.DRAFT, Quality.HIGH, Quality.BEST):  # the same everywhere
        other = replace(show, output=replace(show.output, quality=quality))
        assert "zones" not in (_value(video_codec(other), "-x264-params") or "")


def test_x264_accepts_the_zones(tmp_path: Path) -> None:
    """The zone string is one x264 parses: a real (tiny) encode with it succeeds."""
    done = subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                           "testsrc2=size=64x64:rate=30:duration=12", "-c:v", "libx264",
                           "-preset", "ultrafast", "-x264-params", x264_params(_mixed(tmp_path)),
                           "-f", "null", "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_vp9_draft_is_libvpx_realtime_mode_and_the_others_good(tmp_path: Path) -> None:
    """libvpx's "good" mode stops getting faster at cpu-used 5: draft needs "realtime"."""
    show = _mixed(tmp_path)
    modes = {}
    for quality in Quality:
        out = replace(show.output, format=OutputFormat.WEBM_VP9, quality=quality)
        args = video_codec(replace(show, output=out))
        modes[quality] = (_value(args, "-deadline"), int(_value(args, "-cpu-used") or 0))
    assert modes[Quality.DRAFT] == ("realtime", 8)
    assert {m[0] for q, m in modes.items() if q is not Quality.DRAFT} == {"good"}
    assert modes[Quality.STANDARD][1] > modes[Quality.HIGH][1] > modes[Quality.BEST][1]
