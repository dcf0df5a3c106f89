"""The music bed as ffmpeg input options and a filter chain.

ffmpeg decodes, loops, trims, pads, fades and resamples the track while it encodes the
video, so no audio is held in Python and the result is exactly as long as the show
(lengths come from the decoded samples, never from an MP3 header).
"""

from __future__ import annotations

from dataclasses import dataclass

from simvid_desktop.model.project import AudioBed

SAMPLE_RATE = 48000


@dataclass(frozen=True)
class AudioPlan:
    input_args: list[str]  #: options and ``-i`` for the one extra input
    filter: str  #: a filter_complex chain ending in ``[aout]``


def audio_plan(audio: AudioBed | None, total: float, input_index: int) -> AudioPlan:
    """Plan the audio of a show lasting ``total`` seconds; silence when there is no music."""
    samples = round(total * SAMPLE_RATE)
    # Timestamps are renumbered from the sample count before trimming, so a looped
    # track (whose timestamps restart or jump) is cut at exactly ``samples``.
    head = (
        f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
        "asetpts=N/SR/TB"
    )
    tail = f"apad,atrim=end_sample={samples}"
    if audio is None:
        silence = ["-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=stereo"]
        return AudioPlan(silence, f"[{input_index}:a]{head},{tail}[aout]")
    args: list[str] = []
    if audio.loop:
        args += ["-stream_loop", "-1"]
    if audio.start > 0:
        args += ["-ss", f"{audio.start:.6f}"]
    args += ["-vn", "-i", str(audio.path)]
    chain = [head, f"volume={audio.volume:.4f}", tail]
    if audio.fade_in > 0:
        chain.append(f"afade=t=in:st=0:d={min(audio.fade_in, total):.6f}")
    if audio.fade_out > 0:
        d = min(audio.fade_out, total)
        chain.append(f"afade=t=out:st={total - d:.6f}:d={d:.6f}")
    return AudioPlan(args, f"[{input_index}:a:0]" + ",".join(chain) + "[aout]")
