"""Still frames of a show: exactly the pixels the video is encoded from, for preview and tests."""

from __future__ import annotations

import numpy as np

from simvid_desktop.model.project import Project
from simvid_desktop.render.compositor import Compositor
from simvid_desktop.render.yuv import Frame, frame_to_rgb


def frame_yuv_at(project: Project, t: float) -> Frame:
    """The yuv420p frame the render sends to the encoder for time ``t`` (a copy)."""
    with Compositor(project, prefetch=False) as comp:
        return comp.frame(comp.timeline.frame_at_time(t)).copy()


def frame_at(project: Project, t: float) -> np.ndarray:
    """The picture at time ``t`` as (H, W, 3) RGB, converted back as a player would."""
    return frame_to_rgb(frame_yuv_at(project, t))
