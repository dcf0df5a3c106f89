"""The bundled demo: sample photos and music from ``resources/``, rendered to show off."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from simvid_desktop.model.media_types import images_in
from simvid_desktop.model.project import (
    AudioBed,
    FitMode,
    Motion,
    MotionMode,
    OutputSettings,
    Project,
    Quality,
    Resolution,
    Slide,
    TitleBackground,
    TitleCard,
    Transition,
    TransitionKind,
)
from simvid_desktop.paths import resource

_TRANSITIONS = (
    TransitionKind.FADE, TransitionKind.SLIDE_LEFT, TransitionKind.FADE_BLACK,
    TransitionKind.WIPE_DOWN, TransitionKind.ZOOM, TransitionKind.FADE,
)


def demo_output_path() -> Path:
    return Path(platformdirs.user_videos_dir()) / "Simvid" / "simvid-demo.mp4"


def demo_project(resolution: Resolution) -> Project:
    photos = images_in(resource("samples"))
    slides = []
    for i, photo in enumerate(photos):
        caption = photo.stem.split("_", 1)[-1].replace("_", " ").title() if i == 0 else None
        slides.append(Slide(
            image=photo,
            caption=caption,
            transition=Transition(_TRANSITIONS[i % len(_TRANSITIONS)], 0.8),
        ))
    intro = TitleCard("Simvid Desktop", "photos, clips and music into one video",
                      background=TitleBackground.GRADIENT, color="#1d3557", color2="#0b132b")
    slides.insert(0, Slide(title=intro, transition=Transition(TransitionKind.FADE, 0.8)))
    music = sorted(resource("music").glob("*.m4a"))
    return Project(
        slides=tuple(slides),
        default_duration=3.0,
        transition=Transition(TransitionKind.FADE, 0.8),
        motion=Motion(MotionMode.AUTO),
        audio=AudioBed.single(music[0], fade_in=0.5, fade_out=1.5) if music else None,
        output=OutputSettings(resolution=resolution, fps=30, quality=Quality.STANDARD,
                              fit=FitMode.BLUR),
    )
