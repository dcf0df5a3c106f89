"""Frames as planar YUV 4:2:0 (BT.709, limited range): the encoder's own format.

The renderer composes in this space so that a frame is converted from RGB once per slide,
not once per video frame, and the pipe to ffmpeg carries half the bytes of RGB. Cross-fades
are linear in YUV just as in RGB (the conversion is affine), which is also how ffmpeg's
``xfade`` blends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

# BT.709 luma coefficients
_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB


@dataclass(eq=False)
class Frame:
    """One picture: a single contiguous yuv420p buffer with plane views."""

    buf: np.ndarray
    width: int
    height: int

    @classmethod
    def blank(cls, width: int, height: int, luma: int = 16) -> Frame:
        """A black frame (TV-range black is Y=16, neutral chroma 128)."""
        buf = np.empty(width * height * 3 // 2, np.uint8)
        f = cls(buf, width, height)
        f.y[:] = luma
        f.u[:] = 128
        f.v[:] = 128
        return f

    @classmethod
    def empty(cls, width: int, height: int) -> Frame:
        return cls(np.empty(width * height * 3 // 2, np.uint8), width, height)

    @property
    def y(self) -> np.ndarray:
        n = self.width * self.height
        return self.buf[:n].reshape(self.height, self.width)

    @property
    def u(self) -> np.ndarray:
        n, q = self.width * self.height, self.width * self.height // 4
        return self.buf[n : n + q].reshape(self.height // 2, self.width // 2)

    @property
    def v(self) -> np.ndarray:
        n, q = self.width * self.height, self.width * self.height // 4
        return self.buf[n + q :].reshape(self.height // 2, self.width // 2)

    @property
    def uv(self) -> np.ndarray:
        """Both chroma planes as one (H, W/2) array, U above V (as they lie in ``buf``)."""
        n = self.width * self.height
        return self.buf[n:].reshape(self.height, self.width // 2)

    def planes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self.y, self.u, self.v

    def copy(self) -> Frame:
        return Frame(self.buf.copy(), self.width, self.height)


_SY, _SC = 219.0 / 255.0, 224.0 / 255.0
_Y_MATRIX = (_KR * _SY, _KG * _SY, _KB * _SY, 16.0)
_YUV_MATRIX = (
    *_Y_MATRIX,
    -_KR / (2 * (1 - _KB)) * _SC, -_KG / (2 * (1 - _KB)) * _SC, 0.5 * _SC, 128.0,
    0.5 * _SC, -_KG / (2 * (1 - _KR)) * _SC, -_KB / (2 * (1 - _KR)) * _SC, 128.0,
)


def rgb_to_planes(image: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """RGB image with even sides -> Y (H, W), U and V (H/2, W/2) uint8 arrays.

    Pillow's matrix conversion runs in C (about 8x faster than numpy here). Chroma is
    taken from the 2x2 box average of RGB (``reduce(2)``): the conversion is affine, so
    this equals averaging full-resolution chroma, sited like MPEG-2/H.264 expect.
    """
    if image.mode != "RGB":
        image = image.convert("RGB")
    y = image.convert("L", matrix=_Y_MATRIX)
    _, u, v = image.reduce(2).convert("RGB", matrix=_YUV_MATRIX).split()
    return np.asarray(y), np.asarray(u), np.asarray(v)


def frame_from_rgb(image: Image.Image | np.ndarray) -> Frame:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image.astype(np.uint8, copy=False))
    w, h = image.size
    frame = Frame.empty(w, h)
    y, u, v = rgb_to_planes(image)
    frame.y[:] = y
    frame.u[:] = u
    frame.v[:] = v
    return frame


# Inverse of the limited-range BT.709 conversion, as an affine 3x4 matrix on (Y, U, V).
_IY, _IC = 255.0 / 219.0, 255.0 / 224.0
_RGB_MATRIX = (
    _IY, 0.0, 2 * (1 - _KR) * _IC,
    -16 * _IY - 128 * 2 * (1 - _KR) * _IC,
    _IY, -2 * (1 - _KB) * _KB / _KG * _IC, -2 * (1 - _KR) * _KR / _KG * _IC,
    -16 * _IY + 128 * (2 * (1 - _KB) * _KB + 2 * (1 - _KR) * _KR) / _KG * _IC,
    _IY, 2 * (1 - _KB) * _IC, 0.0,
    -16 * _IY - 128 * 2 * (1 - _KB) * _IC,
)


def frame_to_rgb(frame: Frame) -> np.ndarray:
    """What a player shows for this frame: (H, W, 3) uint8 RGB, chroma upsampled by 2x2.

    Done in Pillow's C code (matrix conversion), which also releases the GIL: the
    window's preview thread converts a 1080p frame without stalling the UI thread.
    """
    size = (frame.width, frame.height)
    y = Image.fromarray(frame.y.copy())
    u = Image.fromarray(frame.u.copy()).resize(size, Image.Resampling.NEAREST)
    v = Image.fromarray(frame.v.copy()).resize(size, Image.Resampling.NEAREST)
    rgb = Image.merge("RGB", (y, u, v)).convert("RGB", matrix=_RGB_MATRIX)
    return np.asarray(rgb)


def plane_images(frame: Frame) -> tuple[Image.Image, Image.Image, Image.Image]:
    """The three planes as Pillow ``L`` images (copies), for fast resampling."""
    return (
        Image.fromarray(frame.y.copy()),
        Image.fromarray(frame.u.copy()),
        Image.fromarray(frame.v.copy()),
    )
