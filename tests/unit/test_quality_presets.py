"""Quality presets: what each one hands x264, and what pins and hardware encoders get."""

from __future__ import annotations

import pytest

from simvid_desktop.model.project import (
    QUALITY_PRESETS,
    OutputSettings,
    Quality,
    QualityPreset,
    VideoEncoder,
)
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


def test_pins_give_plain_x264() -> None:
    assert OutputSettings(crf=23, x264_preset="medium").encoder == QualityPreset(23, "medium")
    pinned_crf = OutputSettings(quality=Quality.STANDARD, crf=30).encoder
    assert pinned_crf.crf == 30 and pinned_crf.x264_params == ""
    assert pinned_crf.x264_preset == QUALITY_PRESETS[Quality.STANDARD].x264_preset
    pinned_speed = OutputSettings(quality=Quality.HIGH, x264_preset="ultrafast").encoder
    assert pinned_speed == QualityPreset(QUALITY_PRESETS[Quality.HIGH].crf, "ultrafast")
