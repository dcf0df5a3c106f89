"""A show's chapters: where they begin and what they are called (pure arithmetic).

Chapters begin where slides begin (their nominal start, where the encoder also puts a
keyframe), so a player jumping to one lands exactly on its slide.
"""

from __future__ import annotations

from dataclasses import dataclass

from simvid_desktop.model.project import ChapterMode, Project, Slide, SlideKind
from simvid_desktop.model.timeline import Timeline


@dataclass(frozen=True)
class Chapter:
    start: float  #: seconds
    end: float
    title: str


def chapter_title(slide: Slide) -> str:
    """A title card's text, else the slide's caption, else its file's name without suffix."""
    if slide.title is not None:
        return slide.label
    if slide.caption:
        return slide.caption.strip().splitlines()[0]
    source = slide.source
    return source.stem if source is not None else slide.label


def chapters_of(project: Project, timeline: Timeline | None = None) -> list[Chapter]:
    """The chapters the project's output settings ask for (none for ``NONE``)."""
    mode = project.output.chapters
    if mode is ChapterMode.NONE or not project.slides:
        return []
    timeline = timeline or Timeline(project)
    starts = [i for i, s in enumerate(project.slides)
              if mode is ChapterMode.SLIDES or s.kind is SlideKind.TITLE]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)  # players and YouTube want one at the start
    ends = [timeline.slides[i].start for i in starts[1:]] + [timeline.total]
    return [Chapter(timeline.slides[i].start, end, chapter_title(project.slides[i]))
            for i, end in zip(starts, ends, strict=True)]


def clock(seconds: float) -> str:
    """``01:23`` or ``1:02:03``, as YouTube's chapter lists write times."""
    s = int(seconds)
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m:02d}:{s % 60:02d}"


def youtube_list(chapters: list[Chapter]) -> str:
    """One ``MM:SS Title`` line per chapter, to paste into a video's description."""
    return "".join(f"{clock(c.start)} {c.title}\n" for c in chapters)
