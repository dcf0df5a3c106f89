"""The render engine: Pillow, numpy and ffmpeg only (never Qt, so worker processes stay lean)."""

from simvid_desktop.render.engine import RenderOutcome, RenderSpec, render
from simvid_desktop.render.preflight import preflight
from simvid_desktop.render.preview import frame_at, frame_yuv_at
from simvid_desktop.render.progress import (
    CancelToken,
    ProgressEvent,
    RenderStage,
    RenderStatus,
)

__all__ = [
    "CancelToken",
    "ProgressEvent",
    "RenderOutcome",
    "RenderSpec",
    "RenderStage",
    "RenderStatus",
    "frame_at",
    "frame_yuv_at",
    "preflight",
    "render",
]
