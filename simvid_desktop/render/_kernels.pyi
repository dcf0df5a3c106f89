# Types of the compiled module built from _kernels.c (see render/native.py).
import numpy as np
import numpy.typing as npt

SIMD: str  #: "ssse3" where the CPU has it, else "none"

def resample(src: npt.NDArray[np.uint8], src_height: int, src_width: int,
             rows: npt.NDArray[np.intp], row_weights: npt.NDArray[np.uint16],
             cols: npt.NDArray[np.intp], col_weights: npt.NDArray[np.uint16],
             out: npt.NDArray[np.uint8], out_height: int, out_width: int) -> None: ...
def blend(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8], weight: int,
          out: npt.NDArray[np.uint8]) -> None: ...
