"""The show's soundtrack alone, as a WAV file: for tools that take the sound apart from the
picture (moviepy, an editor) and for checking the mix sample by sample.

It is the very graph the video's audio comes from (:func:`soundtrack_plan`), written
uncompressed, so it lasts exactly the show and every sound is on its sample, and brought to
the project's loudness as the video's sound is (:mod:`simvid_desktop.render.loudness`).
"""

from __future__ import annotations

from pathlib import Path

from simvid_desktop.model.project import Project
from simvid_desktop.model.timeline import Timeline
from simvid_desktop.render.audio import SAMPLE_RATE, soundtrack_plan
from simvid_desktop.render.encoder import run_encode
from simvid_desktop.render.loudness import loudness_gain

#: 16-bit for files handed on; 32-bit float keeps the mix exactly as computed.
WAV_CODECS = ("pcm_s16le", "pcm_f32le")


def write_soundtrack(project: Project, out: Path, *, codec: str = "pcm_s16le") -> Path:
    """Write the soundtrack of ``project`` to the WAV file ``out`` (48 kHz stereo).

    Raises:
        ValueError: ``codec`` is not one of :data:`WAV_CODECS`.
        RenderFailed / OutputError: ffmpeg could not read an input or write ``out``.
    """
    if codec not in WAV_CODECS:
        raise ValueError(f"codec must be one of {', '.join(WAV_CODECS)}, got {codec!r}")
    timeline = Timeline(project)
    plan = soundtrack_plan(project, timeline, first_input_index=0,
                           loudness=loudness_gain(project, timeline))
    args = [
        "-loglevel", "error", "-y", *plan.input_args, "-filter_complex", plan.filter,
        "-map", "[aout]", "-c:a", codec, "-ar", str(SAMPLE_RATE), "-f", "wav", str(out),
    ]
    run_encode(args, out)
    return out
