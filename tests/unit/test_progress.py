"""Progress events: built by keyword, through JSON and back, and throttled only at an edge
that lets every change of status, stage or slide through."""

from __future__ import annotations

import pytest

from simvid_desktop.render import progress as progress_module
from simvid_desktop.render.progress import (
    ProgressEvent,
    ProgressThrottle,
    RenderStage,
    RenderStatus,
)


def event(slide: int = 1, stage: RenderStage = RenderStage.RENDERING,
          status: RenderStatus = RenderStatus.STARTED, percent: float = 10.0) -> ProgressEvent:
    return ProgressEvent(status=status, stage=stage, percent=percent,
                         message=f"Processing image {slide}/3", frames_done=3,
                         frames_total=30, fps=12.5, eta=None, slide=slide, slides=3)


def test_an_event_survives_json_and_positional_building_is_refused() -> None:
    e = event()
    assert ProgressEvent.from_dict(e.to_dict()) == e
    with pytest.raises(TypeError):
        ProgressEvent(RenderStatus.STARTED, RenderStage.RENDERING, 1.0, "x")  # type: ignore[misc]


@pytest.mark.parametrize("bad", [
    {}, {"status": "started"}, {**event().to_dict(), "stage": "dancing"},
    {**event().to_dict(), "percent": "lots"},
])
def test_from_dict_refuses_what_is_not_an_event(bad: dict[str, object]) -> None:
    with pytest.raises((KeyError, TypeError, ValueError)):
        ProgressEvent.from_dict(bad)


def test_the_throttle_holds_repeats_but_never_a_change(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    throttle = ProgressThrottle(0.25)
    assert throttle.admit(event(1, percent=1))
    assert not throttle.admit(event(1, percent=2))  # same slide, too soon
    assert throttle.admit(event(2, percent=3))  # "image 2/3" is always seen
    assert throttle.admit(event(2, stage=RenderStage.FINALIZING))
    assert throttle.admit(event(2, stage=RenderStage.DONE, status=RenderStatus.FINISHED))
    assert not throttle.admit(event(2, stage=RenderStage.DONE, status=RenderStatus.FINISHED))
    now[0] += 0.3
    assert throttle.admit(event(2, stage=RenderStage.DONE, status=RenderStatus.FINISHED))
