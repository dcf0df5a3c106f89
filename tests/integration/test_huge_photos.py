"""A 100 MP photo renders without ever being decoded at full size."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from simvid_desktop.render.ffmpeg import ffmpeg_exe

PEAK_SCRIPT = """
import json, resource, sys
from pathlib import Path
from simvid_desktop.model.project import OutputSettings, Project, Quality, Resolution, Slide
from simvid_desktop.render.engine import RenderSpec, render
photos = [Path(p) for p in sys.argv[1:-1]]
project = Project(slides=tuple(Slide(p) for p in photos), default_duration=0.5,
                  output=OutputSettings(resolution=Resolution("320x180"), quality=Quality.DRAFT))
render(RenderSpec(project, Path(sys.argv[-1])))
try:  # this process's own peak: ru_maxrss also counts the parent's size when it forked
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1])
except OSError:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"peak_mb": peak_kb / 1024}))
"""


def test_100_megapixel_jpegs_stay_small_in_memory(tmp_path: Path) -> None:
    photos = []
    for i, color in enumerate(("red", "blue")):
        path = tmp_path / f"huge{i}.jpg"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                        f"color=c={color}:s=10000x10000", "-frames:v", "1", str(path)],
                       check=True, timeout=120)
        photos.append(str(path))
    out = tmp_path / "out.mp4"
    res = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, *photos, str(out)],
                         capture_output=True, text=True, timeout=300, check=True)
    peak = json.loads(res.stdout.strip().splitlines()[-1])["peak_mb"]
    # A single RGB copy of one photo would be 300 MB; libjpeg's 1/8 decode is ~4.5 MB.
    assert peak < 200, f"render process peaked at {peak:.0f} MB"
    assert out.stat().st_size > 0
