"""Write the golden frames of the saved v1 projects beside them.

Run once with the release that wrote format 1 (before format 2 existed); the frames are
what that renderer made of each file, and tests/integration/test_v1_files.py checks that
today's renderer still makes them. Photos are generated (see ``v1_photos``), not stored.

    python tests/data/v1/make_goldens.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from tests.data.v1.photos import GOLDEN_FRAMES, v1_photos  # noqa: E402


def main() -> None:
    from simvid_desktop.model.project_io import load_project
    from simvid_desktop.render.compositor import Compositor
    from simvid_desktop.render.yuv import frame_to_rgb

    v1_photos(HERE / "photos")
    for path in sorted(HERE.glob("*.simvid")):
        project = load_project(path)
        with Compositor(project, prefetch=False) as comp:
            strip = np.concatenate([frame_to_rgb(comp.frame(n)) for n in GOLDEN_FRAMES], 1)
        Image.fromarray(strip).save(path.with_suffix(".frames.png"), optimize=True)
        print(path.name, project.output.size, comp.timeline.frame_count)


if __name__ == "__main__":
    main()
