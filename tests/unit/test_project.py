"""The project model: resolutions, effective per-slide values, semantic validation."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from simvid_desktop.errors import Problem, ProjectInvalid
from simvid_desktop.model.project import (
    FPS_CHOICES,
    QUALITY_PRESETS,
    RESOLUTION_PRESETS,
    TRANSITION_NAMES,
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
    parse_resolution,
)


def _wheres(problems: list[Problem]) -> list[str]:
    return [p.where for p in problems]


def _one_slide(**kw: object) -> Project:
    return Project(slides=(Slide(Path("/p/a.jpg")),), **kw)  # type: ignore[arg-type]


# -- resolutions ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("720p", (1280, 720)),
        ("1080p", (1920, 1080)),
        ("4k", (3840, 2160)),
        ("4K", (3840, 2160)),
        ("vertical", (1080, 1920)),
        ("square", (1080, 1080)),
        (" 1080P ", (1920, 1080)),
        ("1280x720", (1280, 720)),
        ("1280X720", (1280, 720)),
        ("1280×720", (1280, 720)),
        (" 640 x 360 ", (640, 360)),
        ("16x16", (16, 16)),
        ("8192x4320", (8192, 4320)),
        ("4320x8192", (4320, 8192)),
    ],
)
def test_parse_resolution_accepts_presets_and_sizes(text: str, size: tuple[int, int]) -> None:
    assert parse_resolution(text) == size


@pytest.mark.parametrize(
    ("text", "size"),
    [("1281x721", (1282, 722)), ("641x360", (642, 360)), ("640x361", (640, 362)),
     ("17x17", (18, 18)), ("8191x4319", (8192, 4320))],
)
def test_parse_resolution_rounds_odd_sides_up_to_even(text: str, size: tuple[int, int]) -> None:
    w, h = parse_resolution(text)
    assert (w, h) == size
    assert w % 2 == 0 and h % 2 == 0


@pytest.mark.parametrize(
    "text",
    ["0x0", "1x1", "15x16", "16x15", "99999x10", "10x99999", "8193x16", "16x8193",
     "8192x8192", "abc", "", "1920x", "x1080", "1920x1080x3", "-1920x1080", "1920.5x1080",
     "1234567x1", "8k", "1080"],
)
def test_parse_resolution_rejects_absurd_values(text: str) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        parse_resolution(text)


def test_parse_resolution_message_lists_presets_for_garbage() -> None:
    with pytest.raises(ValueError) as info:
        parse_resolution("abc")
    for name in RESOLUTION_PRESETS:
        assert name in str(info.value)


def test_parse_resolution_result_never_exceeds_max_pixels() -> None:
    # 5001x7075 fits, but the even size it rounds up to (5002x7076) would not.
    with pytest.raises(ValueError, match="out of range"):
        parse_resolution("5001x7075")


@pytest.mark.parametrize(
    ("text", "size", "preset"),
    [("1080p", (1920, 1080), "1080p"), (" 4K ", (3840, 2160), "4k"),
     ("1281x721", (1282, 722), None), ("1920x1080", (1920, 1080), None)],
)
def test_resolution_is_parsed_once_and_keeps_its_spelling(
    text: str, size: tuple[int, int], preset: str | None
) -> None:
    r = Resolution(text)
    assert (r.text, r.size, r.preset, str(r)) == (text, size, preset, text)
    assert (r.size.width, r.size.height) == size
    assert OutputSettings(resolution=r).size is r.size  # read, not re-parsed


def test_resolution_refuses_what_parse_resolution_refuses_with_the_same_message() -> None:
    for text in ("abc", "1x1", "5001x7075"):
        with pytest.raises(ValueError) as parsed:
            parse_resolution(text)
        with pytest.raises(ValueError) as built:
            Resolution(text)
        assert str(built.value) == str(parsed.value)


def test_resolutions_compare_by_spelling() -> None:
    assert Resolution("1080p") == Resolution("1080p")
    assert Resolution("1080p") != Resolution("1920x1080")  # saved as written, so not equal
    assert OutputSettings() == OutputSettings(resolution=Resolution("1080p"))


# -- model values ---------------------------------------------------------------------------------
def test_defaults() -> None:
    p = Project()
    assert p.slides == ()
    assert p.default_duration == 3.0
    assert p.transition == Transition(TransitionKind.FADE, 1.0)
    assert p.motion == Motion(MotionMode.NONE)
    assert p.audio is None
    assert p.output == OutputSettings()
    assert p.output.size == (1920, 1080)
    assert p.output.fps == 30
    assert p.output.fit is FitMode.LETTERBOX


def test_values_are_frozen() -> None:
    p = _one_slide()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.default_duration = 5.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.slides[0].duration = 5.0  # type: ignore[misc]


def test_effective_values_fall_back_to_project_defaults() -> None:
    custom = Motion(MotionMode.CUSTOM, View(1.2, 0.4, 0.5), View(1.0, 0.5, 0.5))
    slides = (
        Slide(Path("a.jpg")),
        Slide(Path("b.jpg"), duration=5.0, fit=FitMode.CROP, motion=custom,
              transition=Transition(TransitionKind.WIPE_LEFT, 0.5)),
    )
    p = Project(slides=slides, default_duration=2.0,
                transition=Transition(TransitionKind.ZOOM, 0.8),
                motion=Motion(MotionMode.AUTO), output=OutputSettings(fit=FitMode.BLUR))
    assert p.duration_of(0) == 2.0
    assert p.duration_of(1) == 5.0
    assert p.fit_of(0) is FitMode.BLUR
    assert p.fit_of(1) is FitMode.CROP
    assert p.motion_of(0) == Motion(MotionMode.AUTO)
    assert p.motion_of(1) == custom
    assert p.transition_after(0) == Transition(TransitionKind.ZOOM, 0.8)
    assert p.transition_after(1) == Transition(TransitionKind.WIPE_LEFT, 0.5)
    assert p.total_duration == 7.0


def test_total_duration_is_sum_of_durations() -> None:
    p = Project(slides=tuple(Slide(Path(f"{i}.jpg"), duration=d)
                             for i, d in enumerate([1.5, None, 0.25])), default_duration=4.0)
    assert p.total_duration == pytest.approx(5.75)


def test_with_slides_replaces_only_slides() -> None:
    p = _one_slide(default_duration=7.0)
    q = p.with_slides([Slide(Path("x.jpg")), Slide(Path("y.jpg"))])
    assert isinstance(q.slides, tuple)
    assert [s.image for s in q.slides] == [Path("x.jpg"), Path("y.jpg")]
    assert q.default_duration == 7.0
    assert p.slides == (Slide(Path("/p/a.jpg")),)


@pytest.mark.parametrize(
    ("quality", "crf", "preset", "expected"),
    [
        (Quality.STANDARD, None, None, (21, "veryfast")),
        (Quality.DRAFT, None, None, (28, "veryfast")),
        (Quality.BEST, None, None, (17, "slow")),
        (Quality.HIGH, 30, None, (30, "slow")),
        (Quality.HIGH, 0, None, (0, "slow")),
        (Quality.DRAFT, None, "ultrafast", (28, "ultrafast")),
    ],
)
def test_encoder_settings(
    quality: Quality, crf: int | None, preset: str | None, expected: tuple[float, str]
) -> None:
    enc = OutputSettings(quality=quality, crf=crf, x264_preset=preset).encoder
    assert (enc.crf, enc.x264_preset) == expected


def test_transition_names_match_kinds() -> None:
    assert set(TRANSITION_NAMES) == {k.value for k in TransitionKind}
    for name in ("none", "fade", "fadeblack", "slide-left", "slide-right", "slide-up",
                 "slide-down", "wipe-left", "wipe-right", "wipe-up", "wipe-down", "zoom"):
        assert name in TRANSITION_NAMES


def test_every_quality_has_a_preset() -> None:
    assert set(QUALITY_PRESETS) == set(Quality)


@pytest.mark.parametrize(
    ("kind", "text", "member"),
    [(TransitionKind, "slide-left", TransitionKind.SLIDE_LEFT), (Quality, "best", Quality.BEST),
     (FitMode, "blur", FitMode.BLUR), (MotionMode, "auto", MotionMode.AUTO)],
)
def test_parse_choice_accepts_the_spelling_used_in_files(
    kind: type[TransitionKind], text: str, member: TransitionKind
) -> None:
    assert parse_choice(kind, text, "x") is member


@pytest.mark.parametrize("text", ["swirl", "Fade", "FADE", " fade", "", "slide_left"])
def test_parse_choice_refuses_other_spellings_and_lists_the_choices(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_choice(TransitionKind, text, "transition")
    assert str(info.value) == f"unknown transition {text!r} ({', '.join(TRANSITION_NAMES)})"


# -- check_project --------------------------------------------------------------------------------
def test_valid_project_has_no_problems() -> None:
    p = Project(
        slides=(Slide(Path("a.jpg"), duration=3600.0, caption="x" * 500),
                Slide(Path("b.jpg"), transition=Transition(TransitionKind.NONE, 0.0))),
        default_duration=0.001,
        transition=Transition(TransitionKind.FADE_BLACK, 0.0),
        motion=Motion(MotionMode.CUSTOM, View(8.0, 0.0, 1.0), View(1.0, 1.0, 0.0)),
        audio=AudioBed.single(Path("m.mp3"), volume=4.0, fade_in=0.0, fade_out=3600.0, start=0.0),
        output=OutputSettings(resolution=Resolution("1281x721"), fps=60, quality=Quality.BEST,
                              crf=51, x264_preset="veryslow"),
    )
    assert check_project(p) == []


def test_empty_project_reports_no_slides() -> None:
    assert _wheres(check_project(Project())) == ["slides"]


@pytest.mark.parametrize(
    "value", [0, 0.0, -1, -0.001, 3600.001, 1e308, math.inf, -math.inf, math.nan, True, "3"]
)
def test_bad_slide_duration(value: object) -> None:
    p = Project(slides=(Slide(Path("a.jpg")), Slide(Path("b.jpg"), duration=value)))  # type: ignore[arg-type]
    problems = check_project(p)
    assert _wheres(problems) == ["slides[1].duration"]
    assert "finite number > 0" in problems[0].message


@pytest.mark.parametrize("value", [-1, math.nan, math.inf, 3601])
def test_bad_transition_duration(value: float) -> None:
    problems = check_project(_one_slide(transition=Transition(TransitionKind.FADE, value)))
    assert _wheres(problems) == ["transition.duration"]
    assert ">= 0" in problems[0].message


def test_zero_transition_duration_is_allowed() -> None:
    assert check_project(_one_slide(transition=Transition(TransitionKind.FADE, 0))) == []


def test_unparsed_transition_names_built_in_code_are_caught() -> None:
    p = Project(
        slides=(Slide(Path("a.jpg"), transition=Transition("swirl", 1.0)),  # type: ignore[arg-type]
                Slide(Path("b"))),
        transition=Transition("crossfade", 1.0),  # type: ignore[arg-type]
    )
    problems = check_project(p)
    assert _wheres(problems) == ["transition.name", "slides[0].transition.name"]
    assert "'crossfade'" in problems[0].message
    assert "slide-left" in problems[0].message


@pytest.mark.parametrize("fps", [0, 1, 23, 29, 29.97, 120, -30, True, "30"])
def test_bad_fps(fps: object) -> None:
    problems = check_project(_one_slide(output=OutputSettings(fps=fps)))  # type: ignore[arg-type]
    assert _wheres(problems) == ["output.fps"]


@pytest.mark.parametrize("fps", FPS_CHOICES)
def test_good_fps(fps: int) -> None:
    assert check_project(_one_slide(output=OutputSettings(fps=fps))) == []


@pytest.mark.parametrize("crf", [-1, 52, 100, 23.0, True])
def test_bad_crf(crf: object) -> None:
    problems = check_project(_one_slide(output=OutputSettings(crf=crf)))  # type: ignore[arg-type]
    assert _wheres(problems) == ["output.crf"]


@pytest.mark.parametrize("crf", [0, 23, 51])
def test_good_crf(crf: int) -> None:
    assert check_project(_one_slide(output=OutputSettings(crf=crf))) == []


def test_bad_output_settings_all_reported() -> None:
    # Strings where parsed values belong: a project built in code without parsing.
    out = OutputSettings(resolution="0x0", fps=7, quality="ultra",  # type: ignore[arg-type]
                         x264_preset="turbo", crf=99, fit="stretch")
    problems = check_project(_one_slide(output=out))
    assert _wheres(problems) == [
        "output.resolution", "output.fps", "output.quality", "output.x264_preset", "output.crf",
        "output.fit",
    ]
    for quality in Quality:
        assert quality.value in problems[2].message


def test_custom_motion_views_checked() -> None:
    bad = Motion(MotionMode.CUSTOM, View(0.5, -0.1, 1.5), None)
    problems = check_project(_one_slide(motion=bad))
    assert _wheres(problems) == ["motion.start.zoom", "motion.start.x", "motion.start.y",
                                 "motion.end"]


@pytest.mark.parametrize("zoom", [0.99, 8.01, math.nan, math.inf])
def test_custom_motion_zoom_range(zoom: float) -> None:
    m = Motion(MotionMode.CUSTOM, View(), View(zoom, 0.5, 0.5))
    assert _wheres(check_project(_one_slide(motion=m))) == ["motion.end.zoom"]


def test_slide_level_problems_are_named_per_slide() -> None:
    slides = (
        Slide(Path("a.jpg")),
        Slide(Path("b.jpg"), motion=Motion(MotionMode.CUSTOM)),
        Slide(Path("c.jpg"), caption="x" * 501, fit="zoom"),  # type: ignore[arg-type]
    )
    assert _wheres(check_project(Project(slides=slides))) == [
        "slides[1].motion.start", "slides[1].motion.end", "slides[2].fit", "slides[2].caption",
    ]


def test_audio_values_checked() -> None:
    audio = AudioBed.single(Path("m.mp3"), volume=4.5, fade_in=-1, fade_out=math.nan,
                            start=math.inf)
    assert _wheres(check_project(_one_slide(audio=audio))) == [
        "audio.tracks[0].volume", "audio.tracks[0].start", "audio.fade_in", "audio.fade_out",
    ]


def test_check_project_reports_everything_at_once() -> None:
    p = Project(
        slides=(),
        default_duration=-3,
        transition=Transition("bogus", -1),  # type: ignore[arg-type]
        output=OutputSettings(resolution="abc", fps=31),  # type: ignore[arg-type]
    )
    assert _wheres(check_project(p)) == [
        "slides", "default_duration", "transition.name", "transition.duration",
        "output.resolution", "output.fps",
    ]


def test_huge_integer_duration_is_a_problem_not_a_crash() -> None:
    p = Project(slides=(Slide(Path("a.jpg"), duration=10**400),))  # type: ignore[arg-type]
    assert _wheres(check_project(p)) == ["slides[0].duration"]


def test_project_invalid_message_and_lines() -> None:
    one = ProjectInvalid([Problem("slides", "the project has no slides")])
    assert str(one) == "slides: the project has no slides"
    many = ProjectInvalid([Problem("a", "x"), Problem("b", "y"), Problem("c", "z")])
    assert str(many) == "a: x (and 2 more problem(s))"
    assert many.lines() == ["a: x", "b: y", "c: z"]
    assert "\n" not in str(many)
