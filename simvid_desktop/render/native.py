"""The compositor's compiled kernels (``_kernels.c``), where the install could build them.

They compute exactly what the numpy paths of :mod:`resample` and :mod:`transitions`
compute, bit for bit, 6-10 times faster and without numpy's temporaries; on a
2-core machine the compositor's CPU is added almost one for one to the encoder's, so this
is what keeps moving photos near the encode floor. Without a C compiler at install time
the build is skipped (``optional`` in pyproject.toml) and numpy does the work.

``SIMVID_KERNELS=numpy`` in the environment turns them off (the benchmarks compare both).
"""

from __future__ import annotations

import logging
import os
from typing import Protocol

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

ENV = "SIMVID_KERNELS"

U8 = npt.NDArray[np.uint8]


class Kernels(Protocol):
    """What ``_kernels.c`` offers (its argument checks are in the C source)."""

    SIMD: str  #: "ssse3" where the row pass uses it, else "none"

    def resample(self, src: U8, src_height: int, src_width: int,
                 rows: npt.NDArray[np.intp], row_weights: npt.NDArray[np.uint16],
                 cols: npt.NDArray[np.intp], col_weights: npt.NDArray[np.uint16],
                 out: U8, out_height: int, out_width: int) -> None: ...

    def blend(self, a: U8, b: U8, weight: int, out: U8) -> None: ...


def _load() -> Kernels | None:
    if os.environ.get(ENV, "").strip().lower() == "numpy":
        return None
    try:
        from simvid_desktop.render import _kernels  # noqa: PLC0415 - optional build
    except ImportError as exc:
        logger.info("compiled kernels not available (%s): compositing with numpy", exc)
        return None
    return _kernels


kernels: Kernels | None = _load()


def backend() -> str:
    """What composes the frames in this process: ``"native"`` (the compiled kernels),
    ``"native+ssse3"`` (with their SIMD row pass, chosen at run time) or ``"numpy"``."""
    if kernels is None:
        return "numpy"
    return "native" if kernels.SIMD == "none" else f"native+{kernels.SIMD}"
