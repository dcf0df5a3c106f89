"""The command line without rendering: building the project, reporting invalid input."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from simvid_desktop.cli import main as cli
from simvid_desktop.cli.project_args import project_from_args
from simvid_desktop.errors import ProjectInvalid, RenderFailed
from simvid_desktop.model.project import (
    AudioBed,
    ChapterMode,
    Ducking,
    FitMode,
    Motion,
    MotionMode,
    MusicTrack,
    Narration,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    TrackJoin,
    Transition,
    TransitionKind,
    VideoEncoder,
)

# simvid_desktop.render re-exports the preflight *function* under the module's name
preflight_module = importlib.import_module("simvid_desktop.render.preflight")
MakePhoto = Callable[..., Path]


@pytest.fixture
def photos(tmp_path: Path, make_photo: MakePhoto) -> list[Path]:
    return [make_photo(tmp_path / "in" / name) for name in ("b.jpg", "a.png", "c.jpeg")]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "show.mp4"


@pytest.fixture
def no_audio_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Music files are probed with ffmpeg: accept any path in these tests."""
    monkeypatch.setattr(preflight_module, "audio_problem", lambda path, missing="": None)


def _args(*argv: str | Path) -> object:
    return cli.build_parser().parse_args(["render", *map(str, argv)])


def _build(*argv: str | Path) -> Project:
    return project_from_args(_args(*argv))  # type: ignore[arg-type]


def _problems(*argv: str | Path) -> list[tuple[str, str]]:
    with pytest.raises(ProjectInvalid) as info:
        _build(*argv)
    return [(p.where, p.message) for p in info.value.problems]


def _wheres(*argv: str | Path) -> list[str]:
    return [w for w, _ in _problems(*argv)]


# -- the quick form -------------------------------------------------------------------------------
def test_images_in_the_given_order_with_defaults(photos: list[Path], out: Path) -> None:
    project = _build(*photos, "-o", out)
    assert project == Project(slides=tuple(Slide(p.resolve()) for p in photos))
    assert project.output == OutputSettings()
    assert project.default_duration == 3.0
    assert project.transition == Transition(TransitionKind.FADE, 1.0)
    assert project.audio is None


def test_image_paths_are_resolved(
    photos: list[Path], out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(photos[0].parent)
    project = _build("b.jpg", "./a.png", "-o", out)
    assert [s.image for s in project.slides] == [photos[0].resolve(), photos[1].resolve()]
    assert all(s.image.is_absolute() for s in project.slides)


def test_every_option_reaches_the_project(photos: list[Path], out: Path) -> None:
    project = _build(
        *photos, "-o", out, "--duration", "2.5", "--transition", "wipe-left",
        "--transition-duration", "0.5", "--resolution", "720p", "--fps", "25", "--fit", "crop",
        "--motion", "auto", "--quality", "high", "--x264-preset", "fast", "--crf", "20",
        "--chapters", "titles", "--chapter-list", "--encoder", "software",
    )
    assert project.default_duration == 2.5
    assert project.transition == Transition(TransitionKind.WIPE_LEFT, 0.5)
    assert project.motion == Motion(MotionMode.AUTO)
    assert project.output == OutputSettings(resolution=Resolution("720p"), fps=25,
                                            quality=Quality.HIGH, fit=FitMode.CROP,
                                            x264_preset="fast", crf=20,
                                            chapters=ChapterMode.TITLES, chapter_list=True,
                                            video_encoder=VideoEncoder.SOFTWARE)
    assert project.output.size == (1280, 720)
    assert project.total_duration == 7.5


def test_transition_name_alone_keeps_the_default_duration(photos: list[Path], out: Path) -> None:
    zoom = _build(*photos, "-o", out, "--transition", "zoom").transition
    assert zoom == Transition(TransitionKind.ZOOM, 1.0)
    assert zoom.kind is TransitionKind.ZOOM
    assert _build(*photos, "-o", out, "--transition-duration", "2").transition == Transition(
        "fade", 2.0)


def test_custom_resolution_is_kept_as_given(photos: list[Path], out: Path) -> None:
    project = _build(*photos, "-o", out, "--resolution", "1281x721")
    assert project.output.resolution.text == "1281x721"
    assert project.output.size == (1282, 722)


def test_audio_options(photos: list[Path], out: Path, tmp_path: Path,
                       no_audio_probe: None) -> None:
    project = _build(*photos, "-o", out, "--audio", tmp_path / "song.mp3", "--volume", "0.5",
                     "--fade-in", "1", "--fade-out", "4", "--audio-start", "10", "--no-loop")
    assert project.audio == AudioBed.single((tmp_path / "song.mp3").resolve(), volume=0.5,
                                     fade_in=1.0, fade_out=4.0, start=10.0, loop=False)


def test_audio_defaults(photos: list[Path], out: Path, tmp_path: Path,
                        no_audio_probe: None) -> None:
    project = _build(*photos, "-o", out, "--audio", tmp_path / "song.mp3")
    assert project.audio == AudioBed.single((tmp_path / "song.mp3").resolve())


def test_a_playlist_with_joins_voice_over_and_ducking(
        photos: list[Path], out: Path, tmp_path: Path, no_audio_probe: None) -> None:
    one, two = (tmp_path / "one.mp3").resolve(), (tmp_path / "two.m4a").resolve()
    voice = (tmp_path / "voice.wav").resolve()
    project = _build(*photos, "-o", out, "--audio", one, "--audio", two, "--gap", "1.5",
                     "--volume", "0.5", "--voice-over", f"{voice}@2.5", "--duck", "-18")
    assert project.audio == AudioBed(
        (MusicTrack(one, volume=0.5, join=TrackJoin.GAP, join_seconds=1.5),
         MusicTrack(two, volume=0.5, join=TrackJoin.GAP, join_seconds=1.5)),
        ducking=Ducking(depth_db=-18.0))
    assert project.voice_over == Narration(voice, start=2.5)
    crossfaded = _build(*photos, "-o", out, "--audio", one, "--audio", two, "--crossfade", "3",
                        "--voice-over", voice)
    assert crossfaded.audio is not None
    assert [(t.join, t.join_seconds) for t in crossfaded.audio.tracks] == [
        (TrackJoin.CROSSFADE, 3.0)] * 2
    assert crossfaded.voice_over == Narration(voice)


@pytest.mark.parametrize(("options", "where"), [
    (["--crossfade", "-1"], "--crossfade/--gap"),
    (["--gap", "nan"], "--crossfade/--gap"),
    (["--duck", "6"], "--duck"),
    (["--voice-over", "v.wav@soon"], "--voice-over"),
    (["--voice-over", "v.wav@-2"], "--voice-over"),
])
def test_invalid_playlist_options_are_named(photos: list[Path], out: Path, tmp_path: Path,
                                            no_audio_probe: None, options: list[str],
                                            where: str) -> None:
    assert _wheres(*photos, "-o", out, "--audio", tmp_path / "a.mp3", "--audio",
                   tmp_path / "b.mp3", *options) == [where]


def test_a_missing_voice_over_is_named(photos: list[Path], out: Path, tmp_path: Path) -> None:
    voice = tmp_path / "gone.wav"
    assert _problems(*photos, "-o", out, "--voice-over", f"{voice}@1") == [
        (str(voice.resolve()), "voice-over file not found")]


def test_missing_music_is_a_problem_naming_it(photos: list[Path], out: Path,
                                              tmp_path: Path) -> None:
    song = tmp_path / "missing.mp3"
    assert _problems(*photos, "-o", out, "--audio", song) == [
        (str(song.resolve()), "music file not found")
    ]


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--duration", "nan"),
        ("--duration", "inf"),
        ("--duration", "-1"),
        ("--duration", "0"),
        ("--duration", "3601"),
        ("--transition", "bogus"),
        ("--transition", "Fade"),
        ("--transition-duration", "-2"),
        ("--transition-duration", "nan"),
        ("--resolution", "1x1"),
        ("--resolution", "0x0"),
        ("--resolution", "99999x10"),
        ("--resolution", "abc"),
        ("--fps", "29"),
        ("--fps", "0"),
        ("--crf", "52"),
        ("--crf", "-1"),
    ],
)
def test_invalid_options_are_named(photos: list[Path], out: Path, option: str, value: str) -> None:
    problems = _problems(*photos, "-o", out, option, value)
    assert [w for w, _ in problems] == [option]
    assert problems[0][1]


@pytest.mark.parametrize(
    ("option", "value"),
    [("--volume", "9"), ("--volume", "nan"), ("--fade-in", "-1"), ("--fade-out", "inf"),
     ("--audio-start", "-3")],
)
def test_invalid_audio_options_are_named(
    photos: list[Path], out: Path, tmp_path: Path, no_audio_probe: None, option: str, value: str
) -> None:
    assert _wheres(*photos, "-o", out, "--audio", tmp_path / "m.mp3", option, value) == [option]


def test_free_text_options_are_parsed_with_the_files_messages(
    photos: list[Path], out: Path
) -> None:
    problems = dict(_problems(*photos, "-o", out, "--transition", "spin",
                              "--resolution", "abc"))
    assert problems["--transition"].startswith("unknown transition 'spin' (none, fade, ")
    assert problems["--resolution"] == (
        "'abc' is not WIDTHxHEIGHT or one of 720p, 1080p, 4k, vertical, square")


def test_options_become_typed_values(photos: list[Path], out: Path) -> None:
    project = _build(*photos, "-o", out, "--transition", "fadeblack", "--resolution", "4k",
                     "--quality", "draft")
    assert project.transition.kind is TransitionKind.FADE_BLACK
    assert project.output.quality is Quality.DRAFT
    assert project.output.resolution == Resolution("4k")


def test_all_invalid_options_reported_at_once(photos: list[Path], out: Path) -> None:
    wheres = _wheres(*photos, "-o", out, "--duration", "nan", "--transition", "bogus",
                     "--resolution", "1x1", "--fps", "7", "--crf", "99")
    assert sorted(wheres) == sorted(["--duration", "--transition", "--resolution", "--fps",
                                     "--crf"])


def test_unknown_choice_is_rejected_by_argparse(
    photos: list[Path], out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        _args(*photos, "-o", out, "--fit", "stretch")
    assert info.value.code == 2
    assert "--fit" in capsys.readouterr().err


# -- folders and files ----------------------------------------------------------------------------
def test_folder_expands_to_its_images_in_name_order(
    tmp_path: Path, make_photo: MakePhoto, out: Path
) -> None:
    folder = tmp_path / "trip"
    for name in ("c.jpg", "A.png", "b.JPEG", "d.webp"):
        make_photo(folder / name)
    (folder / "notes.txt").write_text("not a photo", encoding="utf-8")
    (folder / "nested.jpg").mkdir()  # a folder named like a photo is skipped
    make_photo(folder / "nested.jpg" / "deep.jpg")  # not recursive
    project = _build(folder, "-o", out)
    assert [s.image.name for s in project.slides] == ["A.png", "b.JPEG", "c.jpg", "d.webp"]
    assert all(s.image.is_absolute() for s in project.slides)


def test_folders_and_files_can_be_mixed(
    tmp_path: Path, make_photo: MakePhoto, out: Path
) -> None:
    first = make_photo(tmp_path / "z_first.png")
    folder = tmp_path / "more"
    make_photo(folder / "2.jpg")
    make_photo(folder / "1.jpg")
    last = make_photo(tmp_path / "a_last.png")
    project = _build(first, folder, last, "-o", out)
    assert [s.image for s in project.slides] == [
        first.resolve(), (folder / "1.jpg").resolve(), (folder / "2.jpg").resolve(),
        last.resolve(),
    ]


def test_empty_folder_is_a_problem_naming_it(tmp_path: Path, out: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    problems = _problems(empty, "-o", out)
    assert (str(empty), "folder contains no photos or clips") in problems


def test_folder_without_photos_is_a_problem(tmp_path: Path, out: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "readme.txt").write_text("x", encoding="utf-8")
    assert str(folder) in _wheres(folder, "-o", out)


def test_empty_folder_and_bad_options_reported_together(tmp_path: Path, out: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    wheres = _wheres(empty, "-o", out, "--duration", "-1", "--fps", "1")
    assert str(empty) in wheres
    assert "--duration" in wheres
    assert "--fps" in wheres


def test_missing_and_unreadable_photos_are_named(
    tmp_path: Path, make_photo: MakePhoto, out: Path
) -> None:
    good = make_photo(tmp_path / "good.jpg")
    missing = tmp_path / "missing.jpg"
    fake = tmp_path / "fake.jpg"
    fake.write_text("not really a jpeg", encoding="utf-8")
    wheres = _wheres(good, missing, fake, "-o", out)
    assert sorted(wheres) == sorted([str(missing.resolve()), str(fake.resolve())])


@pytest.mark.parametrize(("name", "options", "message"), [
    ("show", (), "a mp4 video is a .mp4 file, not a file without suffix (rename the "
                 "output or choose another format)"),
    ("show.mkv", (), "a mp4 video is a .mp4 file, not .mkv (rename the output or choose "
                     "another format)"),
    ("show.mp4", ("--format", "webm-vp9"), "a webm-vp9 video is a .webm file, not .mp4 "
                                           "(rename the output or choose another format)"),
])
def test_output_suffix_must_match_the_format(photos: list[Path], tmp_path: Path, name: str,
                                             options: tuple[str, ...], message: str) -> None:
    target = tmp_path / name
    assert _problems(*photos, *options, "-o", target) == [(str(target.resolve()), message)]


@pytest.mark.parametrize(("name", "options", "expected"), [
    ("show.mp4", (), "mp4"),
    ("show.webm", (), "webm-vp9"),
    ("show.MOV", (), "mov-prores"),
    ("show.gif", (), "gif"),
    ("show.webm", ("--format", "webm-av1"), "webm-av1"),
    ("show.mp4", ("--format", "mp4-hevc"), "mp4-hevc"),
])
def test_the_format_comes_from_the_option_or_the_suffix(
        photos: list[Path], tmp_path: Path, name: str, options: tuple[str, ...],
        expected: str) -> None:
    project = _build(*photos, *options, "-o", tmp_path / name)
    assert project.output.format.value == expected


def test_output_folder_must_exist(photos: list[Path], tmp_path: Path) -> None:
    target = tmp_path / "nowhere" / "show.mp4"
    assert _wheres(*photos, "-o", target) == [str(target.resolve())]


# -- .simvid projects -----------------------------------------------------------------------------
def _write_simvid(folder: Path, doc: dict[str, object]) -> Path:
    path = folder / "show.simvid"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_simvid_project_with_overrides(
    tmp_path: Path, make_photo: MakePhoto, out: Path
) -> None:
    make_photo(tmp_path / "p" / "a.jpg")
    make_photo(tmp_path / "p" / "b.jpg")
    path = _write_simvid(tmp_path / "p", {
        "schema_version": 1, "slides": [{"image": "a.jpg", "duration": 2}, {"image": "b.jpg"}],
        "default_duration": 4, "output": {"resolution": "720p", "fps": 24},
    })
    project = _build(path, "-o", out)
    assert [s.image for s in project.slides] == [tmp_path.resolve() / "p" / "a.jpg",
                                                 tmp_path.resolve() / "p" / "b.jpg"]
    assert project.output.fps == 24
    assert project.total_duration == 6.0
    overridden = _build(path, "-o", out, "--fps", "60", "--duration", "1")
    assert overridden.output.fps == 60
    assert overridden.output.resolution.text == "720p"
    assert overridden.slides[0].duration == 2  # per-slide values still win
    assert overridden.total_duration == 3.0


def test_invalid_simvid_problems_name_fields(tmp_path: Path, make_photo: MakePhoto,
                                             out: Path) -> None:
    make_photo(tmp_path / "a.jpg")
    path = _write_simvid(tmp_path, {"schema_version": 1, "slidse": 1,
                                    "slides": [{"image": "a.jpg", "duration": -1}]})
    assert sorted(_wheres(path, "-o", out)) == ["slides[0].duration", "slidse"]


def test_simvid_from_a_newer_version_warns_once_per_field_and_goes_on(
    tmp_path: Path, make_photo: MakePhoto, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_photo(tmp_path / "a.jpg")
    path = _write_simvid(tmp_path, {"schema_version": "1.2", "chapters": [],
                                    "slides": [{"image": "a.jpg", "effect": "sepia"}],
                                    "output": {"fps": 25, "hdr": True}})
    project = _build(path, "-o", out)
    assert project.output.fps == 25
    assert capsys.readouterr().err.splitlines() == [
        f"simvid: warning: {where}: unknown field (from a newer Simvid?), ignored"
        for where in ("chapters", "slides[0].effect", "output.hdr")
    ]


def test_simvid_of_a_newer_major_version_exits_2_naming_the_format(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write_simvid(tmp_path, {"schema_version": "3.0", "scenes": []})
    assert cli.main(["render", str(path), "-o", str(out)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "simvid: schema_version: needs a newer Simvid Desktop, one that reads project format 3;"
        " this version reads format 2"]


def test_invalid_override_of_a_simvid_is_rejected(tmp_path: Path, make_photo: MakePhoto,
                                                  out: Path) -> None:
    make_photo(tmp_path / "a.jpg")
    path = _write_simvid(tmp_path, {"schema_version": 1, "slides": [{"image": "a.jpg"}]})
    assert _problems(path, "-o", out, "--duration", "-1")


def test_invalid_override_of_a_simvid_names_the_option(
    tmp_path: Path, make_photo: MakePhoto, out: Path
) -> None:
    make_photo(tmp_path / "a.jpg")
    path = _write_simvid(tmp_path, {"schema_version": 1, "slides": [{"image": "a.jpg"}]})
    assert _wheres(path, "-o", out, "--duration", "-1") == ["--duration"]


def test_missing_simvid_names_the_file(tmp_path: Path, out: Path) -> None:
    path = tmp_path / "nope.simvid"
    assert _wheres(path, "-o", out) == [str(path)]


# -- main() ---------------------------------------------------------------------------------------
def _stderr_lines(capsys: pytest.CaptureFixture[str]) -> tuple[list[str], str]:
    captured = capsys.readouterr()
    return captured.err.splitlines(), captured.out


def test_main_invalid_options_exit_2_one_line_per_problem(
    photos: list[Path], out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["render", *map(str, photos), "-o", str(out), "--duration", "nan",
                     "--transition", "bogus", "--resolution", "1x1"])
    assert code == cli.EXIT_INVALID == 2
    lines, stdout = _stderr_lines(capsys)
    assert len(lines) == 3
    assert all(line.startswith("simvid: ") for line in lines)
    assert sorted(line.split(":")[1].strip() for line in lines) == [
        "--duration", "--resolution", "--transition"
    ]
    assert "Traceback" not in "\n".join(lines) + stdout
    assert not out.exists()


def test_main_empty_folder(tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["render", str(empty), "-o", str(out)]) == 2
    lines, _ = _stderr_lines(capsys)
    assert f"simvid: {empty}: folder contains no photos or clips" in lines
    assert all(line.startswith("simvid: ") for line in lines)


def test_main_empty_folder_is_one_line(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["render", str(empty), "-o", str(out)]) == 2
    lines, _ = _stderr_lines(capsys)
    assert lines == [f"simvid: {empty}: folder contains no photos or clips"]


@pytest.mark.parametrize(
    "content",
    [b"{ not json", b"\xff\xfe\x00\x01", b"[" * 100_000, b'{"schema_version": 9}',
     b'{"schema_version": 1, "slides": [], "default_duration": NaN}'],
)
def test_main_bad_project_files_exit_2_without_traceback(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / "bad.simvid"
    path.write_bytes(content)
    assert cli.main(["render", str(path), "-o", str(out)]) == 2
    lines, stdout = _stderr_lines(capsys)
    assert lines
    assert all(line.startswith("simvid: ") for line in lines)
    assert "Traceback" not in "\n".join(lines) + stdout


def test_main_missing_project(tmp_path: Path, out: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nope.simvid"
    assert cli.main(["render", str(path), "-o", str(out)]) == 2
    lines, _ = _stderr_lines(capsys)
    assert len(lines) == 1
    assert lines[0].startswith(f"simvid: {path}: ")


def test_main_huge_integer_in_project_exits_2(
    tmp_path: Path, make_photo: MakePhoto, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_photo(tmp_path / "a.jpg")
    path = tmp_path / "big.simvid"
    path.write_text('{"schema_version": 1, "slides": [{"image": "a.jpg", "duration": 1%s}]}'
                    % ("0" * 400), encoding="utf-8")
    assert cli.main(["render", str(path), "-o", str(out)]) == 2
    lines, _ = _stderr_lines(capsys)
    assert any("slides[0].duration" in line for line in lines)


def test_main_without_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "render" in capsys.readouterr().out


def test_main_render_failure_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(args: object) -> int:
        raise RenderFailed("ffmpeg exited with code 1", log="boom")

    monkeypatch.setattr(cli, "cmd_render", fail)
    assert cli.main(["render", "x.jpg", "-o", "x.mp4"]) == cli.EXIT_FAILED == 1
    assert capsys.readouterr().err.splitlines() == ["simvid: ffmpeg exited with code 1"]


def test_main_interrupted_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupt(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_render", interrupt)
    assert cli.main(["render", "x.jpg", "-o", "x.mp4"]) == 130
    assert capsys.readouterr().err.splitlines() == ["simvid: interrupted"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("simvid ")


def test_queue_add_takes_the_render_options() -> None:
    args = cli.build_parser().parse_args(["queue", "add", "a.jpg", "-o", "x.mp4",
                                          "--duration", "2", "--priority", "3", "--local"])
    assert (args.inputs, args.output, args.duration, args.priority, args.local) == (
        ["a.jpg"], Path("x.mp4"), 2.0, 3, True)
    assert args.func.__name__ == "cmd_add"


@pytest.mark.parametrize("argv", [["--help"], ["queue", "list"], ["render", "--help"]])
def test_help_and_queue_commands_load_no_farm_and_no_render_commands(
    tmp_path: Path, argv: list[str]
) -> None:
    """The farm (rq, redis) and the render/demo commands load only when they run: --help and
    the queue commands start fast. (numpy and Pillow still load, through jobs.model ->
    render.progress -> render/__init__, which imports the engine.)"""
    code = (
        "import sys\n"
        "from simvid_desktop.cli.main import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('rq', 'redis', 'simvid_desktop.farm.client', 'simvid_desktop.cli.render_')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    env = {**os.environ, "SIMVID_DATA_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, timeout=60, check=True)
    assert result.stderr.strip() == "[]"
