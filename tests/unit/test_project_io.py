"""Reading and writing .simvid files: schema v1 round trip, shorthands, strict validation,
files from newer versions (unknown fields kept with a warning, typos still refused)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from simvid_desktop.errors import ProjectInvalid
from simvid_desktop.model import project_io
from simvid_desktop.model.project import (
    SCHEMA_VERSION,
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
    UnknownFields,
    View,
    unknown_fields,
)
from simvid_desktop.model.project_io import (
    load_project,
    project_from_json,
    project_to_dict,
    project_to_json,
    save_project,
    typo_of,
)

BASE = Path("/base/dir")


def _doc(**kw: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"schema_version": 1, "slides": [{"image": "a.jpg"}]}
    d.update(kw)
    return d


def _slide_doc(**kw: Any) -> dict[str, Any]:
    slide: dict[str, Any] = {"image": "a.jpg"}
    slide.update(kw)
    return _doc(slides=[slide])


def _load(doc: dict[str, Any] | str) -> Project:
    text = doc if isinstance(doc, str) else json.dumps(doc)
    return project_from_json(text, BASE)


def _problems(doc: dict[str, Any] | str) -> list[tuple[str, str]]:
    with pytest.raises(ProjectInvalid) as info:
        _load(doc)
    assert info.value.problems, "ProjectInvalid without problems"
    return [(p.where, p.message) for p in info.value.problems]


def _wheres(doc: dict[str, Any] | str) -> list[str]:
    return [w for w, _ in _problems(doc)]


def _full_project(folder: Path, outside: Path) -> Project:
    return Project(
        slides=(
            Slide(folder / "a.jpg"),
            Slide(folder / "photos" / "b.png", duration=4.5, caption="Beach, 2019 ☀",
                  motion=Motion(MotionMode.CUSTOM, View(1.3, 0.25, 0.75), View(1.0, 0.5, 0.5)),
                  fit=FitMode.CROP, transition=Transition(TransitionKind.WIPE_LEFT, 0.75)),
            Slide(outside / "c.webp", motion=Motion(MotionMode.NONE), fit=FitMode.BLUR,
                  transition=Transition(TransitionKind.NONE, 0.0)),
            Slide(folder / "d.jpg", duration=0.5),
        ),
        default_duration=2.5,
        transition=Transition(TransitionKind.FADE_BLACK, 1.25),
        motion=Motion(MotionMode.AUTO),
        audio=AudioBed.single(folder / "music" / "song.mp3", volume=0.8, fade_in=1.0, fade_out=3.0,
                       start=12.5, loop=False),
        output=OutputSettings(resolution=Resolution("1280x720"), fps=25, quality=Quality.HIGH,
                              fit=FitMode.CROP, x264_preset="fast", crf=19),
    )


# -- round trip -----------------------------------------------------------------------------------
def test_round_trip_preserves_every_field(tmp_path: Path) -> None:
    folder = (tmp_path / "show").resolve()
    folder.mkdir()
    outside = (tmp_path / "elsewhere").resolve()
    project = _full_project(folder, outside)
    path = folder / "show.simvid"
    save_project(project, path)
    assert load_project(path) == project


def test_round_trip_of_defaults(tmp_path: Path) -> None:
    project = Project(slides=(Slide(tmp_path.resolve() / "a.jpg"),))
    save_project(project, tmp_path / "p.simvid")
    loaded = load_project(tmp_path / "p.simvid")
    assert loaded == project


def test_saved_file_is_schema_v2_json(tmp_path: Path) -> None:
    folder = tmp_path.resolve()
    save_project(_full_project(folder, folder.parent / "x"), folder / "p.simvid")
    data = json.loads((folder / "p.simvid").read_text(encoding="utf-8"))
    assert data["schema_version"] == SCHEMA_VERSION == 2
    assert set(data) == {"schema_version", "slides", "default_duration", "transition", "motion",
                         "audio", "output"}
    assert data["transition"] == {"name": "fadeblack", "duration": 1.25}
    assert data["motion"] == {"mode": "auto"}
    assert data["output"] == {"resolution": "1280x720", "fps": 25, "quality": "high",
                              "fit": "crop", "x264_preset": "fast", "crf": 19}
    assert data["slides"][0] == {"image": "a.jpg"}  # unset per-slide values are omitted
    assert data["slides"][1]["motion"] == {
        "mode": "custom", "start": {"zoom": 1.3, "x": 0.25, "y": 0.75},
        "end": {"zoom": 1.0, "x": 0.5, "y": 0.5},
    }


#: A v1 file as the app writes it, with every kind of value: loading it and saving it again
#: must give back the same bytes (names stay names, sizes keep their spelling).
V1_FILE = """{
  "schema_version": 1,
  "slides": [
    {
      "image": "a.jpg"
    },
    {
      "image": "photos/b.png",
      "duration": 4.5,
      "caption": "Beach, 2019 \\u2600",
      "motion": {
        "mode": "custom",
        "start": {
          "zoom": 1.3,
          "x": 0.25,
          "y": 0.75
        },
        "end": {
          "zoom": 1.0,
          "x": 0.5,
          "y": 0.5
        }
      },
      "fit": "crop",
      "transition": {
        "name": "wipe-left",
        "duration": 0.75
      }
    },
    {
      "image": "c.webp",
      "motion": {
        "mode": "none"
      },
      "fit": "blur",
      "transition": {
        "name": "none",
        "duration": 0.0
      }
    }
  ],
  "default_duration": 2.5,
  "transition": {
    "name": "fadeblack",
    "duration": 1.25
  },
  "motion": {
    "mode": "auto"
  },
  "audio": {
    "path": "music/song.mp3",
    "volume": 0.8,
    "fade_in": 1.0,
    "fade_out": 3.0,
    "start": 12.5,
    "loop": false
  },
  "output": {
    "resolution": "%s",
    "fps": 25,
    "quality": "%s",
    "fit": "crop",
    "x264_preset": "fast",
    "crf": 19
  }
}
"""


@pytest.mark.parametrize(
    ("resolution", "quality"),
    [("1280x720", "high"), ("1080p", "standard"), ("4K", "best"), ("1281x721", "draft"),
     ("vertical", "draft"), ("640 x 360", "standard")],
)
def test_v1_file_loads_and_saves_back_byte_for_byte(
    tmp_path: Path, resolution: str, quality: str
) -> None:
    text = V1_FILE % (resolution, quality)
    path = tmp_path / "show.simvid"
    path.write_bytes(text.encode("utf-8"))
    project = load_project(path)
    assert project.transition.kind is TransitionKind.FADE_BLACK  # parsed once, on load
    assert [s.transition.kind for s in project.slides if s.transition] == [
        TransitionKind.WIPE_LEFT, TransitionKind.NONE]
    assert project.output.quality is Quality(quality)
    assert project.output.resolution == Resolution(resolution)
    save_project(project, path)
    # Saved in format 2, which says the same in the same words: only the version changed.
    as_v2 = text.replace('"schema_version": 1,', '"schema_version": 2,')
    assert path.read_bytes() == as_v2.encode("utf-8")
    save_project(load_project(path), path)
    assert path.read_bytes() == as_v2.encode("utf-8")


def test_loaded_names_are_enum_members_not_strings() -> None:
    p = _load(_doc(transition="zoom", output={"quality": "draft", "resolution": "720p"},
                   slides=[{"image": "a.jpg", "transition": {"name": "slide-up"}}]))
    assert type(p.transition.kind) is TransitionKind and p.transition.kind is TransitionKind.ZOOM
    assert p.slides[0].transition is not None
    assert p.slides[0].transition.kind is TransitionKind.SLIDE_UP
    assert p.output.quality is Quality.DRAFT
    assert p.output.size == (1280, 720) and p.output.resolution.preset == "720p"


def test_paths_inside_folder_are_relative_outside_absolute(tmp_path: Path) -> None:
    folder = (tmp_path / "show").resolve()
    folder.mkdir()
    outside = (tmp_path / "elsewhere").resolve()
    save_project(_full_project(folder, outside), folder / "show.simvid")
    data = json.loads((folder / "show.simvid").read_text(encoding="utf-8"))
    images = [s["image"] for s in data["slides"]]
    assert images[0] == "a.jpg"
    assert images[1] == "photos/b.png"  # posix separators whatever the platform
    assert Path(images[2]).is_absolute()
    assert Path(images[2]) == outside / "c.webp"
    assert data["audio"]["path"] == "music/song.mp3"


def test_sibling_folder_is_stored_absolute_not_dotdot(tmp_path: Path) -> None:
    folder = (tmp_path / "show").resolve()
    folder.mkdir()
    sibling = folder.parent / "show-photos" / "x.jpg"
    save_project(Project(slides=(Slide(sibling),)), folder / "p.simvid")
    stored = json.loads((folder / "p.simvid").read_text(encoding="utf-8"))["slides"][0]["image"]
    assert stored == str(sibling)
    assert ".." not in stored


def test_moving_the_folder_keeps_relative_paths_working(tmp_path: Path) -> None:
    folder = (tmp_path / "show").resolve()
    folder.mkdir()
    outside = (tmp_path / "elsewhere").resolve()
    save_project(_full_project(folder, outside), folder / "show.simvid")
    moved = (tmp_path / "moved" / "renamed").resolve()
    moved.parent.mkdir()
    shutil.move(str(folder), str(moved))
    loaded = load_project(moved / "show.simvid")
    assert loaded.slides[0].image == moved / "a.jpg"
    assert loaded.slides[1].image == moved / "photos" / "b.png"
    assert loaded.slides[2].image == outside / "c.webp"  # absolute: unchanged
    assert loaded.audio is not None
    assert loaded.audio.first.path == moved / "music" / "song.mp3"


def test_relative_paths_resolve_against_the_file_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = (tmp_path / "show").resolve()
    folder.mkdir()
    (folder / "p.simvid").write_text(json.dumps(_doc()), encoding="utf-8")
    other = tmp_path / "cwd"
    other.mkdir()
    monkeypatch.chdir(other)
    assert load_project(folder / "p.simvid").slides[0].image == folder / "a.jpg"
    monkeypatch.chdir(folder)
    assert load_project("p.simvid").slides[0].image == folder / "a.jpg"


def test_cwd_relative_path_outside_folder_survives_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "proj").mkdir()
    save_project(Project(slides=(Slide(Path("photo.jpg")),)), Path("proj/show.simvid"))
    loaded = load_project(tmp_path / "proj" / "show.simvid")
    assert loaded.slides[0].image.resolve() == (tmp_path / "photo.jpg").resolve()


def test_save_is_atomic_and_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "p.simvid"
    path.write_text("old garbage", encoding="utf-8")
    save_project(Project(slides=(Slide(tmp_path / "a.jpg"),)), path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.simvid"]  # no temp file left
    assert json.loads(path.read_text(encoding="utf-8"))["slides"] == [{"image": "a.jpg"}]


def test_project_to_json_refuses_nan() -> None:
    with pytest.raises(ValueError, match="JSON"):
        project_to_json(Project(slides=(Slide(Path("/a.jpg")),), default_duration=float("nan")))


def test_project_to_dict_without_base_keeps_paths() -> None:
    d = project_to_dict(Project(slides=(Slide(Path("/x/a.jpg")),)))
    assert d["slides"] == [{"image": "/x/a.jpg"}]
    assert d["audio"] is None


# -- files from newer versions -------------------------------------------------------------------
#: A file as a newer 1.x release might write it: new fields at the top level, in slides, in
#: the output and audio sections and in nested objects, with values of every JSON kind.
NEWER_FILE: dict[str, Any] = {
    "schema_version": "1.4",
    "chapters": [{"title": "Summer", "at": 0}, {"title": "Winter", "at": 2.5}],
    "slides": [
        {"image": "a.jpg", "effect": {"name": "sepia", "amount": 0.3}, "duration": 2},
        {"image": "b.jpg", "rating": 5,
         "transition": {"name": "fade", "duration": 0.5, "easing": "in-out"},
         "motion": {"mode": "custom", "start": {"zoom": 1.2, "rotate": 4}, "end": {"zoom": 1.0},
                    "curve": None}},
    ],
    "transition": {"name": "zoom", "ease": [0.1, 0.2, 0.3, 1.0]},
    "audio": {"path": "m.mp3", "reverb": True, "volume": 0.5},
    "output": {"resolution": "720p", "hdr": {"transfer": "pq", "peak": 1000}, "fps": 25},
    "note": "café ☀ \u0000 ok",
    "big": 123456789012345678901234567890,
}

NEWER_FIELDS = [
    "chapters", "note", "big", "transition.ease", "slides[0].effect", "slides[1].rating",
    "slides[1].motion.curve", "slides[1].motion.start.rotate", "slides[1].transition.easing",
    "audio.reverb", "output.hdr",
]


def test_a_newer_minor_version_opens_and_names_its_new_fields() -> None:
    project = _load(NEWER_FILE)
    assert sorted(unknown_fields(project)) == sorted(NEWER_FIELDS)
    # the fields this version knows are read as always
    assert project.slides[0].duration == 2
    assert project.output.fps == 25 and project.output.resolution.text == "720p"
    assert project.audio is not None and project.audio.first.volume == 0.5
    assert project.transition.kind is TransitionKind.ZOOM


def test_new_fields_are_kept_when_saving_and_known_ones_as_edited(tmp_path: Path) -> None:
    path = tmp_path / "show.simvid"
    path.write_text(json.dumps(NEWER_FILE), encoding="utf-8")
    project = load_project(path)
    assert project.audio is not None
    slides = project.slides
    edited = replace(
        project,
        slides=(replace(slides[1], caption="Snow"), replace(slides[0], duration=4)),  # swapped
        output=replace(project.output, fps=30),
        audio=replace(project.audio, tracks=(replace(project.audio.first, volume=0.75),)),
    )
    save_project(edited, path)
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["schema_version"] == 2  # this version wrote it
    for name in ("chapters", "note", "big"):
        assert saved[name] == NEWER_FILE[name]
    assert saved["transition"] == {"name": "zoom", "duration": 1.0, "ease": [0.1, 0.2, 0.3, 1.0]}
    first, second = saved["slides"]
    assert first["caption"] == "Snow" and first["rating"] == 5  # the field moved with its slide
    assert first["transition"]["easing"] == "in-out"
    assert first["motion"]["curve"] is None
    assert first["motion"]["start"] == {"zoom": 1.2, "x": 0.5, "y": 0.5, "rotate": 4}
    assert second == {"image": "a.jpg", "duration": 4,
                      "effect": {"name": "sepia", "amount": 0.3}}
    assert saved["audio"]["reverb"] is True and saved["audio"]["volume"] == 0.75
    assert saved["output"]["hdr"] == {"transfer": "pq", "peak": 1000}
    assert saved["output"]["fps"] == 30
    # and the saved file opens again with the same fields, the same values
    again = load_project(path)
    assert again == edited
    swapped = [f.replace("[0]", "[x]").replace("[1]", "[0]").replace("[x]", "[1]")
               for f in NEWER_FIELDS]
    assert sorted(unknown_fields(again)) == sorted(swapped)


def test_unknown_fields_are_part_of_the_value() -> None:
    with_field = _load(_slide_doc(effect="sepia"))
    assert with_field != _load(_slide_doc())
    assert with_field.slides[0].unknown == UnknownFields((("effect", '"sepia"'),))
    assert unknown_fields(_load(_slide_doc())) == []
    hash(with_field)  # still a frozen, hashable value


def test_a_file_with_new_fields_last_saves_back_byte_for_byte(tmp_path: Path) -> None:
    text = (V1_FILE % ("1280x720", "high")).replace(
        '"loop": false\n', '"loop": false,\n    "reverb": {\n      "amount": 0.5\n    }\n'
    ).replace('"crf": 19\n', '"crf": 19,\n    "hdr": true\n')
    text = text[: text.rindex("}")].rstrip() + ',\n  "chapters": []\n}\n'
    text = text.replace('"schema_version": 1,', '"schema_version": 2,')
    path = tmp_path / "show.simvid"
    path.write_text(text, encoding="utf-8")
    project = load_project(path)
    assert unknown_fields(project) == ["chapters", "audio.reverb", "output.hdr"]
    save_project(project, path)
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("version", [1, "1.0", "1.1", "1.999", 2, "2.0", "2.5"])
def test_any_minor_version_of_the_same_major_opens(version: object) -> None:
    assert _load(_doc(schema_version=version)).slides


@pytest.mark.parametrize(("version", "major"), [(3, 3), ("3.0", 3), ("3.7", 3), (10, 10)])
def test_a_newer_major_version_is_refused_naming_the_format_it_needs(
    version: object, major: int
) -> None:
    doc = _doc(schema_version=version, layers=[{"kind": "text"}], slides={"new": "shape"})
    assert _problems(doc) == [(
        "schema_version",
        f"needs a newer Simvid Desktop, one that reads project format {major}; "
        "this version reads format 2",
    )]


def test_a_newer_major_version_names_the_release_that_saved_it() -> None:
    doc = _doc(schema_version="3.1", app={"name": "Simvid Desktop", "version": "3.3.0"})
    assert _problems(doc) == [(
        "schema_version",
        "needs a newer Simvid Desktop, one that reads project format 3 "
        "(this file was saved by Simvid Desktop 3.3.0); this version reads format 2",
    )]


@pytest.mark.parametrize("constant", ["NaN", "Infinity"])
def test_non_finite_constant_inside_a_new_field_is_a_problem(constant: str) -> None:
    text = json.dumps(_slide_doc(effect={"v": ["@"]})).replace('"@"', constant)
    assert _problems(text) == [("slides[0].effect", "NaN and Infinity are not allowed")]


def test_a_new_field_nested_too_deep_to_keep_is_a_problem(tmp_path: Path) -> None:
    too_deep = json.dumps(_doc(extra="@")).replace('"@"', "[" * 65 + "]" * 65)
    assert _problems(too_deep) == [("extra", "is nested more than 64 levels deep")]
    deep = json.dumps(_doc(extra="@")).replace('"@"', "{\"a\": [" * 32 + "]}" * 32)
    path = tmp_path / "p.simvid"
    path.write_text(deep, encoding="utf-8")
    save_project(load_project(path), path)  # kept, and written back
    assert json.loads(path.read_text(encoding="utf-8"))["extra"] == json.loads(deep)["extra"]


# -- defaults and shorthands ----------------------------------------------------------------------
def test_minimal_file_gets_defaults() -> None:
    p = _load(_doc())
    assert p.slides == (Slide(BASE / "a.jpg"),)
    assert p.default_duration == 3.0
    assert p.transition == Transition(TransitionKind.FADE, 1.0)
    assert p.motion == Motion(MotionMode.NONE)
    assert p.audio is None
    assert p.output == OutputSettings()


def test_nulls_mean_defaults() -> None:
    p = _load(_doc(default_duration=None, transition=None, motion=None, audio=None, output=None,
                   slides=[{"image": "a.jpg", "duration": None, "caption": None, "motion": None,
                            "fit": None, "transition": None}]))
    assert p == Project(slides=(Slide(BASE / "a.jpg"),))


def test_absolute_image_path_kept() -> None:
    assert _load(_slide_doc(image="/abs/x.jpg")).slides[0].image == Path("/abs/x.jpg")


def test_app_field_is_allowed() -> None:
    assert _load(_doc(app={"name": "Simvid Desktop", "version": "0.1.0"})).slides


def test_empty_caption_is_none() -> None:
    assert _load(_slide_doc(caption="")).slides[0].caption is None


def test_transition_shorthand_string() -> None:
    p = _load(_doc(transition="fade", slides=[{"image": "a.jpg", "transition": "wipe-up"},
                                              {"image": "b.jpg"}]))
    assert p.transition == Transition(TransitionKind.FADE, 1.0)
    assert p.slides[0].transition == Transition(TransitionKind.WIPE_UP, 1.0)
    assert p.slides[1].transition is None


def test_transition_object_partial_uses_defaults() -> None:
    fade, zoom = TransitionKind.FADE, TransitionKind.ZOOM
    assert _load(_doc(transition={"duration": 0.5})).transition == Transition(fade, 0.5)
    assert _load(_doc(transition={"name": "zoom"})).transition == Transition(zoom, 1.0)


def test_motion_shorthand_string() -> None:
    p = _load(_doc(motion="auto", slides=[{"image": "a.jpg", "motion": "none"}]))
    assert p.motion == Motion(MotionMode.AUTO)
    assert p.slides[0].motion == Motion(MotionMode.NONE)


def test_custom_motion_views_default_missing_coordinates() -> None:
    p = _load(_doc(motion={"mode": "custom", "start": {"zoom": 1.5}, "end": {"x": 0.2}}))
    assert p.motion == Motion(MotionMode.CUSTOM, View(1.5, 0.5, 0.5), View(1.0, 0.2, 0.5))


def test_integral_floats_become_ints_for_fps_and_crf() -> None:
    out = _load(_doc(output={"fps": 30.0, "crf": 20.0})).output
    assert out.fps == 30 and type(out.fps) is int
    assert out.crf == 20 and type(out.crf) is int


def test_audio_defaults() -> None:
    a = _load(_doc(audio={"path": "m.mp3"})).audio
    assert a == AudioBed.single(BASE / "m.mp3", volume=1.0, fade_in=0.0, fade_out=2.0, start=0.0,
                         loop=True)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "p.simvid"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(_slide_doc(caption="café")).encode())
    assert load_project(path).slides[0].caption == "café"


# -- strict validation ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("doc", "where"),
    [
        (_doc(colour="red"), "colour"),
        (_slide_doc(zoom=2), "slides[0].zoom"),
        (_slide_doc(transition={"name": "fade", "speed": 2}), "slides[0].transition.speed"),
        (_doc(transition={"name": "fade", "easing": "in"}), "transition.easing"),
        (_doc(motion={"mode": "custom", "start": {"zoom": 1.2, "z": 1},
                      "end": {"zoom": 1.0}}), "motion.start.z"),
        (_doc(audio={"path": "m.mp3", "gain": 2}), "audio.gain"),
        (_doc(output={"resolution": "720p", "bitrate": "5M"}), "output.bitrate"),
    ],
)
def test_new_fields_open_and_are_named_for_the_warning(doc: dict[str, Any], where: str) -> None:
    assert unknown_fields(_load(doc)) == [where]


def test_every_unknown_field_is_named_in_file_order() -> None:
    project = _load(_doc(b=1, a=2, slides=[{"image": "a.jpg", "x": 1}]))
    assert unknown_fields(project) == ["b", "a", "slides[0].x"]


@pytest.mark.parametrize(
    ("doc", "where", "meant"),
    [
        (_slide_doc(duraton=2), "slides[0].duraton", "duration"),
        (_slide_doc(Duration=2), "slides[0].Duration", "duration"),
        (_slide_doc(captoin="x"), "slides[0].captoin", "caption"),
        (_slide_doc(images="b.jpg"), "slides[0].images", "image"),
        (_doc(defualt_duration=2), "defualt_duration", "default_duration"),
        (_doc(transitions="fade"), "transitions", "transition"),
        (_doc(transition={"nmae": "fade"}), "transition.nmae", "name"),
        (_doc(audio={"path": "m.mp3", "fade-in": 1}), "audio.fade-in", "fade_in"),
        (_doc(audio={"path": "m.mp3", "FadeOut": 1}), "audio.FadeOut", "fade_out"),
        (_doc(output={"resolutoin": "720p"}), "output.resolutoin", "resolution"),
        (_doc(output={"fsp": 30}), "output.fsp", "fps"),
        (_doc(motion={"mode": "custom", "start": {"zooom": 1.2}, "end": {}}),
         "motion.start.zooom", "zoom"),
        (_doc(motion={"mode": "custom", "start": {"X": 0.5}, "end": {}}), "motion.start.X", "x"),
    ],
)
def test_probable_typos_are_still_problems(doc: dict[str, Any], where: str, meant: str) -> None:
    assert (where, f"unknown field, probably a typo of {meant!r}") in _problems(doc)


def test_every_typo_is_reported_in_file_order() -> None:
    doc = _doc(defualt_duration=2, Output={}, slides=[{"image": "a.jpg", "captoin": "x"}])
    assert _wheres(doc) == ["defualt_duration", "Output", "slides[0].captoin"]


@pytest.mark.parametrize(
    ("name", "known", "meant"),
    [
        ("duraton", {"image", "duration"}, "duration"),  # one letter missing
        ("durattion", {"duration"}, "duration"),  # one too many
        ("druation", {"duration"}, "duration"),  # two neighbours swapped: one edit
        ("dration", {"duration"}, "duration"),
        ("drtion", {"duration"}, "duration"),  # two edits, 8 letters: still a typo
        ("dtion", {"duration"}, None),  # three edits: a different name
        ("fit", {"fps", "fit"}, "fit"),
        ("fiz", {"fit"}, "fit"),  # one edit of a 3-letter name
        ("fzz", {"fit"}, None),
        ("z", {"x", "y", "zoom"}, None),  # 1-2 letter names match only by case
        ("X", {"x", "y", "zoom"}, "x"),
        ("effect", {"image", "duration", "caption", "motion", "fit", "transition"}, None),
        ("captions", {"caption"}, "caption"),  # a reason new names must keep their distance
        ("START", {"start", "loop"}, "start"),
        ("x" * 100_000, {"x", "zoom"}, None),  # a huge key is not compared letter by letter
    ],
)
def test_typo_rule(name: str, known: set[str], meant: str | None) -> None:
    assert typo_of(name, known) == meant


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        (_doc(default_duration="3"), "default_duration"),
        (_doc(default_duration=True), "default_duration"),
        (_doc(default_duration=[3]), "default_duration"),
        (_slide_doc(duration="long"), "slides[0].duration"),
        (_slide_doc(duration=False), "slides[0].duration"),
        (_slide_doc(caption=5), "slides[0].caption"),
        (_slide_doc(fit=1), "slides[0].fit"),
        (_slide_doc(fit="stretch"), "slides[0].fit"),
        (_slide_doc(motion=["auto"]), "slides[0].motion"),
        (_slide_doc(motion="wobble"), "slides[0].motion.mode"),
        (_slide_doc(transition=5), "slides[0].transition"),
        (_slide_doc(transition={"name": 5}), "slides[0].transition.name"),
        (_doc(slides="a.jpg"), "slides"),
        (_doc(slides=[{"image": "a.jpg"}, "b.jpg"]), "slides[1]"),
        (_doc(transition={"name": "fade", "duration": "1s"}), "transition.duration"),
        (_doc(motion={"mode": "custom", "start": [1, 2], "end": {}}), "motion.start"),
        (_doc(motion={"mode": "custom", "start": {"zoom": "2"}, "end": {}}), "motion.start.zoom"),
        (_doc(audio="m.mp3"), "audio"),
        (_doc(audio={"path": "m.mp3", "loop": "yes"}), "audio.loop"),
        (_doc(audio={"path": "m.mp3", "volume": "loud"}), "audio.volume"),
        (_doc(audio={"volume": 1.0}), "audio.path"),
        (_doc(output="1080p"), "output"),
        (_doc(output={"resolution": 1080}), "output.resolution"),
        (_doc(output={"fps": "30"}), "output.fps"),
        (_doc(output={"fps": True}), "output.fps"),
        (_doc(output={"crf": "23"}), "output.crf"),
        (_doc(output={"quality": 3}), "output.quality"),
        (_doc(output={"x264_preset": ["fast"]}), "output.x264_preset"),
        (_doc(output={"fit": "stretch"}), "output.fit"),
    ],
)
def test_wrong_types_are_named(doc: dict[str, Any], where: str) -> None:
    assert where in _wheres(doc)


def test_wrong_type_message_shows_the_value() -> None:
    (where, message), = _problems(_slide_doc(duration="long"))
    assert where == "slides[0].duration"
    assert '"long"' in message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
@pytest.mark.parametrize(
    ("template", "where"),
    [
        ('{"schema_version": 1, "slides": [{"image": "a.jpg"}], "default_duration": %s}',
         "default_duration"),
        ('{"schema_version": 1, "slides": [{"image": "a.jpg"}, {"image": "b.jpg", '
         '"duration": %s}]}', "slides[1].duration"),
        ('{"schema_version": 1, "slides": [{"image": "a.jpg"}], '
         '"transition": {"name": "fade", "duration": %s}}', "transition.duration"),
        ('{"schema_version": 1, "slides": [{"image": "a.jpg"}], "output": {"fps": %s}}',
         "output.fps"),
        ('{"schema_version": 1, "slides": [{"image": "a.jpg"}], "output": {"crf": %s}}',
         "output.crf"),
        ('{"schema_version": 1, "slides": [{"image": "a.jpg"}], '
         '"audio": {"path": "m.mp3", "volume": %s}}', "audio.volume"),
        ('{"schema_version": 1, "slides": [{"image": "a.jpg"}], "motion": {"mode": "custom", '
         '"start": {"zoom": %s}, "end": {}}}', "motion.start.zoom"),
    ],
)
def test_non_finite_json_constants_name_their_field(
    constant: str, template: str, where: str
) -> None:
    assert _problems(template % constant) == [(where, f"{constant} is not allowed")]


def test_all_non_finite_constants_reported_together() -> None:
    text = ('{"schema_version": 1, "slides": [{"image": "a.jpg", "duration": NaN}], '
            '"default_duration": Infinity, "output": {"crf": -Infinity}}')
    assert _wheres(text) == ["slides[0].duration", "default_duration", "output.crf"]


@pytest.mark.parametrize("value", [0, -1, -0.5, 3600.5, 1e9, 1e308, "1e400"])
def test_bad_slide_durations(value: object) -> None:
    text = json.dumps(_doc(slides=[{"image": "a.jpg"}, {"image": "b.jpg", "duration": 1},
                                   {"image": "c.jpg", "duration": "@"}])).replace('"@"', str(value))
    problems = _problems(text)
    assert [w for w, _ in problems] == ["slides[2].duration"]
    assert "finite number > 0" in problems[0][1]


def test_bad_default_and_transition_durations() -> None:
    assert _wheres(_doc(default_duration=0, transition={"duration": -1})) == [
        "default_duration", "transition.duration",
    ]


@pytest.mark.parametrize("value", [0.001, 3600, 7])
def test_good_durations(value: float) -> None:
    assert _load(_slide_doc(duration=value)).slides[0].duration == value


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        (_doc(transition="dissolve"), "transition.name"),
        (_doc(transition={"name": "Fade"}), "transition.name"),
        (_slide_doc(transition="slide_left"), "slides[0].transition.name"),
        (_slide_doc(transition={"name": "", "duration": 1}), "slides[0].transition.name"),
    ],
)
def test_unknown_transition_names(doc: dict[str, Any], where: str) -> None:
    problems = _problems(doc)
    assert [w for w, _ in problems] == [where]
    assert "unknown transition" in problems[0][1]


@pytest.mark.parametrize("resolution", ["0x0", "99999x10", "abc", "", "1x1", "8192x8192"])
def test_absurd_resolutions(resolution: str) -> None:
    with pytest.raises(ValueError) as reason:
        Resolution(resolution)
    assert _problems(_doc(output={"resolution": resolution})) == [
        ("output.resolution", str(reason.value))
    ]


def test_resolution_messages_name_the_field_and_the_reason() -> None:
    assert _problems(_doc(output={"resolution": "abc"})) == [
        ("output.resolution",
         "'abc' is not WIDTHxHEIGHT or one of 720p, 1080p, 4k, vertical, square")]
    assert _problems(_doc(output={"resolution": "1x1"})) == [
        ("output.resolution", "1x1 is out of range (each side 16..8192, at most 8192x4320)")]


def test_unknown_transition_and_quality_messages_list_the_choices() -> None:
    names = "none, fade, fadeblack, slide-left, slide-right, slide-up, slide-down, " \
            "wipe-left, wipe-right, wipe-up, wipe-down, zoom"
    assert _problems(_slide_doc(transition={"name": "spin"})) == [
        ("slides[0].transition.name", f"unknown transition 'spin' ({names})")]
    assert _problems(_doc(output={"quality": "ultra"})) == [
        ("output.quality", "unknown quality 'ultra' (draft, standard, high, best)")]


@pytest.mark.parametrize(
    ("resolution", "size"),
    [("720p", (1280, 720)), ("1080p", (1920, 1080)), ("4k", (3840, 2160)),
     ("vertical", (1080, 1920)), ("square", (1080, 1080)), ("1281x721", (1282, 722))],
)
def test_resolution_presets_and_rounding(resolution: str, size: tuple[int, int]) -> None:
    out = _load(_doc(output={"resolution": resolution})).output
    assert out.resolution.text == resolution
    assert out.size == size


@pytest.mark.parametrize("fps", [0, 23, 29.97, 31, 120, -30, "1e400"])
def test_fps_not_in_choices(fps: object) -> None:
    text = json.dumps(_doc(output={"fps": "@"})).replace('"@"', str(fps))
    assert _wheres(text) == ["output.fps"]


@pytest.mark.parametrize("fps", [24, 25, 30, 50, 60])
def test_fps_choices(fps: int) -> None:
    assert _load(_doc(output={"fps": fps})).output.fps == fps


@pytest.mark.parametrize("crf", [-1, 52, 23.5, 1000])
def test_crf_out_of_range(crf: float) -> None:
    assert _wheres(_doc(output={"crf": crf})) == ["output.crf"]


@pytest.mark.parametrize(
    ("doc", "where"),
    [
        (_doc(output={"quality": "ultra"}), "output.quality"),
        (_doc(output={"x264_preset": "turbo"}), "output.x264_preset"),
        (_slide_doc(caption="x" * 501), "slides[0].caption"),
        (_doc(audio={"path": "m.mp3", "volume": 4.5}), "audio.volume"),
        (_doc(audio={"path": "m.mp3", "fade_out": -1}), "audio.fade_out"),
        (_doc(audio={"path": "m.mp3", "start": 1e6}), "audio.start"),
        (_doc(motion="custom"), "motion.start"),
        (_doc(motion={"mode": "custom", "start": {"x": 1.5}, "end": {}}), "motion.start.x"),
        (_doc(motion={"mode": "custom", "start": {}, "end": {"zoom": 0.5}}), "motion.end.zoom"),
        (_slide_doc(image=""), "slides[0].image"),
        (_doc(slides=[{"caption": "no image"}]), "slides[0].image"),
    ],
)
def test_other_semantic_problems_are_named(doc: dict[str, Any], where: str) -> None:
    assert where in _wheres(doc)


@pytest.mark.parametrize("version", [0, -1, "1", None, 1.5, "1.x", " 1.0", "0.9", "v1.0", True])
def test_unknown_schema_version(version: object) -> None:
    problems = _problems(_doc(schema_version=version))
    assert problems == [("schema_version",
                         f"unsupported version {version!r} (this app reads 1 or \"1.N\", "
                         "2 or \"2.N\")")]


def test_missing_schema_version() -> None:
    assert _wheres({"slides": [{"image": "a.jpg"}]})[0] == "schema_version"


@pytest.mark.parametrize("doc", [_doc(schema_version=3), {"slides": [{"image": "a.jpg"}]}])
def test_unsupported_version_reports_only_the_version(doc: dict[str, Any]) -> None:
    assert _wheres(doc) == ["schema_version"]


def test_boolean_schema_version_is_rejected() -> None:
    assert _wheres(_doc(schema_version=True)) == ["schema_version"]


def test_empty_slides_list() -> None:
    assert _problems(_doc(slides=[])) == [("slides", "the project has no slides")]


def test_missing_slides() -> None:
    assert _wheres({"schema_version": 1}) == ["slides"]


@pytest.mark.parametrize("text", ["", "{", "not json", '{"schema_version": 1,}', "{'a': 1}",
                                  '{"schema_version": 1} trailing'])
def test_non_json(text: str) -> None:
    problems = _problems(text)
    assert len(problems) == 1
    assert problems[0][0] == "project"
    assert "not valid JSON" in problems[0][1]
    assert "line 1" in problems[0][1]


def test_top_level_must_be_an_object() -> None:
    problems = _problems("[1, 2]")
    assert any("must be an object" in m for _, m in problems)


def test_top_level_problem_names_something() -> None:
    assert all(where for where in _wheres("[1, 2]"))


@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deep_nesting_is_a_problem_not_a_crash(opener: str) -> None:
    problems = _problems(opener * 100_000)
    assert len(problems) == 1
    assert problems[0][0] == "project"


def test_deep_nesting_inside_a_valid_document() -> None:
    text = json.dumps(_doc(default_duration="@")).replace('"@"', "[" * 50_000 + "]" * 50_000)
    problems = _problems(text)
    assert [w for w, _ in problems] == ["project"]
    assert "not a usable JSON document" in problems[0][1]


def test_moderately_nested_value_names_its_field() -> None:
    text = json.dumps(_doc(default_duration="@")).replace('"@"', "[" * 500 + "]" * 500)
    assert _wheres(text) == ["default_duration"]


def test_huge_integer_beyond_parser_limit_is_a_problem() -> None:
    text = json.dumps(_doc(default_duration="@")).replace('"@"', "9" * 5000)
    problems = _problems(text)
    assert [w for w, _ in problems] == ["project"]


def test_huge_float_literal_is_out_of_range() -> None:
    text = json.dumps(_doc(default_duration="@")).replace('"@"', "1" + "0" * 400 + ".0")
    assert _wheres(text) == ["default_duration"]


def test_huge_integer_duration_is_a_named_problem() -> None:
    text = json.dumps(_slide_doc(duration="@")).replace('"@"', "1" + "0" * 400)
    assert _wheres(text) == ["slides[0].duration"]


def test_four_distinct_semantic_mistakes_give_four_named_problems() -> None:
    doc = _doc(
        slides=[{"image": "a.jpg"}, {"image": "b.jpg"}, {"image": "c.jpg", "duration": -2}],
        transition="spin",
        output={"fps": 29, "resolution": "0x0"},
    )
    assert sorted(_wheres(doc)) == sorted(
        ["slides[2].duration", "transition.name", "output.fps", "output.resolution"]
    )


def test_four_distinct_structural_mistakes_give_four_named_problems() -> None:
    text = ('{"schema_version": 1, "sildes": 1, "slides": [{"image": "a.jpg"}, '
            '{"image": "b.jpg", "duration": NaN}, {"image": "c.jpg", "fit": "stretch"}], '
            '"output": {"fps": "30"}}')
    assert sorted(_wheres(text)) == sorted(
        ["sildes", "slides[1].duration", "slides[2].fit", "output.fps"]
    )


def test_structural_and_semantic_mistakes_are_reported_together() -> None:
    text = ('{"schema_version": 1, "sildes": 1, "slides": [{"image": "a.jpg"}, '
            '{"image": "b.jpg", "duration": NaN}, {"image": "c.jpg", "duration": -2}], '
            '"output": {"fps": 29}}')
    assert sorted(_wheres(text)) == sorted(
        ["sildes", "slides[1].duration", "slides[2].duration", "output.fps"]
    )


def test_empty_slide_object_is_a_problem() -> None:
    assert _wheres(_doc(slides=[{"image": "a.jpg"}, {}])) == ["slides[1].image"]


def test_one_mistake_gives_one_problem() -> None:
    assert _wheres(_slide_doc(image=5)) == ["slides[0].image"]


def test_problem_count_in_message() -> None:
    with pytest.raises(ProjectInvalid) as info:
        _load(_doc(slide=1, outptu=2, adio=3))
    assert str(info.value) == (
        "slide: unknown field, probably a typo of 'slides' (and 2 more problem(s))")


# -- files ----------------------------------------------------------------------------------------
def test_load_names_the_file_for_non_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.simvid"
    path.write_text("{ nope", encoding="utf-8")
    with pytest.raises(ProjectInvalid) as info:
        load_project(path)
    (problem,) = info.value.problems
    assert problem.where == str(path)
    assert "not valid JSON" in problem.message


@pytest.mark.parametrize(
    "raw", [b"\xff\xfe\x00garbage", "{\"caption\": \"café\"}".encode("latin-1"), b"\x80"]
)
def test_non_utf8_bytes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "p.simvid"
    path.write_bytes(raw)
    with pytest.raises(ProjectInvalid) as info:
        load_project(path)
    assert [(p.where, p.message) for p in info.value.problems] == [
        (str(path), "is not UTF-8 text")
    ]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.simvid"
    with pytest.raises(ProjectInvalid) as info:
        load_project(path)
    (problem,) = info.value.problems
    assert problem.where == str(path)
    assert problem.message


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ProjectInvalid) as info:
        load_project(tmp_path)
    assert [p.where for p in info.value.problems] == [str(tmp_path)]


def test_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.simvid"
    path.write_text(json.dumps(_doc()), encoding="utf-8")
    monkeypatch.setattr(project_io, "MAX_FILE_BYTES", 10)
    with pytest.raises(ProjectInvalid) as info:
        load_project(path)
    assert [(p.where, p.message) for p in info.value.problems] == [
        (str(path), "is too large to be a project file")
    ]


def test_invalid_file_problems_name_fields_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.simvid"
    path.write_text(json.dumps(_slide_doc(duration=-1)), encoding="utf-8")
    with pytest.raises(ProjectInvalid) as info:
        load_project(path)
    assert [p.where for p in info.value.problems] == ["slides[0].duration"]


def test_read_project_returns_problems_with_a_usable_project(tmp_path: Path) -> None:
    path = tmp_path / "p.simvid"
    path.write_text(json.dumps(_doc(default_duration=-1, output={"fps": "30"}, slidess=1)),
                    encoding="utf-8")
    project, problems = project_io.read_project(path)
    assert sorted(p.where for p in problems) == ["default_duration", "output.fps", "slidess"]
    assert project.slides == (Slide(tmp_path.resolve() / "a.jpg"),)
    assert project.output.fps == 30  # the wrong-typed value is replaced by the default


def test_parse_project_raises_only_without_a_document() -> None:
    project, problems = project_io.parse_project(json.dumps(_doc(default_duration=0)), BASE)
    assert [p.where for p in problems] == ["default_duration"]
    assert project.slides
    with pytest.raises(ProjectInvalid):
        project_io.parse_project("{", BASE)


def test_structural_problem_is_not_repeated_by_the_semantic_check() -> None:
    # NaN is reported by the reader; the default it leaves must not add a second line
    assert _wheres('{"schema_version": 1, "slides": [{"image": "a.jpg"}], '
                   '"output": {"fps": NaN}}') == ["output.fps"]
