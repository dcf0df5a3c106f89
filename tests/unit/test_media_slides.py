"""Format 2's slides: photos, video clips and title cards in the model and in files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from simvid_desktop.errors import ProjectInvalid
from simvid_desktop.model.project import (
    Clip,
    Project,
    Slide,
    SlideKind,
    TextAlign,
    TitleBackground,
    TitleCard,
    check_project,
)
from simvid_desktop.model.project_io import parse_project, project_from_json, project_to_dict

BASE = Path("/base")


def _problems(slides: list[dict[str, Any]], **kw: Any) -> list[tuple[str, str]]:
    doc = {"schema_version": 2, "slides": slides, **kw}
    _, problems = parse_project(json.dumps(doc), BASE)
    return [(p.where, p.message) for p in problems]


MIXED = {
    "schema_version": 2,
    "slides": [
        {"title": {"text": "Summer 2026", "subtitle": "Lisbon", "background": "gradient",
                   "color": "#102030", "color2": "#405060", "font": "DejaVu Sans",
                   "size": 0.12, "text_color": "#ffeedd", "align": "left"}},
        {"image": "a.heic", "caption": "Tram"},
        {"clip": {"path": "clips/b.mov", "length": 12.5, "trim_in": 1.5, "trim_out": 6.0,
                  "volume": 0.5}, "fit": "blur"},
        {"clip": {"path": "c.mp4", "length": 3.0, "muted": True}},
        {"title": {"text": "The end", "background": "photo", "photo": "a.heic"}},
    ],
    "default_duration": 2.0,
}


def test_a_mixed_show_reads_each_kind() -> None:
    project = project_from_json(json.dumps(MIXED), BASE)
    kinds = [s.kind for s in project.slides]
    assert kinds == [SlideKind.TITLE, SlideKind.PHOTO, SlideKind.CLIP, SlideKind.CLIP,
                     SlideKind.TITLE]
    title = project.slides[0].title
    assert title == TitleCard("Summer 2026", "Lisbon", TitleBackground.GRADIENT, "#102030",
                              "#405060", None, "DejaVu Sans", 0.12, "#ffeedd", TextAlign.LEFT)
    clip = project.slides[2].clip
    assert clip == Clip(BASE / "clips/b.mov", 12.5, 1.5, 6.0, 0.5, False)
    assert project.slides[4].title is not None
    assert project.slides[4].title.photo == BASE / "a.heic"
    assert project.slides[4].source == BASE / "a.heic"


def test_a_clip_lasts_its_trimmed_length_on_the_timeline() -> None:
    project = project_from_json(json.dumps(MIXED), BASE)
    assert [project.duration_of(i) for i in range(5)] == [2.0, 2.0, 4.5, 3.0, 2.0]
    assert project.total_duration == 13.5
    assert [i for i, _ in project.clips] == [2, 3]


def test_clips_and_titles_hold_still_whatever_the_default_motion() -> None:
    doc = {**MIXED, "motion": "auto"}
    project = project_from_json(json.dumps(doc), BASE)
    assert [project.motion_of(i).mode.value for i in range(5)] == [
        "none", "auto", "none", "none", "none"]


def test_a_mixed_show_saves_back_as_it_was_read() -> None:
    project = project_from_json(json.dumps(MIXED), BASE)
    saved = project_to_dict(project, BASE)
    assert saved["slides"][2] == {"clip": {"path": "clips/b.mov", "length": 12.5,
                                           "trim_in": 1.5, "trim_out": 6.0, "volume": 0.5},
                                  "fit": "blur"}
    assert saved["slides"][3] == {"clip": {"path": "c.mp4", "length": 3.0, "muted": True}}
    again = project_from_json(json.dumps(saved), BASE)
    assert again == project


def test_labels_name_files_and_titles() -> None:
    assert Slide.photo(Path("/x/a.jpg")).label == "a.jpg"
    assert Slide.video(Path("/x/b.mov"), 3.0).label == "b.mov"
    assert Slide.card("Summer\nfun").label == "Summer"
    assert Slide.card("").label == "Title card"


@pytest.mark.parametrize(("clip", "where", "fragment"), [
    ({"path": "b.mov", "length": 5, "trim_in": 2, "trim_out": 2}, "slides[0].trim_out",
     "leaves nothing of the clip"),
    ({"path": "b.mov", "length": 5, "trim_out": 7}, "slides[0].trim_out", "past the clip's end"),
    ({"path": "b.mov", "length": 5, "trim_in": -1}, "slides[0].trim_in", ">= 0"),
    ({"path": "b.mov", "length": 5, "volume": 9}, "slides[0].volume", "between 0 and 4"),
    ({"path": "b.mov", "length": 0}, "slides[0].length", "clip's length"),
    ({"path": "b.mov"}, "slides[0].clip.length", "is required"),
    ({"length": 3}, "slides[0].clip.path", "a file path is required"),
    ({"path": "b.mov", "length": 5, "muted": "yes"}, "slides[0].clip.muted", "true or false"),
])
def test_bad_clip_values_are_named(clip: dict[str, Any], where: str, fragment: str) -> None:
    problems = _problems([{"clip": clip}])
    assert any(w == where and fragment in m for w, m in problems), problems


def test_a_clip_with_a_duration_is_told_to_use_its_trim() -> None:
    problems = _problems([{"clip": {"path": "b.mov", "length": 5}, "duration": 2}])
    assert problems == [("slides[0].duration", "a clip lasts as long as its trimmed part: set "
                                               "trim_in and trim_out instead")]


@pytest.mark.parametrize(("title", "where"), [
    ({"text": "x", "color": "red"}, "slides[0].title.color"),
    ({"text": "x", "text_color": "#12345"}, "slides[0].title.text_color"),
    ({"text": "x", "size": 0.9}, "slides[0].title.size"),
    ({"text": "x", "align": "justify"}, "slides[0].title.align"),
    ({"text": "x", "background": "video"}, "slides[0].title.background"),
    ({"text": "x", "background": "photo"}, "slides[0].title.photo"),
    ({"text": "x" * 301}, "slides[0].title.text"),
    ({"text": "x", "font": ""}, "slides[0].title.font"),
])
def test_bad_title_values_are_named(title: dict[str, Any], where: str) -> None:
    assert where in [w for w, _ in _problems([{"title": title}])]


def test_a_slide_is_one_thing() -> None:
    problems = _problems([{"image": "a.jpg", "clip": {"path": "b.mov", "length": 2}}])
    assert problems[0][0] == "slides[0]" and "exactly one" in problems[0][1]
    both = Slide(image=Path("/a.jpg"), title=TitleCard("x"))
    assert any(p.where == "slides[0]" for p in check_project(Project(slides=(both,))))
    assert any(p.where == "slides[0]" for p in check_project(Project(slides=(Slide(),))))


def test_a_typo_in_a_clip_field_is_a_problem_not_a_new_field() -> None:
    with pytest.raises(ProjectInvalid, match="trim_out"):
        project_from_json(json.dumps({"schema_version": 2, "slides": [
            {"clip": {"path": "b.mov", "length": 5, "trim_ot": 3}}]}), BASE)
