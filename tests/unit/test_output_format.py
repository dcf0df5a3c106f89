"""The output format in the model: suffixes, the GIF's cap, the project file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from simvid_desktop.model.project import (
    GIF_MAX_WIDTH,
    AudioBed,
    ChapterMode,
    OutputFormat,
    OutputSettings,
    Project,
    Resolution,
    Size,
    Slide,
    VideoEncoder,
    check_project,
    format_for_suffix,
    format_notes,
    gif_size,
    suffix_problem,
    with_format_suffix,
)
from simvid_desktop.model.project_io import project_from_json, project_to_dict, project_to_json


def test_each_format_has_its_containers_suffix() -> None:
    assert {f.value: f.suffix for f in OutputFormat} == {
        "mp4": ".mp4", "mp4-hevc": ".mp4", "mp4-av1": ".mp4", "webm-av1": ".webm",
        "webm-vp9": ".webm", "mov-prores": ".mov", "gif": ".gif"}
    assert [f for f in OutputFormat if not f.has_audio] == [OutputFormat.GIF]


def test_the_suffix_picks_a_format_unless_the_current_one_fits() -> None:
    assert format_for_suffix(".webm", OutputFormat.MP4) is OutputFormat.WEBM_VP9
    assert format_for_suffix(".webm", OutputFormat.WEBM_AV1) is OutputFormat.WEBM_AV1
    assert format_for_suffix(".mp4", OutputFormat.MP4_AV1) is OutputFormat.MP4_AV1
    assert format_for_suffix(".mp4", OutputFormat.GIF) is OutputFormat.MP4
    assert format_for_suffix(".mkv", OutputFormat.MP4_HEVC) is OutputFormat.MP4_HEVC
    assert suffix_problem(".mp4", OutputFormat.MP4_HEVC) is None
    assert suffix_problem(".mp4", OutputFormat.GIF) == (
        "a gif video is a .gif file, not .mp4 (rename the output or choose another format)")


def test_file_names_take_the_formats_suffix() -> None:
    assert with_format_suffix("show.mp4", OutputFormat.WEBM_VP9) == "show.webm"
    assert with_format_suffix("show.MP4", OutputFormat.MP4_HEVC) == "show.MP4"
    assert with_format_suffix("trip v1.2", OutputFormat.GIF) == "trip v1.2.gif"


def test_a_gif_is_capped_in_width_and_keeps_the_shape() -> None:
    assert gif_size(Size(1920, 1080)) == Size(GIF_MAX_WIDTH, 360)
    assert gif_size(Size(1080, 1920)) == Size(640, 1138)
    assert gif_size(Size(320, 180)) == Size(320, 180)
    out = OutputSettings(resolution=Resolution("4k"), format=OutputFormat.GIF)
    assert out.size == Size(640, 360) and out.resolution.size == Size(3840, 2160)


def test_the_format_is_written_only_when_not_the_default(tmp_path: Path) -> None:
    project = Project(slides=(Slide(Path("a.jpg")),))
    assert "format" not in project_to_dict(project)["output"]
    webm = replace(project, output=replace(project.output, format=OutputFormat.WEBM_AV1))
    assert project_to_dict(webm)["output"]["format"] == "webm-av1"
    back = project_from_json(project_to_json(webm), tmp_path)
    assert back.output.format is OutputFormat.WEBM_AV1


def test_an_unknown_format_is_named() -> None:
    project = Project(slides=(Slide(Path("a.jpg")),))
    bad = replace(project, output=replace(project.output, format="avi"))  # type: ignore[arg-type]
    assert [p.where for p in check_project(bad)] == ["output.format"]


def test_what_a_format_changes_is_said() -> None:
    project = Project(slides=(Slide(Path("a.jpg")),), audio=AudioBed.single(Path("m.mp3")))
    assert format_notes(project) == []
    gif = replace(project, output=replace(project.output, format=OutputFormat.GIF,
                                          chapters=ChapterMode.SLIDES))
    assert format_notes(gif) == [
        "a GIF is at most 640 px wide: 1920x1080 becomes 640x360",
        "a GIF plays at most 15 fps: 30 fps becomes 15",
        "a GIF has no sound: the music and the clips' sound are left out",
        "a GIF has no chapters"]
    hevc = replace(project, output=replace(project.output, format=OutputFormat.MP4_HEVC,
                                           video_encoder=VideoEncoder.NVENC))
    assert format_notes(hevc) == [
        "hardware encoders make H.264 only: mp4-hevc is encoded in software"]
