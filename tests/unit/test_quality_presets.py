"""Quality presets: what each one hands x264, and what pins and hardware encoders get."""

from __future__ import annotations

from pathlib import Path

import pytest

from simvid_desktop.model.project import (
    QUALITY_PRESETS,
    OutputSettings,
    Project,
    Quality,
    QualityPreset,
    Slide,
    VideoEncoder,
)
from simvid_desktop.render.formats import video_codec
from simvid_desktop.render.hw_encoders import codec_args


def _value(args: list[str], option: str) -> str | None:
    return args[args.index(option) + 1] if option in args else None


@pytest.mark.parametrize("quality", list(Quality))
def test_software_args_carry_the_presets_settings(quality: Quality) -> None:
    preset = QUALITY_PRESETS[quality]
    enc = OutputSettings(quality=quality).encoder_for(True)
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


@pytest.mark.parametrize("has_clips", [True, False])
def test_pins_give_plain_x264(has_clips: bool) -> None:
    assert (OutputSettings(crf=23, x264_preset="medium").encoder_for(has_clips)
            == QualityPreset(23, "medium"))
    pinned_crf = OutputSettings(quality=Quality.STANDARD, crf=30).encoder_for(has_clips)
    assert pinned_crf.crf == 30 and pinned_crf.x264_params == ""
    assert pinned_crf.x264_preset == QUALITY_PRESETS[Quality.STANDARD].for_show(
        has_clips).x264_preset
    pinned_speed = OutputSettings(quality=Quality.HIGH, x264_preset="ultrafast").encoder_for(
        has_clips)
    assert pinned_speed == QualityPreset(QUALITY_PRESETS[Quality.HIGH].crf, "ultrafast")


def test_standard_chooses_its_settings_by_the_shows_content(tmp_path: Path) -> None:
    """Photos alone take x264's fastest setting that keeps their quality; a clip (camera
    grain, which that setting spends far more bits on) takes the general one."""
    standard = QUALITY_PRESETS[Quality.STANDARD]
    assert standard.photos is not None and standard.photos != standard
    photos = Project(slides=(Slide.photo(tmp_path / "a.jpg"), Slide.card("Title")))
    assert photos.encoder == standard.photos
    with_clip = photos.with_slides([*photos.slides, Slide.video(tmp_path / "c.mp4", 2.0)])
    assert with_clip.encoder == standard
    args = video_codec(photos)
    assert _value(args, "-preset") == standard.photos.x264_preset
    assert _value(args, "-crf") == f"{standard.photos.crf:g}"
    assert _value(video_codec(with_clip), "-preset") == standard.x264_preset
    for quality in (Quality.DRAFT, Quality.HIGH, Quality.BEST):  # the same for any show
        preset = QUALITY_PRESETS[quality]
        assert preset.for_show(False) == preset.for_show(True) == preset
