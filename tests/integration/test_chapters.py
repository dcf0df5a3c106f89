"""Chapters in the video (single pass, segments) and, when asked, beside it for YouTube."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from simvid_desktop.model.chapters import Chapter, chapters_of, clock, youtube_list
from simvid_desktop.model.project import ChapterMode, Project, Slide
from simvid_desktop.render.chapters import ffmetadata, list_path
from simvid_desktop.render.engine import RenderSpec, render
from tests.integration.conftest import small_project
from tests.integration.media import FF


def video_chapters(path: Path) -> list[tuple[float, str]]:
    """(start in seconds, title) of each chapter the video holds, as ffmpeg reads them."""
    meta = subprocess.run([FF, "-v", "error", "-i", str(path), "-f", "ffmetadata", "-"],
                          capture_output=True, text=True, check=True).stdout

    def field(block: str, name: str) -> str:
        found = re.search(rf"^{name}=(.*)$", block, re.M)
        assert found is not None, (name, block)
        return found[1]

    chapters = []
    for block in meta.split("[CHAPTER]")[1:]:
        num, den = field(block, "TIMEBASE").split("/")
        start = int(field(block, "START")) * int(num) / int(den)
        title = re.sub(r"\\(.)", r"\1", field(block, "title"))  # ffmetadata's escapes
        chapters.append((round(start, 3), title))
    return chapters


def show(photos: list[Path], mode: ChapterMode, chapter_list: bool = False) -> Project:
    base = small_project(photos[:2], default_duration=1.2)
    slides = [Slide.card("Lisbon = sun"), base.slides[0],
              replace(base.slides[1], caption="Tram #28"), Slide.card("Porto")]
    return replace(base.with_slides(slides),
                   output=replace(base.output, chapters=mode, chapter_list=chapter_list))


@pytest.mark.parametrize("segmented", [False, True], ids=["single pass", "segments"])
def test_chapters_at_every_slide_are_in_the_video(tmp_path: Path, photos: list[Path],
                                                  segmented: bool) -> None:
    out = tmp_path / "show.mp4"
    render(RenderSpec(show(photos, ChapterMode.SLIDES), out,
                      work_dir=tmp_path / "w" if segmented else None, segment_seconds=1.0))
    assert video_chapters(out) == [(0.0, "Lisbon = sun"), (1.2, photos[0].stem),
                                   (2.4, "Tram #28"), (3.6, "Porto")]


def test_chapters_at_title_cards_and_the_list_beside_the_video(
        tmp_path: Path, photos: list[Path]) -> None:
    out = tmp_path / "show.mp4"
    outcome = render(RenderSpec(show(photos, ChapterMode.TITLES, chapter_list=True), out))
    assert video_chapters(out) == [(0.0, "Lisbon = sun"), (3.6, "Porto")]
    assert list_path(outcome.output).read_text() == "00:00 Lisbon = sun\n00:03 Porto\n"


def test_no_chapters_unless_asked(tmp_path: Path, photos: list[Path]) -> None:
    out = tmp_path / "show.mp4"
    render(RenderSpec(show(photos, ChapterMode.NONE, chapter_list=True), out))
    assert video_chapters(out) == []
    assert not list_path(out).exists()


def test_the_list_never_replaces_a_file_that_is_there(tmp_path: Path,
                                                      photos: list[Path]) -> None:
    theirs = list_path(tmp_path / "show.mp4")
    theirs.write_text("my own notes\n")
    render(RenderSpec(show(photos, ChapterMode.SLIDES, chapter_list=True),
                      tmp_path / "show.mp4"))
    assert theirs.read_text() == "my own notes\n"
    assert sorted(p.name for p in tmp_path.glob("show*")) == ["show.chapters.txt", "show.mp4"]


def test_chapter_arithmetic() -> None:
    project = Project(slides=(Slide.photo(Path("/a/IMG_1.jpg")), Slide.card("Day two"),
                              Slide.photo(Path("/a/IMG_2.jpg"))), default_duration=30.0)
    titles = replace(project, output=replace(project.output, chapters=ChapterMode.TITLES))
    # the first slide is not a card: a chapter at the start all the same, named after it
    assert chapters_of(titles) == [Chapter(0.0, 30.0, "IMG_1"), Chapter(30.0, 90.0, "Day two")]
    assert [clock(t) for t in (0, 59.9, 61, 3725)] == ["00:00", "00:59", "01:01", "1:02:05"]
    assert youtube_list(chapters_of(titles)) == "00:00 IMG_1\n00:30 Day two\n"
    assert "title=a\\=b\\;c\\#d\\\\e\\\nf" in ffmetadata([Chapter(0, 1, "a=b;c#d\\e\nf")])
