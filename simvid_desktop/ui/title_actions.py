"""Adding title cards: one after the selection, or an intro and an outro in one step.

Edits of the document like any other (each one undo step); the cards are ordinary title
cards, edited afterwards in the inspector.
"""

from __future__ import annotations

from simvid_desktop.model.project import Slide
from simvid_desktop.ui.document import ProjectDocument

OUTRO_TEXT = "The End"


def add_title_card(document: ProjectDocument, selected: list[int],
                   text: str = "Title") -> int:
    """Insert a title card after the last selected slide (none: at the end); its row."""
    project = document.project
    slides = list(project.slides)
    valid = [r for r in selected if 0 <= r < len(slides)]
    at = max(valid) + 1 if valid else len(slides)
    slides.insert(at, Slide.card(text))
    document.apply(project.with_slides(slides), "Add title card")
    return at


def add_intro_and_outro(document: ProjectDocument, name: str) -> tuple[int, int]:
    """A card named ``name`` first and "The End" last, as one undo step; their rows."""
    project = document.project
    slides = [Slide.card(name), *project.slides, Slide.card(OUTRO_TEXT)]
    document.apply(project.with_slides(slides), "Add intro and outro")
    return 0, len(slides) - 1
